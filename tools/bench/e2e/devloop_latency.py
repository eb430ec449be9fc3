#!/usr/bin/env python3
"""End-to-end latency harness for any devloop binary (or any binary that speaks
the Skaffold v1 HTTP API and takes Skaffold's dev flags).

Copies an example (testing/examples/NAME) to a temporary directory, places
busybox in its build contexts, starts `BINARY dev --rpc-port=G --rpc-http-port=H`
there, follows GET /v1/events, and measures, per edit of a file:

  save -> FileSyncEvent Succeeded   (synced edits; mode "sync")
  save -> new content served        (on the forwarded local port; both modes)

plus, once per run, process start -> API answering, and start -> first build
started. Prints one line per measurement and a p50/p99 summary; stops the binary
with SIGINT at the end and reports its exit code and how long it took to exit.

Examples (from the repository root):

  bazel build //apps:devloop
  tools/bench/e2e/devloop_latency.py --binary bazel-bin/apps/devloop \
      --example sync --mode sync --edits 50
  tools/bench/e2e/devloop_latency.py --binary bazel-bin/apps/devloop \
      --example getting-started --mode rebuild --edits 10

Nothing is asserted: numbers go to docs/BENCHMARKS.md with the command used.
Objects the binary creates are its own to clean up on SIGINT; the harness
creates no Docker objects and removes none.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return time.monotonic()
        except OSError:
            time.sleep(0.001)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Events:
    """Follows GET /v1/events (newline-separated {"result": LogEntry})."""

    def __init__(self, port):
        self.entries = []  # (monotonic arrival time, entry dict)
        self.cv = threading.Condition()
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.conn.request("GET", "/v1/events")
        self.resp = self.conn.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            line = self.resp.readline()
            if not line:
                return
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line).get("result", {})
            with self.cv:
                self.entries.append((time.monotonic(), entry))
                self.cv.notify_all()

    def wait_for(self, match, after, timeout):
        """Returns the arrival time of the first entry arriving after `after`
        that satisfies `match`."""
        deadline = time.monotonic() + timeout
        with self.cv:
            i = 0
            while True:
                for t, e in self.entries[i:]:
                    if t >= after and match(e):
                        return t
                i = len(self.entries)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("awaited event did not arrive")
                self.cv.wait(left)


def kind_status(entry, kind):
    ev = (entry.get("event") or {}).get(kind)
    return ev.get("status") if ev else None


def get(port, path, timeout=2):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


def wait_served(port, path, marker, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, body = get(port, path)
            if status == 200 and marker in body:
                return time.monotonic()
        except OSError:
            pass
        time.sleep(0.0005)
    raise TimeoutError(f"{marker!r} not served on :{port}{path} within {timeout}s")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def summary(name, values):
    ms = [v * 1000 for v in values]
    print(f"SUMMARY {name}: n={len(ms)} p50={pct(ms, 50):.1f}ms p99={pct(ms, 99):.1f}ms "
          f"min={min(ms):.1f}ms max={max(ms):.1f}ms mean={statistics.mean(ms):.1f}ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="path of the devloop binary")
    ap.add_argument("--example", default="sync", help="testing/examples/NAME")
    ap.add_argument("--mode", choices=["sync", "rebuild"], default="sync",
                    help="sync: edits are synced (expects FileSyncEvents); rebuild: edits rebuild")
    ap.add_argument("--file", default="www/index.html", help="file to edit, relative to the example")
    ap.add_argument("--path", default="/index.html", help="URL path that serves the edited file")
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=60, help="seconds per awaited step")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy")
    ap.add_argument("extra", nargs="*", help="extra flags for `BINARY dev`")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="devloop-bench-")
    project = os.path.join(work, args.example)
    shutil.copytree(os.path.join(REPO, "testing", "examples", args.example), project,
                    ignore=shutil.ignore_patterns("busybox"))
    subprocess.run([os.path.join(REPO, "testing", "examples", "prepare.sh"), project], check=True)

    grpc_port, http_port = free_port(), free_port()
    argv = [os.path.abspath(args.binary), "dev", f"--rpc-port={grpc_port}",
            f"--rpc-http-port={http_port}"] + args.extra
    log = open(os.path.join(work, "devloop.log"), "w")
    print("RUN", " ".join(argv), "in", project, flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=project, stdout=log, stderr=subprocess.STDOUT)
    try:
        answered = wait_for_port(http_port, args.timeout)
        print(f"RESULT start->api_answering {1000 * (answered - started):.1f}ms")
        events = Events(http_port)
        first_build = events.wait_for(lambda e: kind_status(e, "buildEvent") == "In Progress",
                                      0, args.timeout)
        print(f"RESULT start->first_build_started {1000 * (first_build - started):.1f}ms")
        events.wait_for(lambda e: kind_status(e, "devLoopEvent") in ("Succeeded", "Failed"),
                        0, args.timeout)
        status, body = get(http_port, "/v1/state")
        ports = json.loads(body).get("forwardedPorts") or {}
        if not ports:
            raise RuntimeError(f"no forwarded port in /v1/state: {body}")
        local_port = int(next(iter(ports.values()))["localPort"])
        print(f"INFO serving on 127.0.0.1:{local_port}", flush=True)

        to_sync, to_served = [], []
        target = os.path.join(project, args.file)
        for i in range(args.edits):
            marker = f"devloop-bench-{os.getpid()}-{i}-{time.time_ns()}"
            text = f"<!doctype html>\n<h1>{marker}</h1>\n"
            saved = time.monotonic()
            with open(target, "w") as f:  # one write, as an editor's save
                f.write(text)
            if args.mode == "sync":
                synced = events.wait_for(lambda e: kind_status(e, "fileSyncEvent") == "Succeeded",
                                         saved, args.timeout)
                to_sync.append(synced - saved)
            served = wait_served(local_port, args.path, marker, args.timeout)
            to_served.append(served - saved)
            print(f"RESULT edit {i}: "
                  + (f"save->FileSyncEvent {1000 * to_sync[-1]:.1f}ms " if to_sync else "")
                  + f"save->served {1000 * to_served[-1]:.1f}ms", flush=True)
            time.sleep(0.05)  # let the loop go idle between edits
        if to_sync:
            summary("save->FileSyncEvent Succeeded", to_sync)
        summary("save->new content served", to_served)
    finally:
        stop = time.monotonic()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
            print(f"RESULT sigint->exit {1000 * (time.monotonic() - stop):.1f}ms code={code}")
        except subprocess.TimeoutExpired:
            print("RESULT sigint->exit did not exit within 30s; killing", file=sys.stderr)
            proc.kill()
            proc.wait()
        log.close()
        print(f"INFO binary output: {os.path.join(work, 'devloop.log')}")
        if not args.keep:
            shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
