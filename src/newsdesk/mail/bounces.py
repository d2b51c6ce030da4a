"""Bounces and complaints: what comes back, read from a mailbox over IMAP (imaplib).

Two kinds of report are understood, both parsed with the standard ``email`` package:

* delivery status notifications (RFC 3464: ``multipart/report; report-type=delivery-status``):
  each recipient's block with ``Action: failed`` is a **hard** bounce when its ``Status``
  is 5.x.x and a **soft** one when it is 4.x.x; ``delayed``, ``delivered``, ``relayed``
  and ``expanded`` are not bounces (the server is still trying, or it worked);
* feedback-loop reports (ARF, RFC 5965: ``report-type=feedback-report``): a **complaint**
  for the address in ``Original-Rcpt-To``, else in the reported message's ``To``; a
  ``Feedback-Type`` of ``not-spam`` is not one.

A hard bounce or a complaint suppresses the address at once; soft bounces suppress it
(as bounced) once ``[bounces] soft_limit`` of them are counted. Each suppression records
why (the status and the server's words, or the feedback type and the reporter) and when.
Anything else in the mailbox (an out-of-office reply, a person writing) is left alone.

Each message is flagged \\Seen once its report is recorded, so the next run reads only new
ones; a run killed between the two records that one report again at the next run
(harmless for a suppression; a soft bounce may be counted twice).
"""

from __future__ import annotations

import imaplib
import os
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses

from newsdesk.config import BounceSettings
from newsdesk.errors import InvalidInput, NewsdeskError
from newsdesk.mail.roster import Roster
from newsdesk.mail.subscribers import address_problem
from newsdesk.mail.tokens import Signer, TokenError, bounce_token_of

_STATUS = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_MAX_MESSAGE = 10_000_000
_COMPLAINTS = ("abuse", "fraud", "virus", "other")


class BounceError(NewsdeskError):
    """The mailbox cannot be read: one line naming the server and the problem."""


@dataclass(frozen=True)
class Finding:
    """One address's fate in one report."""

    kind: str  # hard | soft | complaint
    address: str
    reason: str
    # The VERP token of the envelope sender the report came back to (bounces+TOKEN@…),
    # when the report has one failed recipient: it names the subscriber even when the
    # address that failed is not the one mailed (a forward), once its signature is checked.
    verp: str | None = None


@dataclass
class RunReport:
    messages: int = 0
    hard: int = 0
    soft: int = 0
    complaints: int = 0
    not_reports: int = 0
    unknown: int = 0  # reports about addresses not in the list
    suppressed: list[tuple[str, str, str]] = field(default_factory=list)  # address, state, reason

    def line(self) -> str:
        def count(number: int, one: str, many: str) -> str:
            return f"{number} {one if number == 1 else many}"

        return (
            f"{count(self.messages, 'new message', 'new messages')}: "
            f"{count(self.hard, 'hard bounce', 'hard bounces')}, {self.soft} soft, "
            f"{count(self.complaints, 'complaint', 'complaints')}, "
            f"{count(self.not_reports, 'not a report', 'not reports')}, "
            f"{self.unknown} about addresses not in the list; {len(self.suppressed)} suppressed"
        )


def _fields(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    if isinstance(payload, str):
        return [HeaderParser(policy=policy.default).parsestr(block) for block in re.split(r"\r?\n\r?\n", payload)]
    return []


def _recipient(value: str | None) -> str | None:
    """``rfc822; someone@example.org`` (or a bare or bracketed address) as the address."""
    if not value:
        return None
    text = str(value).split(";", 1)[-1].strip().strip("<>").strip()
    return None if address_problem(text) else text


def _words(value: object, limit: int = 300) -> str:
    text = " ".join(str(value or "").split())
    return text[:limit]


def _original_to(report: Message) -> str | None:
    """The first address in the To of the reported message (message/rfc822 or text/rfc822-headers)."""
    for part in report.walk():
        kind = part.get_content_type()
        headers: Message | None = None
        if kind == "message/rfc822":
            payload = part.get_payload()
            first = payload[0] if isinstance(payload, list) and payload else None
            headers = first if isinstance(first, Message) else None
        elif kind == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                headers = HeaderParser(policy=policy.compat32).parsestr(payload.decode("utf-8", errors="replace"))
        if headers is not None:
            for _, address in getaddresses([str(value) for value in headers.get_all("To", [])]):
                if address and not address_problem(address):
                    return address
    return None


def parse_report(data: bytes) -> list[Finding] | None:
    """The findings of one message; None when it is not a DSN or an ARF report."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    if message.get_content_type() != "multipart/report":
        return None
    report_type = (message.get_param("report-type") or "").__str__().lower()
    if report_type == "delivery-status":
        return _delivery_status(message)
    if report_type == "feedback-report":
        return _feedback(message)
    return None


_ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To")


def _verp_token(message: EmailMessage) -> str | None:
    """The token of the VERP address the report was delivered to, if any."""
    for name in _ENVELOPE_HEADERS:
        for value in message.get_all(name, []):
            for _, address in getaddresses([str(value)]):
                if address and (token := bounce_token_of(address)):
                    return token
    return None


def _delivery_status(message: EmailMessage) -> list[Finding] | None:
    part = next((p for p in message.walk() if p.get_content_type() == "message/delivery-status"), None)
    if part is None:
        return None
    blocks = _fields(part)
    reporter = _words(blocks[0].get("Reporting-MTA", "")) if blocks else ""
    findings = []
    for block in blocks[1:]:
        action = _words(block.get("Action", "")).lower()
        address = _recipient(block.get("Original-Recipient")) or _recipient(block.get("Final-Recipient"))
        status = _STATUS.match(str(block.get("Status", "")))
        if action != "failed" or address is None or status is None:
            continue
        code = ".".join(status.groups())
        diagnostic = _words(block.get("Diagnostic-Code", ""))
        where = f" from {reporter.split(';', 1)[-1].strip()}" if reporter else ""
        kind = "hard" if status.group(1) == "5" else "soft"
        reason = f"{kind} bounce: {code}" + (f" ({diagnostic})" if diagnostic else "") + where
        findings.append(Finding(kind, address, reason))
    if len(findings) == 1 and (token := _verp_token(message)):
        findings = [replace(findings[0], verp=token)]
    return findings


def _feedback(message: EmailMessage) -> list[Finding] | None:
    part = next((p for p in message.walk() if p.get_content_type() == "message/feedback-report"), None)
    if part is None:
        return None
    blocks = _fields(part)
    if not blocks:
        return None
    block = blocks[0]
    feedback = _words(block.get("Feedback-Type", "")).lower()
    if feedback not in _COMPLAINTS:
        return []
    address = _recipient(block.get("Original-Rcpt-To")) or _original_to(message)
    if address is None:
        return []
    reporter = _words(block.get("Reporting-MTA", "") or block.get("User-Agent", ""))
    where = f" from {reporter.split(';', 1)[-1].strip()}" if reporter else ""
    return [Finding("complaint", address, f"complaint (ARF {feedback}){where}")]


def _by_verp(roster: Roster, signer: Signer | None, finding: Finding) -> Finding:
    """The finding about the subscriber its VERP token names (a token not signed by us is ignored)."""
    if signer is None or finding.verp is None:
        return finding
    try:
        member = roster.by_id(signer.read_bounce(finding.verp))
    except TokenError:
        return finding
    if member is None or member.key == finding.address.lower():
        return finding
    return replace(finding, address=member.address, reason=f"{finding.reason}, for {finding.address}")


def apply(
    roster: Roster, findings: list[Finding], soft_limit: int, report: RunReport, signer: Signer | None = None
) -> None:
    """Record one message's findings in the list."""
    for finding in (_by_verp(roster, signer, found) for found in findings):
        before = roster.get(finding.address)
        if before is None:
            report.unknown += 1
            continue
        if finding.kind == "soft":
            report.soft += 1
            state = roster.soft_bounce(finding.address, finding.reason, soft_limit)
        else:
            if finding.kind == "hard":
                report.hard += 1
            else:
                report.complaints += 1
            roster.suppress(finding.address, "bounced" if finding.kind == "hard" else "complained", finding.reason)
            state = roster.get(finding.address).state  # type: ignore[union-attr]
        after = roster.get(finding.address)
        if after is not None and after.suppressed and not before.suppressed:
            report.suppressed.append((after.address, state or after.state, after.reason))


# IMAP ------------------------------------------------------------------


GREETING_SECONDS = 5.0  # an IMAP server greets at once; one that says nothing is not one


class _Unreachable(Exception):
    """The connection itself failed (refused, no route, timed out), before any greeting."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))


def _open(opener, imap: imaplib.IMAP4, host: str, port: int | None, timeout: float | None) -> None:
    """IMAP4.open (which may be overridden, the documentation says) with the connection's
    failure told apart, and a short wait for the greeting that follows."""
    try:
        opener(host, port, timeout)
    except ssl.SSLError:
        raise
    except OSError as error:
        raise _Unreachable(error) from None
    imap.socket().settimeout(min(timeout or GREETING_SECONDS, GREETING_SECONDS))


class _Imap(imaplib.IMAP4):
    def open(self, host: str = "", port: int = 143, timeout: float | None = None) -> None:
        _open(super().open, self, host, port, timeout)


class _ImapTls(imaplib.IMAP4_SSL):
    def open(self, host: str = "", port: int | None = 993, timeout: float | None = None) -> None:
        _open(super().open, self, host, port, timeout)


# OpenSSL's words for a peer that answered the TLS hello with something else (plain IMAP).
_NOT_TLS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL")


class Mailbox:
    """One IMAP session on the bounce folder: the unseen messages, then \\Seen each one done."""

    def __init__(self, settings: BounceSettings, password: str) -> None:
        self.settings = settings
        self.where = f"{settings.host}:{settings.port}"
        try:
            if settings.security == "tls":
                self.imap: imaplib.IMAP4 = _ImapTls(
                    settings.host, settings.port, ssl_context=ssl.create_default_context(), timeout=settings.timeout
                )
            else:
                self.imap = _Imap(settings.host, settings.port, timeout=settings.timeout)
            self.imap.socket().settimeout(settings.timeout)  # greeted: the usual wait from now on
            if settings.security == "starttls":
                self.imap.starttls(ssl.create_default_context())
        except _Unreachable as error:
            raise BounceError(f"cannot reach the IMAP server {self.where}: {error}") from None
        except ssl.SSLCertVerificationError as error:
            raise BounceError(
                f"the IMAP server {self.where}: its TLS certificate is not trusted: {error.verify_message}"
            ) from None
        except ssl.SSLError as error:
            if settings.security == "tls" and error.reason in _NOT_TLS:
                raise BounceError(
                    f'the server at {self.where} does not speak TLS (try security = "starttls" or "none")'
                ) from None
            raise BounceError(f"the IMAP server {self.where}: TLS failed: {error.reason or error}") from None
        except TimeoutError:
            raise BounceError(
                f"the server at {self.where} did not speak IMAP: no greeting within {GREETING_SECONDS:g} s "
                "(is it the IMAP port? 993 with TLS, 143 with STARTTLS)"
            ) from None
        except OSError as error:
            raise BounceError(
                f"the server at {self.where} went away before greeting: {error.strerror or error}"
            ) from None
        except (imaplib.IMAP4.error, ValueError) as error:
            raise BounceError(f"the server at {self.where} did not speak IMAP: {_words(str(error))}") from None
        try:
            self._call("login", self.imap.login, settings.user, password)
            self._call(f"selecting the folder {settings.mailbox!r}", self.imap.select, _quoted(settings.mailbox))
        except BaseException:
            self.close()
            raise

    def _ok(self, answer: tuple[str, list], what: str) -> list:
        status, data = answer
        if status != "OK":
            raise BounceError(f"the IMAP server {self.where} refused {what}: {_words(data)}")
        return data

    def _call(self, what: str, function, *args):
        try:
            return self._ok(function(*args), what)
        except imaplib.IMAP4.error as error:  # a NO/BAD the library raises, or an answer it cannot read
            text = str(error)
            if what == "login" and "AUTHENTICATIONFAILED" in text.upper():
                text = f"authentication failed for {self.settings.user!r} (check ${self.settings.password_env})"
            raise BounceError(f"the IMAP server {self.where}: {what}: {_words(text)}") from None
        except (OSError, EOFError) as error:
            raise BounceError(f"the IMAP server {self.where} went away during {what}: {error}") from None

    def unseen(self) -> Iterator[tuple[bytes, bytes]]:
        """(uid, the message's bytes) of each message not yet seen, oldest first."""
        [found] = self._call("search", self.imap.uid, "SEARCH", None, "UNSEEN")
        for uid in (found or b"").split():
            data = self._call("fetch", self.imap.uid, "FETCH", uid, "(BODY.PEEK[])")
            body = next((item[1] for item in data if isinstance(item, tuple) and len(item) == 2), None)
            if not isinstance(body, bytes):
                raise BounceError(f"the IMAP server {self.where} answered FETCH {uid.decode()} with no message")
            yield uid, body[:_MAX_MESSAGE]

    def done(self, uid: bytes) -> None:
        self._call("store", self.imap.uid, "STORE", uid, "+FLAGS", "(\\Seen)")

    def close(self) -> None:
        try:
            if self.imap.state == "SELECTED":
                self.imap.close()
            self.imap.logout()
        except (imaplib.IMAP4.error, OSError, EOFError):
            pass


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_password(settings: BounceSettings) -> str:
    password = os.environ.get(settings.password_env, "")
    if not settings.user:
        raise InvalidInput("[bounces] user is not set: name the login of the bounce mailbox in sources.toml")
    if not password:
        raise InvalidInput(
            f"the IMAP user is {settings.user!r} but ${settings.password_env} is empty: "
            f"export the password in {settings.password_env} (it is never read from a file)"
        )
    return password


def read_bounces(roster: Roster, settings: BounceSettings, password: str, signer: Signer | None = None) -> RunReport:
    """Read the mailbox's new messages and record what they report; with ``signer``, a
    report that came back to a VERP address names its subscriber by the address's token."""
    report = RunReport()
    mailbox = Mailbox(settings, password)
    try:
        for uid, data in mailbox.unseen():
            report.messages += 1
            findings = parse_report(data)
            if findings is None:
                report.not_reports += 1
            else:
                apply(roster, findings, settings.soft_limit, report, signer)
            mailbox.done(uid)
    finally:
        mailbox.close()
    return report
