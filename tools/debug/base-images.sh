#!/usr/bin/env bash
# Language base images for devloop's debug examples and tests, made from Debian
# packages because nothing can be pulled from a registry here:
#
#   devloop-base/python:3.11   python3                  (Debian bookworm: 3.11)
#   devloop-base/node:18       nodejs                   (Debian bookworm: 18.x)
#   devloop-base/jre:17        openjdk-17-jre-headless
#
# Each is an mmdebstrap rootfs (the "essential" variant plus the runtime and its
# dependencies, without docs, man pages or locales) imported with `docker
# import`. The ENV lines are what Skaffold's runtime detection looks for
# (PYTHON_VERSION, NODE_VERSION, JAVA_VERSION), as on the official images.
#
# Idempotent and cheap when done: an image whose recipe label matches is left
# alone; a tarball cached in ~/.cache/devloop/debug/base/ (keyed by the recipe)
# is imported without running mmdebstrap again. Prints one line per image.
#
#   tools/debug/base-images.sh          # all three
#   tools/debug/base-images.sh python   # one (python, node, jre)
set -euo pipefail

# The owner's home from passwd, not $HOME: Bazel tests run with another HOME.
home=$(getent passwd "$(id -un)" | cut -d: -f6)
cache=${DEVLOOP_DEBUG_CACHE:-$home/.cache/devloop/debug}/base
# The Debian archive this machine installs from (/etc/apt/sources.list.d/
# debian.sources), without the host's third-party sources (nodesource, Google
# Cloud): mmdebstrap would otherwise take the host's list, and nodesource's
# nodejs 20 would win over Debian's 18.
mirror=${DEVLOOP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEVLOOP_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
suite=bookworm
# Fixed mtimes make the tarball reproducible (docker import still stamps a new
# image id, which is why an existing image is never re-imported).
export SOURCE_DATE_EPOCH=1700000000
std_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# name|packages|cmd|env...
images=(
  "python|devloop-base/python:3.11|python3|[\"python3\"]|PYTHON_VERSION=3.11|PYTHONUNBUFFERED=1"
  "node|devloop-base/node:18|nodejs|[\"node\"]|NODE_VERSION=18"
  "jre|devloop-base/jre:17|openjdk-17-jre-headless|[\"java\",\"-version\"]|JAVA_VERSION=17"
)

ensure_mmdebstrap() {
  command -v mmdebstrap >/dev/null 2>&1 && return 0
  echo "base-images: installing mmdebstrap" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends mmdebstrap >&2
}

build_one() {
  local name=$1 ref=$2 packages=$3 cmd=$4
  shift 4
  local envs=("$@")
  # Everything that shapes the image: a change to any of it makes a new one.
  local recipe
  recipe=$(printf '%s\n' v1 "$suite" "$mirror" "$security" "$packages" "$cmd" "${envs[@]}" |
           sha256sum | cut -c1-16)
  if [ "$(docker image inspect -f '{{index .Config.Labels "dev.devloop.base-recipe"}}' "$ref" 2>/dev/null)" = "$recipe" ]; then
    echo "$ref: up to date"
    return 0
  fi
  mkdir -p "$cache"
  local tarball="$cache/$name-$recipe.tar"
  local started=$SECONDS how="imported from cache"
  if [ ! -f "$tarball" ]; then
    rm -rf "$tarball.tmp"
    ensure_mmdebstrap
    how="bootstrapped"
    # --variant=essential: Essential:yes packages only (no apt, no init), then
    # the runtime's own dependencies; the dpkg path filters drop docs, man pages
    # and translations as they are unpacked. openjdk's postinst fails unless
    # /usr/share/man/man1 exists (it registers java.1.gz as an alternative),
    # hence the hook that makes the empty directory.
    mmdebstrap --quiet --variant=essential --include="$packages" \
      --format=tar \
      --setup-hook='mkdir -p "$1/usr/share/man/man1"' \
      --aptopt='APT::Install-Recommends "false"' \
      --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/lintian/*' \
      "$suite" "$tarball.tmp" \
      "deb $mirror $suite main" \
      "deb $mirror $suite-updates main" \
      "deb $security $suite-security main" >&2
    mv "$tarball.tmp" "$tarball"
  fi
  local changes=(--change "ENV PATH=$std_path")
  local e
  for e in "${envs[@]}"; do changes+=(--change "ENV $e"); done
  changes+=(--change "CMD $cmd"
            --change "LABEL dev.devloop.debug-base=$name dev.devloop.base-recipe=$recipe")
  docker import "${changes[@]}" "$tarball" "$ref" >/dev/null
  local size
  size=$(docker image inspect -f '{{.Size}}' "$ref")
  echo "$ref: built ($how in $((SECONDS - started)) s, $((size / 1000000)) MB)"
}

wanted=("$@")
for entry in "${images[@]}"; do
  IFS='|' read -r -a f <<<"$entry"
  if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" ${f[0]} "* ]]; then
    continue
  fi
  build_one "${f[@]}"
done
