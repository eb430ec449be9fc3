#!/usr/bin/env bash
# Fails when libs.bzl no longer matches the pkg-config files of the installed
# Debian packages (a library gained a dependency: a static link would miss it).
#
#   libs_up_to_date_test.sh GEN_LIBS_PY LIBS_BZL
set -euo pipefail
if ! diff -u "$2" <(python3 "$1"); then
  echo "FAIL: $2 is out of date; run: third_party/system/gen_libs.py > third_party/system/libs.bzl"
  exit 1
fi
echo "libs.bzl matches the installed packages"
