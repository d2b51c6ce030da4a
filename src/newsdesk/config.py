"""The newsroom's settings: one typed model of sources.toml, defaults in one place.

Every field is documented here; the README's sources.toml reference is written from
these docstrings. Loading validates everything and raises ``ConfigError`` with one line
naming the file, the line and key, and the problem.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import ipaddress
import re
import tomllib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsdesk.errors import ConfigError
from newsdesk.files import read_text
from newsdesk.urls import is_http_url, is_loopback, without_tracking

# The email's themes (newsdesk.output.theme makes them) and the form of a colour.
EMAIL_THEMES = ("serif", "sans")
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def doc(text: str, default: Any = dataclasses.MISSING) -> Any:
    """A dataclass field carrying its documentation (the README reference follows these)."""
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class NewsroomSettings:
    """``[newsroom]``: who publishes, and when."""

    name: str = doc("The newsletter's name, used in titles and intros.", "Weekly News Summary")
    sender_name: str = doc("The From name of the email.", "")
    sender_email: str = doc("The From address of the email.", "")
    reply_to: str = doc("The Reply-To address of the email (defaults to sender_email).", "")
    blog_url: str = doc("The blog's public URL; archive links and the Atom feed point here.", "")
    developments: int = doc("How many developments each issue carries.", 3)
    sample: bool = doc(
        "A sample newsroom whose outlets are fictional: read-more links at names reserved for examples "
        "(.example, .test) are check warnings, not errors, so the sample can be sent and published.",
        False,
    )
    week_start: str = doc("The first day of the week an issue covers.", "monday")
    publication_day: str = doc("The weekday issues are published on.", "monday")
    timezone: str = doc("The newsroom's timezone (IANA name); weeks are counted in it.", "UTC")
    project: str = doc("The project behind the newsletter, shown in the footer.", "")
    copyright: str = doc("The copyright line of the footer.", "")
    postal_address: str = doc(
        "The sender's postal address, in the email's footer (CAN-SPAM requires one; `newsdesk check` warns without it).",
        "",
    )
    read_more_label: str = doc(
        "The text of each read-more link; `{source}` becomes the story's source (its feed's name, or the link's host).",
        "Read more at {source}",
    )
    theme: str = doc(
        'The email\'s theme: "serif" (Georgia, the default) or "sans" (system sans faces, headings in the brand colour).',
        "serif",
    )
    brand_colour: str = doc(
        "The email's accent as #rrggbb: links, the masthead's name and the sans theme's headings follow it, "
        "each darkened or lightened as far as it takes to stay readable (4.5:1) in light and dark mode.",
        "#9b1c1c",
    )
    first_issue_number: int = doc(
        "The number of the first issue in issues/ (the email's masthead numbers each issue from it), "
        "for a newsletter that went out before newsdesk.",
        1,
    )
    logo_url: str = doc(
        "An http(s) URL of the newsletter's logo, shown before its name in the email's masthead (alt text: the name).",
        "",
    )
    manage_url: str = doc(
        "The page where a subscriber changes their address or settings, linked in the email's footer beside "
        "Unsubscribe; `{email}` is replaced by the subscriber's address. None: no such link.",
        "",
    )
    unsubscribe_url: str = doc("Unsubscribe page; `{email}` is replaced by the subscriber's address.", "")
    language: str = doc("The newsletter's language (BCP 47), for the HTML lang attribute.", "en")
    favicon_url: str = doc(
        "The blog's icon: an http(s) URL, or a path from the blog's root (`favicon.png`, a file put in the site folder).",
        "",
    )
    signup_url: str = doc(
        "The subscriber service's sign-up address: every page of the blog carries a form posting "
        "`email`, `name` and `website` (a honeypot) to it.",
        "",
    )
    subscribers: str = doc(
        "The subscribers file (CSV: email,name,status,date), relative to the newsroom.", "subscribers.csv"
    )
    list_id: str = doc("The List-Id header's id, like `weekly.example.org` (default: from sender_email).", "")
    bounce_address: str = doc(
        "The envelope sender (Return-Path) that bounces go to, e.g. `bounces@news.example.org`: each "
        "message's is `bounces+TOKEN@…` (VERP), the token signed with $NEWSDESK_SECRET and naming the "
        "subscriber. Empty: the sender's address.",
        "",
    )
    unsubscribe_mailto: str = doc("An address that unsubscribes whoever writes to it, offered in List-Unsubscribe.", "")
    clean_links: bool = doc(
        "Take tracking parameters (utm_*, fbclid, gclid, mc_eid and the like) out of an item's "
        "link when it is picked as a read-more link.",
        True,
    )
    tracking_params: tuple[str, ...] = doc(
        'More query parameters to take out when clean_links is on; "name*" matches a prefix.', ()
    )

    def read_more_link(self, url: str) -> str:
        """A picked item's link as the issue gives it to readers."""
        return without_tracking(url, self.tracking_params) if self.clean_links else url

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def week_start_index(self) -> int:
        return WEEKDAYS.index(self.week_start)

    @property
    def publication_index(self) -> int:
        return WEEKDAYS.index(self.publication_day)


@dataclass(frozen=True)
class FetchSettings:
    """``[fetch]``: how feeds are fetched. The defaults bound every run in time and memory."""

    concurrency: int = doc("Feeds fetched at once.", 16)
    connect_timeout: float = doc("Seconds to wait for a connection.", 10.0)
    read_timeout: float = doc("Seconds to wait for each chunk of a response.", 20.0)
    feed_deadline: float = doc("Seconds one feed may take in all, however it dribbles.", 45.0)
    run_deadline: float = doc("Seconds a whole fetch run may take.", 300.0)
    max_bytes: int = doc("Largest decoded feed body, in bytes; larger feeds fail.", 10_000_000)
    max_redirects: int = doc("Redirects followed per feed.", 5)
    user_agent: str = doc("The User-Agent header sent to feeds.", "newsdesk/0.1 (+feed reader)")


@dataclass(frozen=True)
class WebSettings:
    """``[web]``: `newsdesk serve`, the newsroom's small web service (sign-up, confirmation,
    unsubscribe). Its signing secret comes only from the environment (NEWSDESK_SECRET)."""

    public_url: str = doc(
        "The service's public address (https://news.example.org): the emails' unsubscribe links and the "
        "confirmation links point here. Unset, the emails keep `unsubscribe_url`.",
        "",
    )
    host: str = doc("The address `newsdesk serve` listens on (behind a web server: loopback).", "127.0.0.1")
    port: int = doc("The port `newsdesk serve` listens on.", 8080)
    confirm_hours: float = doc("Hours a confirmation link stays valid.", 48.0)
    signups_per_hour: int = doc("Sign-ups one IP address may post per hour; more get 429.", 10)
    trusted_proxy: bool = doc(
        "Take the client's address from X-Forwarded-For (set it when nginx or Caddy is in front).", False
    )


@dataclass(frozen=True)
class DkimSettings:
    """``[dkim]``: the DKIM signatures every message carries (RSA and Ed25519 together, as
    RFC 8463 advises, when both keys are given). Each key's public half is published as a TXT
    record at ``<selector>._domainkey.<domain>``."""

    domain: str = doc("The signing domain (d=); empty: the domain of sender_email, which DMARC aligns with.", "")
    rsa_selector: str = doc("The selector of the RSA key (s=), e.g. `news2026`.", "")
    rsa_key: str = doc("The RSA private key (PEM), relative to the newsroom; keep it out of git.", "")
    ed25519_selector: str = doc("The selector of the Ed25519 key, e.g. `news2026ed`.", "")
    ed25519_key: str = doc("The Ed25519 private key (base64 of its 32-byte seed, as dknewkey writes it).", "")

    @property
    def enabled(self) -> bool:
        return bool(self.rsa_key or self.ed25519_key)


@dataclass(frozen=True)
class BounceSettings:
    """``[bounces]``: the mailbox `newsdesk bounces` reads over IMAP (delivery status
    notifications and feedback-loop reports); the password only from the environment."""

    host: str = doc("The IMAP server's host name.", "localhost")
    port: int = doc("Its port: 993 for tls, 143 for starttls or none.", 993)
    security: str = doc('"tls" (port 993), "starttls" or "none" (a local test server).', "tls")
    user: str = doc("The mailbox's login name.", "")
    password_env: str = doc("The environment variable that holds the IMAP password.", "NEWSDESK_IMAP_PASSWORD")
    mailbox: str = doc("The folder bounces and complaints arrive in.", "INBOX")
    soft_limit: int = doc("Soft bounces (4.x.x) after which an address is suppressed as bounced.", 3)
    timeout: float = doc("Seconds to wait for the IMAP server at each step.", 30.0)


@dataclass(frozen=True)
class DoctorSettings:
    """``[doctor]``: how `newsdesk doctor` looks the newsroom's mail up in DNS and where mail
    leaves from."""

    nameserver: str = doc(
        'The DNS server to ask, as "IP" or "IP:PORT" ("[IPv6]:PORT"); empty: the system\'s resolver.', ""
    )
    sending_ips: tuple[str, ...] = doc(
        "The addresses mail leaves from, which SPF must authorise (a relay's outgoing addresses); "
        "empty: the addresses of [smtp] host.",
        (),
    )
    timeout: float = doc("Seconds to wait for each DNS, SMTP or HTTP answer.", 5.0)

    @property
    def server(self) -> tuple[str, int] | None:
        """The nameserver as (address, port), or None for the system's resolver."""
        if not self.nameserver:
            return None
        return split_host_port(self.nameserver, 53)


def split_host_port(text: str, default_port: int) -> tuple[str, int]:
    """ "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" as (ip, port); ValueError otherwise."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?|([0-9.]+)(?::(\d+))?|([0-9A-Fa-f:]+)", text.strip())
    if not match:
        raise ValueError(text)
    host = match.group(1) or match.group(3) or match.group(5)
    port = int(match.group(2) or match.group(4) or default_port)
    ipaddress.ip_address(host)
    if not 0 < port < 65536:
        raise ValueError(text)
    return host, port


TONES = ("none", "marks", "numbers")
CAPITALIZE = ("first", "words", "none")


@dataclass(frozen=True)
class RomanizationSettings:
    """``[romanization]``: how Chinese is written in Latin letters (`newsdesk romanize`, the
    desk's romanize key, the templates' `pinyin` and `romanized` filters)."""

    tones: str = doc('"none" (shehui xinyong), "marks" (shèhuì xìnyòng) or "numbers" (she4hui4 xin4yong4).', "none")
    join_words: bool = doc(
        "Write each word's syllables together (shehui xinyong); false for one syllable apiece (she hui xin yong).",
        True,
    )
    capitalize: str = doc(
        '"first" (Shanghaishi shehui xinyong), "words" (Shanghaishi Shehui Xinyong) or "none".', "first"
    )
    format: str = doc(
        "How a term and its romanization are written together: `{hanzi}` is the Chinese, `{pinyin}` the romanization.",
        "{hanzi} {pinyin}",
    )


@dataclass(frozen=True)
class TranslationSettings:
    """``[translation]``: an optional English draft of a Chinese title and lead paragraph,
    from a translation engine of the editor's own. Nothing is downloaded; without `url` the
    feature is absent."""

    url: str = doc(
        "An OpenAI-compatible API's base address (a llama.cpp server, Ollama or vLLM), e.g. "
        "`http://127.0.0.1:8080/v1`; its `/chat/completions` is asked. Empty: no drafts.",
        "",
    )
    model: str = doc("The model name the server is asked for (llama.cpp's server takes any).", "")
    api_key_env: str = doc("The environment variable holding an API key, if the server wants one.", "")
    timeout: float = doc("Seconds the engine may take for one draft; past that the desk says so.", 60.0)
    max_characters: int = doc("Of the lead paragraph, the most sent with the title.", 1500)

    @property
    def enabled(self) -> bool:
        return bool(self.url)


SMTP_SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class SmtpSettings:
    """``[smtp]``: the server that delivers the email. The password is never kept here."""

    host: str = doc("The SMTP server's host name.", "localhost")
    port: int = doc("Its port: 587 for starttls, 465 for tls, 25 or a test port for none.", 587)
    security: str = doc(
        '"starttls" (upgrade after connecting), "tls" (TLS from the start) or "none" (loopback only).',
        "starttls",
    )
    user: str = doc("The login name; empty to send without authentication.", "")
    password_env: str = doc("The environment variable that holds the password.", "NEWSDESK_SMTP_PASSWORD")
    rate: float = doc("Messages per second at most; 0 for no limit.", 10.0)
    timeout: float = doc("Seconds to wait for the server at each step.", 30.0)
    retries: int = doc("Retries per recipient after a transient failure (4xx, dropped connection).", 4)
    backoff: float = doc("Seconds before the first retry after a dropped connection; doubled for each one after.", 2.0)
    defer: float = doc(
        "Seconds before a recipient the server deferred (4xx, greylisting) is tried again, while the "
        "others are sent; doubled for each deferral after.",
        60.0,
    )
    connections: int = doc("SMTP connections (sessions) at once.", 1)


DELIVERY_PROVIDERS = ("smtp", "ses", "postmark")


@dataclass(frozen=True)
class DeliverySettings:
    """``[delivery]``: who delivers the email: the SMTP server of ``[smtp]``, Amazon SES (its API v2,
    the same signed MIME message) or Postmark (its HTTP API). Credentials come only from the
    environment: boto3's usual chain for SES (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE,
    an instance role), POSTMARK_SERVER_TOKEN for Postmark. ``[smtp]`` retries, backoff, defer
    and connections pace every provider, and ``[smtp] rate`` too unless ``[delivery] rate`` is set."""

    provider: str = doc('"smtp" (the default), "ses" or "postmark".', "smtp")
    region: str = doc("SES: the AWS region (e.g. eu-west-1); empty: boto3's (AWS_REGION, AWS_DEFAULT_REGION).", "")
    endpoint_url: str = doc(
        "The provider's API address, to reach an SES-compatible service or a test server; "
        "empty: the provider's own (SES's regional endpoint, https://api.postmarkapp.com).",
        "",
    )
    configuration_set: str = doc("SES: the configuration set each message names (its events go to SNS).", "")
    message_stream: str = doc("Postmark: the message stream (a newsletter belongs in a broadcast stream).", "broadcast")
    transactional_stream: str = doc(
        "Postmark: the stream of `newsdesk serve`'s confirmation emails (a transactional stream).", "outbound"
    )
    timeout: float = doc("Seconds to wait for the provider's API at each step.", 30.0)
    dkim_selector: str = doc(
        "Postmark: the DKIM selector Postmark gave the From domain (its DNS settings, like "
        "20240101123456pm); `newsdesk doctor` checks that record. Empty: not checked.",
        "",
    )
    rate: float | None = doc(
        "Messages per second at most through SES or Postmark (0: no limit); unset: [smtp] rate. "
        "SES: your account's maximum send rate; the SMTP server ignores it.",
        None,
    )
    sns_topics: tuple[str, ...] = doc(
        "SES webhook: the ARNs of the SNS topics whose notifications `newsdesk serve` accepts at "
        "/webhooks/ses (a signed message of another topic is refused). Empty: the endpoint is off.",
        (),
    )
    sns_certificate_hosts: tuple[str, ...] = doc(
        "SES webhook: the hosts the SNS signing certificate may be fetched from (https only), as "
        "patterns where * is one DNS label.",
        ("sns.*.amazonaws.com", "sns.*.amazonaws.com.cn"),
    )
    postmark_webhook_user: str = doc(
        "Postmark webhook: the basic-auth user of /webhooks/postmark (its password in "
        "$NEWSDESK_POSTMARK_WEBHOOK_PASSWORD). Empty: the endpoint is off.",
        "",
    )


@dataclass(frozen=True)
class Source:
    """``[[sources]]``: one feed the editor follows."""

    name: str = doc("A unique name, shown in lists and reports.")
    url: str = doc("http(s) URL, file:// URL or a path relative to the newsroom.")
    tags: tuple[str, ...] = doc("Tags to filter candidates by.", ())
    weight: float = doc("How much this source counts when ranking (1.0 is neutral).", 1.0)
    enabled: bool = doc("Set to false to stop fetching it without deleting it.", True)


@dataclass(frozen=True)
class Topic:
    """``[[topics]]``: what the newsletter covers, to rank candidates by (`candidates --explain`)."""

    name: str = doc("A unique name, shown when explaining a score.")
    terms: tuple[str, ...] = doc(
        'Words and phrases in any language, matched in titles and summaries (e.g. ["social credit", "信用"]).'
    )
    weight: float = doc("Points for an item matching the topic, doubled in its title (negative to push down).", 1.0)


BLOG_KINDS = ("static", "wordpress")
WORDPRESS_STATUSES = ("publish", "draft")


@dataclass(frozen=True)
class Blog:
    """``[[blogs]]``: one place `newsdesk publish` puts each issue. None configured: a
    static site in ``site/``."""

    name: str = doc("A unique name, for `newsdesk publish --target NAME`.")
    kind: str = doc('"static" (a folder of HTML, no server needed) or "wordpress" (its REST API).', "static")
    path: str = doc("static: the site's folder, relative to the newsroom.", "site")
    url: str = doc("wordpress: the site's address, e.g. https://blog.example.org.", "")
    user: str = doc("wordpress: the user that owns the application password.", "")
    password_env: str = doc(
        "wordpress: the environment variable holding the application password (never the password itself).",
        "NEWSDESK_WORDPRESS_PASSWORD",
    )
    status: str = doc('wordpress: "publish" (public at once) or "draft" (for a last look in WordPress).', "publish")
    categories: tuple[str, ...] = doc("wordpress: category names, created when missing.", ())
    tags: tuple[str, ...] = doc("wordpress: tag names, created when missing.", ())


DEFAULT_BLOG = Blog(name="site", kind="static", path="site")


@dataclass(frozen=True)
class Config:
    """The whole of sources.toml."""

    newsroom: NewsroomSettings = field(default_factory=NewsroomSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    sources: tuple[Source, ...] = ()
    blogs: tuple[Blog, ...] = ()
    topics: tuple[Topic, ...] = ()
    romanization: RomanizationSettings = field(default_factory=RomanizationSettings)
    translation: TranslationSettings = field(default_factory=TranslationSettings)
    web: WebSettings = field(default_factory=WebSettings)
    dkim: DkimSettings = field(default_factory=DkimSettings)
    bounces: BounceSettings = field(default_factory=BounceSettings)
    doctor: DoctorSettings = field(default_factory=DoctorSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    path: Path | None = None

    @property
    def enabled_sources(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]

    def source(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.name == name), None)

    @property
    def blog_targets(self) -> tuple[Blog, ...]:
        """Where `newsdesk publish` goes: the [[blogs]], or else a static site in site/."""
        return self.blogs or (DEFAULT_BLOG,)


_TABLES: dict[str, type] = {
    "newsroom": NewsroomSettings,
    "fetch": FetchSettings,
    "smtp": SmtpSettings,
    "romanization": RomanizationSettings,
    "translation": TranslationSettings,
    "web": WebSettings,
    "dkim": DkimSettings,
    "bounces": BounceSettings,
    "doctor": DoctorSettings,
    "delivery": DeliverySettings,
}
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*=")


class _Locator:
    """Finds the line of a key in the TOML text, for error messages."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, int, str | None], int] = {}
        table, index = "", 0
        counts: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if match := _HEADER.match(line):
                table = match.group(2).strip()
                if match.group(1) == "[[":
                    index = counts.get(table, 0)
                    counts[table] = index + 1
                else:
                    index = 0
                self.lines.setdefault((table, index, None), number)
            elif match := _KEY.match(line):
                key = match.group(1).strip("\"'")
                self.lines.setdefault((table, index, key), number)

    def line(self, table: str, index: int = 0, key: str | None = None) -> int | None:
        return self.lines.get((table, index, key)) or self.lines.get((table, index, None))


def _type_name(kind: Any) -> str:
    if typing.get_origin(kind) is tuple:
        return "a list of strings"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(kind, str(kind))


def _check_type(value: Any, kind: Any) -> Any:
    """Return the value converted to ``kind``, or raise TypeError."""
    if typing.get_origin(kind) in (types.UnionType, typing.Union):
        kind = next(k for k in typing.get_args(kind) if k is not type(None))
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind is str:
        if isinstance(value, str):
            return value
    elif typing.get_origin(kind) is tuple:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
    raise TypeError(_type_name(kind))


@functools.cache
def _fields_of(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A config class's field types and settable names (worked out once: a newsroom
    with hundreds of sources would otherwise pay for get_type_hints on each)."""
    return typing.get_type_hints(cls), frozenset(f.name for f in dataclasses.fields(cls) if f.init)


def _build(cls: type, data: dict[str, Any], where: str, fail: Any) -> Any:
    hints, names = _fields_of(cls)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            if close := difflib.get_close_matches(key, names, n=1):
                fail(key, f"unknown key {key!r} in {where}: did you mean {close[0]!r}?")
            known = ", ".join(sorted(names))
            fail(key, f"unknown key {key!r} in {where} (known keys: {known})")
        try:
            values[key] = _check_type(value, hints[key])
        except TypeError as wanted:
            fail(key, f"{where}: {key} must be {wanted}, not {value!r}")
    for f in dataclasses.fields(cls):
        if (
            f.name in names
            and f.name not in values
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ):
            fail(None, f"{where} is missing the required key {f.name!r}")
    return cls(**values)


def parse_config(text: str, path: Path) -> Config:
    """Parse and validate the text of a sources.toml."""
    label = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{label}: invalid TOML: {error}") from None
    locator = _Locator(text)

    def failer(table: str, index: int = 0):
        def fail(key: str | None, problem: str) -> typing.NoReturn:
            line = locator.line(table, index, key)
            at = f"{label}:{line}" if line else label
            raise ConfigError(f"{at}: {problem}")

        return fail

    for key in data:
        if key not in (*_TABLES, "sources", "blogs", "topics"):
            known = ", ".join((*_TABLES, "sources", "blogs", "topics"))
            failer("", 0)(key, f"unknown key or table {key!r} (known: {known})")

    sections: dict[str, Any] = {}
    for table, cls in _TABLES.items():
        value = data.get(table, {})
        if not isinstance(value, dict):
            failer("", 0)(table, f"{table} must be a table ([{table}])")
        sections[table] = _build(cls, value, table, failer(table))

    settings: NewsroomSettings = sections["newsroom"]
    fail = failer("newsroom")
    for key in ("week_start", "publication_day"):
        if getattr(settings, key) not in WEEKDAYS:
            fail(key, f"newsroom.{key} must be a weekday name like 'monday', not {getattr(settings, key)!r}")
    if settings.developments < 1:
        fail("developments", "newsroom.developments must be at least 1")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fail("timezone", f"newsroom.timezone {settings.timezone!r} is not a known IANA timezone")
    if settings.theme not in EMAIL_THEMES:
        fail("theme", f"newsroom.theme must be one of {', '.join(EMAIL_THEMES)}, not {settings.theme!r}")
    if not HEX_COLOUR.fullmatch(settings.brand_colour):
        fail("brand_colour", f"newsroom.brand_colour must be a colour like '#9b1c1c', not {settings.brand_colour!r}")
    if settings.first_issue_number < 0:
        fail("first_issue_number", "newsroom.first_issue_number must not be negative")
    if settings.manage_url and not is_http_url(settings.manage_url.replace("{email}", "x")):
        fail("manage_url", f"newsroom.manage_url must be an http(s) URL, not {settings.manage_url!r}")
    if settings.logo_url and not is_http_url(settings.logo_url):
        fail("logo_url", f"newsroom.logo_url must be an http(s) URL, not {settings.logo_url!r}")
    for name in settings.tracking_params:
        if not re.fullmatch(r"[^\s=&#*]+\*?", name):
            fail(
                "tracking_params",
                f"newsroom.tracking_params: {name!r} is not a query parameter name (a name, or a prefix ending in *)",
            )

    if settings.signup_url and not re.match(r"^https?://[^/\s]+\S*$", settings.signup_url):
        fail("signup_url", f"newsroom.signup_url must be an http(s) address, not {settings.signup_url!r}")
    if settings.favicon_url.startswith("//"):
        fail(
            "favicon_url",
            f"newsroom.favicon_url {settings.favicon_url!r} is protocol-relative (another site's address): "
            "write it as https://… or as a path in the site like favicon.png",
        )
    if settings.favicon_url and not _is_favicon(settings.favicon_url):
        fail(
            "favicon_url",
            f"newsroom.favicon_url must be an http(s) address or a path in the site, not {settings.favicon_url!r}",
        )
    for key in ("favicon_url", "signup_url", "logo_url"):
        if _has_credentials(getattr(settings, key)):
            fail(
                key,
                f"newsroom.{key} holds a user name or password (before '@'), which every page and email "
                "would show: give the address without it",
            )

    fetch: FetchSettings = sections["fetch"]
    for f in dataclasses.fields(FetchSettings):
        value = getattr(fetch, f.name)
        if isinstance(value, (int, float)) and value <= 0:
            failer("fetch")(f.name, f"fetch.{f.name} must be greater than 0")

    _check_smtp(sections["smtp"], failer("smtp"))
    _check_romanization(sections["romanization"], failer("romanization"))
    _check_translation(sections["translation"], failer("translation"))
    _check_web(sections["web"], failer("web"))
    _check_dkim(sections["dkim"], failer("dkim"))
    _check_bounces(sections["bounces"], failer("bounces"))
    _check_doctor(sections["doctor"], failer("doctor"))
    _check_delivery(sections["delivery"], failer("delivery"))

    sources: list[Source] = []
    for _raw, source, where, fail in _named_tables(data.get("sources", []), "sources", "source", Source, failer):
        if not source.url.strip():
            fail("url", f"{where}: url must not be empty")
        scheme = source.url.split(":", 1)[0].lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source.url) else ""
        if scheme and scheme not in ("http", "https", "file"):
            fail("url", f"{where}: url must be http(s), file:// or a path, not {scheme}://")
        sources.append(source)
    blogs = _parse_blogs(data.get("blogs", []), failer)
    topics = _parse_topics(data.get("topics", []), failer)
    return Config(
        newsroom=settings,
        fetch=fetch,
        smtp=sections["smtp"],
        sources=tuple(sources),
        blogs=blogs,
        topics=topics,
        romanization=sections["romanization"],
        translation=sections["translation"],
        web=sections["web"],
        dkim=sections["dkim"],
        bounces=sections["bounces"],
        doctor=sections["doctor"],
        delivery=sections["delivery"],
        path=path,
    )


def _has_credentials(value: str) -> bool:
    """An http(s) URL with a user (and maybe a password) before its host."""
    if not re.match(r"^https?://", value, re.IGNORECASE):
        return False
    return "@" in value.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]


def _is_favicon(value: str) -> bool:
    """An http(s) URL, or a plain path from the blog's root (no scheme, spaces or "..")."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
        return bool(re.match(r"^https?://[^/\s]+\S*$", value))
    return bool(value.strip("/")) and not re.search(r"[\s\\]", value) and ".." not in value.split("/")


def _named_tables(
    raw_tables: Any, table: str, noun: str, cls: type, failer: Any, *, before: Any = None
) -> Iterator[tuple[dict[str, Any], Any, str, Any]]:
    """Each ``[[table]]`` built as ``cls``, its name present and unique (case-insensitively).

    Yields the raw table, the built object, how errors name it, and its ``fail``.
    ``before(raw, where, fail)`` checks the raw table before it is built.
    """
    if not isinstance(raw_tables, list):
        failer("", 0)(table, f"{table} must be an array of tables ([[{table}]])")
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_tables):
        fail = failer(table, index)
        named = isinstance(raw, dict) and isinstance(raw.get("name"), str)
        where = f"{noun} {raw['name']!r}" if named else f"{table}[{index + 1}]"
        if not isinstance(raw, dict):
            fail(None, f"{where} must be a table ([[{table}]] with keys), not {raw!r}")
        if before is not None:
            before(raw, where, fail)
        built = _build(cls, raw, where, fail)
        if not built.name.strip():
            fail("name", f"{where}: name must not be empty")
        folded = built.name.casefold()
        if folded in seen:
            fail("name", f"duplicate {noun} name {built.name!r} (also {table}[{seen[folded] + 1}])")
        seen[folded] = index
        yield raw, built, where, fail


def _check_smtp(smtp: SmtpSettings, fail: Any) -> None:
    if smtp.security not in SMTP_SECURITY:
        fail("security", f"smtp.security must be one of {', '.join(SMTP_SECURITY)}, not {smtp.security!r}")
    if not 0 < smtp.port < 65536:
        fail("port", f"smtp.port must be between 1 and 65535, not {smtp.port}")
    if smtp.timeout <= 0:
        fail("timeout", "smtp.timeout must be greater than 0")
    for key in ("rate", "retries", "backoff", "defer"):
        if getattr(smtp, key) < 0:
            fail(key, f"smtp.{key} must not be negative")
    if not 1 <= smtp.connections <= 64:
        fail("connections", f"smtp.connections must be between 1 and 64, not {smtp.connections}")
    if smtp.user and not smtp.password_env.strip():
        fail("password_env", "smtp.password_env must name an environment variable when smtp.user is set")


def _check_web(web: WebSettings, fail: Any) -> None:
    if web.public_url and not re.match(r"^https?://[^/\s]+\S*$", web.public_url):
        fail("public_url", f"web.public_url must be an http(s) address, not {web.public_url!r}")
    if not 0 < web.port < 65536:
        fail("port", f"web.port must be between 1 and 65535, not {web.port}")
    if web.confirm_hours <= 0:
        fail("confirm_hours", "web.confirm_hours must be greater than 0")
    if web.signups_per_hour < 1:
        fail("signups_per_hour", "web.signups_per_hour must be at least 1")


def _check_dkim(dkim: DkimSettings, fail: Any) -> None:
    for kind in ("rsa", "ed25519"):
        selector, key = getattr(dkim, f"{kind}_selector"), getattr(dkim, f"{kind}_key")
        if bool(selector) != bool(key):
            missing, given = (f"{kind}_key", f"{kind}_selector") if selector else (f"{kind}_selector", f"{kind}_key")
            fail(given, f"dkim.{missing} must be set with dkim.{given}")
        if selector and not re.match(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*$", selector):
            fail(f"{kind}_selector", f"dkim.{kind}_selector must be a DNS label like news2026, not {selector!r}")
    if dkim.domain and not re.match(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$", dkim.domain):
        fail("domain", f"dkim.domain must be a domain like news.example.org, not {dkim.domain!r}")


def _check_bounces(bounces: BounceSettings, fail: Any) -> None:
    if bounces.security not in SMTP_SECURITY:
        fail("security", f"bounces.security must be one of {', '.join(SMTP_SECURITY)}, not {bounces.security!r}")
    if not 0 < bounces.port < 65536:
        fail("port", f"bounces.port must be between 1 and 65535, not {bounces.port}")
    if bounces.soft_limit < 1:
        fail("soft_limit", "bounces.soft_limit must be at least 1")
    if bounces.timeout <= 0:
        fail("timeout", "bounces.timeout must be greater than 0")


def _check_doctor(doctor: DoctorSettings, fail: Any) -> None:
    if doctor.nameserver:
        try:
            split_host_port(doctor.nameserver, 53)
        except ValueError:
            fail(
                "nameserver",
                f'doctor.nameserver must be an IP address with an optional port like "127.0.0.1:5353", '
                f"not {doctor.nameserver!r}",
            )
    for address in doctor.sending_ips:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            fail("sending_ips", f"doctor.sending_ips: {address!r} is not an IP address")
    if doctor.timeout <= 0:
        fail("timeout", "doctor.timeout must be greater than 0")


def _check_delivery(delivery: DeliverySettings, fail: Any) -> None:
    if delivery.provider not in DELIVERY_PROVIDERS:
        fail(
            "provider",
            f"delivery.provider must be one of {', '.join(DELIVERY_PROVIDERS)}, not {delivery.provider!r}",
        )
    if delivery.endpoint_url and not re.match(r"^https?://[^/\s]+\S*$", delivery.endpoint_url):
        fail("endpoint_url", f"delivery.endpoint_url must be an http(s) address, not {delivery.endpoint_url!r}")
    if delivery.endpoint_url.lower().startswith("http://") and not is_loopback(
        urlsplit(delivery.endpoint_url).hostname or ""
    ):
        fail(
            "endpoint_url",
            "delivery.endpoint_url must be https:// (the credentials would travel unencrypted); "
            "plain http:// is allowed on loopback only",
        )
    if delivery.region and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", delivery.region):
        fail("region", f"delivery.region must be an AWS region like eu-west-1, not {delivery.region!r}")
    if delivery.timeout <= 0:
        fail("timeout", "delivery.timeout must be greater than 0")
    if delivery.rate is not None and delivery.rate < 0:
        fail("rate", "delivery.rate must not be negative")
    if delivery.dkim_selector and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", delivery.dkim_selector):
        fail(
            "dkim_selector",
            f"delivery.dkim_selector must be a DNS label like 20240101123456pm, not {delivery.dkim_selector!r}",
        )
    for key in ("message_stream", "transactional_stream"):
        if not getattr(delivery, key).strip():
            fail(key, f"delivery.{key} must name a Postmark message stream")
    for arn in delivery.sns_topics:
        if not re.fullmatch(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+", arn):
            fail(
                "sns_topics", f"delivery.sns_topics: {arn!r} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
            )
    for pattern in delivery.sns_certificate_hosts:
        if not re.fullmatch(r"[A-Za-z0-9*-]+(\.[A-Za-z0-9*-]+)*", pattern):
            fail("sns_certificate_hosts", f"delivery.sns_certificate_hosts: {pattern!r} is not a host pattern")


def _check_translation(settings: TranslationSettings, fail: Any) -> None:
    if settings.url and not re.match(r"^https?://[^/\s]+", settings.url):
        fail("url", f"translation.url must be the engine's http(s) address, not {settings.url!r}")
    if settings.timeout <= 0:
        fail("timeout", "translation.timeout must be greater than 0")
    if settings.max_characters < 1:
        fail("max_characters", "translation.max_characters must be at least 1")
    if settings.api_key_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", settings.api_key_env):
        fail("api_key_env", f"translation.api_key_env must name an environment variable, not {settings.api_key_env!r}")


def _check_romanization(settings: RomanizationSettings, fail: Any) -> None:
    if settings.tones not in TONES:
        fail("tones", f"romanization.tones must be one of {', '.join(TONES)}, not {settings.tones!r}")
    if settings.capitalize not in CAPITALIZE:
        fail(
            "capitalize",
            f"romanization.capitalize must be one of {', '.join(CAPITALIZE)}, not {settings.capitalize!r}",
        )
    try:
        settings.format.format(hanzi="", pinyin="")
    except (KeyError, IndexError, ValueError) as error:
        fail(
            "format", f"romanization.format {settings.format!r} is not a template of {{hanzi}} and {{pinyin}} ({error})"
        )
    if "{pinyin}" not in settings.format:
        fail("format", "romanization.format must contain {pinyin}")


def _parse_blogs(raw_blogs: Any, failer: Any) -> tuple[Blog, ...]:
    """``[[blogs]]``: each target complete for its kind, names unique, no password in the file."""
    blogs: list[Blog] = []
    only = {"static": ("path",), "wordpress": ("url", "user", "password_env", "status", "categories", "tags")}

    def no_password(raw: Any, where: str, fail: Any) -> None:
        if isinstance(raw, dict) and "password" in raw:
            fail(
                "password",
                f"{where}: never put the password in sources.toml; "
                "set password_env to the name of an environment variable that holds it",
            )

    for raw, blog, where, fail in _named_tables(raw_blogs, "blogs", "blog", Blog, failer, before=no_password):
        if blog.kind not in BLOG_KINDS:
            fail("kind", f"{where}: kind must be one of {', '.join(BLOG_KINDS)}, not {blog.kind!r}")
        for kind, keys in only.items():
            for key in keys:
                if kind != blog.kind and key in raw:
                    fail(key, f"{where}: {key} applies to {kind} blogs only (this one is {blog.kind})")
        if blog.kind == "static" and not blog.path.strip():
            fail("path", f"{where}: path must not be empty")
        if blog.kind == "wordpress":
            if not re.match(r"^https?://[^/\s]+", blog.url):
                fail("url", f"{where}: url must be the site's http(s) address, not {blog.url!r}")
            host = urlsplit(blog.url).hostname or ""
            if blog.url.lower().startswith("http://") and not is_loopback(host):
                fail(
                    "url",
                    f"{where}: url must be https:// (the application password would travel "
                    "unencrypted); plain http:// is allowed on loopback only",
                )
            if not blog.user.strip():
                fail("user", f"{where}: user is required (the user that owns the application password)")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", blog.password_env):
                fail(
                    "password_env",
                    f"{where}: password_env must name an environment variable, not {blog.password_env!r}",
                )
            if blog.status not in WORDPRESS_STATUSES:
                fail("status", f"{where}: status must be one of {', '.join(WORDPRESS_STATUSES)}, not {blog.status!r}")
            first = next((b for b in blogs if b.kind == "wordpress"), None)
            if first is not None:
                # The issue file records one WordPress post id, so one WordPress blog.
                fail("kind", f"{where}: only one wordpress blog is supported (already {first.name!r})")
        blogs.append(blog)
    return tuple(blogs)


def _parse_topics(raw_topics: Any, failer: Any) -> tuple[Topic, ...]:
    """``[[topics]]``: unique names, at least one non-empty term each."""
    topics: list[Topic] = []
    for _raw, topic, where, fail in _named_tables(raw_topics, "topics", "topic", Topic, failer):
        if not topic.terms or any(not term.strip() for term in topic.terms):
            fail("terms", f"{where}: terms must be a list of words or phrases, none of them empty")
        topics.append(topic)
    return tuple(topics)


def load_config(path: Path) -> Config:
    """Load sources.toml from ``path``."""
    missing = "not found (run `newsdesk init DIR` to create a newsroom, or pass --newsroom DIR)"
    return parse_config(read_text(path, ConfigError, missing), path)
