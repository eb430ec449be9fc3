"""devloop's debug-python example: a standard-library HTTP server to debug
with debugpy under `devloop debug`.

The response text comes from message.py, reloaded on every request, so a
change that the sync rule copies into the container shows on the next request
without a restart (and without losing the debugger's session).
"""

import importlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import message


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        importlib.reload(message)
        body = (message.text() + "\n").encode()  # a good place for a breakpoint
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    print("debug-python listening on :8080", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
