#!/usr/bin/env python3
"""Stands in for `kubectl proxy --unix-socket=PATH` in kube_api_test.

Serves HTTP on the socket: /version and /api/... answer JSON, /fail answers
500 with a Status body, /quit ends the process. Each start appends the socket
path to $FAKE_KUBECTL_LOG. With FAKE_KUBECTL_FAIL set it prints that to stderr
and exits 1 at once.
"""
import http.server
import json
import os
import socketserver
import sys
import threading

if os.environ.get("FAKE_KUBECTL_FAIL"):
    print(os.environ["FAKE_KUBECTL_FAIL"], file=sys.stderr)
    sys.exit(1)

path = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--unix-socket="))
with open(os.environ["FAKE_KUBECTL_LOG"], "a") as log:
    log.write(path + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.headers.get("Host") != "localhost":
            self.answer(403, {"message": "host not accepted"})
        elif self.path == "/quit":
            self.answer(200, {})
            threading.Thread(target=lambda: os._exit(0)).start()
        elif self.path == "/fail":
            self.answer(500, {"kind": "Status", "message": "etcdserver: request timed out"})
        else:
            self.answer(200, {"kind": "Answer", "path": self.path,
                              "items": [{"metadata": {"name": "p"}}]})


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


Server(path, Handler).serve_forever()
