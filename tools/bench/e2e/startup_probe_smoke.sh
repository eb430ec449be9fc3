#!/usr/bin/env bash
# The probe starts the floor server, times it to an answer, and stops it with
# SIGINT when told to.
set -euo pipefail
probe=$1 floor=$2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=$(echo | "$probe" --port="$port" --log="$TEST_TMPDIR/floor.log" -- "$floor" dev --rpc-http-port="$port")
echo "$out"
grep -Eq '^pid=[0-9]+ spawned_at_us=[0-9]+ accepting_us=[0-9]+ answered_us=[0-9]+ status=200$' <<<"$out"
grep -qx 'exit=130' <<<"$out"
# A program that never listens is reported, not waited for.
if "$probe" --port="$port" --log="$TEST_TMPDIR/false.log" -- /bin/false </dev/null 2>"$TEST_TMPDIR/err"; then
  echo "the probe should fail when the program exits without listening"; exit 1
fi
grep -q "exited before port" "$TEST_TMPDIR/err"
# A coarser poll still times the start; a poll out of range is refused.
out=$(echo | "$probe" --port="$port" --log="$TEST_TMPDIR/floor2.log" --poll-us=1000 -- "$floor" dev --rpc-http-port="$port")
grep -Eq '^pid=[0-9]+ .* status=200$' <<<"$out"
if "$probe" --port="$port" --log="$TEST_TMPDIR/bad.log" --poll-us=0 -- "$floor" </dev/null 2>"$TEST_TMPDIR/err"; then
  echo "the probe should refuse --poll-us=0"; exit 1
fi
grep -q "poll-us must be" "$TEST_TMPDIR/err"
