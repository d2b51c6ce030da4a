"""URL checks and canonical forms: one story, one URL, whatever tracking was added."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote_plus, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, never the page itself.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "ref_url",
        "spm",
        "share_token",
        "from_source",
        "isappinstalled",
        "scene",
        "srcid",
    }
)
TRACKING_PREFIXES = ("utm_", "__twitter", "pk_", "hmsr")
DEFAULT_PORTS = {"http": 80, "https": 443}
# An absolute http(s) URL that urljoin (against any base), urlsplit and urlunsplit all
# leave exactly as it is: a lower-case scheme, a plain host (not only dots), no user, no ";" in the path,
# no empty query, no fragment, nothing to strip or escape. Most feed links are like
# this, and skipping the parse and join for them is a tenth of a feed's parse.
# tests/unit/test_text.py checks the claim with generated URLs.
_PLAIN_HTTP_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*)(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>/[A-Za-z0-9._~%!$&'()*+,=:@/-]*)?(?:\?(?P<query>[A-Za-z0-9._~%!$&'()*+,;=:@/?-]+))?"
)


def is_plain_http_url(value: str) -> bool:
    """True when ``value`` is an absolute http(s) URL that joining and splitting leave as is."""
    return _PLAIN_HTTP_URL.fullmatch(value) is not None


def is_http_url(value: str | None) -> bool:
    """True for an absolute http(s) URL with a host."""
    if not value or any(c in value for c in "\r\n\t "):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def without_tracking(url: str, extra: Iterable[str] = ()) -> str:
    """``url`` without its tracking parameters (those ``is_tracking`` knows, and the names
    in ``extra``, where ``name*`` is a prefix). Everything else stays as written: the
    order, case and escapes of the other parameters, and the fragment. This is the link
    readers are given, not a key to compare by: see ``canonical_url`` for that."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    names = [name.lower() for name in extra]

    def tracking(pair: str) -> bool:
        name = unquote_plus(pair.partition("=")[0]).lower()
        return is_tracking(name) or any(
            name.startswith(wanted[:-1]) if wanted.endswith("*") else name == wanted for wanted in names
        )

    pairs = parts.query.split("&")
    kept = [pair for pair in pairs if not tracking(pair)]
    if len(kept) == len(pairs):
        return url
    query = "&".join(pair for pair in kept if pair)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# A query of name=value pairs in characters that parse_qsl's unquoting and urlencode's
# quoting both leave as they are: the pairs can be filtered and sorted as they are written.
_SIMPLE_PAIR = r"[A-Za-z0-9._~-]+=[A-Za-z0-9._~-]*"
_SIMPLE_QUERY = re.compile(f"{_SIMPLE_PAIR}(?:&{_SIMPLE_PAIR})*")


def canonical_url(value: str) -> str:
    """The URL without tracking parameters, fragment, default port or case noise.

    Query parameters that remain are sorted, so the same page always has one form.
    Non-http(s) input is returned stripped but otherwise unchanged.
    """
    value = value.strip()
    plain = _PLAIN_HTTP_URL.fullmatch(value)
    if plain:
        query = plain["query"]
        if not query:
            return _canonical_plain(plain)
        if _SIMPLE_QUERY.fullmatch(query):  # most feed links with a query, tracking or not
            return _canonical_plain(plain) + _canonical_simple_query(query)
    return _canonical_split(value)


def _canonical_split(value: str) -> str:
    """``canonical_url`` of any stripped value, by splitting it: the general path."""
    if not is_http_url(value):
        return value
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query), doseq=True), ""))


def _canonical_plain(plain: re.Match[str]) -> str:
    """``canonical_url`` of a plain URL without a query, put together from its parts."""
    scheme, port = plain["scheme"], plain["port"]
    host = plain["host"].lower().rstrip(".")
    if port is not None and (int(port) == DEFAULT_PORTS[scheme] or int(port) > 65535):
        port = None  # a port out of range is dropped, as urlsplit's reading drops it
    return f"{scheme}://{host}{'' if port is None else f':{int(port)}'}{plain['path'] or '/'}"


def _canonical_simple_query(query: str) -> str:
    """``?`` and the pairs that are not tracking, sorted as _canonical_split sorts them
    (as pairs, not as text); empty when none is left."""
    pairs = sorted(
        (name, value) for name, _, value in (pair.partition("=") for pair in query.split("&")) if not is_tracking(name)
    )
    return "?" + "&".join(f"{name}={value}" for name, value in pairs) if pairs else ""


def absolute_http_url(value: str | None, base: str | None) -> str | None:
    """Resolve ``value`` against ``base``; None unless the result is http(s)."""
    if not value:
        return None
    value = value.strip()
    if is_plain_http_url(value):
        return value
    if base and is_http_url(base):
        value = urljoin(base, value)
    return value if is_http_url(value) else None


def item_link(value: str | None, base: str | None) -> tuple[str | None, str | None]:
    """An item's link made absolute against ``base``, and why it was refused, if it was.

    Refused is only what is unsafe to put before a reader or to request: another scheme
    (javascript:, data:, file:), a user name or password (a reader's browser would send
    it; it leaks someone's login), or no host. A link to loopback, a private network or an
    intranet name is kept: a newsroom fed by a local server or an intranet links there.
    """
    value = (value or "").strip()
    if not value:
        return None, None
    if is_plain_http_url(value):  # most links: no user, a host, an http(s) scheme
        return value, None
    link = absolute_http_url(value, base)
    if link is None:
        try:
            relative = not urlsplit(value).scheme
        except ValueError:
            return None, "not a URL"
        return None, ("relative, with no address to resolve them against" if relative else "not http(s)")
    parts = urlsplit(link)
    if parts.username is not None or parts.password is not None:
        return None, "with a user name or password in them"
    return link, None


def is_loopback(host: str) -> bool:
    """localhost or a loopback address: the only place a password may travel unencrypted."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# RFC 2606 and 6761: names reserved for examples and tests, which no reader can open
# (example.com and its siblings answer, but only with IANA's page about examples).
_RESERVED = ("example", "invalid", "test", "localhost", "example.com", "example.net", "example.org")


def placeholder_host(url: str) -> str | None:
    """The host of a link to a reserved example or test domain, else None."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host in _RESERVED or host.endswith(tuple(f".{name}" for name in _RESERVED)):  # or under one
        return host
    return None
