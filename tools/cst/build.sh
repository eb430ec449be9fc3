#!/usr/bin/env bash
# The container-structure-test CLI behind skaffold.yaml `test[].structureTests`,
# built from its Go module with `go install`.
#
#   tools/cst/build.sh        # prints the binary's path, e.g.
#                             # /root/.cache/devloop/bin/container-structure-test
#
# Builds github.com/GoogleContainerTools/container-structure-test at
# $DEVLOOP_CST_VERSION (default below), once per version, into
# ~/.cache/devloop/cst/<version>/ of the owner's home (from passwd, not $HOME),
# and links ~/.cache/devloop/bin/container-structure-test to it: devloop's
# tester runs that link when it exists, and `container-structure-test` from PATH
# otherwise. A cache hit returns at once. The compiler runs under `nice -n 19`.
# Only the path goes to stdout; the build's progress goes to stderr.
#
# The module must be reachable through GOPROXY (or be in the module cache
# already): on a machine whose proxy refuses it, this fails and says so, and
# structure tests fail naming the missing binary.
set -euo pipefail

readonly VERSION="${DEVLOOP_CST_VERSION:-v1.19.1}"
readonly MODULE=github.com/GoogleContainerTools/container-structure-test
readonly OWNER_HOME="$(getent passwd "$(id -un)" | cut -d: -f6)"
readonly CACHE_ROOT="${DEVLOOP_CST_CACHE:-$OWNER_HOME/.cache/devloop/cst}"
readonly LINK_DIR="$OWNER_HOME/.cache/devloop/bin"

log() { echo "cst-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

go_bin() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else die "no Go toolchain (go on PATH or /usr/local/go/bin/go)"
  fi
}

dir="$CACHE_ROOT/$VERSION"
link() {
  mkdir -p "$LINK_DIR"
  ln -sfn "$dir/container-structure-test" "$LINK_DIR/container-structure-test"
  echo "$LINK_DIR/container-structure-test"
}
[ -x "$dir/container-structure-test" ] && { link; exit 0; }

mkdir -p "$CACHE_ROOT"
# One build at a time per machine: a second caller waits, then finds the binary.
exec 9>"$CACHE_ROOT/.build.lock"
flock 9
[ -x "$dir/container-structure-test" ] && { link; exit 0; }

go="$(go_bin)"
tmp="$dir.partial"
rm -rf "$tmp"
mkdir -p "$tmp"
start=$SECONDS
export CGO_ENABLED=0 GOFLAGS="-buildvcs=false" GOBIN="$tmp"
export GOMODCACHE="${GOMODCACHE:-$OWNER_HOME/go/pkg/mod}"
export GOCACHE="${GOCACHE:-$OWNER_HOME/.cache/go-build}"
log "building $MODULE $VERSION (GOPROXY=$("$go" env GOPROXY))"
if ! nice -n 19 "$go" install -trimpath "$MODULE/cmd/container-structure-test@$VERSION"; then
  rm -rf "$tmp"
  die "go install $MODULE/cmd/container-structure-test@$VERSION failed (is the module reachable through GOPROXY?); structure tests need the binary on PATH or in $LINK_DIR"
fi
rm -rf "$dir"
mv "$tmp" "$dir"
log "built in $((SECONDS - start)) s into $dir"
link
