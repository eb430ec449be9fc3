#!/usr/bin/env bash
# Runs one libFuzzer binary for a bounded time, as a test.
#
#   run_fuzzer.sh FUZZER SECONDS CORPUS_FILE... -- [LIBFUZZER_FLAG...]
#
# Starts from the committed corpus (read-only; new inputs go to a scratch
# directory), fails on any crash, sanitizer report, leak, timeout or
# out-of-memory, and prints libFuzzer's final stats (executions, coverage).
# FUZZ_SECONDS overrides SECONDS. A crashing input is kept in the test's
# undeclared outputs (bazel-testlogs/.../test.outputs/) to add to the corpus.
set -euo pipefail
fuzzer=$1
seconds=${FUZZ_SECONDS:-$2}
shift 2
corpus_dirs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  dir=$(dirname "$1")
  case " ${corpus_dirs[*]-} " in *" $dir "*) ;; *) corpus_dirs+=("$dir") ;; esac
  shift
done
[ $# -gt 0 ] && shift  # the "--"
out=${TEST_TMPDIR:-$(mktemp -d)}
artifacts=${TEST_UNDECLARED_OUTPUTS_DIR:-$out}
mkdir -p "$out/new"
# -timeout: one input taking seconds is a hang; -rss_limit_mb/-malloc_limit_mb:
# memory must stay bounded; the flags after "--" may tighten them.
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" \
  "$out/new" "${corpus_dirs[@]}"
