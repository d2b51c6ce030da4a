"""A real HTTP server on 127.0.0.1 that misbehaves on purpose, one route per way.

Routes (all under the server's URL):

    /feed/NAME              a body registered with ``serve(NAME, ...)``
    /status/CODE            an error status with a short HTML body
    /slow-headers/SECONDS   waits before answering at all (a read timeout)
    /dribble                a feed at one byte a second, for a minute
    /loop                   redirects to itself
    /chain/N                N redirects (302) before a good feed
    /moved/CODE/NAME        one redirect with CODE to /feed/NAME
    /redirect-to?url=URL    one redirect (302) to any URL
    /bomb/gzip | /bomb/deflate | /bomb/raw-deflate
                            ~200 MB of decoded feed in a ~200 KB body
    /endless                a feed that never ends (stops itself after 60 s or 300 MB)
    /liar-length            declares a terabyte it does not send
    /truncated              declares 5000 bytes, sends 100 and hangs up
    /corrupt-gzip           says gzip, is not
    /garbage                answers with bytes that are not HTTP
    /hang-up                closes the connection without a word
    /entity/NAME            a target for external entities; any request is recorded

Every request's path is recorded in ``requests``, so a test can prove a request was
never made (an XXE target) or was made exactly once.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from hostile.generate import BOMB_CHUNK, deflate_bomb, endless_items, good_feed, gzip_bomb

RSS_TYPE = "application/rss+xml; charset=utf-8"
_GENERATING = threading.Lock()


@dataclass
class Body:
    data: bytes
    content_type: str | None = RSS_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to wait before answering


class HostileServer:
    def __init__(self) -> None:
        self.bodies: dict[str, Body] = {}
        self.requests: list[str] = []
        # ("begin" or "end", path), in the order they happened: which requests overlapped,
        # told without a clock.
        self.events: list[tuple[str, str]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    # Set-up ------------------------------------------------------------

    def serve(
        self,
        name: str,
        data: bytes,
        content_type: str | None = RSS_TYPE,
        headers: tuple[tuple[str, str], ...] = (),
        delay: float = 0.0,
    ) -> str:
        """Serve ``data`` at /feed/NAME (after ``delay`` seconds); returns its URL."""
        self.bodies[name] = Body(data, content_type, headers, delay)
        return self.url(f"/feed/{name}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def requested(self, prefix: str) -> list[str]:
        with self._lock:
            return [path for path in self.requests if path.startswith(prefix)]

    def began_after_end_of(self, path: str) -> list[str]:
        """The requests that began once the first request for ``path`` had ended (none
        while it is still in flight)."""
        with self._lock:
            events = list(self.events)
        ended = events.index(("end", path)) if ("end", path) in events else len(events)
        return [where for kind, where in events[ended:] if kind == "begin"]

    def start(self) -> HostileServer:
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with state._lock:
                    state.requests.append(self.path)
                    state.events.append(("begin", self.path))
                where = urlsplit(self.path)
                self.query = dict(parse_qsl(where.query))
                parts = where.path.strip("/").split("/")
                route = getattr(self, "route_" + parts[0].replace("-", "_"), None)
                try:
                    if route is None:
                        self.send_plain(404, b"no such route")
                    else:
                        route(*parts[1:])
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    pass  # the client gave up, as it should
                finally:
                    with state._lock:
                        state.events.append(("end", self.path))

            # Helpers ---------------------------------------------------

            def send_plain(self, code: int, body: bytes, content_type: str = "text/html") -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def redirect(self, code: int, location: str) -> None:
                self.send_response(code)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def stream(self, chunks, content_type: str = RSS_TYPE, encoding: str | None = None) -> None:
                """A close-delimited body, written until the client leaves."""
                self.close_connection = True
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                if encoding:
                    self.send_header("Content-Encoding", encoding)
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in chunks:
                    if state.stopping.is_set():
                        return
                    self.wfile.write(chunk)

            # Routes ----------------------------------------------------

            def route_feed(self, name: str) -> None:
                body = state.bodies.get(name)
                if body is None:
                    self.send_plain(404, b"no such feed")
                    return
                if body.delay and state.stopping.wait(body.delay):
                    return
                self.send_response(200)
                if body.content_type:
                    self.send_header("Content-Type", body.content_type)
                for key, value in body.headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body.data)))
                self.end_headers()
                self.wfile.write(body.data)

            def route_status(self, code: str) -> None:
                self.send_plain(int(code), f"<html><body>error {code}</body></html>".encode())

            def route_slow_headers(self, seconds: str) -> None:
                state.stopping.wait(float(seconds))
                self.send_plain(200, good_feed("slow"), RSS_TYPE)

            def route_dribble(self) -> None:
                def one_byte_a_second():
                    for byte in good_feed("dribble")[:60]:
                        yield bytes([byte])
                        if state.stopping.wait(1.0):
                            return

                self.stream(one_byte_a_second())

            def route_redirect_to(self) -> None:
                self.redirect(302, self.query["url"])

            def route_loop(self) -> None:
                self.redirect(302, "/loop")

            def route_chain(self, count: str) -> None:
                left = int(count)
                if left > 0:
                    self.redirect(302, f"/chain/{left - 1}")
                else:
                    self.send_plain(200, good_feed("chain"), RSS_TYPE)

            def route_moved(self, code: str, name: str) -> None:
                self.redirect(int(code), f"/feed/{name}")

            def route_bomb(self, kind: str) -> None:
                with _GENERATING:  # made once, however many requests arrive together
                    body = gzip_bomb() if kind == "gzip" else deflate_bomb(raw=kind == "raw-deflate")
                coding = "gzip" if kind == "gzip" else "deflate"
                chunks = (body[i : i + BOMB_CHUNK] for i in range(0, len(body), BOMB_CHUNK))
                self.stream(chunks, encoding=coding)

            def route_endless(self) -> None:
                deadline = time.monotonic() + 60

                def until_deadline():
                    for chunk in endless_items(limit=300_000_000):
                        if time.monotonic() > deadline:
                            return
                        yield chunk

                self.stream(until_deadline())

            def route_liar_length(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", RSS_TYPE)
                self.send_header("Content-Length", str(10**12))
                self.end_headers()
                self.wfile.write(good_feed("liar")[:200])
                state.stopping.wait(5)

            def route_truncated(self) -> None:
                self.close_connection = True
                self.send_response(200)
                self.send_header("Content-Type", RSS_TYPE)
                self.send_header("Content-Length", "5000")
                self.end_headers()
                self.wfile.write(good_feed("truncated")[:100])

            def route_corrupt_gzip(self) -> None:
                body = b"\x1f\x8b\x08\x00" + b"this is not gzip at all" * 10
                self.send_response(200)
                self.send_header("Content-Type", RSS_TYPE)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def route_garbage(self) -> None:
                self.close_connection = True
                self.wfile.write(b"\x00\x01NOT HTTP AT ALL\r\n\r\n<rss/>")

            def route_hang_up(self) -> None:
                self.close_connection = True
                with suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def route_entity(self, name: str) -> None:
                self.send_plain(200, b"LEAKED-BY-REQUEST", "text/plain")

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False
            request_queue_size = 128  # many feeds connect at once

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StalledListener:
    """A loopback port whose accept queue is full: new connections never complete.

    The kernel drops the handshake of a connection that does not fit the backlog, so
    the client waits until its own connect timeout.
    """

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(0)
        self.port = self.server.getsockname()[1]
        self.fillers: list[socket.socket] = []
        for _ in range(16):
            filler = socket.socket()
            filler.settimeout(0.2)
            try:
                filler.connect(("127.0.0.1", self.port))
            except OSError:
                filler.close()
                break
            self.fillers.append(filler)
        else:
            raise RuntimeError("the backlog never filled; cannot stall connections here")

    def close(self) -> None:
        for filler in self.fillers:
            filler.close()
        self.server.close()
