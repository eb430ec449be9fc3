#!/usr/bin/env bash
# Proves the tsan build catches races in our code and not in correct code:
# tsan_canary racy must be reported, tsan_canary guarded must not. Run it with
# --config=tsan (tools/test.sh does); in any other build it has nothing to check.
set -uo pipefail
canary=$1
# grep -c reads all its input: `producer | grep -q` under pipefail can fail by
# SIGPIPE when grep stops at the first match.
if [ "$(nm -D "$canary" 2>/dev/null | grep -c __tsan_init)" = 0 ] &&
   [ "$(ldd "$canary" | grep -c libtsan)" = 0 ]; then
  echo "not a tsan build: nothing to check (run with --config=tsan)"
  exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if "$canary" racy >"$out" 2>&1 || ! grep -q "WARNING: ThreadSanitizer: data race" "$out"; then
  echo "FAIL: an unsynchronized write from two threads was not reported:"
  cat "$out"
  exit 1
fi
if ! "$canary" guarded >"$out" 2>&1 || grep -q "WARNING: ThreadSanitizer" "$out"; then
  echo "FAIL: a hand-over through absl::Mutex, CondVar and Notification was reported:"
  cat "$out"
  exit 1
fi
echo "PASS: the race was reported, the synchronized program was not"
