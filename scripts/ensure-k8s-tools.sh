#!/usr/bin/env bash
# Builds what the operator's integration tests run against a real API server, once per machine:
#   - kube-apiserver and kubectl from k8s.io/kubernetes (module tools/k8s pins it and its staging modules)
#   - etcd (the server from go.etcd.io/etcd/server/v3, the version kubernetes itself pins)
#   - helm
# All come from the Go module proxy and are cached under $IM_TOOLS_DIR (default ~/.cache/im-platform/bin);
# a later run finds each binary at the right version and skips it. The Go module and build caches are left
# in place, so a rebuild on the same machine is quick. The first build takes several minutes on 2 cores.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${IM_TOOLS_DIR:-$HOME/.cache/im-platform/bin}"
# Keep these in step with tools/k8s/go.mod (k8s.io/kubernetes and go.etcd.io/etcd/server/v3).
KUBERNETES_VERSION="v1.34.4"
ETCD_VERSION="v3.6.4"
HELM_VERSION="v3.19.5"
mkdir -p "$TOOLS_DIR"

log() { echo "[ensure-k8s-tools] $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_go() {
  if command -v go >/dev/null 2>&1; then return; fi
  if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; return; fi
  log "installing golang-go (apt-get)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq golang-go >/dev/null
}

# Version stamps as Kubernetes's own build writes them (hack/lib/version.sh); without them the
# binaries call themselves v0.0.0-master.
kube_ldflags() {
  local minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  local flags="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}

build_in_module() { # <output name> <package>
  log "building $1 ($2; once per machine, cached in $TOOLS_DIR)"
  (cd "$ROOT/tools/k8s" && CGO_ENABLED=0 go build -trimpath -ldflags="$(kube_ldflags)" -o "$TOOLS_DIR/$1" "$2")
}

ensure_kube_apiserver() {
  local bin="$TOOLS_DIR/kube-apiserver"
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qx "Kubernetes $KUBERNETES_VERSION"; then return; fi
  build_in_module kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
}

ensure_kubectl() {
  local bin="$TOOLS_DIR/kubectl"
  if [ -x "$bin" ] && "$bin" version --client 2>/dev/null | grep -q "Client Version: $KUBERNETES_VERSION\$"; then return; fi
  build_in_module kubectl k8s.io/kubernetes/cmd/kubectl
}

ensure_etcd() {
  local bin="$TOOLS_DIR/etcd"
  if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "^etcd Version: ${ETCD_VERSION#v}\$"; then return; fi
  # The module's root package is etcd's own main (it calls etcdmain.Main).
  build_in_module etcd go.etcd.io/etcd/server/v3
}

ensure_helm() {
  local bin="$TOOLS_DIR/helm"
  if [ -x "$bin" ] && "$bin" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then return; fi
  log "building helm $HELM_VERSION (once per machine, cached in $TOOLS_DIR)"
  # As helm's Makefile does: the version, and Kubernetes 1.34 (its client-go's) as the default
  # .Capabilities.KubeVersion for `helm template` and `helm lint` instead of the built-in 1.20.
  local flags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  local pkg
  for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
    flags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=34"
  done
  (cd "$ROOT" && GOBIN="$TOOLS_DIR" CGO_ENABLED=0 go install -trimpath -ldflags="$flags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
}

ensure_go
ensure_etcd
ensure_kube_apiserver
ensure_kubectl
ensure_helm
echo "$TOOLS_DIR"
