"""Every HTTP request newsdesk makes goes through a client made here, and every way one can
fail reads as one of the lines made here.

The fetch (newsdesk.feeds.fetch), articles (newsdesk.curation.articles), link checks
(newsdesk.mail.checks) and WordPress (newsdesk.publish.wordpress) all use httpx clients
that ``Http`` makes the same way:

- the user agent and the connect and read timeouts they are given;
- certificates checked against the system's roots (which SSL_CERT_FILE replaces, as OpenSSL
  reads it) and certifi's, which httpx trusts by default: a site either trusts is trusted;
- the proxies the environment names (``http_proxy``, ``https_proxy``, ``all_proxy`` and
  ``no_proxy``, in either case, as curl reads them): http:// proxies only, https through a
  CONNECT tunnel, and never for a loopback host (a proxy's localhost is not this machine's);
- hosts under ``.invalid`` refused without asking DNS (RFC 6761: they never resolve).

``Http.reason`` turns any failure (an httpx exception, ``Refused`` among them) into the one
line a report shows: "connection refused", "unknown host feeds.example", "timed out: no
data for 20 s".
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self
from urllib.parse import unquote, urlsplit

import httpx

from newsdesk.urls import is_loopback

if TYPE_CHECKING:
    from newsdesk.config import FetchSettings

# What a request may raise: httpx's errors, and a URL httpx cannot even parse.
ERRORS = (httpx.HTTPError, httpx.InvalidURL)
# A redirect's body is read (to keep its connection) only up to this; it is never kept.
REDIRECT_BODY_BYTES = 64 * 1024


class Refused(httpx.TransportError):
    """A request newsdesk would not send, or that a proxy refused; the message is the
    reason as a report shows it. ``unreachable``: the host cannot be reached at all."""

    def __init__(self, message: str, *, request: httpx.Request | None = None, unreachable: bool = False) -> None:
        super().__init__(message, request=request)
        self.unreachable = unreachable


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The client context every transport is made with (ssl.create_default_context()'s
    settings); it trusts no root until ``_load_roots`` has loaded them into it."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@functools.cache
def _load_roots(context: ssl.SSLContext) -> ssl.SSLContext:
    """``context`` with the system's roots (and SSL_CERT_FILE, as for mail) and certifi's
    loaded, once. The routes load them before a first https request, not when a client is
    made: reading two bundles of roots is work an http-only run never needs."""
    import certifi

    context.load_default_certs()
    context.load_verify_locations(cafile=certifi.where())
    return context


def environment_proxies() -> dict[str, str]:
    """The proxies the environment names, by scheme ("http", "https", "all"), and "no"
    for the hosts that bypass them: ``http_proxy`` and the rest, in either case."""
    # urllib.request is slow to import for what a warm fetch costs (docs/benchmarks.md): only when needed.
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return {}
    import urllib.request

    return urllib.request.getproxies_environment()


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy (spoken to in plain HTTP, as curl's default ``http://`` proxies)."""

    host: str
    port: int
    # The user and password from the proxy's URL: never shown.
    auth: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return _authority(self.host, self.port)

    @classmethod
    def from_url(cls, url: str) -> Proxy:
        """The proxy a ``*_proxy`` value names (``http://[user:password@]host[:port]``; a
        bare ``host:port`` is taken as http and a missing port as 1080, as curl takes them).
        Errors (``Refused``) name the proxy without its user and password."""
        return _proxy(url)


@functools.cache
def _proxy(url: str) -> Proxy:
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    shown = _without_credentials(text)
    try:
        parts = urlsplit(text)
        port = parts.port or 1080
    except ValueError:
        raise Refused(f"the proxy {shown} is not a valid URL") from None
    if parts.scheme.lower() != "http":
        raise Refused(f"the proxy {shown} is not supported: only http:// proxies are")
    if not parts.hostname:
        raise Refused(f"the proxy {shown} names no host")
    auth = None
    if parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    return Proxy(parts.hostname, port, auth)


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # an IPv6 address in brackets


def _without_credentials(url: str) -> str:
    """``scheme://host:port`` with whatever came before the last "@" taken out (a password
    may hold "/" or "@" unescaped), for messages."""
    scheme, _, rest = url.partition("://")
    return _short(f"{scheme}://{rest.rpartition('@')[2]}")


def _short(text: str, limit: int = 120) -> str:
    """One printable line of at most ``limit`` characters: servers choose some of its words."""
    text = " ".join(text.split())
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Http:
    """How newsdesk's HTTP clients are made, and how their failures read."""

    user_agent: str
    connect_timeout: float
    read_timeout: float
    max_redirects: int = 5
    # As environment_proxies() gives them, read when this is made.
    proxies: Mapping[str, str] = field(default_factory=environment_proxies)

    @classmethod
    def fetching(cls, settings: FetchSettings) -> Http:
        """Requests made the way the ``[fetch]`` settings say feeds are fetched."""
        return cls(settings.user_agent, settings.connect_timeout, settings.read_timeout, settings.max_redirects)

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.read_timeout, connect=self.connect_timeout)

    def async_client(
        self, *, max_connections: int, headers: Mapping[str, str] | None = None, follow_redirects: bool = False
    ) -> httpx.AsyncClient:
        """A client for up to ``max_connections`` connections at once (kept alive)."""
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        return httpx.AsyncClient(
            transport=_AsyncRoutes(self, limits),
            headers={"User-Agent": self.user_agent, **(headers or {})},
            timeout=self.timeout,
            follow_redirects=follow_redirects,
            max_redirects=self.max_redirects,
            trust_env=False,  # the routes read the environment's proxies; the roots are tls_context()'s
        )

    def client(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        auth: tuple[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> httpx.Client:
        """A blocking client; ``transport`` replaces the network (a test's httpx.MockTransport)."""
        return httpx.Client(
            transport=transport or _Routes(self, httpx.Limits()),
            headers={"User-Agent": self.user_agent, **(headers or {})},
            timeout=self.timeout,
            follow_redirects=follow_redirects,
            max_redirects=self.max_redirects,
            auth=auth,
            trust_env=False,
        )

    @contextlib.asynccontextmanager
    async def get(
        self, client: httpx.AsyncClient, url: str, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """The response to GET ``url`` after up to ``max_redirects`` redirects, its body
        unread and still in its Content-Encoding (``response.aiter_raw()``); closed on exit.
        ``response.history`` holds the redirects on the way.

        Redirects are followed here rather than by httpx, which reads and decodes each
        redirect's whole body: here it is read only up to REDIRECT_BODY_BYTES (enough to
        keep the connection) and dropped, so a hostile redirect cannot fill the memory."""
        request = client.build_request("GET", url, headers=headers)
        history: list[httpx.Response] = []
        while True:
            response = await client.send(request, stream=True, follow_redirects=False)
            if response.next_request is None:
                break
            try:
                received = 0
                async for chunk in response.aiter_raw():
                    received += len(chunk)
                    if received > REDIRECT_BODY_BYTES:
                        break
            finally:
                await response.aclose()
            if len(history) == self.max_redirects:
                raise Refused(f"too many redirects (more than {self.max_redirects})", request=request)
            history.append(response)
            request = response.next_request
        response.history = history
        try:
            yield response
        finally:
            await response.aclose()

    def proxy_for(self, url: httpx.URL) -> Proxy | None:
        """The proxy to reach ``url`` through, if any. Loopback hosts never go through one
        (a proxy's localhost is not this machine's), nor hosts ``no_proxy`` names."""
        value = self.proxies.get(url.scheme) or self.proxies.get("all")
        if not value or is_loopback(url.host):
            return None
        if self.proxies.get("no"):
            import urllib.request

            # Public in urllib.request (no underscore), though typeshed does not list it.
            if urllib.request.proxy_bypass_environment(url.host, dict(self.proxies)):  # type: ignore[attr-defined]
                return None
        return Proxy.from_url(value)

    def route(self, request: httpx.Request) -> Proxy | None:
        """The proxy ``request`` goes through (None: straight to the server), or ``Refused``
        for a request no server should see."""
        url = request.url
        if url.scheme not in ("http", "https"):
            # Callers only start from http(s) URLs: another scheme came from a Location.
            raise Refused(f"redirected to an unsupported URL ({_short(str(url))})", request=request)
        host = url.host.rstrip(".")
        if host == "invalid" or host.endswith(".invalid"):
            raise Refused(f"unknown host {host}", request=request, unreachable=True)
        return self.proxy_for(url)

    def reason(self, error: BaseException) -> str:
        """Why a request failed, in one line; ``error`` is one of ERRORS."""
        if isinstance(error, Refused):
            return str(error)
        if isinstance(error, httpx.InvalidURL):
            return f"invalid URL ({_short(str(error))})"
        if isinstance(error, httpx.TooManyRedirects):
            return f"too many redirects (more than {self.max_redirects})"
        if isinstance(error, httpx.ConnectTimeout):
            return f"timed out connecting (after {self.connect_timeout:g} s)"
        if isinstance(error, httpx.ReadTimeout):
            return f"timed out: no data for {self.read_timeout:g} s"
        if isinstance(error, httpx.WriteTimeout):
            return f"timed out sending the request (after {self.read_timeout:g} s)"
        if isinstance(error, httpx.PoolTimeout):
            return "timed out waiting for a free connection"
        if isinstance(error, httpx.ConnectError):
            cause = _innermost_os_error(error)
            if cause is None:
                return f"cannot connect: {_short(str(error)) or 'refused'}"
            return connect_reason(cause, _host(error))
        if isinstance(error, httpx.RemoteProtocolError):
            return _protocol_reason(str(error))
        if isinstance(error, httpx.NetworkError):  # reading, writing or closing
            cause = _innermost_os_error(error)
            words = (cause.strerror or str(cause)) if cause is not None else str(error)
            return f"connection broken: {_short(words) or 'the connection was lost'}"
        if isinstance(error, httpx.DecodingError):
            return f"the body is corrupt: {_short(str(error))}"
        if isinstance(error, httpx.ProxyError):
            return f"the proxy refused: {_short(str(error))}"
        if isinstance(error, httpx.UnsupportedProtocol):
            return f"unsupported URL ({_short(str(error))})"
        return f"{type(error).__name__}: {_short(str(error))}"

    def unreachable(self, error: BaseException) -> bool:
        """True when the server could not be reached at all: no such host, nothing listening
        on its port, or a TLS handshake it failed (not a timeout: a slow host is there)."""
        if isinstance(error, Refused):
            return error.unreachable
        return isinstance(error, httpx.ConnectError)


class Lanes:
    """``count`` clients of one connection each, for up to ``count`` GETs at once (the
    fetch's downloads): a GET takes a free client, one whose kept-alive connection is to
    its own origin when there is one, and gives it back when its response is closed.

    One pool of ``count`` connections would cost more CPU per request than the request
    itself: httpcore's pool checks every connection it holds on each request and each
    response closed, and hands one idle connection to several waiting requests, which
    then find it taken and check again (encode/httpcore#1035)."""

    def __init__(self, http: Http, count: int, *, headers: Mapping[str, str] | None = None) -> None:
        self.http = http
        self._free = [_Lane(http.async_client(max_connections=1, headers=headers)) for _ in range(max(1, count))]
        self._all = list(self._free)
        self._waiting = asyncio.Semaphore(len(self._free))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for lane in self._all:
            await lane.client.aclose()

    @contextlib.asynccontextmanager
    async def get(self, url: str, headers: Mapping[str, str] | None = None) -> AsyncIterator[httpx.Response]:
        """``Http.get`` on a free client."""
        async with self._waiting:
            origin = _origin(url)
            lane = next((lane for lane in self._free if lane.origin == origin), None) or self._free[0]
            self._free.remove(lane)
            lane.origin = origin
            try:
                async with self.http.get(lane.client, url, headers) as response:
                    lane.origin = _origin(str(response.url))  # where its connection is now
                    yield response
            finally:
                self._free.append(lane)


@dataclass
class _Lane:
    client: httpx.AsyncClient
    origin: str = ""  # of the last request: where its kept-alive connection, if any, leads


def _origin(url: str) -> str:
    """``scheme://host[:port]`` as written (a key, not a normal form: a miss costs a connection)."""
    return "/".join(url.split("/", 3)[:3]).lower()


def _protocol_reason(text: str) -> str:
    """A RemoteProtocolError's message (httpcore's and h11's words) as a report line."""
    if text.startswith("Server disconnected without sending a response"):
        return "connection broken: the server closed the connection without answering"
    if text.startswith("Invalid URL in location header"):
        return f"redirected to an invalid URL ({_short(text.partition(':')[2].strip().rstrip('.'))})"
    if text.startswith("Receive buffer too long"):
        return "the server's headers are too large"
    if text.startswith(("illegal status line", "no response line")):
        return "the server's answer is not HTTP"
    return f"connection broken: {_short(text)}"


def _host(error: httpx.RequestError) -> str:
    try:
        return error.request.url.host
    except RuntimeError:  # raised outside a request: no host to name
        return "the host"


def _innermost_os_error(error: BaseException) -> OSError | None:
    """The innermost OSError behind ``error``: httpx wraps httpcore's error, which wraps
    the socket's, sometimes in another OSError ("All connection attempts failed" around
    the refusal, with one error for each address of a host in an exception group)."""
    cause: BaseException | None = error
    deepest: OSError | None = None
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError):
            deepest = cause
        if isinstance(cause, BaseExceptionGroup) and cause.exceptions:
            # One failure per address: a refusal says most (the host is there, the port closed).
            refused = [e for e in cause.exceptions if isinstance(e, ConnectionRefusedError)]
            cause = (refused or cause.exceptions)[0]
        else:
            cause = cause.__cause__ or cause.__context__
    return deepest


def connect_reason(error: OSError, host: str) -> str:
    """Why a connection (or its TLS) failed, in words."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"the server's TLS certificate is not trusted: {_short(error.verify_message or str(error))}"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {_short(error.reason or str(error))}"
    if isinstance(error, socket.gaierror):
        if error.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)):
            return f"unknown host {host}"
        if error.errno == socket.EAI_AGAIN:
            return f"cannot look up {host} (DNS lookup failed)"
        return f"cannot look up {host}: {error.strerror}"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if error.strerror:
        return f"cannot connect: {error.strerror}"
    return f"cannot connect: {_short(str(error) or type(error).__name__)}"


def _through(proxy: Proxy, request: httpx.Request, error: httpx.TransportError, http: Http) -> Refused | None:
    """A failure to reach or pass ``proxy``, named after it; None when the proxy is not
    to blame (the origin's certificate, seen through the tunnel)."""
    if isinstance(error, httpx.ProxyError):  # the answer to CONNECT, as "407 Proxy Authentication Required"
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        tunnel = _authority(request.url.host, port)
        return Refused(f"the proxy {proxy.name} refused the tunnel to {tunnel}: {_short(str(error))}", request=request)
    cause = _innermost_os_error(error)
    if isinstance(cause, ssl.SSLError):
        return None
    if isinstance(error, httpx.ConnectTimeout):
        return Refused(
            f"timed out connecting through the proxy {proxy.name} (after {http.connect_timeout:g} s)", request=request
        )
    if isinstance(error, httpx.ConnectError):
        reason = connect_reason(cause, proxy.host) if cause is not None else _short(str(error))
        return Refused(f"the proxy {proxy.name}: {reason}", request=request)
    return None


def _refused_by_proxy(proxy: Proxy | None, request: httpx.Request, response: httpx.Response) -> Refused | None:
    """A plain-http request's 407: the proxy's own answer, not the server's."""
    if proxy is None or response.status_code != 407 or request.url.scheme != "http":
        return None
    return Refused(
        f"the proxy {proxy.name} refused the request: 407 {_short(response.reason_phrase)}".rstrip(), request=request
    )


class _AsyncRoutes(httpx.AsyncBaseTransport):
    """Each request straight to its server or through its proxy, each way with its own
    pool of kept-alive connections, made when first needed."""

    def __init__(self, http: Http, limits: httpx.Limits) -> None:
        self.http = http
        self.limits = limits
        self.transports: dict[Proxy | None, httpx.AsyncHTTPTransport] = {}

    def _transport(self, proxy: Proxy | None) -> httpx.AsyncHTTPTransport:
        transport = self.transports.get(proxy)
        if transport is None:
            transport = self.transports[proxy] = httpx.AsyncHTTPTransport(
                verify=tls_context(),
                limits=self.limits,
                trust_env=False,
                proxy=httpx.Proxy(f"http://{proxy.name}", auth=proxy.auth) if proxy else None,
            )
        return transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self.http.route(request)
        if request.url.scheme == "https":
            _load_roots(tls_context())
        try:
            response = await self._transport(proxy).handle_async_request(request)
        except httpx.TransportError as error:
            if proxy is not None and (named := _through(proxy, request, error, self.http)) is not None:
                raise named from None
            raise
        if (refused := _refused_by_proxy(proxy, request, response)) is not None:
            await response.aclose()
            raise refused
        return response

    async def aclose(self) -> None:
        for transport in self.transports.values():
            await transport.aclose()


class _Routes(httpx.BaseTransport):
    """_AsyncRoutes for blocking clients."""

    def __init__(self, http: Http, limits: httpx.Limits) -> None:
        self.http = http
        self.limits = limits
        self.transports: dict[Proxy | None, httpx.HTTPTransport] = {}

    def _transport(self, proxy: Proxy | None) -> httpx.HTTPTransport:
        transport = self.transports.get(proxy)
        if transport is None:
            transport = self.transports[proxy] = httpx.HTTPTransport(
                verify=tls_context(),
                limits=self.limits,
                trust_env=False,
                proxy=httpx.Proxy(f"http://{proxy.name}", auth=proxy.auth) if proxy else None,
            )
        return transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        proxy = self.http.route(request)
        if request.url.scheme == "https":
            _load_roots(tls_context())
        try:
            response = self._transport(proxy).handle_request(request)
        except httpx.TransportError as error:
            if proxy is not None and (named := _through(proxy, request, error, self.http)) is not None:
                raise named from None
            raise
        if (refused := _refused_by_proxy(proxy, request, response)) is not None:
            response.close()
            raise refused
        return response

    def close(self) -> None:
        for transport in self.transports.values():
            transport.close()


def describe_status(response: httpx.Response) -> str:
    """An HTTP error status as a report line: "HTTP 404 Not Found"."""
    return f"HTTP {response.status_code} {_short(response.reason_phrase, 60)}".strip()
