"""A real HTTP server on loopback that serves feeds the way good servers do.

It honours ETag / If-None-Match and Last-Modified / If-Modified-Since, can gzip, and
counts requests and 304 answers, so tests can prove that an unchanged feed costs one
304 and no download.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler

from loopback import LoopbackServer


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    modified: float = 1_499_000_000.0
    validators: bool = True

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class FeedServer(LoopbackServer):
    routes: dict[str, Route] = field(default_factory=dict)
    requests: Counter = field(default_factory=Counter)
    not_modified: Counter = field(default_factory=Counter)

    def start(self) -> FeedServer:
        server_state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server_state.requests[self.path] += 1
                route = server_state.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                last_modified = formatdate(route.modified, usegmt=True)
                if route.validators and (
                    self.headers.get("If-None-Match") == route.etag
                    or self.headers.get("If-Modified-Since") == last_modified
                ):
                    server_state.not_modified[self.path] += 1
                    self.send_response(304)
                    self.end_headers()
                    return
                body = route.body
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                if route.validators:
                    self.send_header("ETag", route.etag)
                    self.send_header("Last-Modified", last_modified)
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    body = gzip.compress(body)
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.serve(Handler)
        return self
