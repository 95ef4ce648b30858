#!/usr/bin/env bash
# kube-apiserver.sh [VERSION]: prints the path of a kube-apiserver binary of
# VERSION (default below), building it once if no cache holds it.
#
# The binary is built from k8s.io/kubernetes through the Go module proxy: a
# scratch build module requires k8s.io/kubernetes@VERSION and its replace lines
# point every k8s.io/* staging module (which kubernetes' own go.mod replaces
# with ./staging/src/..., directives that do not apply to a dependency) at its
# published v0.MINOR.PATCH. Nothing is downloaded from anywhere else.
#
# Caches, checked in this order, keyed by version:
#   .tools/kube-apiserver/VERSION/kube-apiserver     (this checkout)
#   ${XDG_CACHE_HOME:-$HOME/.cache}/secgen/kube-apiserver/VERSION/kube-apiserver
#                                                    (this machine: a fresh clone
#                                                     on the same machine reuses it)
# A build takes about half an hour on a loaded 2-core machine; it runs under
# `nice -n 10` and holds a lock so concurrent callers wait for one build.
set -euo pipefail

version=${1:-v1.34.3}
case "$version" in
  v1.[0-9]*.[0-9]*) ;;
  *) echo "kube-apiserver.sh: version must look like v1.MINOR.PATCH, got \"$version\"" >&2; exit 2 ;;
esac
staging=v0.${version#v1.}

repo=$(cd "$(dirname "$0")/.." && pwd)
local_dir=$repo/.tools/kube-apiserver/$version
machine_dir=${XDG_CACHE_HOME:-$HOME/.cache}/secgen/kube-apiserver/$version

# usable BIN: BIN runs and reports VERSION.
usable() { [ -x "$1" ] && "$1" --version 2>/dev/null | grep -qx "Kubernetes $version"; }

# install_local BIN: copy BIN into this checkout's cache (atomically).
install_local() {
  mkdir -p "$local_dir"
  cp "$1" "$local_dir/kube-apiserver.tmp.$$"
  mv -f "$local_dir/kube-apiserver.tmp.$$" "$local_dir/kube-apiserver"
}

if usable "$local_dir/kube-apiserver"; then
  echo "$local_dir/kube-apiserver"
  exit 0
fi

mkdir -p "$machine_dir"
exec 9>"$machine_dir/.lock"
flock 9
if ! usable "$machine_dir/kube-apiserver"; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "kube-apiserver.sh: building kube-apiserver $version from the Go module proxy (about 30 minutes)" >&2
  start=$(date +%s)
  export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0
  cd "$work"
  cat > go.mod <<EOF
module secgen.invalid/kube-apiserver-build

go 1.24

require k8s.io/kubernetes $version
EOF
  # kubernetes' go.mod lists its staging modules as "k8s.io/X => ./staging/src/k8s.io/X".
  gomod=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || { echo "kube-apiserver.sh: no go.mod for k8s.io/kubernetes@$version" >&2; exit 1; }
  sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/[a-z0-9-]*$#\1#p' "$gomod" |
    while read -r m; do echo "replace $m => $m $staging"; done >> go.mod
  grep -q '^replace k8s.io/api ' go.mod || { echo "kube-apiserver.sh: found no staging modules in $gomod" >&2; exit 1; }
  nice -n 10 go get "k8s.io/kubernetes/cmd/kube-apiserver@$version" >&2
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$version" | cut -d. -f2)"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$work/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
  usable "$work/kube-apiserver" || { echo "kube-apiserver.sh: the built binary does not report $version" >&2; exit 1; }
  cp "$work/kube-apiserver" "$machine_dir/kube-apiserver.tmp.$$"
  mv -f "$machine_dir/kube-apiserver.tmp.$$" "$machine_dir/kube-apiserver"
  echo "kube-apiserver.sh: built in $(( $(date +%s) - start )) s" >&2
fi
install_local "$machine_dir/kube-apiserver"
echo "$local_dir/kube-apiserver"
