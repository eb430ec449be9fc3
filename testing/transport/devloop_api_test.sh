#!/usr/bin/env bash
# End-to-end: the real //apps:devloop binary, the seed's curl commands (with the
# port the server picked), port fallback, and a clean exit 0 on SIGTERM/SIGINT.
set -uo pipefail
DEVLOOP="$(realpath "$1")"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
# A project with nothing to build: the API over an empty pipeline.
cat > "$work/skaffold.yaml" <<'YAML'
apiVersion: skaffold/v4beta13
kind: Config
metadata:
  name: empty
YAML
cd "$work"
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }

# Waits for the console's one API line ("API: gRPC ADDR:PORT, HTTP
# http://ADDR:PORT (dashboard)...") in a log, written whole; prints the PORT of
# <what> (gRPC or HTTP).
port_of() {
  local log=$1 what=$2
  for _ in $(seq 1 200); do
    local port
    port=$(grep -m1 '^API: .*(dashboard)' "$log" 2>/dev/null |
           sed -nE "s|.* $what (http://)?[0-9.]+:([0-9]+)[,( ].*|\2|p") || true
    [[ "$port" =~ ^[0-9]+$ ]] && { echo "$port"; return 0; }
    sleep 0.05
  done
  return 1
}

"$DEVLOOP" dev --rpc-port=0 --rpc-http-port=0 >"$work/a.log" 2>&1 &
pids+=($!)
a=$!
HTTP=$(port_of "$work/a.log" HTTP) || fail "devloop did not start its HTTP server"
GRPC=$(port_of "$work/a.log" gRPC) || fail "devloop did not start its gRPC server"

# `grpcurl -plaintext localhost:50051 list` (README), when tools/setup.sh could
# build grpcurl; //infra/grpc:grpc_server_test checks reflection with C++ anyway.
GRPCURL=$(command -v grpcurl || { [ -x /usr/local/bin/grpcurl ] && echo /usr/local/bin/grpcurl; } || true)
if [ -n "$GRPCURL" ]; then
  # Read the whole list first: `grpcurl ... | grep -q` under pipefail fails when
  # grep exits at the match while grpcurl still writes (SIGPIPE), and
  # proto.v2.SkaffoldV2Service is listed after proto.SkaffoldService.
  services=$("$GRPCURL" -plaintext "localhost:$GRPC" list) || fail "grpcurl list: exit $?"
  grep -qx proto.SkaffoldService <<<"$services" || fail "grpcurl list: $services"
else
  echo "note: grpcurl not installed; skipped the grpcurl list check"
fi

# GET /v1/state over an empty pipeline.
state=$(curl -sS "localhost:$HTTP/v1/state") || fail "curl /v1/state"
expected='{"buildState":{"artifacts":{},"autoTrigger":true,"statusCode":"OK"},"deployState":{"status":"Not Started","autoTrigger":true,"statusCode":"OK"},"forwardedPorts":{},"statusCheckState":{"status":"Not Started","resources":{},"statusCode":"OK"},"fileSyncState":{"status":"Not Started","autoTrigger":true},"debuggingContainers":[],"metadata":{"build":null,"deploy":null,"test":null,"additional":{}},"testState":{"status":"Not Started","statusCode":"OK"}}'
[ "$state" = "$expected" ] || fail "state was: $state"

# The seed's control commands, verbatim but for the port.
for cmd in \
  "curl -X POST http://localhost:$HTTP/v1/execute -d '{\"build\": true}'" \
  "curl -X POST http://localhost:$HTTP/v1/execute -d '{\"deploy\": true}'" \
  "curl -X POST http://localhost:$HTTP/v1/execute -d '{\"build\": true, \"deploy\": true}'" \
  "curl -X PUT http://localhost:$HTTP/v1/build/auto_execute -d '{\"enabled\": false}'" \
  "curl -X PUT http://localhost:$HTTP/v1/build/auto_execute -d '{\"enabled\": true}'" \
  "curl -X PUT http://localhost:$HTTP/v1/deploy/auto_execute -d '{\"enabled\": false}'" \
  "curl -X PUT http://localhost:$HTTP/v1/deploy/auto_execute -d '{\"enabled\": true}'"; do
  out=$(eval "$cmd -sS") || fail "$cmd"
  [ "$out" = "{}" ] || fail "$cmd answered: $out"
done
out=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT "http://localhost:$HTTP/v1/build/auto_execute" -d '{"enabled": true}')
[ "$out" = "409" ] || fail "setting auto build to its value again answered $out, want 409"

# `curl localhost:50052/v1/events`: the meta event first, as a {"result":...} line.
curl -sS -N "localhost:$HTTP/v1/events" >"$work/events.out" 2>&1 &
curl_pid=$!
pids+=($curl_pid)
for _ in $(seq 1 100); do [ -s "$work/events.out" ] && break; sleep 0.05; done
head -1 "$work/events.out" | grep -q '^{"result":{"timestamp":"[0-9T:.-]*Z","event":{"metaEvent":{"entry":"Starting devloop: {Version:v0.1.0 ConfigVersion:skaffold/v4beta13' \
  || fail "first event line: $(head -1 "$work/events.out")"

# A second devloop on the same ports moves to free ones, with Skaffold's warning.
"$DEVLOOP" dev --rpc-port="$GRPC" --rpc-http-port="$HTTP" >"$work/b.log" 2>&1 &
b=$!
pids+=($b)
HTTP_B=$(port_of "$work/b.log" HTTP) || fail "second devloop did not start"
grep -q "port $GRPC for gRPC server already in use: using [0-9]* instead" "$work/b.log" || fail "no gRPC port warning"
grep -q "port $HTTP for gRPC HTTP server already in use: using $HTTP_B instead" "$work/b.log" || fail "no HTTP port warning"
kill -INT "$b"
wait "$b"; rc=$?
[ $rc -eq 0 ] || fail "devloop exited $rc on SIGINT"

# --enable-rpc=false serves nothing.
"$DEVLOOP" dev --enable-rpc=false >"$work/c.log" 2>&1 &
c=$!
pids+=($c)
for _ in $(seq 1 100); do grep -q "Watching for changes" "$work/c.log" && break; sleep 0.05; done
grep -q "API: " "$work/c.log" && fail "--enable-rpc=false still started a server"
kill -TERM "$c"; wait "$c" || fail "devloop --enable-rpc=false did not exit 0"

# SIGTERM: the open event stream ends cleanly and devloop exits 0.
kill -TERM "$a"
wait "$a"; rc=$?
[ $rc -eq 0 ] || fail "devloop exited $rc on SIGTERM"
wait "$curl_pid"; crc=$?
[ $crc -eq 0 ] || fail "curl of /v1/events ended with $crc (the stream was not ended cleanly)"

# Bad arguments are a clear error, not a crash.
"$DEVLOOP" dev --rpc-port=banana >"$work/d.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "invalid value \"banana\" for --rpc-port" "$work/d.log" || fail "bad port flag: rc=$rc"
[ "$("$DEVLOOP" version)" = "v0.1.0" ] || fail "version"
echo PASS
