#!/usr/bin/env bash
# Proves a binary loads no third-party shared object: Debian's libraries are
# linked in statically (third_party/system/system_libs.bzl), so the dynamic
# loader maps only the C and C++ runtime at start-up (docs/BENCHMARKS.md,
# "Start-up: static linking").
#
#   static_link_test.sh BINARY...
set -euo pipefail
# The C/C++ runtime (libatomic: Abseil's -latomic), the sanitizers' runtimes
# in --config=asan/tsan builds, and glog's libunwind (with its liblzma), whose
# Debian archive is not position-independent.
allowed='^(libc|libm|libstdc\+\+|libgcc_s|libatomic|ld-linux-x86-64|libasan|libubsan|libtsan|libunwind|liblzma)\.so'
status=0
for binary in "$@"; do
  needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  [ -n "$needed" ] || { echo "FAIL: $binary: readelf found no NEEDED entries"; exit 1; }
  bad=$(echo "$needed" | grep -vE "$allowed" || true)
  if [ -n "$bad" ]; then
    echo "FAIL: $binary needs shared objects beyond the C/C++ runtime:"
    echo "$bad"
    status=1
  else
    echo "$binary needs only: $(echo $needed)"
  fi
done
exit $status
