#!/usr/bin/env bash
# The helm CLI for devloop's tests (`helm template` behind manifests.helm and
# deploy.helm), built offline from the Go module pinned beside this script.
#
#   tools/helm/build.sh        # prints the binary's path, e.g.
#                              # /root/.cache/devloop/helm/v4.3.2/helm
#
# Builds helm.sh/helm/v4 at the version tools/helm/go.mod requires, once per
# version, into ~/.cache/devloop/helm/<version>/helm of the owner's home (from
# passwd, not $HOME: Bazel tests run with another HOME). A cache hit returns at
# once; a cold build (modules downloaded, empty Go build cache) took 9m49s on 2
# busy cores. The compiler runs under `nice -n 19`. Only the path goes to
# stdout; the build's progress goes to stderr.
#
# DEVLOOP_HELM_NO_BUILD=1 makes a cache miss fail at once instead of building
# (tests use it: they cannot write the cache, and must not spend minutes on it).
# DEVLOOP_HELM_CACHE overrides the cache directory.
set -euo pipefail

# The module pins beside this script (tools/helm in the tree or in runfiles).
readonly MODS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly OWNER_HOME="$(getent passwd "$(id -un)" | cut -d: -f6)"
readonly CACHE_ROOT="${DEVLOOP_HELM_CACHE:-$OWNER_HOME/.cache/devloop/helm}"

log() { echo "helm-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

go_bin() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else die "no Go toolchain (go on PATH or /usr/local/go/bin/go)"
  fi
}

version="$(awk '($1 == "require" && $2 == "helm.sh/helm/v4") {print $3}' "$MODS/go.mod")"
[ -n "$version" ] || die "$MODS/go.mod does not require helm.sh/helm/v4"
dir="$CACHE_ROOT/$version"
[ -x "$dir/helm" ] && { echo "$dir/helm"; exit 0; }
[ -z "${DEVLOOP_HELM_NO_BUILD:-}" ] ||
  die "no helm in $dir: run 'tools/helm/build.sh' first (about 10 min cold)"

mkdir -p "$CACHE_ROOT"
# One build at a time per machine: a second caller waits, then finds the binary.
exec 9>"$CACHE_ROOT/.build.lock"
flock 9
[ -x "$dir/helm" ] && { echo "$dir/helm"; exit 0; }

go="$(go_bin)"
tmp="$dir.partial"
rm -rf "$tmp"
mkdir -p "$tmp"
start=$SECONDS
# The go.sum beside us pins every module (the checksum database is unreachable,
# hence GOSUMDB=off); -mod=readonly refuses to build anything else. The module
# and build caches stay in the owner's home, whoever's HOME we run with.
export CGO_ENABLED=0 GOSUMDB=off GOFLAGS="-mod=readonly -buildvcs=false"
export GOMODCACHE="${GOMODCACHE:-$OWNER_HOME/go/pkg/mod}"
export GOCACHE="${GOCACHE:-$OWNER_HOME/.cache/go-build}"
log "building helm $version"
(cd "$MODS" &&
  nice -n 19 "$go" build -trimpath -o "$tmp/helm" \
    -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$version" \
    helm.sh/helm/v4/cmd/helm)
"$tmp/helm" version --short >&2
rm -rf "$dir"
mv "$tmp" "$dir"
log "built in $((SECONDS - start)) s into $dir"
echo "$dir/helm"
