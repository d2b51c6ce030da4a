"""One email per subscriber: the issue as plaintext and HTML, with list headers.

Every message is multipart/alternative (text/plain first, text/html last, so clients that
can show HTML prefer it), UTF-8 throughout and 7-bit clean on the wire (quoted-printable
bodies, RFC 2047 encoded words in headers), so it survives any relay. The Message-ID is
derived from the issue and the address, so a copy resent after a crash is recognizably
the same message.

Thousands of messages differ only in a few headers and the unsubscribe link, so the
headers every copy shares are encoded once per issue and each copy's bytes are put
together directly; the tests parse the result back with the standard library.
"""

from __future__ import annotations

import binascii
import difflib
import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime

from newsdesk.errors import InvalidInput
from newsdesk.issue import Issue
from newsdesk.mail import headers
from newsdesk.mail.ledger import Version
from newsdesk.mail.signing import load_signer
from newsdesk.mail.subscribers import Subscriber, address_problem
from newsdesk.newsroom import Newsroom
from newsdesk.output.archive import unsubscribe_template
from newsdesk.output.render import Renderer, unsubscribe_link

CRLF = b"\r\n"
_LIST_ID = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def message_id(issue: Issue, address: str, domain: str, version: int = 1) -> str:
    """The same id for the same issue, subscriber and version of the message, every time."""
    later = f"\nv{version}" if version > 1 else ""
    digest = hashlib.sha256(f"newsdesk\n{issue.name}\n{address.lower()}{later}".encode()).hexdigest()
    return f"<{digest[:32]}{f'.v{version}' if later else ''}@{domain}>"


class Stencil:
    """The HTML part with the reader's values left out, to fill in for each reader.

    Rendering the HTML (Jinja2, MJML, the theme's inlining) is most of the cost of a copy,
    and copies differ only where the reader's address, name and unsubscribe link stand. So
    the HTML is rendered once with marker values, cut at the markers, and each copy is the
    pieces joined with that reader's values, escaped as the serializer that wrote the HTML
    escapes them (the HTML standard's rules: ``&`` and ``"`` in attributes, ``&``, ``<``
    and ``>`` in text, and no-break spaces). MessageFactory uses one only after checking
    that it gives what rendering gives for readers with awkward addresses and names.
    """

    def __init__(self, pieces: list[str], slots: list[tuple[str, bool]]) -> None:
        self.pieces = pieces
        self.slots = slots  # (context key, inside a tag)

    @classmethod
    def cut(cls, html: str, markers: dict[str, str]) -> Stencil:
        by_marker = {marker: key for key, marker in markers.items()}
        pattern = re.compile("|".join(re.escape(marker) for marker in sorted(by_marker, key=len, reverse=True)))
        pieces, slots, last = [], [], 0
        for match in pattern.finditer(html):
            before = html[last : match.start()]
            pieces.append(before)
            opened, closed = html.rfind("<", 0, match.start()), html.rfind(">", 0, match.start())
            slots.append((by_marker[match.group()], opened > closed))
            last = match.end()
        pieces.append(html[last:])
        return cls(pieces, slots)

    def fill(self, context: dict[str, str | None]) -> str:
        out = [self.pieces[0]]
        for (key, in_tag), piece in zip(self.slots, self.pieces[1:], strict=True):
            value = (context.get(key) or "").replace("&", "&amp;").replace("\xa0", "&nbsp;")
            if in_tag:
                value = value.replace('"', "&quot;")
            else:
                value = value.replace("<", "&lt;").replace(">", "&gt;")
            out += [value, piece]
        return "".join(out)


# Marker values: letters and dots only, which no escaping, quoting or inlining changes.
_MARKERS = {
    "recipient": "zqxrecipientxqz@zqxmarkerxqz.invalid",
    "recipient_name": "Zqxnamexqz",
    "unsubscribe_url": "https://zqxunsubscribexqz.invalid/zqxlinkxqz",
    "manage_url": "https://zqxmanagexqz.invalid/zqxlinkxqz",
}
# Readers whose copies must come out of a stencil exactly as rendered.
_PROBES = (
    Subscriber(email="o'brien+news&more@probe.example", name='Seán "Tom" <O\'Brien> & 李明\xa0'),
    Subscriber(email="plain@probe.example", name=""),
)


# The reader a message is rendered for to see what every copy shares.
PLACEHOLDER = Subscriber(email="reader@placeholder.invalid", name="Reader")


def display_name(name: str) -> str:
    """A subscriber's name as it may stand in a header: one with a control character (a CR
    that would start a header of its own, a NUL) is dropped, and the address stands alone."""
    return "" if headers.control_character(name) else name


def quoted_printable(text: str) -> bytes:
    """UTF-8 text as quoted-printable with CRLF line ends (binascii's encoder is C, and fast)."""
    lines = text.encode("utf-8").splitlines()
    return binascii.b2a_qp(CRLF.join(lines) + CRLF, istext=True)


@dataclass(frozen=True)
class Outgoing:
    """One message ready for the wire."""

    recipient: str
    message_id: str
    data: bytes


class MessageFactory:
    """Builds the messages of one issue, one subscriber at a time (never all at once)."""

    def __init__(self, newsroom: Newsroom, issue: Issue) -> None:
        settings = newsroom.config.newsroom
        where = newsroom.config.path or "sources.toml"
        if problem := address_problem(settings.sender_email):
            raise InvalidInput(f"{where}: newsroom.sender_email: {problem}")
        for key in ("reply_to", "unsubscribe_mailto", "bounce_address"):
            value = getattr(settings, key)
            if value and (problem := address_problem(value)):
                raise InvalidInput(f"{where}: newsroom.{key}: {problem}")
        for key in ("name", "sender_name", "list_id", "unsubscribe_url"):
            if found := headers.control_character(getattr(settings, key)):
                raise InvalidInput(f"{where}: newsroom.{key}: a control character ({found}) cannot go in a header")
        if found := headers.control_character(issue.title):
            raise InvalidInput(
                f"{issue.path or issue.name}: title: a control character ({found}) cannot go in a header"
            )
        self.issue = issue
        self.settings = settings
        self.renderer = Renderer(newsroom)
        # The issue's text is the same in every copy: convert and wrap each piece once per run
        # (the filters are pure, so a cache keyed by their input is always right).
        for name in ("markdown", "markdown_text", "typeset", "wrap"):
            self.renderer.env.filters[name] = functools.lru_cache(maxsize=256)(self.renderer.env.filters[name])
        self.sender = settings.sender_email
        self.domain = self.sender.split("@", 1)[1]
        self.list_id = settings.list_id or f"{self.sender.split('@', 1)[0]}.{self.domain}"
        if not _LIST_ID.match(self.list_id):
            raise InvalidInput(f"{where}: newsroom.list_id: {self.list_id!r} is not an id like weekly.example.org")
        self.unsubscribe_template = unsubscribe_template(settings)
        self.version = 1  # of the message: a send edited and forced on goes on with version 2
        self._stencils: dict[bool, Stencil | None] = {}  # with a name, without
        self._base: dict | None = None  # the templates' context, the same for every copy
        # The signed links of the web service (newsdesk.mail.tokens.UnsubscribeLinks), set
        # by the sender when [web] public_url is: address -> that subscriber's link.
        self.links: Callable[[str], str] | None = None
        # Each subscriber's envelope sender (newsdesk.mail.tokens.BounceAddresses: VERP),
        # set by the sender when newsroom.bounce_address is.
        self.return_path: Callable[[str], str] | None = None
        self.signer = load_signer(newsroom.config.dkim, newsroom.root, self.domain, str(where))
        self._shared = self._shared_headers(issue.title)
        self._shared_test = self._shared_headers(f"[test] {issue.title}")

    def _shared_headers(self, subject: str) -> bytes:
        lines = [
            headers.unstructured("Subject", subject),
            headers.mailbox("From", self.settings.sender_name, self.sender),
        ]
        if self.settings.reply_to:
            lines.append(headers.mailbox("Reply-To", "", self.settings.reply_to))
        lines.append(headers.phrase_and_id("List-Id", self.settings.name, self.list_id))
        return b"".join(lines)

    def message_id(self, address: str) -> str:
        return message_id(self.issue, address, self.domain, self.version)

    def content(self) -> Version:
        """The message as every copy shares it (rendered for a placeholder reader), to tell
        whether it changed since an earlier run."""
        text, html = self.parts(PLACEHOLDER)
        headers_text = self._shared.decode("ascii")
        html_digest = hashlib.sha256(html.encode()).hexdigest()
        digest = hashlib.sha256(f"{headers_text}\0{text}\0{html_digest}".encode()).hexdigest()
        return Version(0, digest, self.issue.title, headers_text, text, html_digest)

    def _to(self, subscriber: Subscriber) -> bytes:
        return headers.mailbox("To", display_name(subscriber.name), subscriber.email)

    def unsubscribe_url(self, address: str) -> str:
        if self.links is not None:
            return self.links(address)
        return unsubscribe_link(self.unsubscribe_template, address)

    def list_unsubscribe(self, address: str) -> tuple[list[str], bool]:
        """The List-Unsubscribe targets, and whether one-click applies (RFC 8058: https only)."""
        targets = []
        url = self.unsubscribe_url(address)
        if url.lower().startswith(("https://", "http://")):
            targets.append(f"<{url}>")
        if self.settings.unsubscribe_mailto:
            targets.append(f"<mailto:{self.settings.unsubscribe_mailto}?subject=unsubscribe>")
        return targets, url.lower().startswith("https://")

    def parts(self, subscriber: Subscriber) -> tuple[str, str]:
        """The plaintext and HTML of ``subscriber``'s copy."""
        context = self._context(subscriber)
        if self._base is None:
            self._base = self.renderer.context(self.issue)
        text = self.renderer.email_text(self.issue, flowed=True, base=self._base, **context)
        return text, self._html(subscriber, context)

    def _context(self, subscriber: Subscriber) -> dict[str, str | None]:
        """What differs from one reader's copy to the next."""
        manage = self.settings.manage_url
        return {
            "recipient": subscriber.email,
            "recipient_name": subscriber.name or None,
            "unsubscribe_url": self.unsubscribe_url(subscriber.email),
            "manage_url": unsubscribe_link(manage, subscriber.email) if manage else "",
        }

    def _html(self, subscriber: Subscriber, context: dict[str, str | None]) -> str:
        """The HTML part: filled in from a stencil when the templates allow it, else rendered."""
        named = bool(subscriber.name)
        if named not in self._stencils:
            self._stencils[named] = self._make_stencil(named)
        stencil = self._stencils[named]
        if stencil is None:
            return self.renderer.email_html(self.issue, **context)
        return stencil.fill(context)

    def _make_stencil(self, named: bool) -> Stencil | None:
        """The HTML rendered once with marker values, if filling it in gives, for readers
        with awkward addresses and names, exactly what rendering for them gives."""
        left_out = {"recipient_name": named, "manage_url": bool(self.settings.manage_url)}
        markers = {key: value for key, value in _MARKERS.items() if left_out.get(key, True)}
        blanks = {"recipient_name": None, "manage_url": ""}
        rendered = self.renderer.email_html(self.issue, **{**blanks, **markers})
        stencil = Stencil.cut(rendered, markers)
        for probe in _PROBES:
            if bool(probe.name) != named:
                continue
            context = self._context(probe)
            if stencil.fill(context) != self.renderer.email_html(self.issue, **context):
                return None  # the templates do more with the reader's data than show it
        return stencil

    def build(self, subscriber: Subscriber, *, test: bool = False, now: datetime | None = None) -> Outgoing:
        """``subscriber``'s message; ``test`` marks a preview copy, with an id of its own."""
        address = subscriber.email
        text, html = self.parts(subscriber)
        ident = f"<test.{secrets.token_hex(12)}@{self.domain}>" if test else self.message_id(address)
        boundary = f"=_newsdesk_{secrets.token_hex(12)}"  # "=_" never occurs in quoted-printable
        targets, one_click = self.list_unsubscribe(address)
        head = [
            self._shared_test if test else self._shared,
            self._to(subscriber),
            f"Date: {format_datetime(now or datetime.now(UTC))}\r\n".encode(),
            f"Message-ID: {ident}\r\n".encode(),
        ]
        if targets:
            # One target per line: folding never has to break inside a URL.
            head.append(("List-Unsubscribe: " + ",\r\n ".join(targets) + "\r\n").encode())
            if one_click:
                head.append(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
        head.append(b"MIME-Version: 1.0\r\n")
        head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'.encode())
        body = []
        # The plaintext is format=flowed: a phone joins its lines again to fit its screen,
        # and a client that knows nothing of it shows lines of 72 columns.
        for content_type, content in (
            ('text/plain; charset="utf-8"; format=flowed; delsp=yes', text),
            ('text/html; charset="utf-8"', html),
        ):
            body += [
                f"--{boundary}\r\n".encode(),
                f"Content-Type: {content_type}\r\n".encode(),
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                quoted_printable(content),
            ]
        body.append(f"--{boundary}--\r\n".encode())
        data = b"".join(head) + CRLF + b"".join(body)
        if self.signer is not None:
            data = self.signer.sign(data)
        return Outgoing(address, ident, data)

    def envelope_sender(self, address: str) -> str:
        """MAIL FROM (the Return-Path): where a bounce of ``address``'s copy goes."""
        if self.return_path is not None:
            return self.return_path(address)
        return self.settings.bounce_address or self.sender


def parse(data: bytes) -> EmailMessage:
    """A message's bytes read back by the standard library."""
    return BytesParser(policy=policy.default).parsebytes(data)


def preview(data: bytes) -> str:
    """A readable form of a message for --dry-run: headers, the plaintext, the HTML's size."""
    message = parse(data)
    lines = [f"{name}: {value}" for name, value in message.items()]
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    lines.append("")
    if plain is not None:
        lines.append(plain.get_content().rstrip("\n"))
    if html is not None:
        lines += ["", f"[text/html part: {len(html.get_content().encode()) / 1024:.1f} KB]"]
    return "\n".join(lines) + "\n"


def what_changed(before: Version, now: Version, *, limit: int = 30) -> list[str]:
    """What differs between two versions of a message, one line each: the subject and other
    shared headers, the plaintext's changed lines, and the HTML when only it changed."""
    lines = []
    if before.subject != now.subject:
        lines.append(f"Subject: {before.subject!r} → {now.subject!r}")

    def others(version: Version) -> list[str]:
        unfolded = version.headers.replace("\r\n ", " ").split("\r\n")
        return [line for line in unfolded if line and not line.startswith("Subject:")]

    for old, new in zip(others(before), others(now), strict=False):
        if old != new:
            lines.append(f"{old} → {new}")
    if len(others(before)) != len(others(now)):
        lines.append(f"headers: {'; '.join(others(before))} → {'; '.join(others(now))}")
    if before.plaintext != now.plaintext:
        diff = difflib.unified_diff(before.plaintext.splitlines(), now.plaintext.splitlines(), lineterm="", n=0)
        changed = [line for line in diff if not line.startswith(("---", "+++", "@@"))]
        lines += [f"  {line}" for line in changed[:limit]]
        if len(changed) > limit:
            lines.append(f"  … and {len(changed) - limit} more changed lines")
    elif before.html_digest != now.html_digest:
        lines.append("the HTML part changed (the plaintext did not)")
    return lines or ["the message changed"]
