#!/usr/bin/env bash
# `npm start`: installs what is missing (redis-server, FerretDB, node_modules), then runs the platform locally.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-tools.sh >/dev/null
exec node --conditions=development --import tsx scripts/dev-stack.ts
