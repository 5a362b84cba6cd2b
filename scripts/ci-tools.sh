#!/usr/bin/env bash
# Builds the Kubernetes tools the Helm chart tests need, from the Go module proxy:
# helm, kubeconform, etcd, kube-apiserver and kubectl.
#
# Binaries go to ${KTCP_TOOLS_DIR:-$HOME/.cache/ktcp-tools}/bin, with a version stamp
# next to each; only a missing or out-of-date tool is built. The throwaway Go modules
# that etcd and Kubernetes need live under the same cache directory, never in the repo.
# Prints the bin directory on stdout when done; progress goes to stderr.
#
# Usage: scripts/ci-tools.sh            (build what is missing)
set -euo pipefail

HELM_VERSION=v4.3.1
KUBECONFORM_VERSION=v0.8.0
ETCD_VERSION=v3.7.3
KUBERNETES_VERSION=v1.34.4   # kube-apiserver and kubectl

TOOLS_DIR=${KTCP_TOOLS_DIR:-$HOME/.cache/ktcp-tools}
BIN=$TOOLS_DIR/bin
SRC=$TOOLS_DIR/src
mkdir -p "$BIN" "$SRC"

if ! command -v go >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ci-tools: installing Go (golang-go; newer toolchains come from the module proxy)" >&2
  apt-get update -qq >/dev/null && apt-get install -y -qq golang-go >/dev/null
fi
if ! command -v go >/dev/null 2>&1; then
  echo "ci-tools: Go is needed to build helm and the Kubernetes tools (apt-get install golang-go, or https://go.dev/dl/)" >&2
  exit 1
fi
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

log() { echo "ci-tools: $*" >&2; }

# quiet CMD...: run a build step with its output in the build log; show the log's end on failure.
BUILD_LOG=$TOOLS_DIR/build.log
quiet() {
  if ! "$@" >>"$BUILD_LOG" 2>&1; then
    echo "ci-tools: failed: $*" >&2
    tail -n 40 "$BUILD_LOG" >&2
    return 1
  fi
}

# up_to_date NAME VERSION: the binary exists and was built from VERSION.
up_to_date() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.$1.version" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$BIN/.$1.version"; }

build_helm() {
  up_to_date helm "$HELM_VERSION" && return
  log "building helm $HELM_VERSION"
  quiet env GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  stamp helm "$HELM_VERSION"
}

build_kubeconform() {
  up_to_date kubeconform "$KUBECONFORM_VERSION" && return
  log "building kubeconform $KUBECONFORM_VERSION"
  quiet env GOBIN="$BIN" go install -trimpath -ldflags "-s -w" \
    "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  stamp kubeconform "$KUBECONFORM_VERSION"
}

build_etcd() {
  up_to_date etcd "$ETCD_VERSION" && return
  log "building etcd $ETCD_VERSION"
  local dir=$SRC/etcd-$ETCD_VERSION
  mkdir -p "$dir"
  (
    cd "$dir"
    [ -f go.mod ] || quiet go mod init ktcp-tools/etcd
    quiet go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    quiet go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.new" go.etcd.io/etcd/server/v3
  )
  mv "$BIN/etcd.new" "$BIN/etcd"
  stamp etcd "$ETCD_VERSION"
}

# k8s.io/kubernetes is not meant to be imported: its go.mod points each staging module
# (k8s.io/api, k8s.io/apiserver, ...) at ./staging. A throwaway module replaces each one
# with the published v0.X.Y of the same release, then builds the commands from it.
build_kubernetes() {
  if up_to_date kube-apiserver "$KUBERNETES_VERSION" && up_to_date kubectl "$KUBERNETES_VERSION"; then
    return
  fi
  log "building kube-apiserver and kubectl $KUBERNETES_VERSION (several minutes)"
  local dir=$SRC/kubernetes-$KUBERNETES_VERSION
  local staging=v0.${KUBERNETES_VERSION#v1.}
  mkdir -p "$dir"
  (
    cd "$dir"
    if [ ! -f go.mod ]; then
      local upstream
      # the release's go.mod, fetched from the module proxy (no source download)
      upstream=$(go list -m -f '{{.GoMod}}' "k8s.io/kubernetes@$KUBERNETES_VERSION")
      {
        echo "module ktcp-tools/kubernetes"
        echo
        echo "go $(sed -n 's/^go //p' "$upstream")"
        echo
        echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
        echo
        sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#replace \1 => \1 '"$staging"'#p' "$upstream"
      } >go.mod.new
      mv go.mod.new go.mod
    fi
    quiet go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kubectl@$KUBERNETES_VERSION"
    local minor=${KUBERNETES_VERSION#v1.}
    minor=${minor%%.*}
    local v=k8s.io/component-base/version
    local ldflags="-s -w -X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor"
    ldflags="$ldflags -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
    for cmd in kube-apiserver kubectl; do
      up_to_date "$cmd" "$KUBERNETES_VERSION" && continue
      quiet go build -trimpath -ldflags "$ldflags" -o "$BIN/$cmd.new" "k8s.io/kubernetes/cmd/$cmd"
      mv "$BIN/$cmd.new" "$BIN/$cmd"
      stamp "$cmd" "$KUBERNETES_VERSION"
    done
  )
}

build_helm
build_kubeconform
build_etcd
build_kubernetes
echo "$BIN"
