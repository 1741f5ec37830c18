#!/usr/bin/env bash
# `npm start`: installs what is missing (redis-server, FerretDB, versitygw, ffmpeg, node_modules), then runs the
# platform locally (scripts/dev-stack.ts: data stores, S3 server, api, gateway, scheduler, upload).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-tools.sh >/dev/null
# The upload app transcodes voice and takes video posters with Debian's ffmpeg/ffprobe.
if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  echo "[start] installing ffmpeg (apt-get)" >&2
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
fi
exec node --conditions=development --import tsx scripts/dev-stack.ts
