#!/usr/bin/env bash
# `npm test`: installs what is missing, runs the checks (types, lint, format, generated files), then every test.
# Each integration test file starts its own Redis and FerretDB on free ports and stops them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-tools.sh >/dev/null
npm run --silent check
node scripts/run-tests.mjs "$@"
