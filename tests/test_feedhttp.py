"""The fetch run's HTTP client (newsdesk.feedhttp) against real servers on 127.0.0.1.

Connections are kept alive and reused (a 304 included), a kept-alive connection that the
server closed is retried once on a new one, no more connections are open than allowed,
and https is checked against trusted roots. Failures of every other kind are covered
through whole fetches in test_hostile_http.py.
"""

from __future__ import annotations

import asyncio
import ssl
import threading

import pytest
from conftest import server_context

from newsdesk import feedhttp
from newsdesk.feedhttp import FeedClient, FeedHttpError

ETAG = '"v1"'


class CountingServer:
    """Answers GET /feed (200 with an ETag, 304 when it matches) on its own event loop,
    counting connections. ``answers_per_connection`` makes it hang up, unanswered, on the
    request after that many (as a server whose keep-alive timeout just passed);
    ``hang_up`` makes it hang up on every request."""

    def __init__(
        self, *, answers_per_connection: int = 0, hang_up: bool = False, tls: ssl.SSLContext | None = None
    ) -> None:
        self.answers_per_connection = answers_per_connection
        self.hang_up = hang_up
        self.tls = tls
        self.connections = 0
        self.requests = 0
        self.open_now = 0
        self.most_open = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(5)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/feed"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0, ssl=self.tls)
        )
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        answered = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                if self.hang_up or (self.answers_per_connection and answered >= self.answers_per_connection):
                    return  # hang up without a word
                if f"if-none-match: {ETAG}".encode() in head.lower():
                    writer.write(b"HTTP/1.1 304 Not Modified\r\nETag: " + ETAG.encode() + b"\r\n\r\n")
                else:
                    body = b"<rss/>"
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: "
                        + ETAG.encode() + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                    )
                await writer.drain()
                answered += 1
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            self.open_now -= 1
            writer.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def server():
    running = CountingServer()
    yield running
    running.stop()


def client(**overrides) -> FeedClient:
    settings = dict(
        user_agent="newsdesk-test", accept="*/*", connect_timeout=3, read_timeout=3, max_redirects=5, max_connections=4
    )
    return FeedClient(**(settings | overrides))


async def get(feeds: FeedClient, url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    response = await feeds.get(url, headers or {})
    try:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        return response.status, body
    finally:
        await response.aclose()


def test_requests_one_after_another_share_one_connection(server):
    async def scenario():
        async with client() as feeds:
            first = await get(feeds, server.url)
            # A 304 has no body to read: its connection is kept all the same.
            again = [await get(feeds, server.url, {"If-None-Match": ETAG}) for _ in range(5)]
            return first, again

    first, again = asyncio.run(scenario())
    assert first == (200, b"<rss/>")
    assert again == [(304, b"")] * 5
    assert server.requests == 6 and server.connections == 1


def test_a_kept_alive_connection_the_server_closed_is_retried_once_on_a_new_one():
    server = CountingServer(answers_per_connection=1)
    try:
        async def scenario():
            async with client() as feeds:
                return [await get(feeds, server.url) for _ in range(3)]

        assert asyncio.run(scenario()) == [(200, b"<rss/>")] * 3
        # Each reuse found the connection dead: one unanswered request, then a new connection.
        assert server.connections == 3 and server.requests == 5
    finally:
        server.stop()


def test_a_new_connection_closed_unanswered_is_a_failure_not_a_retry():
    server = CountingServer(hang_up=True)
    try:
        async def scenario():
            async with client() as feeds:
                await get(feeds, server.url)

        with pytest.raises(FeedHttpError, match="connection broken: the server closed the connection without answering"):
            asyncio.run(scenario())
        assert server.connections == 1 and server.requests == 1
    finally:
        server.stop()


def test_no_more_connections_open_than_allowed():
    servers = [CountingServer(), CountingServer()]
    try:
        async def scenario():
            async with client(max_connections=1) as feeds:
                for turn in range(6):  # alternate between two origins
                    assert await get(feeds, servers[turn % 2].url) == (200, b"<rss/>")
                    assert feeds._open <= 1

        asyncio.run(scenario())
        # The idle connection to one origin is closed before one to the other opens.
        assert [s.connections for s in servers] == [3, 3]
        assert all(s.most_open == 1 for s in servers)
    finally:
        for running in servers:
            running.stop()


@pytest.fixture
def https_server(certificate):
    running = CountingServer(tls=server_context(certificate))
    feedhttp.tls_context.cache_clear()
    yield running
    running.stop()
    feedhttp.tls_context.cache_clear()


def test_https_feed_from_a_trusted_server(https_server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test certificate

    async def scenario():
        async with client() as feeds:
            return [await get(feeds, https_server.url) for _ in range(2)]

    assert asyncio.run(scenario()) == [(200, b"<rss/>")] * 2
    assert https_server.connections == 1


def test_https_feed_from_an_untrusted_server_fails_with_the_reason(https_server):
    async def scenario():
        async with client() as feeds:
            await get(feeds, https_server.url)

    with pytest.raises(FeedHttpError, match="the server's TLS certificate is not trusted: self.signed certificate"):
        asyncio.run(scenario())
