"""The fetch run's HTTP client (newsdesk.feeds.http) against real servers on 127.0.0.1.

Connections are kept alive and reused (a 304 included), a kept-alive connection that the
server closed is retried once on a new one, no more connections are open than allowed,
and https is checked against trusted roots; through a real proxy, http asks it for the
whole URL and https tunnels through it. Failures of every other kind are covered
through whole fetches in test_hostile_http.py.
"""

from __future__ import annotations

import asyncio
import ssl
import threading

import pytest
from conftest import server_context
from loopback import stop_server_loop
from proxy_server import ProxyServer

from newsdesk.feeds import http as feedhttp
from newsdesk.feeds.http import FeedClient, FeedHttpError, Proxy

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
        stop_server_loop(self.loop, self.server, self.thread)


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


# Proxies ------------------------------------------------------------------------------


@pytest.fixture
def proxy():
    running = ProxyServer(hosts={"feeds.test": "127.0.0.1"})
    yield running
    running.stop()


def behind_proxy(server: CountingServer) -> str:
    """The server's feed under a name only the proxy can resolve."""
    return server.url.replace("127.0.0.1", "feeds.test")


def test_http_through_a_proxy_asks_it_for_the_whole_url(server, proxy):
    async def scenario():
        async with client(proxies={"http": proxy.url}) as feeds:
            return [await get(feeds, behind_proxy(server)), await get(feeds, behind_proxy(server), {"If-None-Match": ETAG})]

    assert asyncio.run(scenario()) == [(200, b"<rss/>"), (304, b"")]
    url = behind_proxy(server)
    assert proxy.request_lines == [f"GET {url}", f"GET {url}"]
    assert proxy.connections == 1 and server.connections == 1  # kept alive through the proxy


def test_https_through_a_proxy_is_a_tunnel_checked_against_the_origins_certificate(https_server, proxy, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    url = behind_proxy(https_server)

    async def scenario():
        async with client(proxies={"https": proxy.url}) as feeds:
            return [await get(feeds, url) for _ in range(2)]

    assert asyncio.run(scenario()) == [(200, b"<rss/>")] * 2
    # The proxy saw where to connect, never a request: those went inside the TLS tunnel.
    assert proxy.request_lines == [f"CONNECT feeds.test:{https_server.port}"]
    assert https_server.requests == 2


def test_a_tunnel_to_an_untrusted_origin_fails_on_the_certificate(https_server, proxy):
    async def scenario():
        async with client(proxies={"https": proxy.url}) as feeds:
            await get(feeds, behind_proxy(https_server))

    with pytest.raises(FeedHttpError, match="the server's TLS certificate is not trusted"):
        asyncio.run(scenario())


def test_proxy_credentials_come_from_its_url_and_a_refusal_says_so(https_server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    guarded = ProxyServer(hosts={"feeds.test": "127.0.0.1"}, credentials="editor:s3cret")
    url = behind_proxy(https_server)
    try:
        async def scenario(proxy_url):
            async with client(proxies={"https": proxy_url}) as feeds:
                return await get(feeds, url)

        with_login = guarded.url.replace("http://", "http://editor:s3cret@")
        assert asyncio.run(scenario(with_login)) == (200, b"<rss/>")
        with pytest.raises(FeedHttpError) as refused:
            asyncio.run(scenario(guarded.url))
        assert str(refused.value) == (
            f"the proxy 127.0.0.1:{guarded.port} refused the tunnel to feeds.test:{https_server.port}: "
            "407 Proxy Authentication Required"
        )
    finally:
        guarded.stop()


def test_loopback_hosts_and_no_proxy_go_direct(server):
    dead_proxy = "http://127.0.0.1:9"  # the discard port: nothing listens

    async def scenario():
        async with client(proxies={"http": dead_proxy}) as feeds:
            return await get(feeds, server.url)

    assert asyncio.run(scenario()) == (200, b"<rss/>")  # 127.0.0.1 never goes through a proxy
    feeds = client(proxies={"http": dead_proxy, "https": dead_proxy, "no": "intranet.example,.corp"})
    assert feeds.proxy_for(feedhttp._split("http://intranet.example/feed")[0]) is None
    assert feeds.proxy_for(feedhttp._split("https://news.corp/feed")[0]) is None
    assert feeds.proxy_for(feedhttp._split("https://news.example/feed")[0]) == Proxy("127.0.0.1", 9)


def test_a_proxy_that_is_down_or_not_http_is_named_in_the_failure():
    async def scenario(proxy_url):
        async with client(proxies={"http": proxy_url}) as feeds:
            await get(feeds, "http://feeds.test/feed")

    with pytest.raises(FeedHttpError, match=r"^the proxy 127\.0\.0\.1:9: connection refused$"):
        asyncio.run(scenario("http://127.0.0.1:9"))
    with pytest.raises(FeedHttpError, match="only http:// proxies are"):
        asyncio.run(scenario("socks5://127.0.0.1:1080"))


def test_the_environment_names_the_proxies(monkeypatch):
    assert feedhttp.environment_proxies() == {}  # none set (conftest clears the machine's)
    monkeypatch.setenv("HTTPS_PROXY", "proxy.corp:3128")
    monkeypatch.setenv("no_proxy", "intranet.example")
    proxies = feedhttp.environment_proxies()
    assert proxies == {"https": "proxy.corp:3128", "no": "intranet.example"}
    assert Proxy.from_url(proxies["https"]) == Proxy("proxy.corp", 3128)
    assert Proxy.from_url("http://proxy.corp") == Proxy("proxy.corp", 1080)  # curl's default port


def test_a_proxy_password_never_shows_in_a_failure():
    for url in ("socks5://editor:s3cr/et@proxy.corp:1080", "http://editor:s3cret@proxy.corp:99999", "ftp://ed:s3cret@x"):
        with pytest.raises(FeedHttpError) as failure:
            Proxy.from_url(url)
        assert "s3cr" not in str(failure.value) and "editor" not in str(failure.value)
        assert "proxy.corp" in str(failure.value) or "://x" in str(failure.value)
    assert "s3cret" not in repr(Proxy.from_url("http://editor:s3cret@proxy.corp:3128"))


def test_plain_http_through_a_proxy_sends_its_credentials_and_names_it_on_407(server):
    guarded = ProxyServer(hosts={"feeds.test": "127.0.0.1"}, credentials="editor:s3cret")
    try:
        async def scenario(proxy_url):
            async with client(proxies={"http": proxy_url}) as feeds:
                return await get(feeds, behind_proxy(server))

        assert asyncio.run(scenario(guarded.url.replace("http://", "http://editor:s3cret@"))) == (200, b"<rss/>")
        with pytest.raises(FeedHttpError, match=rf"^the proxy 127\.0\.0\.1:{guarded.port} refused the request: 407 "):
            asyncio.run(scenario(guarded.url))
    finally:
        guarded.stop()
