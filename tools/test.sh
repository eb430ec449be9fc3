#!/usr/bin/env bash
# The whole test suite: set-up, the layering checks, then every Bazel test
# (including those tagged requires-docker, which use the local Docker Engine).
# Ends with the line "N passed, N failed", counting each Bazel test target and
# each layering check once. Extra arguments go to `bazel test`.
#
#   tools/test.sh                              # everything
#   tools/test.sh --config=nodocker            # skip tests that need Docker
set -uo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

BAZEL=${BAZEL:-bazel}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The debug support images (Delve, debugpy, the node wrapper) and the language
# base images //testing/debug:support_images_test and the debug examples use.
# Both scripts are idempotent: a few seconds when nothing changed; a fresh
# machine builds Delve (~1 min) and three Debian rootfs (~1-4 min each, mostly
# download and unpacking), so they run in the background while the cluster's
# binaries build, and are waited for before the tests.
( tools/debug/support.sh && tools/debug/base-images.sh ) >"$out/debug-images.log" 2>&1 &
debug_images=$!

# The test cluster's binaries (Kubernetes and etcd from Go modules): a cache hit
# is instant; a fresh machine compiles them once (~20 min). Without them the
# requires-kube tests fail, and say so.
if ! tools/kube-cluster.sh build >"$out/kube-build.log" 2>&1; then
  echo "tools/kube-cluster.sh build failed; the requires-kube tests will fail:" >&2
  tail -20 "$out/kube-build.log" >&2
fi
tools/helm/build.sh >/dev/null 2>"$out/helm-build.log" || { echo "tools/helm/build.sh failed; the helm renderer tests will skip:" >&2; tail -20 "$out/helm-build.log" >&2; }
if ! wait "$debug_images"; then
  echo "tools/debug/{support,base-images}.sh failed; the debug tests will fail:" >&2
  tail -20 "$out/debug-images.log" >&2
fi

tools/lint/check_layers.sh | tee "$out/lint.txt"

$BAZEL test //... --keep_going --build_event_json_file="$out/bep.json" "$@"
bazel_rc=$?

# The sanitizers, each in its own output tree (.bazelrc): ASan+UBSan (with
# LeakSanitizer) over every test that needs neither Docker nor the cluster,
# TSan over the concurrency-heavy ones. Their builds come from the disk cache
# on a machine that ran this before; on a fresh one (the cluster and the main
# build took more than DEVLOOP_FRESH_AFTER_MIN, 25, minutes) they would take
# ~30 min more, so each then covers a smaller set (the domain under ASan; the
# hub, executor, watchers and the canary under TSan), and says so.
# DEVLOOP_SANITIZERS=0 skips them, =full always runs the whole sets.
sanitizer_beps=()
if [ "${DEVLOOP_SANITIZERS:-1}" != 0 ]; then
  asan_targets=(//...)
  tsan_targets=(//infra/hub:all //infra/grpc:all //infra/http:all //infra/runtime:all
                //infra/fs:all //infra/dev:all //infra/portforward:all //testing/dev:all
                //tools/sanitizers:all)
  used=$(( $(date +%s) - started ))
  if [ "${DEVLOOP_SANITIZERS:-1}" != full ] && [ "$used" -gt $(( ${DEVLOOP_FRESH_AFTER_MIN:-25} * 60 )) ]; then
    asan_targets=(//domain/...)
    tsan_targets=(//infra/hub:all //infra/runtime:all //infra/fs:all //tools/sanitizers:all)
    echo "sanitizers: $((used / 60)) min used already (a fresh machine): ASan+UBSan over" \
         "${asan_targets[*]}, TSan over ${tsan_targets[*]} only"
  fi
  $BAZEL test "${asan_targets[@]}" --config=asan --keep_going \
      --test_tag_filters=-requires-docker,-requires-kube,-fuzz \
      --build_event_json_file="$out/asan.json" "$@"
  asan_rc=$?
  sanitizer_beps+=("asan=$out/asan.json")
  $BAZEL test "${tsan_targets[@]}" --config=tsan --keep_going \
      --test_tag_filters=-requires-docker,-requires-kube \
      --build_event_json_file="$out/tsan.json" "$@"
  tsan_rc=$?
  sanitizer_beps+=("tsan=$out/tsan.json")
  for rc in $asan_rc $tsan_rc; do
    if [ $rc -ne 0 ] && [ $rc -ne 4 ]; then bazel_rc=$rc; fi
  done
fi

python3 tools/ci/summarize.py "$out/bep.json" "$out/lint.txt" "${sanitizer_beps[@]}"
summary_rc=$?
# Bazel exits 4 when there are no test targets; anything else non-zero is a failure.
if [ $summary_rc -ne 0 ] || { [ $bazel_rc -ne 0 ] && [ $bazel_rc -ne 4 ]; }; then
  exit 1
fi
exit 0
