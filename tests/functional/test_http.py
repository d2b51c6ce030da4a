"""newsdesk.http, the one HTTP stack, against real servers on 127.0.0.1.

Connections are kept alive and reused (a 304 included), a kept-alive connection that the
server closed is not reused, no more connections are open than allowed, and https is
checked against trusted roots; through a real proxy, http asks it for the whole URL and
https tunnels through it. Every failure reads as one line (``Http.reason``); failures of
every other kind are covered through whole fetches in test_hostile_http.py.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time

import httpx
import pytest
from conftest import server_context
from loopback import stop_server_loop
from proxy_server import ProxyServer

from newsdesk import http as nethttp
from newsdesk.http import ERRORS, Http, Lanes, Proxy, Refused

ETAG = '"v1"'


class CountingServer:
    """Answers GET /feed (200 with an ETag, 304 when it matches) on its own event loop,
    counting connections. ``close_after`` makes it close each connection after that many
    answers (as a server whose keep-alive timeout passed while the connection was idle);
    ``answers_per_connection`` makes it hang up, unanswered, on the request after that many
    (as one whose timeout passed just as the request arrived); ``hang_up`` makes it hang
    up on every request."""

    def __init__(
        self,
        *,
        close_after: int = 0,
        answers_per_connection: int = 0,
        hang_up: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.close_after = close_after
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
        self.server = self.loop.run_until_complete(asyncio.start_server(self._connection, "127.0.0.1", 0, ssl=self.tls))
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
                        + ETAG.encode()
                        + b"\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\n\r\n"
                        + body
                    )
                await writer.drain()
                answered += 1
                if self.close_after and answered >= self.close_after:
                    return
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


def stack(**overrides) -> Http:
    settings = {
        "user_agent": "newsdesk-test",
        "connect_timeout": 3,
        "read_timeout": 3,
        "max_redirects": 5,
        "proxies": {},
    }
    return Http(**(settings | overrides))


def client(http: Http | None = None, max_connections: int = 4) -> httpx.AsyncClient:
    return (http or stack()).async_client(max_connections=max_connections, headers={"Accept": "*/*"})


async def get(
    http: Http, feeds: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    async with http.get(feeds, url, headers) as response:
        return response.status_code, b"".join([chunk async for chunk in response.aiter_raw()])


def failure(http: Http, url: str) -> str:
    """The one line a GET of ``url`` fails with."""

    async def scenario():
        async with client(http) as feeds:
            await get(http, feeds, url)

    with pytest.raises(ERRORS) as caught:
        asyncio.run(scenario())
    return http.reason(caught.value)


def test_requests_one_after_another_share_one_connection(server):
    http = stack()

    async def scenario():
        async with client(http) as feeds:
            first = await get(http, feeds, server.url)
            # A 304 has no body to read: its connection is kept all the same.
            again = [await get(http, feeds, server.url, {"If-None-Match": ETAG}) for _ in range(5)]
            return first, again

    first, again = asyncio.run(scenario())
    assert first == (200, b"<rss/>")
    assert again == [(304, b"")] * 5
    assert server.requests == 6 and server.connections == 1


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the server never closed the connection"
        time.sleep(0.01)


def test_a_kept_alive_connection_the_server_closed_is_not_reused():
    server = CountingServer(close_after=1)
    http = stack()
    try:

        async def scenario():
            async with client(http) as feeds:
                answers = []
                for _ in range(3):
                    answers.append(await get(http, feeds, server.url))
                    await asyncio.to_thread(wait_until, lambda: server.open_now == 0)
                return answers

        assert asyncio.run(scenario()) == [(200, b"<rss/>")] * 3
        # Each time the client saw the connection closed and opened a new one: no request lost.
        assert server.connections == 3 and server.requests == 3
    finally:
        server.stop()


def test_a_kept_alive_connection_dropped_as_the_request_arrives_fails_that_request():
    # httpx retries nothing: the request that met the dead connection fails, the next one
    # gets a new connection.
    server = CountingServer(answers_per_connection=1)
    http = stack()
    try:

        async def scenario():
            async with client(http) as feeds:
                first = await get(http, feeds, server.url)
                with pytest.raises(ERRORS) as caught:
                    await get(http, feeds, server.url)
                return first, http.reason(caught.value), await get(http, feeds, server.url)

        first, reason, third = asyncio.run(scenario())
        assert first == third == (200, b"<rss/>")
        assert reason == "connection broken: the server closed the connection without answering"
        assert server.connections == 2 and server.requests == 3
    finally:
        server.stop()


def test_a_connection_closed_unanswered_is_a_failure_not_a_retry():
    server = CountingServer(hang_up=True)
    try:
        assert failure(stack(), server.url) == "connection broken: the server closed the connection without answering"
        assert server.connections == 1 and server.requests == 1
    finally:
        server.stop()


def test_no_more_connections_open_than_allowed():
    servers = [CountingServer(), CountingServer()]
    http = stack()
    try:

        async def scenario():
            async with client(http, max_connections=1) as feeds:
                for turn in range(6):  # alternate between two origins
                    assert await get(http, feeds, servers[turn % 2].url) == (200, b"<rss/>")

        asyncio.run(scenario())
        # The idle connection to one origin is closed before one to the other opens.
        assert [s.connections for s in servers] == [3, 3]
        assert all(s.most_open == 1 for s in servers)
    finally:
        for running in servers:
            running.stop()


def test_lanes_keep_a_connection_per_origin_and_no_more_than_their_count():
    servers = [CountingServer(), CountingServer()]
    http = stack()

    async def body(lanes: Lanes, url: str) -> tuple[int, bytes]:
        async with lanes.get(url) as response:
            return response.status_code, b"".join([chunk async for chunk in response.aiter_raw()])

    try:

        async def one_after_another() -> list[tuple[int, bytes]]:
            async with Lanes(http, 2) as lanes:
                return [await body(lanes, servers[turn % 2].url) for turn in range(6)]

        assert asyncio.run(one_after_another()) == [(200, b"<rss/>")] * 6
        # Each request took the lane whose connection was to its own origin.
        assert [s.connections for s in servers] == [1, 1]

        async def together(count: int) -> list[tuple[int, bytes]]:
            async with Lanes(http, count) as lanes:
                return list(await asyncio.gather(*(body(lanes, servers[n % 2].url) for n in range(8))))

        assert asyncio.run(together(1)) == [(200, b"<rss/>")] * 8
        assert all(s.most_open == 1 for s in servers)  # one lane: one connection at a time
        assert asyncio.run(together(2)) == [(200, b"<rss/>")] * 8
        assert all(s.most_open <= 2 for s in servers)
    finally:
        for running in servers:
            running.stop()


@pytest.fixture
def https_server(certificate):
    running = CountingServer(tls=server_context(certificate))
    nethttp.tls_context.cache_clear()
    yield running
    running.stop()
    nethttp.tls_context.cache_clear()


def test_https_feed_from_a_trusted_server(https_server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test certificate
    http = stack()

    async def scenario():
        async with client(http) as feeds:
            return [await get(http, feeds, https_server.url) for _ in range(2)]

    assert asyncio.run(scenario()) == [(200, b"<rss/>")] * 2
    assert https_server.connections == 1


def test_https_feed_from_an_untrusted_server_fails_with_the_reason(https_server):
    assert failure(stack(), https_server.url) == "the server's TLS certificate is not trusted: self-signed certificate"


def test_the_blocking_client_is_built_the_same_way(https_server, certificate, monkeypatch):
    http = stack()
    with http.client() as blocking, pytest.raises(ERRORS) as caught:
        blocking.get(https_server.url)
    assert http.reason(caught.value) == "the server's TLS certificate is not trusted: self-signed certificate"
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    nethttp.tls_context.cache_clear()
    with http.client() as blocking:
        response = blocking.get(https_server.url)
    assert (response.status_code, response.content, response.request.headers["user-agent"]) == (
        200,
        b"<rss/>",
        "newsdesk-test",
    )


def test_hosts_under_invalid_are_refused_without_asking_dns(monkeypatch):
    def no_lookups(host, *args, **kwargs):
        raise AssertionError(f"{host} was looked up")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookups)
    http = stack()
    assert failure(http, "http://feeds.nowhere.invalid/rss") == "unknown host feeds.nowhere.invalid"
    with http.client() as blocking, pytest.raises(Refused) as caught:
        blocking.get("https://invalid./x")
    assert http.reason(caught.value) == "unknown host invalid" and http.unreachable(caught.value)


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
    http = stack(proxies={"http": proxy.url})

    async def scenario():
        async with client(http) as feeds:
            url = behind_proxy(server)
            return [await get(http, feeds, url), await get(http, feeds, url, {"If-None-Match": ETAG})]

    assert asyncio.run(scenario()) == [(200, b"<rss/>"), (304, b"")]
    url = behind_proxy(server)
    assert proxy.request_lines == [f"GET {url}", f"GET {url}"]
    assert proxy.connections == 1 and server.connections == 1  # kept alive through the proxy


def test_https_through_a_proxy_is_a_tunnel_checked_against_the_origins_certificate(
    https_server, proxy, certificate, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    url = behind_proxy(https_server)
    http = stack(proxies={"https": proxy.url})

    async def scenario():
        async with client(http) as feeds:
            return [await get(http, feeds, url) for _ in range(2)]

    assert asyncio.run(scenario()) == [(200, b"<rss/>")] * 2
    # The proxy saw where to connect, never a request: those went inside the TLS tunnel.
    assert proxy.request_lines == [f"CONNECT feeds.test:{https_server.port}"]
    assert https_server.requests == 2


def test_a_tunnel_to_an_untrusted_origin_fails_on_the_certificate(https_server, proxy):
    # The origin's certificate is not the proxy's fault: the proxy is not named.
    assert failure(stack(proxies={"https": proxy.url}), behind_proxy(https_server)) == (
        "the server's TLS certificate is not trusted: self-signed certificate"
    )


def test_proxy_credentials_come_from_its_url_and_a_refusal_says_so(https_server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    guarded = ProxyServer(hosts={"feeds.test": "127.0.0.1"}, credentials="editor:s3cret")
    url = behind_proxy(https_server)
    try:
        with_login = stack(proxies={"https": guarded.url.replace("http://", "http://editor:s3cret@")})

        async def scenario():
            async with client(with_login) as feeds:
                return await get(with_login, feeds, url)

        assert asyncio.run(scenario()) == (200, b"<rss/>")
        assert failure(stack(proxies={"https": guarded.url}), url) == (
            f"the proxy 127.0.0.1:{guarded.port} refused the tunnel to feeds.test:{https_server.port}: "
            "407 Proxy Authentication Required"
        )
    finally:
        guarded.stop()


def test_loopback_hosts_and_no_proxy_go_direct(server):
    dead_proxy = "http://127.0.0.1:9"  # the discard port: nothing listens
    http = stack(proxies={"http": dead_proxy})

    async def scenario():
        async with client(http) as feeds:
            return await get(http, feeds, server.url)

    assert asyncio.run(scenario()) == (200, b"<rss/>")  # 127.0.0.1 never goes through a proxy
    http = stack(proxies={"http": dead_proxy, "https": dead_proxy, "no": "intranet.example,.corp"})
    assert http.proxy_for(httpx.URL("http://intranet.example/feed")) is None
    assert http.proxy_for(httpx.URL("https://news.corp/feed")) is None
    assert http.proxy_for(httpx.URL("http://localhost:8080/feed")) is None
    assert http.proxy_for(httpx.URL("http://[::1]:8080/feed")) is None
    assert http.proxy_for(httpx.URL("https://news.example/feed")) == Proxy("127.0.0.1", 9)


def test_a_proxy_that_is_down_or_not_http_is_named_in_the_failure():
    assert failure(stack(proxies={"http": "http://127.0.0.1:9"}), "http://feeds.test/feed") == (
        "the proxy 127.0.0.1:9: connection refused"
    )
    assert failure(stack(proxies={"http": "socks5://127.0.0.1:1080"}), "http://feeds.test/feed") == (
        "the proxy socks5://127.0.0.1:1080 is not supported: only http:// proxies are"
    )


def test_the_environment_names_the_proxies(monkeypatch):
    assert nethttp.environment_proxies() == {}  # none set (conftest clears the machine's)
    assert Http("x", 1, 1).proxies == {}
    monkeypatch.setenv("HTTPS_PROXY", "proxy.corp:3128")
    monkeypatch.setenv("no_proxy", "intranet.example")
    proxies = nethttp.environment_proxies()
    assert proxies == {"https": "proxy.corp:3128", "no": "intranet.example"}
    assert Http("x", 1, 1).proxies == proxies  # read when the stack is made
    assert Proxy.from_url(proxies["https"]) == Proxy("proxy.corp", 3128)
    assert Proxy.from_url("http://proxy.corp") == Proxy("proxy.corp", 1080)  # curl's default port


def test_a_proxy_password_never_shows_in_a_failure():
    for url in (
        "socks5://editor:s3cr/et@proxy.corp:1080",
        "http://editor:s3cret@proxy.corp:99999",
        "ftp://ed:s3cret@x",
    ):
        with pytest.raises(Refused) as failure:
            Proxy.from_url(url)
        assert "s3cr" not in str(failure.value) and "editor" not in str(failure.value)
        assert "proxy.corp" in str(failure.value) or "://x" in str(failure.value)
    assert "s3cret" not in repr(Proxy.from_url("http://editor:s3cret@proxy.corp:3128"))


def test_plain_http_through_a_proxy_sends_its_credentials_and_names_it_on_407(server):
    guarded = ProxyServer(hosts={"feeds.test": "127.0.0.1"}, credentials="editor:s3cret")
    try:
        with_login = stack(proxies={"http": guarded.url.replace("http://", "http://editor:s3cret@")})

        async def scenario():
            async with client(with_login) as feeds:
                return await get(with_login, feeds, behind_proxy(server))

        assert asyncio.run(scenario()) == (200, b"<rss/>")
        assert failure(stack(proxies={"http": guarded.url}), behind_proxy(server)) == (
            f"the proxy 127.0.0.1:{guarded.port} refused the request: 407 Proxy Authentication Required"
        )
    finally:
        guarded.stop()


# The one vocabulary ----------------------------------------------------------------------


def test_an_unreachable_host_is_described_by_the_innermost_reason() -> None:
    http = stack()

    def wrapped(cause: BaseException, url: str) -> httpx.ConnectError:
        # As httpx raises it: its error (with the request), from httpcore's, from the socket's.
        try:
            try:
                raise cause
            except BaseException as inner:
                raise httpx.ConnectError(str(inner), request=httpx.Request("GET", url)) from inner
        except httpx.ConnectError as error:
            return error

    unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert http.reason(wrapped(unknown, "https://gone.example.org/x")) == "unknown host gone.example.org"
    refused = OSError("All connection attempts failed")
    refused.__cause__ = ConnectionRefusedError(111, "Connect call failed")
    assert http.reason(wrapped(refused, "http://127.0.0.1:9/x")) == "connection refused"
    both_addresses = OSError("All connection attempts failed")
    both_addresses.__cause__ = ExceptionGroup(
        "", [OSError(101, "Network is unreachable"), ConnectionRefusedError(111, "refused")]
    )
    assert http.reason(wrapped(both_addresses, "http://localhost:9/x")) == "connection refused"
    untrusted = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    untrusted.verify_message = "self-signed certificate"
    error = wrapped(untrusted, "https://127.0.0.1/x")
    assert http.reason(error) == "the server's TLS certificate is not trusted: self-signed certificate"
    assert http.unreachable(error)


def test_timeouts_and_redirect_limits_name_their_settings() -> None:
    http = stack(connect_timeout=2, read_timeout=1.5, max_redirects=3)
    request = httpx.Request("GET", "http://feeds.example/rss")
    assert http.reason(httpx.ConnectTimeout("", request=request)) == "timed out connecting (after 2 s)"
    assert http.reason(httpx.ReadTimeout("", request=request)) == "timed out: no data for 1.5 s"
    assert http.reason(httpx.TooManyRedirects("", request=request)) == "too many redirects (more than 3)"
    assert http.reason(httpx.InvalidURL("Invalid port: 'x'")) == "invalid URL (Invalid port: 'x')"
    assert not http.unreachable(httpx.ConnectTimeout("", request=request))  # a slow host is there
