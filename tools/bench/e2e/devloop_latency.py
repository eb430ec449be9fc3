#!/usr/bin/env python3
"""End-to-end latency harness for any devloop binary (or any binary that speaks
the Skaffold v1 HTTP API and takes Skaffold's dev flags).

Copies an example (testing/examples/NAME) to a temporary directory, places
busybox in its build contexts, starts `BINARY dev --rpc-port=G --rpc-http-port=H`
there, follows GET /v1/events, and measures, per edit of a file:

  save -> FileSyncEvent Succeeded   (synced edits; mode "sync")
  save -> new content served        (on the forwarded local port; both modes)

where "save" is the moment the editor's save begins (its first system call),
made the way --save-style says: "in-place" (open O_TRUNC, write, close),
"rename" (write a temp file beside it, rename it over the file: VS Code's
atomic save, most editors' "write a copy") or "vim" (vim's default sequence:
the 4913 probe, rename the original to FILE~, write and fsync the new FILE,
restore its mode, delete FILE~). Also printed: the save's own duration (vim's
fsync, and ext4's flush when a truncated file is closed, take milliseconds),
save over -> FileSyncEvent Succeeded, and save -> the FileSyncEvent "In
Progress" entry's own timestamp (the watcher's share). Events are matched from
the save's start: devloop may sync a file that is complete before the editor's
last system call (vim's chmod and delete of FILE~ after the close) returns.
The number of syncs is printed too: more than one per save means a save was
split into several (the first one is what is timed).

plus, once per run, process start -> API answering, start -> first build
started, the binary's idle CPU over --idle-seconds once the first iteration is
over (utime+stime from /proc/PID/stat) and its RSS (VmRSS, VmHWM from
/proc/PID/status). With --baseline (rebuild mode), each edit is also made to a
second copy of the example and timed as a plain `docker build` + `docker run`
+ first request serving it, in the same run, so the two are comparable. Prints one line per measurement and a p50/p99 summary; stops the binary
with SIGINT at the end and reports its exit code and how long it took to exit.

Examples (from the repository root):

  bazel build //apps:devloop
  tools/bench/e2e/devloop_latency.py --binary bazel-bin/apps/devloop \
      --example sync --mode sync --edits 50
  tools/bench/e2e/devloop_latency.py --binary bazel-bin/apps/devloop \
      --example sync --mode sync --edits 50 --save-style vim
  tools/bench/e2e/devloop_latency.py --binary bazel-bin/apps/devloop \
      --example getting-started --mode rebuild --edits 10
  tools/bench/e2e/devloop_latency.py --binary bazel-bin/apps/devloop \
      --compare /tmp/old/devloop --example getting-started --mode startup --runs 20

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
        return self.wait_for_entry(match, after, timeout)[0]

    def wait_for_entry(self, match, after, timeout):
        """Returns (arrival time, entry) of the first entry arriving after
        `after` that satisfies `match`."""
        deadline = time.monotonic() + timeout
        with self.cv:
            i = 0
            while True:
                for t, e in self.entries[i:]:
                    if t >= after and match(e):
                        return t, e
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


POLL_INTERVAL = 0.0005  # seconds between GETs while waiting for new content


def wait_served(port, path, marker, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, body = get(port, path)
            if status == 200 and marker in body:
                return time.monotonic()
        except OSError:
            pass
        time.sleep(POLL_INTERVAL)
    raise TimeoutError(f"{marker!r} not served on :{port}{path} within {timeout}s")


def save_in_place(path, text):
    with open(path, "w") as f:  # one write, as an editor's save
        f.write(text)


def save_by_rename(path, text):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def save_like_vim(path, text):
    """vim's :w with its defaults (writebackup, backupcopy=auto), as inotify
    shows it (in a directory outside 'backupskip', whose /tmp/* vim writes in
    place)."""
    st = os.stat(path)
    probe = os.path.join(os.path.dirname(path), "4913")
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    os.fchown(fd, st.st_uid, st.st_gid)
    os.close(fd)
    os.unlink(probe)
    backup = path + "~"
    os.rename(path, backup)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, text.encode())
    os.fsync(fd)
    os.close(fd)
    os.chmod(path, st.st_mode & 0o7777)
    os.unlink(backup)


SAVE_STYLES = {"in-place": save_in_place, "rename": save_by_rename, "vim": save_like_vim}


def proc_cpu_seconds(pid):
    """utime + stime of `pid` in seconds (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def proc_sched_ms(pid):
    """(time on a CPU, time waiting for one) of all of the process's live
    threads so far, in ms, from /proc/PID/task/*/schedstat (ns, exact): what
    start-up costs, apart from how long a loaded machine made it wait."""
    run = wait = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                fields = f.read().split()
        except OSError:
            continue  # the thread ended meanwhile
        run += int(fields[0])
        wait += int(fields[1])
    return run / 1e6, wait / 1e6


def proc_threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


class Baseline:
    """The same change without devloop: docker build, docker run -p, first
    request that serves it. Everything it makes carries one label and is
    removed at the end."""

    def __init__(self, src, work, container_port):
        self.ctx = os.path.join(work, "baseline")
        shutil.copytree(src, self.ctx)
        self.label = f"devloop.bench={os.path.basename(work)}"
        self.image = f"devloop-bench-baseline-{os.getpid()}"
        self.container_port = container_port
        self.container = None

    def run(self, relpath, text, marker, url_path, timeout):
        with open(os.path.join(self.ctx, relpath), "w") as f:
            f.write(text)
        t0 = time.monotonic()
        subprocess.run(["docker", "build", "-q", "--label", self.label, "-t", self.image, self.ctx],
                       check=True, stdout=subprocess.DEVNULL)
        old = self.container
        self.container = subprocess.run(
            ["docker", "run", "-d", "--label", self.label, "-p",
             f"127.0.0.1::{self.container_port}", self.image],
            check=True, capture_output=True, text=True).stdout.strip()
        port = int(subprocess.run(["docker", "port", self.container, str(self.container_port)],
                                  check=True, capture_output=True, text=True)
                   .stdout.split(":")[-1])
        served = wait_served(port, url_path, marker, timeout)
        if old:
            subprocess.run(["docker", "rm", "-f", old], stdout=subprocess.DEVNULL)
        return served - t0

    def cleanup(self):
        ids = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={self.label}"],
                             capture_output=True, text=True).stdout.split()
        if ids:
            subprocess.run(["docker", "rm", "-f"] + ids, stdout=subprocess.DEVNULL)
        subprocess.run(["docker", "rmi", "-f", self.image], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        # Every rebuild under the same tag left the previous image untagged:
        # remove all of this run's images by their label.
        images = subprocess.run(["docker", "images", "-q", "--filter", f"label={self.label}"],
                                capture_output=True, text=True).stdout.split()
        if images:
            subprocess.run(["docker", "rmi", "-f"] + sorted(set(images)),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def forget_cached_images(project):
    """Removes the images devloop kept as the artifact cache of `project` (a
    copy this harness made): their label dev.devloop.cache is "ID/IMAGE", ID
    being devloop's id of the project (the first 8 bytes of the SHA-256 of its
    config's real path, in hex)."""
    import hashlib
    config = os.path.realpath(os.path.join(project, "skaffold.yaml"))
    prefix = hashlib.sha256(config.encode()).hexdigest()[:16] + "/"
    ids = subprocess.run(["docker", "images", "-q", "--no-trunc", "--filter",
                          "label=dev.devloop.cache"], capture_output=True, text=True).stdout.split()
    mine = []
    for image in sorted(set(ids)):
        label = subprocess.run(["docker", "image", "inspect", "--format",
                                '{{index .Config.Labels "dev.devloop.cache"}}', image],
                               capture_output=True, text=True).stdout.strip()
        if label.startswith(prefix):
            mine.append(image)
    if mine:
        subprocess.run(["docker", "rmi", "-f"] + mine, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def entry_ns(entry):
    """The entry's RFC 3339 timestamp ("2026-11-23T19:07:35.092363139Z") in ns
    since the epoch."""
    import calendar
    ts = entry["timestamp"].rstrip("Z")
    whole, _, frac = ts.partition(".")
    secs = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int((frac + "000000000")[:9])


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def summary(name, values):
    ms = [v * 1000 for v in values]
    print(f"SUMMARY {name}: n={len(ms)} p50={pct(ms, 50):.1f}ms p99={pct(ms, 99):.1f}ms "
          f"min={min(ms):.1f}ms max={max(ms):.1f}ms mean={statistics.mean(ms):.1f}ms")


def startup(args, project, work):
    """Starts each binary --runs times: start -> GET /v1/state answered, and
    start -> first buildEvent In Progress on /v1/events, and VmRSS once the
    build started; SIGINT after each. With --compare, the two binaries take
    turns (ABBA...), so both see the same machine load. With --probe (the
    default when bazel-bin has it), startup_probe starts the binary and times
    the first connect and answer; without, this script does (Popen, a connect
    every 1 ms: a few ms more, see docs/BENCHMARKS.md)."""
    binaries = [args.binary] + ([args.compare] if args.compare else [])
    results = {b: ([], [], [], [], []) for b in binaries}
    sched = {b: ([], []) for b in binaries}  # on-CPU, runqueue wait at /v1/state answered
    to_grpc = {b: [] for b in binaries}  # the gRPC port accepting (asked after /v1/state)
    probe = args.probe
    if probe == "auto":
        built = os.path.join(REPO, "bazel-bin/tools/bench/e2e/startup_probe")
        probe = built if os.path.exists(built) else ""
    print(f"timing starts with {probe or 'this script (no --probe)'}", flush=True)
    for i in range(args.runs):
        order = binaries if i % 2 == 0 else binaries[::-1]
        for binary in order:
            to_api, to_state, to_build, to_build_stamp, rss = results[binary]
            grpc_port, http_port = free_port(), free_port()
            argv = [os.path.abspath(binary), args.command, f"--rpc-port={grpc_port}",
                    f"--rpc-http-port={http_port}"] + args.extra
            log_path = os.path.join(work, "devloop.log")
            if probe:
                started_ns = time.time_ns()
                started = time.monotonic()
                runner = subprocess.Popen(
                    [os.path.abspath(probe), f"--port={http_port}", f"--log={log_path}",
                     f"--poll-us={args.probe_poll_us}", "--"]
                    + argv, cwd=project, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                line = runner.stdout.readline()
                fields = dict(f.split("=", 1) for f in line.split())
                if "pid" not in fields:
                    runner.wait(timeout=30)
                    raise RuntimeError(f"startup_probe failed on {binary}: {line!r}")
                pid = int(fields["pid"])
                # The later times count from the spawn too (the probe reads the
                # same CLOCK_MONOTONIC), not from this script's Popen of the probe.
                started = int(fields["spawned_at_us"]) / 1e6
                started_ns = time.time_ns() - time.monotonic_ns() + int(fields["spawned_at_us"]) * 1000
                to_api.append(int(fields["accepting_us"]) / 1e6)
                to_state.append(int(fields["answered_us"]) / 1e6)
                status = fields["status"]
            else:
                log = open(log_path, "w")
                started_ns = time.time_ns()
                started = time.monotonic()
                runner = subprocess.Popen(argv, cwd=project, stdout=log, stderr=subprocess.STDOUT)
                pid = runner.pid
            try:
                if not probe:
                    to_api.append(wait_for_port(http_port, args.timeout) - started)
                    # The GET goes at once: reading /proc first (25 threads'
                    # files) would count the harness's time as devloop's.
                    status, _ = get(http_port, "/v1/state")
                    to_state.append(time.monotonic() - started)
                on_cpu, waited = proc_sched_ms(pid)
                sched[binary][0].append(on_cpu / 1000)
                sched[binary][1].append(waited / 1000)
                line = (f"RESULT run {i} {binary}: start->api_accepting {1000 * to_api[-1]:.1f}ms "
                        f"start->/v1/state answered {1000 * to_state[-1]:.1f}ms (HTTP {status}; "
                        f"on CPU {on_cpu:.1f}ms, waiting for a CPU {waited:.1f}ms)")
                if not args.answer_only:
                    to_grpc[binary].append(wait_for_port(grpc_port, args.timeout) - started)
                    events = Events(http_port)
                    arrived, entry = events.wait_for_entry(
                        lambda e: kind_status(e, "buildEvent") == "In Progress", 0, args.timeout)
                    to_build.append(arrived - started)
                    to_build_stamp.append((entry_ns(entry) - started_ns) / 1e9)
                    rss.append(proc_status_kb(pid, "VmRSS"))
                    line += (f" start->first_build_started {1000 * to_build[-1]:.1f}ms (arrival on "
                             f"a subscription made after the API answered; by the entry's own "
                             f"timestamp {1000 * to_build_stamp[-1]:.1f}ms) VmRSS={rss[-1]}kB")
                print(line, flush=True)
            finally:
                if probe:
                    runner.communicate(input="\n", timeout=30)
                else:
                    runner.send_signal(signal.SIGINT)
                    runner.wait(timeout=30)
                    log.close()
            time.sleep(0.5)
    for binary in binaries:
        to_api, to_state, to_build, to_build_stamp, rss = results[binary]
        if len(binaries) > 1:
            print(f"BINARY {binary} ({os.path.getsize(binary)} bytes)")
        summary("start->api_accepting", to_api)
        summary("start->/v1/state answered", to_state)
        summary("on-CPU time of the process's threads at /v1/state answered", sched[binary][0])
        summary("runqueue wait of the process's threads at /v1/state answered", sched[binary][1])
        if args.answer_only:
            continue
        summary("start->grpc_accepting", to_grpc[binary])
        summary("start->first_build_started (event arrival)", to_build)
        summary("start->first_build_started (entry timestamp)", to_build_stamp)
        print(f"SUMMARY VmRSS after the first build started: median "
              f"{statistics.median(rss):.0f}kB min {min(rss)}kB max {max(rss)}kB")


def restart(args, project, work):
    """Starts the binary --runs times on the same project, each after the last
    one's Ctrl-C: process start -> the forwarded port serves the app. The first
    start builds (a new project); every later one is a restart with nothing
    changed."""
    served = []
    for i in range(args.runs):
        grpc_port, http_port = free_port(), free_port()
        argv = [os.path.abspath(args.binary), args.command, f"--rpc-port={grpc_port}",
                f"--rpc-http-port={http_port}"] + args.extra
        with open(os.path.join(work, "devloop.log"), "a") as log:
            started = time.monotonic()
            proc = subprocess.Popen(argv, cwd=project, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_for_port(http_port, args.timeout)
                # The forward is in /v1/state as soon as it listens, before the
                # status check's stability window ends the iteration.
                deadline = time.monotonic() + args.timeout
                ports = {}
                while not ports:
                    if time.monotonic() > deadline:
                        raise TimeoutError("no forwarded port in /v1/state")
                    _, body = get(http_port, "/v1/state")
                    ports = json.loads(body).get("forwardedPorts") or {}
                    if not ports:
                        time.sleep(0.005)
                local_port = int(next(iter(ports.values()))["localPort"])
                t = wait_served(local_port, args.path, "", args.timeout) - started
                served.append(t)
                print(f"RESULT run {i} ({'first start' if i == 0 else 'restart'}): "
                      f"start->served {1000 * t:.1f}ms", flush=True)
            finally:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=30)
    summary("first start->served", served[:1])
    if len(served) > 1:
        summary("restart->served", served[1:])


def probe_debugger(port_name, port, timeout=1.0):
    """Attaches to the debugger on 127.0.0.1:port as an IDE would and returns
    once it answered; raises OSError/ValueError otherwise. dlv: JSON-RPC
    RPCServer.State; dap (debugpy): DAP initialize; devtools (node): GET
    /json/version; jdwp: the JDWP handshake."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        if port_name == "dlv":
            s.sendall(b'{"method":"RPCServer.State","params":[{"NonBlocking":true}],"id":1}\n')
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    raise ValueError(f"dlv closed the connection after {data!r}")
                data += chunk
                try:
                    answer = json.loads(data)
                    break
                except ValueError:
                    continue
            if answer.get("error"):
                raise ValueError(f"dlv answered an error: {answer['error']}")
        elif port_name == "dap":
            body = json.dumps({"seq": 1, "type": "request", "command": "initialize",
                               "arguments": {"adapterID": "devloop-bench"}}).encode()
            s.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    raise ValueError(f"debugpy closed the connection after {data!r}")
                data += chunk
                while b"\r\n\r\n" in data:
                    head, rest = data.split(b"\r\n\r\n", 1)
                    length = int(head.split(b":")[1])
                    if len(rest) < length:
                        break
                    message, data = json.loads(rest[:length]), rest[length:]
                    if message.get("type") == "response" and message.get("command") == "initialize":
                        if not message.get("success"):
                            raise ValueError(f"initialize failed: {message}")
                        return
        elif port_name == "devtools":
            s.sendall(b"GET /json/version HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            if b" 200 " not in data.split(b"\r\n", 1)[0]:
                raise ValueError(f"/json/version: {data[:200]!r}")
        elif port_name == "jdwp":
            s.sendall(b"JDWP-Handshake")
            data = b""
            while len(data) < 14:
                chunk = s.recv(14 - len(data))
                if not chunk:
                    raise ValueError(f"JDWP handshake answered {data!r}")
                data += chunk
            if data != b"JDWP-Handshake":
                raise ValueError(f"JDWP handshake answered {data!r}")
        else:
            raise ValueError(f"no probe for debug port {port_name}")


def debug(args, project, work):
    """Starts `BINARY dev` and `BINARY debug` in turn (--runs each) on the same
    project: start -> iteration 0 Succeeded for both; and for debug,
    DebuggingContainerEvent Started (its arrival) -> a debugger client attached
    through the forwarded debug port (the probe answered)."""
    iteration = {"dev": [], "debug": []}
    attach = []
    for i in range(args.runs):
        for command in (["dev", "debug"] if i % 2 == 0 else ["debug", "dev"]):
            grpc_port, http_port = free_port(), free_port()
            argv = [os.path.abspath(args.binary), command, f"--rpc-port={grpc_port}",
                    f"--rpc-http-port={http_port}"] + args.extra
            with open(os.path.join(work, "devloop.log"), "a") as log:
                started = time.monotonic()
                proc = subprocess.Popen(argv, cwd=project, stdout=log, stderr=subprocess.STDOUT)
                try:
                    wait_for_port(http_port, args.timeout)
                    events = Events(http_port)
                    if command == "debug":
                        arrived, entry = events.wait_for_entry(
                            lambda e: kind_status(e, "debuggingContainerEvent") == "Started",
                            0, args.timeout)
                        names = entry["event"]["debuggingContainerEvent"].get("debugPorts") or {}
                        port_name = next(iter(names))
                        deadline = arrived + args.timeout
                        last, forwarded, tries = None, None, 0
                        while True:
                            if time.monotonic() > deadline:
                                raise TimeoutError(f"no debugger answered: {last}")
                            _, body = get(http_port, "/v1/state")
                            ports = [p for p in (json.loads(body).get("forwardedPorts") or {}).values()
                                     if p.get("portName") == port_name]
                            if ports:
                                forwarded = forwarded or time.monotonic()
                                tries += 1
                                try:
                                    probe_debugger(port_name, int(ports[0]["localPort"]))
                                    break
                                except (OSError, ValueError) as e:
                                    last = e
                            time.sleep(0.001)
                        attach.append(time.monotonic() - arrived)
                        print(f"INFO run {i}: the debug forward in /v1/state "
                              f"{1000 * (forwarded - arrived):.1f}ms after Started; {tries} "
                              f"attach tries (last failure: {last})", flush=True)
                    done = events.wait_for(
                        lambda e: kind_status(e, "devLoopEvent") in ("Succeeded", "Failed"),
                        0, args.timeout)
                    iteration[command].append(done - started)
                    print(f"RESULT run {i} {command}: start->iteration 0 over "
                          f"{1000 * iteration[command][-1]:.1f}ms"
                          + (f" DebuggingContainerEvent Started->{port_name} debugger answered "
                             f"{1000 * attach[-1]:.1f}ms" if command == "debug" else ""),
                          flush=True)
                finally:
                    proc.send_signal(signal.SIGINT)
                    proc.wait(timeout=30)
    summary("dev: start->iteration 0 over", iteration["dev"])
    summary("debug: start->iteration 0 over", iteration["debug"])
    print(f"SUMMARY debug-dev median difference "
          f"{1000 * (statistics.median(iteration['debug']) - statistics.median(iteration['dev'])):.1f}ms")
    summary("debug: DebuggingContainerEvent Started->debugger answered", attach)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="path of the devloop binary")
    ap.add_argument("--example", default="sync", help="testing/examples/NAME")
    ap.add_argument("--mode", choices=["sync", "rebuild", "startup", "restart", "debug"],
                    default="sync",
                    help="sync: edits are synced (expects FileSyncEvents); rebuild: edits rebuild; "
                         "startup: only start -> API and start -> first build, --runs times; "
                         "restart: start -> app served, then Ctrl-C, --runs times on one project; "
                         "debug: dev and debug in turn, start -> iteration 0, and debug's "
                         "DebuggingContainerEvent -> debugger attached, --runs times each")
    ap.add_argument("--command", choices=["dev", "debug"], default="dev",
                    help="what the binary runs in the other modes (debug: `BINARY debug`)")
    ap.add_argument("--runs", type=int, default=20, help="startup and restart modes: how many starts")
    ap.add_argument("--compare", default="",
                    help="startup mode: a second binary, started in turn with --binary")
    ap.add_argument("--file", default="www/index.html", help="file to edit, relative to the example")
    ap.add_argument("--save-style", choices=sorted(SAVE_STYLES), default="in-place",
                    help="how each edit is saved: in-place (open O_TRUNC, write, close), rename "
                         "(temp file beside it, renamed over it) or vim (vim's default sequence)")
    ap.add_argument("--path", default="/index.html", help="URL path that serves the edited file")
    ap.add_argument("--edit-template", default="<!doctype html>\\n<h1>{marker}</h1>\\n",
                    help="what each edit writes into --file ({marker}: the edit's marker, "
                         "which the served page must show; \\n: a newline), e.g. "
                         "'def text():\\n    return \"{marker}\"\\n' for debug-python")
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=60, help="seconds per awaited step")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy")
    ap.add_argument("--idle-seconds", type=float, default=10,
                    help="how long to sample idle CPU after the first iteration (0: skip)")
    ap.add_argument("--baseline", action="store_true",
                    help="rebuild mode: also time docker build + docker run of each edit")
    ap.add_argument("--container-port", type=int, default=8080,
                    help="the port the example's container serves (for --baseline)")
    ap.add_argument("--poll-ms", type=float, default=0.5,
                    help="milliseconds between GETs while waiting for new content (each GET "
                         "forks a busybox httpd child: keep it coarse for rebuilds, which take "
                         "seconds, so polling does not compete with the build for the CPU)")
    ap.add_argument("--gap", type=float, default=0.05,
                    help="seconds to wait between edits (lets the loop go idle)")
    ap.add_argument("--forward", default="",
                    help="measure through the forward of this resource or container "
                         "(default: the first in /v1/state)")
    ap.add_argument("--sync-artifact", default="",
                    help="give this artifact (its context line in skaffold.yaml) a manual "
                         "sync rule www/*.html -> /, for --mode sync on examples without one")
    ap.add_argument("--probe", default="auto",
                    help="startup mode: the startup_probe binary that starts and times each "
                         "start (auto: bazel-bin/tools/bench/e2e/startup_probe if built; '' "
                         "for this script's own timing)")
    ap.add_argument("--probe-poll-us", type=int, default=100,
                    help="startup mode: how often startup_probe tries the port, in us (each "
                         "try takes CPU time that a loaded machine takes from the binary)")
    ap.add_argument("--answer-only", action="store_true",
                    help="startup mode: stop each start at its first answer (no gRPC, events or "
                         "build), e.g. to time tools/bench/e2e:floor_server beside devloop")
    ap.add_argument("extra", nargs="*", help="extra flags for `BINARY dev`")
    args = ap.parse_args()
    global POLL_INTERVAL
    POLL_INTERVAL = args.poll_ms / 1000

    work = tempfile.mkdtemp(prefix="devloop-bench-")
    project = os.path.join(work, args.example)
    shutil.copytree(os.path.join(REPO, "testing", "examples", args.example), project,
                    ignore=shutil.ignore_patterns("busybox"))
    subprocess.run([os.path.join(REPO, "testing", "examples", "prepare.sh"), project], check=True)
    if args.baseline:
        shutil.copytree(project, os.path.join(work, args.example + "-src"))
    if args.sync_artifact:
        config = os.path.join(project, "skaffold.yaml")
        with open(config) as f:
            text = f.read()
        line = f"      context: {args.sync_artifact}\n"
        if line not in text:
            raise RuntimeError(f"no '{line.strip()}' in {config}")
        text = text.replace(line, line + "      sync:\n        manual:\n"
                            "          - src: \"www/*.html\"\n            dest: /\n", 1)
        with open(config, "w") as f:
            f.write(text)

    if args.mode == "startup":
        startup(args, project, work)
        shutil.rmtree(work, ignore_errors=True)
        return
    if args.mode in ("restart", "debug"):
        try:
            (restart if args.mode == "restart" else debug)(args, project, work)
        finally:
            # The images devloop keeps as its artifact cache: this copy's only.
            forget_cached_images(project)
            shutil.rmtree(work, ignore_errors=True)
        return

    grpc_port, http_port = free_port(), free_port()
    argv = [os.path.abspath(args.binary), args.command, f"--rpc-port={grpc_port}",
            f"--rpc-http-port={http_port}"] + args.extra
    log = open(os.path.join(work, "devloop.log"), "w")
    print("RUN", " ".join(argv), "in", project, flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=project, stdout=log, stderr=subprocess.STDOUT)
    baseline = None
    try:
        answered = wait_for_port(http_port, args.timeout)
        print(f"RESULT start->api_answering {1000 * (answered - started):.1f}ms")
        events = Events(http_port)
        first_build = events.wait_for(lambda e: kind_status(e, "buildEvent") == "In Progress",
                                      0, args.timeout)
        print(f"RESULT start->first_build_started {1000 * (first_build - started):.1f}ms")
        events.wait_for(lambda e: kind_status(e, "devLoopEvent") in ("Succeeded", "Failed"),
                        0, args.timeout)
        # The app's forward, not a debugger's (devloop debug forwards both).
        # It waits for the app to answer: under a debugger that may be after
        # the iteration ended.
        deadline = time.monotonic() + args.timeout
        while True:
            status, body = get(http_port, "/v1/state")
            ports = json.loads(body).get("forwardedPorts") or {}
            chosen = [p for p in ports.values()
                      if not p.get("portName")
                      and (not args.forward
                           or args.forward in (p.get("resourceName"), p.get("containerName")))]
            if chosen:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"no forward of {args.forward or 'the app'} in /v1/state: {body}")
            time.sleep(0.01)
        local_port = int(chosen[0]["localPort"])
        print(f"INFO serving on 127.0.0.1:{local_port}", flush=True)
        served0 = wait_served(local_port, args.path, "", args.timeout)
        print(f"RESULT start->served {1000 * (served0 - started):.1f}ms", flush=True)
        print(f"RESULT rss_after_first_iteration VmRSS={proc_status_kb(proc.pid, 'VmRSS')}kB "
              f"VmHWM={proc_status_kb(proc.pid, 'VmHWM')}kB threads={proc_threads(proc.pid)}",
              flush=True)
        if args.idle_seconds > 0:
            time.sleep(1)  # the status check's last poll and the console settle
            cpu0, t0 = proc_cpu_seconds(proc.pid), time.monotonic()
            time.sleep(args.idle_seconds)
            cpu1, t1 = proc_cpu_seconds(proc.pid), time.monotonic()
            print(f"RESULT idle_cpu {1000 * (cpu1 - cpu0):.0f}ms CPU over {t1 - t0:.1f}s "
                  f"({100 * (cpu1 - cpu0) / (t1 - t0):.3f}% of one core; clock tick "
                  f"{1000 / os.sysconf('SC_CLK_TCK'):.0f}ms)", flush=True)
        baseline = None
        if args.baseline:
            baseline = Baseline(os.path.join(work, args.example + "-src"), work,
                                args.container_port)

        to_sync, to_sync_after_save, to_sync_started, to_served, to_baseline, to_save = (
            [], [], [], [], [], [])
        target = os.path.join(project, args.file)
        save = SAVE_STYLES[args.save_style]
        print(f"INFO save style {args.save_style}", flush=True)
        first_save = time.monotonic()
        for i in range(args.edits):
            marker = f"devloop-bench-{os.getpid()}-{i}-{time.time_ns()}"
            text = args.edit_template.replace("\\n", "\n").replace("{marker}", marker)
            began_ns = time.time_ns()
            began = time.monotonic()
            save(target, text)
            saved = time.monotonic()
            to_save.append(saved - began)
            if args.mode == "sync":
                _, started = events.wait_for_entry(
                    lambda e: kind_status(e, "fileSyncEvent") == "In Progress", began, args.timeout)
                to_sync_started.append((entry_ns(started) - began_ns) / 1e9)
                synced = events.wait_for(lambda e: kind_status(e, "fileSyncEvent") == "Succeeded",
                                         began, args.timeout)
                to_sync.append(synced - began)
                to_sync_after_save.append(synced - saved)
            served = wait_served(local_port, args.path, marker, args.timeout)
            to_served.append(served - began)
            if baseline:
                # Its own marker: the same text would hit the layer devloop just
                # built in the engine's build cache, and measure nothing.
                b_marker = marker + "-baseline"
                to_baseline.append(baseline.run(args.file, text.replace(marker, b_marker),
                                                b_marker, args.path, args.timeout))
            print(f"RESULT edit {i}: save itself {1000 * to_save[-1]:.2f}ms "
                  + (f"save->sync started (entry timestamp) {1000 * to_sync_started[-1]:.1f}ms "
                     f"save->FileSyncEvent {1000 * to_sync[-1]:.1f}ms "
                     f"(save over->FileSyncEvent {1000 * to_sync_after_save[-1]:.1f}ms) "
                     if to_sync else "")
                  + f"save->served {1000 * to_served[-1]:.1f}ms"
                  + (f" baseline(docker build+run->served) {1000 * to_baseline[-1]:.1f}ms"
                     if to_baseline else ""), flush=True)
            time.sleep(args.gap)  # let the loop go idle between edits
        summary(f"the {args.save_style} save itself", to_save)
        if to_sync:
            with events.cv:
                syncs = sum(1 for t, e in events.entries
                            if t >= first_save and kind_status(e, "fileSyncEvent") == "Succeeded")
            print(f"RESULT syncs: {syncs} FileSyncEvents Succeeded for {args.edits} saves")
            summary("save->FileSyncEvent In Progress (entry timestamp)", to_sync_started)
            summary("save->FileSyncEvent Succeeded", to_sync)
            summary("save over->FileSyncEvent Succeeded", to_sync_after_save)
        summary("save->new content served", to_served)
        if to_baseline:
            summary("baseline docker build + docker run -> served", to_baseline)
            ratio = statistics.median(to_served) / statistics.median(to_baseline)
            print(f"SUMMARY devloop/baseline median ratio {ratio:.3f}")
        print(f"RESULT rss_at_end VmRSS={proc_status_kb(proc.pid, 'VmRSS')}kB "
              f"VmHWM={proc_status_kb(proc.pid, 'VmHWM')}kB threads={proc_threads(proc.pid)}",
              flush=True)
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
        if args.baseline and baseline is not None:
            baseline.cleanup()
        print(f"INFO binary output: {os.path.join(work, 'devloop.log')}")
        if not args.keep:
            shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
