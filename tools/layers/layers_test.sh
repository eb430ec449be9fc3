#!/usr/bin/env bash
# Proves a part of the tree reaches nothing it should not, even indirectly: every
# target in the transitive dependencies of its targets (computed by a genquery)
# must match one of the allowed patterns.
#
#   layers_test.sh WHAT DEPS_FILE ALLOWED_ERE...
#
# WHAT is the label prefix of the part checked ("//domain"); each ALLOWED_ERE is
# an extended regular expression anchored at the start of a label.
set -euo pipefail
what="$1"
deps_file="$2"
shift 2
[ "$#" -gt 0 ] || { echo "FAIL: no allowed patterns given"; exit 1; }
[ -s "$deps_file" ] || { echo "FAIL: $deps_file is empty: the query found no $what targets"; exit 1; }
grep -q "^$what[/:]" "$deps_file" || { echo "FAIL: no $what target in $deps_file"; exit 1; }
allowed="^($(IFS='|'; echo "$*"))"
bad=$(grep -vE "$allowed" "$deps_file" || true)
if [ -n "$bad" ]; then
  echo "FAIL: $what depends on $(echo "$bad" | wc -l) targets it must not reach (allowed: $*):"
  echo "$bad" | head -40
  exit 1
fi
echo "$what closure: $(grep -c "^$what[/:]" "$deps_file") $what targets, nothing else beyond: $*"
