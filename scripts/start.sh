#!/usr/bin/env bash
# `npm start`: installs what is missing (scripts/ensure-tools.sh: redis-server, FerretDB, versitygw, ffmpeg,
# node_modules), then runs the platform locally (scripts/dev-stack.ts: Redis, FerretDB, the S3 server, api,
# gateway, scheduler, upload).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-tools.sh >/dev/null
exec node --conditions=development --import tsx scripts/dev-stack.ts
