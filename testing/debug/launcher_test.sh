#!/usr/bin/env bash
# tools/debug/python/launcher and tools/debug/nodejs/node outside a container,
# with a fake python3 and node that print the command line they were given:
# where the launcher puts debugpy's arguments among the interpreter's, which
# command lines it refuses, and that the node wrapper leaves PATH without its
# own directory.
set -euo pipefail
src=${TEST_SRCDIR:-.}/devloop/tools/debug
root=${TEST_TMPDIR:-$(mktemp -d)}/launcher_test
rm -rf "$root"
mkdir -p "$root/dbg/python" "$root/dbg/nodejs/bin" "$root/bin"
cp "$src/python/launcher" "$root/dbg/python/launcher"
cp "$src/nodejs/node" "$root/dbg/nodejs/bin/node"
for fake in python3 python3.11 node my-tool; do
  cat >"$root/bin/$fake" <<'FAKE'
#!/bin/sh
printf '%s' "${0##*/}"; printf ' [%s]' "$@"; echo; echo "PYTHONPATH=${PYTHONPATH:-}"; echo "PATH=$PATH"
FAKE
  chmod +x "$root/bin/$fake"
done
export PATH="$root/bin:/usr/bin:/bin"
failures=0

# expect_run "launcher args" "expected first line"
expect_run() {
  local got
  # The whole output, then its first line: `| head -1` could end the fake
  # with SIGPIPE, which pipefail would turn into a failure.
  got=$(sh "$root/dbg/python/launcher" --mode debugpy --port 5678 "${@:2}")
  got=${got%%$'\n'*}
  if [ "$got" != "$1" ]; then
    echo "FAIL: launcher ${*:2}"; echo "  want: $1"; echo "  got:  $got"; failures=$((failures + 1))
  fi
}
# expect_error "message part" launcher args...
expect_error() {
  local out rc=0
  out=$(sh "$root/dbg/python/launcher" "${@:2}" 2>&1) || rc=$?
  if [ "$rc" -ne 2 ] || [[ "$out" != *"$1"* ]]; then
    echo "FAIL: launcher ${*:2}: want exit 2 and '$1', got exit $rc: $out"; failures=$((failures + 1))
  fi
}

expect_run "python3 [-m] [debugpy] [--listen] [0.0.0.0:5678] [app.py] [a b]" -- python3 app.py "a b"
expect_run "python3 [-u] [-X] [dev] [-m] [debugpy] [--listen] [0.0.0.0:5678] [--wait-for-client] [app.py]" \
  --wait -- python3 -u -X dev app.py
expect_run "python3.11 [-m] [debugpy] [--listen] [0.0.0.0:5678] [-m] [flask] [run]" -- "$root/bin/python3.11" -m flask run
expect_run "python3 [-m] [debugpy] [--listen] [0.0.0.0:5678] [-m] [flask] [run]" -- python3 -mflask run
expect_run "python3 [-W] [error] [-m] [debugpy] [--listen] [0.0.0.0:5678] [-c] [print(1)] [x]" \
  -- python3 -W error -c 'print(1)' x
# Not python: run as a script by python3, a bare name found on PATH first.
expect_run "python3 [-m] [debugpy] [--listen] [0.0.0.0:5678] [$root/bin/my-tool] [serve]" -- my-tool serve
expect_run "python3 [-m] [debugpy] [--listen] [0.0.0.0:5678] [./app.py]" -- ./app.py

pythonpath=$(PYTHONPATH=/app sh "$root/dbg/python/launcher" --mode debugpy --port 1 -- python3 a.py)
pythonpath=$(echo "$pythonpath" | sed -n 2p)
[ "$pythonpath" = "PYTHONPATH=$root/dbg/python/lib:/app" ] ||
  { echo "FAIL: $pythonpath"; failures=$((failures + 1)); }

expect_error "no script, -m module or -c code" --mode debugpy --port 1 -- python3 -u
expect_error "stdin" --mode debugpy --port 1 -- python3 -
expect_error "no command to debug" --mode debugpy --port 1 --
expect_error "unsupported --mode 'pdb'" --mode pdb --port 1 -- python3 a.py
expect_error "--port must be a number" --mode debugpy --port x -- python3 a.py
expect_error "out of range" --mode debugpy --port 70000 -- python3 a.py
expect_error "unknown option '--bogus'" --mode debugpy --bogus

out=$(PATH="$root/dbg/nodejs/bin:$root/bin:/usr/bin:/bin" node --inspect=0.0.0.0:9229 server.js)
[ "${out%%$'\n'*}" = "node [--inspect=0.0.0.0:9229] [server.js]" ] ||
  { echo "FAIL: node wrapper ran: $out"; failures=$((failures + 1)); }
[ "$(echo "$out" | sed -n 3p)" = "PATH=$root/bin:/usr/bin:/bin" ] ||
  { echo "FAIL: node wrapper left PATH as: $out"; failures=$((failures + 1)); }

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "PASS"
