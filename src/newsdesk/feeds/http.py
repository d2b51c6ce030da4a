"""A lean HTTP/1.1 client for the one request a fetch run makes per feed: a GET, often
conditional, with keep-alive and redirects.

httpx spends about 1.5 ms of CPU on each request (its models, hooks, redirect and auth
flows, and httpcore's pool checks); with 20 answers arriving together that is 30 ms of
waiting on each wave of a warm run. This client speaks HTTP/1.1 with h11 (the protocol
state machine httpx itself is built on) over asyncio streams, and costs about a tenth of
that. It does only what a feed download needs: http and https (certificates checked
against the system's and certifi's roots), connections kept alive per origin and never more
open than the run's concurrency, redirects followed up to a limit, a connect and a read
timeout, hosts under ``.invalid`` refused without a DNS lookup, and an HTTP proxy when
the environment names one (``http_proxy``, ``https_proxy``, ``all_proxy``, ``no_proxy``, as
curl and httpx read them; https goes through a CONNECT tunnel). httpx stays the client for
everything else (articles, link checks, WordPress).

Every failure is a ``FeedHttpError`` whose message is the one line the fetch report shows.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import os
import socket
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Self
from urllib.parse import quote, unquote, urljoin, urlsplit

import h11

from newsdesk.urls import is_loopback

REDIRECTS = (301, 302, 303, 307, 308)
# h11 refuses a response head larger than this (a server sending endless headers).
MAX_HEAD = 64 * 1024
READ_SIZE = 64 * 1024
# RFC 6761: names under .invalid never resolve, so they are refused without asking DNS.
_NEVER_RESOLVES = (".invalid", ".invalid.")
# Characters left as they are when a URL's path and query are written on the request line.
_TARGET_SAFE = "/?&=%:@!$'()*+,;~-._"


class FeedHttpError(Exception):
    """The request failed; the message says why in one line."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Certificates are checked against the system's roots (and SSL_CERT_FILE, as for
    mail) and certifi's, which httpx uses: a feed httpx could read is read here too."""
    import certifi

    context = ssl.create_default_context()
    context.load_verify_locations(cafile=certifi.where())
    return context


@dataclass(frozen=True)
class _Origin:
    scheme: str
    host: str  # as DNS and TLS know it (IDNA for non-ASCII names)
    port: int

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return _authority(self.host, None if self.port == default else self.port)

    @property
    def authority(self) -> str:
        """host:port, as a CONNECT request names it."""
        return _authority(self.host, self.port)


def _authority(host: str, port: int | None) -> str:
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    return host if port is None else f"{host}:{port}"


def _split(url: str) -> tuple[_Origin, str]:
    """The origin and request target of an http(s) URL."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FeedHttpError(f"unsupported URL ({_short(url)})")
        host = (parts.hostname or "").rstrip(".") if parts.hostname != "." else ""
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise FeedHttpError(f"invalid URL ({_short(str(error))})") from None
    if not host:
        raise FeedHttpError(f"invalid URL, no host ({_short(url)})")
    if host.lower() == "invalid" or host.lower().endswith(_NEVER_RESOLVES):
        raise FeedHttpError(f"unknown host {host.lower()}")
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise FeedHttpError(f"invalid host name {_short(host)}") from None
    target = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_TARGET_SAFE)
    return _Origin(scheme, ascii_host.lower(), port), target


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def environment_proxies() -> dict[str, str]:
    """The proxies the environment names, by scheme ("http", "https", "all"), and "no"
    for the hosts that bypass them: ``http_proxy`` and the rest, in either case."""
    # urllib.request takes 6 ms to import, a percent of a warm fetch: only when needed.
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return {}
    import urllib.request

    return urllib.request.getproxies_environment()


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy (spoken to in plain HTTP, as curl's default ``http://`` proxies)."""

    host: str
    port: int
    # Proxy-Authorization, from the URL's user:password: never shown (base64 is no secret).
    authorization: str | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return _authority(self.host, self.port)

    @classmethod
    def from_url(cls, url: str) -> Proxy:
        """The proxy a ``*_proxy`` value names (``http://[user:password@]host[:port]``; a
        bare ``host:port`` is taken as http and a missing port as 1080, as curl takes them).
        Errors name the proxy without its user and password."""
        text = url.strip()
        if "://" not in text:
            text = "http://" + text
        shown = _without_credentials(text)
        try:
            parts = urlsplit(text)
            port = parts.port or 1080
        except ValueError:
            raise FeedHttpError(f"the proxy {shown} is not a valid URL") from None
        if parts.scheme.lower() != "http":
            raise FeedHttpError(f"the proxy {shown} is not supported: only http:// proxies are")
        if not parts.hostname:
            raise FeedHttpError(f"the proxy {shown} names no host")
        authorization = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        return cls(parts.hostname, port, authorization)


def _without_credentials(url: str) -> str:
    """``scheme://host:port`` with whatever came before the last "@" taken out (a password
    may hold "/" or "@" unescaped), for messages."""
    scheme, _, rest = url.partition("://")
    return _short(f"{scheme}://{rest.rpartition('@')[2]}")


class _Connection:
    """One HTTP/1.1 connection: a request at a time, reused while both sides allow.

    ``via`` is the proxy a plain-http connection goes through (requests then name the
    whole URL); a tunnelled https connection has none: past CONNECT it is the origin's."""

    def __init__(
        self, origin: _Origin, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, via: Proxy | None = None
    ) -> None:
        self.origin = origin
        self.reader = reader
        self.writer = writer
        self.via = via
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        self.closed = False

    @property
    def reusable(self) -> bool:
        return (
            self.h11.our_state is h11.IDLE
            and self.h11.their_state is h11.IDLE
            and not self.reader.at_eof()
            and not self.writer.is_closing()
        )

    def close(self) -> None:
        self.writer.close()


@dataclass
class Response:
    """A response whose body has yet to be read (``aiter_raw``, then ``aclose``)."""

    status: int
    reason: str
    headers: dict[str, str]
    url: str
    history: list[int] = field(default_factory=list)  # the redirects' status codes
    _client: FeedClient | None = None
    _connection: _Connection | None = None

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body as it arrives, still in its Content-Encoding."""
        connection, client = self._connection, self._client
        if connection is None or client is None:
            return
        while True:
            event = await client._next_event(connection)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
        client._release(connection)
        self._connection = None

    async def aclose(self) -> None:
        """Done with the response: its connection is kept when the whole message has
        arrived (a 304, an empty redirect), otherwise closed."""
        connection, client = self._connection, self._client
        if connection is None or client is None:
            return
        self._connection = None
        try:
            ended = isinstance(connection.h11.next_event(), h11.EndOfMessage)
        except h11.RemoteProtocolError:
            ended = False
        if ended:
            client._release(connection)
        else:
            client._close(connection)


class FeedClient:
    """GETs for one fetch run; ``aclose()`` (or ``async with``) closes its connections."""

    def __init__(
        self,
        *,
        user_agent: str,
        accept: str,
        connect_timeout: float,
        read_timeout: float,
        max_redirects: int,
        max_connections: int,
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        """``proxies`` as ``environment_proxies()`` gives them; none by default."""
        self.base_headers = [("User-Agent", user_agent), ("Accept", accept)]
        self.proxies = dict(proxies or {})
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_redirects = max_redirects
        self.max_connections = max(1, max_connections)
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._open = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def get(self, url: str, headers: dict[str, str]) -> Response:
        """The response to GET ``url`` after redirects; read its body or ``aclose`` it."""
        history: list[int] = []
        for hop in range(self.max_redirects + 1):
            origin, target = _split(url)
            response = await self._request(origin, target, headers, url)
            location = response.headers.get("location")
            if response.status not in REDIRECTS or not location:
                response.history = history
                return response
            await response.aclose()
            if hop == self.max_redirects:
                break
            history.append(response.status)
            try:
                url = urljoin(url, location.strip())
            except ValueError:
                raise FeedHttpError(f"redirected to an invalid URL ({_short(location)})") from None
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                raise FeedHttpError(f"redirected to an unsupported URL ({_short(url)})")
        raise FeedHttpError(f"too many redirects (more than {self.max_redirects})")

    async def _request(self, origin: _Origin, target: str, headers: dict[str, str], url: str) -> Response:
        while True:
            connection, reused = await self._connection(origin)
            request = self._request_head(connection, target, headers)
            try:
                connection.writer.write(connection.h11.send(request) + connection.h11.send(h11.EndOfMessage()))
                event = await self._next_event(connection)
                while isinstance(event, h11.InformationalResponse):  # 100 Continue and the like
                    event = await self._next_event(connection)
            except _StaleConnection:
                self._close(connection)
                if reused:  # the server closed a kept-alive connection: once more, on a new one
                    continue
                raise FeedHttpError("connection broken: the server closed the connection without answering") from None
            except BaseException:
                self._close(connection)
                raise
            if connection.via is not None and event.status_code == 407:
                self._close(connection)
                raise FeedHttpError(f"the proxy {connection.via.name} refused the request: 407 Proxy Authentication Required")
            return Response(
                status=event.status_code,
                reason=event.reason.decode("latin-1", "replace"),
                headers=_headers(event.headers),
                url=url,
                _client=self,
                _connection=connection,
            )

    def _request_head(self, connection: _Connection, target: str, headers: dict[str, str]) -> h11.Request:
        origin, proxy = connection.origin, connection.via
        fields = [("Host", origin.host_header), *self.base_headers, *headers.items()]
        if proxy is not None:  # a proxy is asked for the whole URL
            target = f"{origin.scheme}://{origin.host_header}{target}"
            if proxy.authorization:
                fields.append(("Proxy-Authorization", proxy.authorization))
        return h11.Request(method="GET", target=target.encode("ascii"), headers=fields)

    def proxy_for(self, origin: _Origin) -> Proxy | None:
        """The proxy to reach ``origin`` through, if any. Loopback hosts never go through
        one (a proxy's localhost is not this machine's), nor hosts ``no_proxy`` names."""
        url = self.proxies.get(origin.scheme) or self.proxies.get("all")
        if not url or is_loopback(origin.host):
            return None
        if self.proxies.get("no"):
            import urllib.request

            if urllib.request.proxy_bypass_environment(origin.host, self.proxies):
                return None
        return Proxy.from_url(url)

    async def _connection(self, origin: _Origin) -> tuple[_Connection, bool]:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.reusable:
                return connection, True
            self._close(connection)
        if self._open >= self.max_connections:
            self._close_one_idle()
        return await self._connect(origin), False

    async def _connect(self, origin: _Origin) -> _Connection:
        proxy = self.proxy_for(origin)
        tls = tls_context() if origin.scheme == "https" else None
        if proxy is None:
            with _connect_errors(origin.host, self.connect_timeout):
                async with asyncio.timeout(self.connect_timeout):
                    reader, writer = await asyncio.open_connection(
                        origin.host, origin.port, ssl=tls, server_hostname=origin.host if tls else None,
                        limit=READ_SIZE,
                    )
            self._open += 1
            return _Connection(origin, reader, writer)
        with _connect_errors(proxy.host, self.connect_timeout, proxy):
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(proxy.host, proxy.port, limit=READ_SIZE)
        self._open += 1
        if tls is None:
            return _Connection(origin, reader, writer, via=proxy)
        connection = _Connection(origin, reader, writer)
        try:
            await self._tunnel(connection, proxy, tls)
        except BaseException:
            self._close(connection)
            raise
        return connection

    async def _tunnel(self, connection: _Connection, proxy: Proxy, tls: ssl.SSLContext) -> None:
        """CONNECT through ``proxy`` to the connection's origin, then TLS with the origin
        itself: the proxy passes bytes it cannot read, and the certificate is the origin's."""
        origin = connection.origin
        authority = origin.authority
        fields = [("Host", authority), *self.base_headers[:1]]
        if proxy.authorization:
            fields.append(("Proxy-Authorization", proxy.authorization))
        request = h11.Request(method="CONNECT", target=authority.encode("ascii"), headers=fields)
        connection.writer.write(connection.h11.send(request) + connection.h11.send(h11.EndOfMessage()))
        try:
            event = await self._next_event(connection)
            while isinstance(event, h11.InformationalResponse):
                event = await self._next_event(connection)
        except _StaleConnection:
            raise FeedHttpError(f"the proxy {proxy.name} closed the connection without answering") from None
        if not 200 <= event.status_code < 300:
            reason = event.reason.decode("latin-1", "replace")
            raise FeedHttpError(f"the proxy {proxy.name} refused the tunnel to {authority}: {event.status_code} {_short(reason)}".rstrip())
        with _connect_errors(origin.host, self.connect_timeout):
            async with asyncio.timeout(self.connect_timeout):
                await connection.writer.start_tls(tls, server_hostname=origin.host)
        connection.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)

    async def _next_event(self, connection: _Connection) -> h11.Event:
        """The next event of the response, reading as needed within the read timeout."""
        while True:
            awaiting_head = connection.h11.their_state is h11.SEND_RESPONSE
            try:
                event = connection.h11.next_event()
            except h11.RemoteProtocolError as error:
                self._close(connection)
                if "too long" in str(error).lower():
                    raise FeedHttpError(f"the server's headers are too large (over {MAX_HEAD // 1024} KB)") from None
                if awaiting_head:
                    raise FeedHttpError("the server's answer is not HTTP") from None
                raise FeedHttpError(f"connection broken: {_short(str(error))}") from None
            if event is not h11.NEED_DATA:
                if isinstance(event, h11.ConnectionClosed):
                    raise _StaleConnection
                return event
            try:
                async with asyncio.timeout(self.read_timeout):
                    data = await connection.reader.read(READ_SIZE)
            except TimeoutError:
                self._close(connection)
                raise FeedHttpError(f"timed out: no data for {self.read_timeout:g} s") from None
            except (OSError, ssl.SSLError) as error:
                self._close(connection)
                if connection.h11.their_state is h11.SEND_RESPONSE:
                    raise _StaleConnection from None
                raise FeedHttpError(f"connection broken: {_short(str(error) or type(error).__name__)}") from None
            if not data and connection.h11.their_state is h11.SEND_RESPONSE:
                raise _StaleConnection  # closed before a byte of the answer
            connection.h11.receive_data(data)

    def _release(self, connection: _Connection) -> None:
        """A response read to its end: keep the connection for the next request if it may."""
        if connection.h11.our_state is h11.DONE and connection.h11.their_state is h11.DONE:
            try:
                connection.h11.start_next_cycle()
            except h11.LocalProtocolError:
                pass
        if connection.reusable:
            self._idle.setdefault(connection.origin, []).append(connection)
        else:
            self._close(connection)

    def _close(self, connection: _Connection) -> None:
        if not connection.closed:
            connection.closed = True
            connection.close()
            self._open -= 1

    def _close_one_idle(self) -> None:
        for connections in self._idle.values():
            if connections:
                self._close(connections.pop(0))
                return


class _StaleConnection(Exception):
    """The server closed the connection before answering."""


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names in lower case; a repeated header's values joined with commas."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


@contextlib.contextmanager
def _connect_errors(host: str, timeout: float, proxy: Proxy | None = None) -> Iterator[None]:
    """A failure to connect (or to start TLS) as the one line the report shows."""
    where = f" to the proxy {proxy.name}" if proxy else ""
    try:
        yield
    except TimeoutError:
        raise FeedHttpError(f"timed out connecting{where} (after {timeout:g} s)") from None
    except OSError as error:  # TLS failures included
        reason = connect_reason(error, host)
        raise FeedHttpError(f"the proxy {proxy.name}: {reason}" if proxy else reason) from None
    except UnicodeError:  # the resolver's IDNA step: a label no DNS name can have
        raise FeedHttpError(f"unknown host {host}") from None


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
