#!/usr/bin/env bash
# Places Debian's static busybox into every build context (each directory with a
# Dockerfile) of the examples under DIR (default: this script's directory), so
# their `FROM scratch` images have a userland. Idempotent; copies only when the
# file is missing or differs. Used by tools/run.sh and the end-to-end harness.
#
#   testing/examples/prepare.sh                 # the checked-in examples
#   testing/examples/prepare.sh /tmp/copy       # a copy of them
set -euo pipefail
root=${1:-$(dirname "$0")}
src=${BUSYBOX:-/bin/busybox}
if [ ! -x "$src" ]; then
  echo "prepare.sh: $src not found; install Debian's busybox-static (tools/setup.sh does)" >&2
  exit 1
fi
find "$root" -name Dockerfile -print0 | while IFS= read -r -d '' dockerfile; do
  dst="$(dirname "$dockerfile")/busybox"
  if ! cmp -s "$src" "$dst"; then
    cp "$src" "$dst"
    chmod 0755 "$dst"
  fi
done
