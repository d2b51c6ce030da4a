"""A threaded HTTP server on 127.0.0.1 with a free port: what the tests' servers share;
and how an asyncio server running in a thread of its own is stopped."""

from __future__ import annotations

import asyncio
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that says nothing when a client goes away mid-answer."""

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (its timeout, on a loaded machine) leaves a broken pipe:
        # socketserver would print its traceback to the stderr a test may be reading.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LoopbackServer:
    """Start with ``serve(Handler)``; ``url(path)`` points at it; ``stop()`` ends it."""

    httpd: ThreadingHTTPServer

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = QuietHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        # A short poll interval, so stop() returns at once.
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def stop_server_loop(loop: asyncio.AbstractEventLoop, server: asyncio.Server, thread: threading.Thread) -> None:
    """Close ``server``, end its connections' tasks, then stop ``loop`` and join ``thread``:
    tasks left pending when a loop stops are reported as errors when collected."""

    async def shutdown() -> None:
        server.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
