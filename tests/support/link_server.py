"""A real HTTP server on loopback standing in for the sites an issue links to.

Paths: /ok/... answers 200 (to HEAD and GET); /moved/X redirects to /ok/X; /gone answers
404; /nohead answers 405 to HEAD but 200 to GET, as some servers do; /slow... takes
``slow_seconds`` before answering; /status/N answers N. It counts requests per method and path.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler

from loopback import LoopbackServer


class LinkServer(LoopbackServer):
    def __init__(self, slow_seconds: float = 3.0) -> None:
        self.slow_seconds = slow_seconds
        self.requests: Counter = Counter()
        # Slow requests being answered now, and the most there were at once: concurrency
        # shown by a count, not by a clock.
        self.slow_in_flight = 0
        self.slow_peak = 0
        self._lock = threading.Lock()

    def start(self) -> LinkServer:
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def answer(self, body: bool) -> None:
                state.requests[(self.command, self.path)] += 1
                path = self.path
                if path.startswith("/moved/"):
                    self.send_response(301)
                    self.send_header("Location", "/ok/" + path.removeprefix("/moved/"))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if path == "/nohead" and not body:
                    self.send_response(405)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if path.startswith("/slow"):
                    with state._lock:
                        state.slow_in_flight += 1
                        state.slow_peak = max(state.slow_peak, state.slow_in_flight)
                    try:
                        time.sleep(state.slow_seconds)
                    finally:
                        with state._lock:
                            state.slow_in_flight -= 1
                if path.startswith("/status/"):
                    status = int(path.removeprefix("/status/"))
                else:
                    status = 200 if path.startswith(("/ok/", "/nohead", "/slow")) else 404
                payload = b"<html><body>a story</body></html>"
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if body:
                    self.wfile.write(payload)

            def do_HEAD(self) -> None:
                self.answer(body=False)

            def do_GET(self) -> None:
                self.answer(body=True)

        self.serve(Handler)
        return self
