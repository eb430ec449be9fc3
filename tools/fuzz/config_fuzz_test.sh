#!/usr/bin/env bash
# Builds the config parser with clang-14 and libFuzzer (plus ASan and UBSan) and
# fuzzes it for a bounded time, starting from the committed corpus in
# testing/configs/fuzz_corpus. Fails on any crash, leak, timeout or UB report.
# New inputs go to a scratch directory; add interesting ones to the corpus by hand.
set -euo pipefail
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
cd "${TEST_SRCDIR:-$PWD}/${TEST_WORKSPACE:-devloop}"
out=${TEST_TMPDIR:-$(mktemp -d)}
if ! command -v clang++-14 >/dev/null; then
  echo "clang++-14 is missing: run tools/setup.sh" >&2
  exit 1
fi
srcs=(
  domain/config/config.cc domain/config/errors.cc domain/config/template.cc
  domain/config/dockerfile.cc domain/config/sync.cc domain/config/validate.cc
  domain/paths/glob.cc domain/paths/path.cc
  infra/config/yaml_util.cc infra/config/decode.cc infra/config/profiles.cc
  infra/config/loader.cc infra/config/config_files.cc infra/config/to_yaml.cc
  tools/fuzz/config_fuzzer.cc
)
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I.)
# Compile in parallel: the machine is small and the budget is a minute.
objs=()
pids=()
for s in "${srcs[@]}"; do
  o="$out/$(echo "$s" | tr / _).o"
  objs+=("$o")
  clang++-14 "${flags[@]}" -fsanitize=fuzzer-no-link -c "$s" -o "$o" & pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
clang++-14 "${flags[@]}" "${objs[@]}" -o "$out/config_fuzzer" \
  -lyaml-cpp -lre2 -labsl_status -labsl_statusor -labsl_cord -labsl_strings \
  -labsl_str_format_internal -labsl_throw_delegate -labsl_int128 -labsl_base \
  -labsl_raw_logging_internal -labsl_hash -labsl_raw_hash_set
mkdir -p "$out/new"
"$out/config_fuzzer" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$out/new" testing/configs/fuzz_corpus
