#!/usr/bin/env bash
# The debug support images `devloop debug` mounts into rewritten containers
# (domain/debug/transform.h fixes the paths), built locally because nothing can
# be pulled here:
#
#   devloop-debug-support:go       /dbg/go/bin/dlv (Delve, static, from its Go module)
#   devloop-debug-support:python   /dbg/python/launcher + /dbg/python/lib (Debian's debugpy)
#   devloop-debug-support:nodejs   /dbg/nodejs/bin/node (a wrapper; see nodejs/node)
#
# Each is FROM scratch with Debian's static busybox at /bin/busybox, /bin/sh and
# /bin/cp, so a Kubernetes init container can `cp -a /dbg/<rt>/. /target/`,
# and an empty named Docker volume mounted at /dbg/<rt> is filled from it.
# Labels: dev.devloop.debug-support=<rt> and dev.devloop.debug-support.digest=
# <sha256 of the build context>; an image whose digest matches is not rebuilt.
#
# Idempotent and fast when done (Delve is built once per version into
# ~/.cache/devloop/debug; python3-debugpy is installed with apt only if
# missing). Prints one line per image: built / up to date.
#
#   tools/debug/support.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The owner's home from passwd, not $HOME: Bazel tests run with another HOME.
home=$(getent passwd "$(id -un)" | cut -d: -f6)
cache=${DEVLOOP_DEBUG_CACHE:-$home/.cache/devloop/debug}
# Delve versions to try, newest first: an older one is used only when a newer
# one does not build with this Go (v1.27.2 builds with Go 1.26).
dlv_versions=(${DEVLOOP_DLV_VERSIONS:-v1.27.2 v1.26.2 v1.25.2})
busybox=${BUSYBOX:-/bin/busybox}
python_packages=(python3-debugpy python3-pydevd python3-bytecode)

log() { echo "support: $*" >&2; }

apt_install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# Prints the path of a static dlv, building it first if no cached version is
# there. Built with the Go module proxy; the module cache is tried first so a
# second machine-local build needs no network (GOSUMDB=off: the checksum
# database is unreachable here).
delve() {
  local v
  for v in "${dlv_versions[@]}"; do
    if [ -x "$cache/dlv/$v/dlv" ]; then echo "$cache/dlv/$v/dlv"; return 0; fi
  done
  local go
  go=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$go" ] || { log "no Go toolchain (go or /usr/local/go/bin/go) to build Delve"; return 1; }
  local modcache proxy
  modcache=$("$go" env GOMODCACHE)
  proxy="file://$modcache/cache/download,$("$go" env GOPROXY)"
  for v in "${dlv_versions[@]}"; do
    local out="$cache/dlv/$v" started=$SECONDS
    rm -rf "$out.tmp"
    mkdir -p "$out.tmp"
    log "building Delve $v"
    if CGO_ENABLED=0 GOFLAGS=-mod=mod GOSUMDB=off GOPROXY=$proxy GOBIN="$out.tmp" \
         "$go" install -trimpath -ldflags='-s -w' "github.com/go-delve/delve/cmd/dlv@$v" >&2; then
      rm -rf "$out"
      mv "$out.tmp" "$out"
      log "built Delve $v in $((SECONDS - started)) s"
      echo "$out/dlv"
      return 0
    fi
    rm -rf "$out.tmp"
    log "Delve $v did not build with $("$go" version); trying the next version"
  done
  log "no Delve version of ${dlv_versions[*]} builds"
  return 1
}

# Copies the files the Debian packages put under dist-packages into DEST
# (symlinks kept: Debian's debugpy reaches pydevd through
# debugpy/_vendored/pydevd/* -> ../../../<module>, which stays valid inside DEST).
# python3-pydevd also depends on gdb and python3-coverage: the first only for
# attaching to a running process by pid, the second only for pydevd's test
# runner, neither for `python3 -m debugpy --listen`.
stage_debugpy() {
  local dest=$1 root=/usr/lib/python3/dist-packages
  apt_install_missing "${python_packages[@]}"
  mkdir -p "$dest"
  dpkg -L "${python_packages[@]}" | while IFS= read -r path; do
    case $path in "$root"/*) ;; *) continue ;; esac
    [ -d "$path" ] && [ ! -L "$path" ] && continue
    printf '%s\n' "${path#"$root"/}"
  done | sort -u | tar -C "$root" --no-recursion -cf - -T - | tar -C "$dest" -xf -
}

# Proves a staged lib is complete: -S leaves dist-packages off sys.path, so only
# DIR can satisfy these imports.
check_debugpy() {
  local lib=$1/rootfs/dbg/python/lib
  if ! env -i PYTHONPATH="$lib" PYTHONDONTWRITEBYTECODE=1 PYDEVD_DISABLE_FILE_VALIDATION=1 /usr/bin/python3 -S -c \
       'import debugpy, debugpy.server.cli, pydevd' >&2; then
    log "debugpy does not import from $lib alone"
    return 1
  fi
}

# Builds `devloop-debug-support:RT` from the context in DIR unless an image
# with the same digest is there, running CHECK DIR (if given) before a build;
# prints the outcome line.
build_image() {
  local rt=$1 ctx=$2 check=${3:-} ref="devloop-debug-support:$1"
  # Content, modes and link targets, not mtimes: the same inputs give the
  # same digest on every run.
  local digest
  digest=$(tar -C "$ctx" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
             -cf - . | sha256sum | cut -c1-32)
  local have
  have=$(docker image inspect -f '{{index .Config.Labels "dev.devloop.debug-support.digest"}}' \
           "$ref" 2>/dev/null || true)
  if [ "$have" = "$digest" ]; then
    echo "$ref: up to date"
    return 0
  fi
  if [ -n "$check" ]; then "$check" "$ctx"; fi
  local out
  if ! out=$(docker build -q --label "dev.devloop.debug-support=$rt" \
               --label "dev.devloop.debug-support.digest=$digest" -t "$ref" "$ctx" 2>&1); then
    printf '%s\n' "$out" >&2
    log "docker build of $ref failed"
    return 1
  fi
  local size
  size=$(docker image inspect -f '{{.Size}}' "$ref")
  echo "$ref: built ($((size / 1000000)) MB)"
}

# A context: rootfs/ (copied to / in one layer, links included) and a Dockerfile.
new_context() {
  local ctx=$1
  rm -rf "$ctx"
  mkdir -p "$ctx/rootfs/bin"
  cp "$busybox" "$ctx/rootfs/bin/busybox"
  chmod 0755 "$ctx/rootfs/bin/busybox"
  ln -s busybox "$ctx/rootfs/bin/sh"
  ln -s busybox "$ctx/rootfs/bin/cp"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
# Generated by tools/debug/support.sh.
FROM scratch
COPY rootfs/ /
CMD ["/bin/sh"]
DOCKERFILE
}

[ -x "$busybox" ] || { log "$busybox not found; install Debian's busybox-static (tools/setup.sh does)"; exit 1; }
work="$cache/support"
mkdir -p "$work"

dlv=$(delve)
ctx="$work/go"
new_context "$ctx"
mkdir -p "$ctx/rootfs/dbg/go/bin"
cp "$dlv" "$ctx/rootfs/dbg/go/bin/dlv"
build_image go "$ctx"

ctx="$work/python"
new_context "$ctx"
stage_debugpy "$ctx/rootfs/dbg/python/lib"
cp "$here/python/launcher" "$ctx/rootfs/dbg/python/launcher"
chmod 0755 "$ctx/rootfs/dbg/python/launcher"
build_image python "$ctx" check_debugpy

ctx="$work/nodejs"
new_context "$ctx"
mkdir -p "$ctx/rootfs/dbg/nodejs/bin"
cp "$here/nodejs/node" "$ctx/rootfs/dbg/nodejs/bin/node"
chmod 0755 "$ctx/rootfs/dbg/nodejs/bin/node"
build_image nodejs "$ctx"
