#!/usr/bin/env bash
# Proves a binary starts without the dynamic loader: a static, non-PIE
# executable with Debian's libraries, the C++ runtime and the C library linked
# in (third_party/system/system_libs.bzl and FAST_START_LINKOPTS in
# tools/build_defs/cc.bzl; docs/BENCHMARKS.md, "Start-up: a static
# executable").
#
#   static_link_test.sh [--sanitizer] BINARY...
#
# --sanitizer (ASan/TSan builds): the sanitizers' runtimes need the loader, so
# the C library, the sanitizer's runtime and the shared C++ runtime are
# allowed, and the executable stays position-independent.
set -euo pipefail
sanitizer=
if [ "${1:-}" = --sanitizer ]; then
  shift
  sanitizer=1
fi
allowed='^(libc|libm|ld-linux-x86-64|libstdc\+\+|libgcc_s|libatomic|libasan|libubsan|libtsan)\.so'
status=0
for binary in "$@"; do
  needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  interp=$(readelf -lW "$binary" | grep -c 'Requesting program interpreter' || true)
  type=$(readelf -h "$binary" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p')
  if [ -z "$sanitizer" ]; then
    if [ -n "$needed" ] || [ "$interp" != 0 ]; then
      echo "FAIL: $binary is linked dynamically (interpreter: $interp; needs: $(echo $needed))"
      status=1
    fi
    if [ "$type" != EXEC ]; then
      echo "FAIL: $binary is an ELF $type, not EXEC (a position-independent executable" \
           "relocates itself at every start)"
      status=1
    fi
    [ $status != 0 ] || echo "$binary: static, $type"
  else
    bad=$(echo "$needed" | grep -vE "$allowed" || true)
    if [ -n "$bad" ]; then
      echo "FAIL: $binary needs shared objects beyond the C and sanitizer runtimes:"
      echo "$bad"
      status=1
    else
      echo "$binary needs only: $(echo $needed)"
    fi
  fi
done
exit $status
