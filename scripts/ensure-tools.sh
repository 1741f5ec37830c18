#!/usr/bin/env bash
# Installs what the local stack and the tests need, once per machine:
#   - Debian's redis-server (apt-get)
#   - Debian's ffmpeg/ffprobe + libavcodec-extra (apt-get): the upload app transcodes voice and reads videos with them;
#     libavcodec-extra brings the AMR-NB/WB encoders the media test fixtures use (libs/testing/src/media-fixtures.ts)
#   - promtool (Debian's prometheus package, apt-get): tests/observability checks the chart's alert rules with it
#   - rclone (apt-get): scripts/im-backup.sh copies the object storage with it (tests/backup)
#   - FerretDB v1.24.2 (the MongoDB-protocol server used locally and in tests), built from the Go module proxy
#   - versitygw v1.7.0 (the S3 API server used locally and in tests, for media), built from the Go module proxy
#   - schemathesis 4.x (PyPI, in a venv under the tools cache; $TOOLS_DIR/schemathesis): tests/schemathesis fuzzes /openapi.json
#   - node_modules (npm ci) when missing or older than package-lock.json
# Binaries we build are cached under $IM_TOOLS_DIR (default ~/.cache/im-platform/bin) so later runs skip the build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${IM_TOOLS_DIR:-$HOME/.cache/im-platform/bin}"
FERRETDB_VERSION="v1.24.2"
VERSITYGW_VERSION="v1.7.0"
mkdir -p "$TOOLS_DIR"

log() { echo "[ensure-tools] $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_redis() {
  if command -v redis-server >/dev/null 2>&1; then return; fi
  log "installing redis-server (apt-get)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq redis-server >/dev/null
  # Debian starts a system instance; the platform runs its own instances on its own ports.
  (as_root systemctl disable --now redis-server >/dev/null 2>&1 || as_root service redis-server stop >/dev/null 2>&1 || true)
}

ensure_ffmpeg() {
  # grep reads the whole list (no -q): with pipefail, an early exit would fail the pipeline on ffmpeg's SIGPIPE.
  if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 &&
    ffmpeg -hide_banner -encoders 2>/dev/null | grep libopencore_amrnb >/dev/null; then return; fi
  log "installing ffmpeg + libavcodec-extra (apt-get)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends ffmpeg libavcodec-extra >/dev/null
}

ensure_promtool() {
  if command -v promtool >/dev/null 2>&1; then return; fi
  log "installing promtool (apt-get prometheus)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # Only promtool is wanted; Debian may start a Prometheus server on :9090.
  (as_root systemctl disable --now prometheus >/dev/null 2>&1 || as_root service prometheus stop >/dev/null 2>&1 || true)
}

ensure_rclone() {
  if command -v rclone >/dev/null 2>&1; then return; fi
  log "installing rclone (apt-get)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends rclone >/dev/null
}

ensure_go() {
  if command -v go >/dev/null 2>&1; then return; fi
  if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; return; fi
  log "installing golang-go (apt-get)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq golang-go >/dev/null
}

ensure_ferretdb() {
  local bin="$TOOLS_DIR/ferretdb"
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "$FERRETDB_VERSION"; then return; fi
  ensure_go
  log "building FerretDB $FERRETDB_VERSION (once per machine; cached in $TOOLS_DIR)"
  # `go install` of the module leaves build/version/version.txt empty and the binary refuses to start,
  # so build a copy of the module source with that file written.
  local dir src
  dir="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  src="$(mktemp -d)"
  cp -r "$dir/." "$src/"
  chmod -R u+w "$src"
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  (cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$bin" ./cmd/ferretdb)
  rm -rf "$src"
}

ensure_schemathesis() {
  local venv="$TOOLS_DIR/schemathesis-venv"
  if [ -x "$TOOLS_DIR/schemathesis" ] && "$TOOLS_DIR/schemathesis" --version 2>/dev/null | grep -q "version 4\."; then return; fi
  log "installing schemathesis 4.x (pip, venv in $venv)"
  # The newest Python 3 at hand: hypothesis' coverage phase trips over a CPython 3.11.7 AST bug.
  local python=python3 candidate
  for candidate in python3.13 python3.12 "$HOME"/.pyenv/versions/3.1[23]*/bin/python3; do
    if "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1; then python="$candidate"; break; fi
  done
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis>=4,<5"
  ln -sf "$venv/bin/schemathesis" "$TOOLS_DIR/schemathesis"
}

ensure_versitygw() {
  # versitygw: the S3 API server of local runs and tests (POSIX backend with --sidecar), for the upload app.
  local bin="$TOOLS_DIR/versitygw" marker="$TOOLS_DIR/versitygw.version"
  if [ -x "$bin" ] && [ "$(cat "$marker" 2>/dev/null)" = "$VERSITYGW_VERSION" ]; then return; fi
  ensure_go
  log "building versitygw $VERSITYGW_VERSION (once per machine; cached in $TOOLS_DIR)"
  GOBIN="$TOOLS_DIR" GOFLAGS=-mod=mod CGO_ENABLED=0 go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  echo "$VERSITYGW_VERSION" >"$marker"
}

ensure_node_modules() {
  cd "$ROOT"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_redis
ensure_ffmpeg
ensure_promtool
ensure_rclone
ensure_ferretdb
ensure_versitygw
ensure_schemathesis
bash "$ROOT/scripts/ensure-k8s-tools.sh" >/dev/null # etcd, kube-apiserver, kubectl, helm for the operator's tests
ensure_node_modules
echo "$TOOLS_DIR"
