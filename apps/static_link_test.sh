#!/usr/bin/env bash
# Proves a binary starts without loading third-party or C++ runtime shared
# objects and without relocating itself: Debian's libraries and the C++
# runtime are linked in (third_party/system/system_libs.bzl and
# FAST_START_LINKOPTS in tools/build_defs/cc.bzl), and the executable is not
# position-independent (docs/BENCHMARKS.md, "Start-up").
#
#   static_link_test.sh [--sanitizer] BINARY...
#
# --sanitizer (ASan/TSan builds): the sanitizer's runtime and the shared C++
# runtime are allowed, and the executable stays position-independent.
set -euo pipefail
# The C library, and glog's libunwind (with its liblzma), whose Debian archive
# would clash with libgcc's unwinder if linked in.
allowed='^(libc|libm|ld-linux-x86-64|libunwind|liblzma)\.so'
want_type=EXEC
if [ "${1:-}" = --sanitizer ]; then
  shift
  allowed='^(libc|libm|ld-linux-x86-64|libunwind|liblzma|libstdc\+\+|libgcc_s|libatomic|libasan|libubsan|libtsan)\.so'
  want_type=
fi
status=0
for binary in "$@"; do
  needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  [ -n "$needed" ] || { echo "FAIL: $binary: readelf found no NEEDED entries"; exit 1; }
  bad=$(echo "$needed" | grep -vE "$allowed" || true)
  if [ -n "$bad" ]; then
    echo "FAIL: $binary needs shared objects beyond the C runtime:"
    echo "$bad"
    status=1
  else
    echo "$binary needs only: $(echo $needed)"
  fi
  type=$(readelf -h "$binary" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')
  if [ -n "$want_type" ] && [ "$type" != "$want_type" ]; then
    echo "FAIL: $binary is an ELF $type, not $want_type (a position-independent executable" \
         "relocates itself at every start)"
    status=1
  fi
done
exit $status
