#!/usr/bin/env bash
# The soak against the real `devloop dev` on testing/examples/sync, bounded and
# light enough for a shared 2-core machine.
#
#   soak_devloop.sh API_SOAK DEVLOOP pass    # ~20 s; exits non-zero if any check fails
#   soak_devloop.sh API_SOAK DEVLOOP fault   # one watcher drops an entry: the soak
#                                            # must fail, name it, and still clean up
set -euo pipefail
soak=$1 devloop=$2 mode=$3
light=(--devloop="$devloop" --project=testing/examples/sync --edit_every=0.5 --rebuild_every=10
       --http_watchers=3 --grpc_watchers=2 --churners=2 --state_clients=2 --control_per_second=2)
case "$mode" in
  pass)
    # exec: a test timeout's SIGTERM reaches the soak, which stops devloop.
    exec "$soak" "${light[@]}" --seconds=20 --report_every=5
    ;;
  fault)
    out=${TEST_TMPDIR:-/tmp}/soak-fault.out
    code=0
    "$soak" "${light[@]}" --seconds=5 --report_every=5 --fault=drop_entry >"$out" 2>&1 || code=$?
    cat "$out"
    fail() { echo "soak_devloop.sh fault: $*" >&2; exit 1; }
    [ "$code" = 1 ] || fail "the soak exited $code, want 1 (its checks must fail)"
    grep -q '^FAIL$' "$out" || fail "no FAIL line"
    grep -q '^error: http watcher 0: entry 2 differs from the final log' "$out" ||
      fail "the dropped entry was not reported as http watcher 0's entry 2"
    [ "$(grep -c '^error: ' "$out")" = 1 ] || fail "errors other than the injected one"
    grep -q '^devloop: SIGINT, exit 0 after .*, nothing of run [0-9a-f]* left$' "$out" ||
      fail "devloop was not stopped cleanly after the failed check"
    # And, independently of the soak's own check, nothing of the run is left.
    run=$(sed -n 's/^devloop dev (pid [0-9]*) in .*, run \([0-9a-f]*\), app on .*/\1/p' "$out")
    [ -n "$run" ] || fail "no run id in the output"
    left=$( { docker ps -aq --filter "label=dev.devloop.run-id=$run"
              docker network ls -q --filter "label=dev.devloop.run-id=$run"
              docker images -q --filter "label=dev.devloop.run-id=$run"; } | wc -l)
    [ "$left" = 0 ] || fail "$left objects of run $run left"
    echo "PASS: the injected loss failed the soak, and run $run left nothing"
    ;;
  *)
    echo "soak_devloop.sh: mode must be pass or fault, not $mode" >&2
    exit 2
    ;;
esac
