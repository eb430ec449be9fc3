#!/usr/bin/env bash
# Layering checks that need the whole workspace (run by tools/test.sh, each check
# counted as one test). Prints "PASS name" or "FAIL name: why" per check and exits
# non-zero if any failed.
#   domain_sources      no domain source includes or calls anything that does I/O,
#                       threads, clock reads, or an outer layer
#   domain_aggregate    //domain:everything lists every domain library
#   domain_closure      bazel query: the domain's dependency closure holds only
#                       domain targets and Abseil
#   visibility_probe    a domain target that depends on infra/ fails to build with a
#                       visibility error
#   shell_ports         bazel query: the dev loop's shell (//infra/dev) reaches the
#                       builder, deployer and sync ports only, no adapter behind them
set -uo pipefail
cd "$(dirname "$0")/../.."
BAZEL=${BAZEL:-bazel}
failed=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

# 1. Sources.
banned='#include *[<"](thread|mutex|condition_variable|future|fstream|filesystem|iostream|chrono)>|#include *[<"](sys/|unistd\.h|fcntl\.h|glog/|grpcpp/|grpc/|boost/|infra/|apps/|api/|google/protobuf/|absl/time/clock\.h|absl/synchronization/)|absl::Now\(|getenv\(|[^a-z_]rand\(|std::random_device|system_clock|steady_clock'
hits=$(grep -rnE "$banned" domain --include='*.h' --include='*.cc' | grep -v '_test\.cc:' || true)
if [ -n "$hits" ]; then fail domain_sources "$(printf '\n%s' "$hits")"; else pass domain_sources; fi

# 2. The aggregate lists every domain library.
libs=$($BAZEL query --noshow_progress 'kind("cc_library", //domain/...) except //domain:everything' 2>/dev/null | sort)
listed=$($BAZEL query --noshow_progress 'kind("cc_library", deps(//domain:everything)) except //domain:everything' 2>/dev/null | grep '^//domain' | sort)
missing=$(comm -23 <(echo "$libs") <(echo "$listed"))
if [ -z "$libs" ]; then fail domain_aggregate "bazel query found no domain libraries"
elif [ -n "$missing" ]; then fail domain_aggregate "add to //domain:everything: $(echo $missing)"
else pass domain_aggregate; fi

# 3. The closure, by bazel query over every domain library.
# Bazel's own INFO lines go to stderr; only a failed query shows them.
query_err=$(mktemp)
closure=$($BAZEL query --noshow_progress --noimplicit_deps 'deps(kind("cc_library", //domain/...))' 2>"$query_err") || {
  fail domain_closure "bazel query failed: $(tail -3 "$query_err")"; closure=""; }
rm -f "$query_err"
# Abseil's libraries are @system//:lib_absl_* targets holding each one's .a and .so.
outward=$(echo "$closure" | grep -vE '^(//domain[/:]|//tools/layers:[a-z_]+_clients$|@system//:absl$|@system//:include/absl/|@system//:lib_absl_[a-z0-9_]+$|@system//:lib/x86_64-linux-gnu/libabsl_[a-z0-9_]+\.(a|so)$|$)' || true)
if [ -n "$closure" ]; then
  if [ -n "$outward" ]; then fail domain_closure "$(printf '\n%s' "$outward")"; else pass domain_closure; fi
fi

# 4. A wrong edge is a visibility error.
probe=domain/zz_layer_probe
rm -rf "$probe"; mkdir -p "$probe"
trap 'rm -rf "$probe"' EXIT
cat > "$probe/BUILD.bazel" <<'PROBE'
load("//tools/build_defs:package.bzl", "domain_package")
domain_package()
cc_library(name = "probe", deps = ["//infra/log"])
PROBE
out=$($BAZEL build --noshow_progress --nobuild "//$probe:probe" 2>&1)
rm -rf "$probe"
if grep -q "is not visible from target '//$probe:probe'" <<<"$out"; then pass visibility_probe
else fail visibility_probe "expected a visibility error, bazel said: $(echo "$out" | tail -3)"; fi

# 5. The shell knows ports, not adapters: the composition root picks those.
adapters='//infra/docker/... + //infra/build/docker/... + //infra/deploy/docker/...'
query_err=$(mktemp)
reached=$($BAZEL query --noshow_progress "deps(//infra/dev/...) intersect ($adapters)" 2>"$query_err") || {
  fail shell_ports "bazel query failed: $(tail -3 "$query_err")"; reached="error"; }
rm -f "$query_err"
if [ -z "$reached" ]; then pass shell_ports
elif [ "$reached" != "error" ]; then fail shell_ports "//infra/dev reaches $(echo $reached)"; fi

exit $failed
