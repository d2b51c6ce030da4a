"""A real HTTP proxy on loopback, as an editor's office network would have one.

It takes absolute-form requests (``GET http://host/path``) for plain http and ``CONNECT
host:port`` tunnels for https, and does its own name lookups: ``hosts`` maps names that
only exist "behind the proxy" (such as feeds.test) to 127.0.0.1, which proves the client
left the lookup to the proxy. With ``credentials`` ("user:password") it answers 407 to
requests without them. It records each request line it was sent.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from urllib.parse import urlsplit

from loopback import stop_server_loop


class ProxyServer:
    def __init__(self, *, hosts: dict[str, str] | None = None, credentials: str | None = None) -> None:
        self.hosts = hosts or {}
        self.credentials = credentials
        self.request_lines: list[str] = []
        self.connections = 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        assert ready.wait(5), "the proxy did not start"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        stop_server_loop(self.loop, self.server, self.thread)

    def _authorized(self, head: bytes) -> bool:
        if self.credentials is None:
            return True
        wanted = b"proxy-authorization: basic " + base64.b64encode(self.credentials.encode()).lower()
        return wanted in head.lower()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        upstream: asyncio.StreamWriter | None = None
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, _, rest = head.partition(b"\r\n")
                method, target, version = line.decode("latin-1").split(" ", 2)
                self.request_lines.append(f"{method} {target}")
                if not self._authorized(head):
                    writer.write(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                        b'Proxy-Authenticate: Basic realm="office"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
                    )
                    await writer.drain()
                    return
                if method == "CONNECT":
                    host, _, port = target.rpartition(":")
                    up_reader, upstream = await asyncio.open_connection(self.hosts.get(host, host), int(port))
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
                    return
                # Plain http: one origin per client connection (a client pools by origin).
                parts = urlsplit(target)
                if upstream is None:
                    up_reader, upstream = await asyncio.open_connection(
                        self.hosts.get(parts.hostname, parts.hostname), parts.port or 80
                    )
                    asyncio.ensure_future(_pipe(up_reader, writer))
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                kept = [h for h in rest.split(b"\r\n") if not h.lower().startswith(b"proxy-authorization:")]
                upstream.write(f"{method} {path} {version}\r\n".encode("latin-1") + b"\r\n".join(kept))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            if upstream is not None:
                upstream.close()
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
