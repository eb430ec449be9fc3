#!/usr/bin/env bash
# Proves the domain reaches nothing outward, even indirectly: the transitive
# dependencies of every domain target (computed by the genquery `domain_deps`)
# may be domain targets, Abseil and the toolchain, nothing else.
set -euo pipefail
deps_file="$1"
[ -s "$deps_file" ] || { echo "FAIL: $deps_file is empty: the query found no domain targets"; exit 1; }
grep -q '^//domain[/:]' "$deps_file" || { echo "FAIL: no //domain target in $deps_file"; exit 1; }
bad=$(grep -vE '^(//domain[/:]|//tools/layers:[a-z_]+_clients$|@system//:absl$|@system//:include/absl/|@bazel_tools//|@local_config_cc//|@local_jdk//)' "$deps_file" || true)
if [ -n "$bad" ]; then
  echo "FAIL: the domain depends on targets outside domain/ and Abseil:"
  echo "$bad"
  exit 1
fi
echo "domain closure: $(grep -c '^//domain[/:]' "$deps_file") domain targets, nothing outward"
