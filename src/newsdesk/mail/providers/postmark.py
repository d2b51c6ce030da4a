"""Postmark through its HTTP API: ``POST /email`` with the message as Postmark's JSON.

Postmark takes no raw MIME, so the message newsdesk built (the one SMTP would carry) is read
back and mapped: From, To, Reply-To and Subject to their fields, the plain and HTML parts to
``TextBody`` and ``HtmlBody`` (the format=flowed plaintext joined back into its paragraphs),
and every other header of ours (Message-ID, List-Id, List-Unsubscribe, List-Unsubscribe-Post)
to ``Headers``. Postmark signs with DKIM itself, for the domain verified in it, so our
signatures (which would not survive the new encoding) are left out. Opens and links are not
tracked: the reader gets the links the editor wrote.

Postmark's answer sorts as SMTP's would: ``ErrorCode`` 0 is accepted (its ``MessageID`` goes
in the ledger); 406 (an inactive recipient: bounced or complained at Postmark) and 300 (an
invalid request for this message) are ``Permanent``; HTTP 429 and 5xx are ``Transient``; a
wrong token, an unconfirmed sender signature, a missing stream or a paused account stop the
run (``SmtpFatal``). A connection that breaks after the request went out leaves the
recipient in doubt, as after SMTP's DATA.
"""

from __future__ import annotations

import json
import os
from email import policy
from email.headerregistry import AddressHeader
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import httpx

from newsdesk.config import DeliverySettings
from newsdesk.errors import InvalidInput
from newsdesk.http import Http
from newsdesk.mail.smtp import Permanent, SmtpFatal, Transient

TOKEN_ENV = "POSTMARK_SERVER_TOKEN"
DEFAULT_URL = "https://api.postmarkapp.com"
# Headers that have fields of their own, that Postmark writes, or that describe our MIME encoding.
_NOT_COPIED = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "subject",
        "date",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "dkim-signature",
        "return-path",
    }
)
PERMANENT_CODES = frozenset({300, 406})
# Not this message's fault: nothing can be sent until the account or the settings are fixed.
FATAL_CODES = {
    10: "the server token was refused (check $POSTMARK_SERVER_TOKEN)",
    400: "the sender signature was not found (add the From address or its domain in Postmark)",
    401: "the sender signature is not confirmed yet",
    405: "the account may not send (out of credits?)",
    412: "the account is pending approval: it may only send to its own domain",
    1235: "the message stream was not found (check [delivery] message_stream)",
}


def postmark_token() -> str:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise InvalidInput(
            f"[delivery] provider is postmark but ${TOKEN_ENV} is empty: export the server's API token "
            f"in {TOKEN_ENV} (it is never read from a file)"
        )
    return token


def postmark_url(settings: DeliverySettings) -> str:
    return (settings.endpoint_url or DEFAULT_URL).rstrip("/")


def unflow(text: str, delsp: bool) -> str:
    """format=flowed (RFC 3676) text joined back into its paragraphs: a line ending in a space
    goes on in the next one (with delsp=yes, without that space); stuffing is taken off."""
    out: list[str] = []
    pending = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(" "):
            line = line[1:]
        if line.endswith(" ") and line != "-- ":
            pending += line[:-1] if delsp else line
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return "\n".join(out)


def _address(header: Any) -> str:
    """An address header as Postmark takes it: display name and address, the name quoted as needed."""
    if isinstance(header, AddressHeader):
        return ", ".join(str(address) for address in header.addresses)
    return str(header or "")


def postmark_email(data: bytes, stream: str) -> dict[str, Any]:
    """The JSON of POST /email for the message ``data``."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    body: dict[str, Any] = {
        "From": _address(message["From"]),
        "To": _address(message["To"]),
        "Subject": str(message["Subject"] or ""),
        "MessageStream": stream,
        "TrackOpens": False,
        "TrackLinks": "None",
    }
    if message["Reply-To"]:
        body["ReplyTo"] = _address(message["Reply-To"])
    for part in message.walk():
        if part.is_multipart() or not isinstance(part, EmailMessage):
            continue
        content = part.get_content()
        if part.get_content_type() == "text/html" and "HtmlBody" not in body:
            body["HtmlBody"] = content
        elif part.get_content_type() == "text/plain" and "TextBody" not in body:
            if str(part.get_param("format", "")).lower() == "flowed":
                content = unflow(content, str(part.get_param("delsp", "")).lower() == "yes")
            body["TextBody"] = content
    headers = []
    for name, value in message.raw_items():
        if name.lower() in _NOT_COPIED:
            continue
        headers.append({"Name": name, "Value": " ".join(str(value).split())})
    body["Headers"] = headers
    return body


class PostmarkTransport:
    """One HTTP client (kept-alive connections) to Postmark's API, made on connect."""

    def __init__(self, settings: DeliverySettings, token: str, stream: str | None = None) -> None:
        self.url = postmark_url(settings)
        self.stream = stream or settings.message_stream
        self.token = token
        self.http = Http("newsdesk/0.1 (+newsletter)", settings.timeout, settings.timeout)
        self.client: httpx.Client | None = None
        self.connections = 0
        self.unreachable = False  # the last request could not reach Postmark: connect() looks first

    def __enter__(self) -> PostmarkTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        if self.client is None:
            self.client = self.http.client(
                headers={"Accept": "application/json", "X-Postmark-Server-Token": self.token},
                follow_redirects=False,
            )
            self.connections += 1
        if self.unreachable:
            # As an SMTP reconnect would: any answer says Postmark is back; none is Transient,
            # and after the retries the run stops.
            try:
                self.client.get(f"{self.url}/server").close()
            except httpx.TransportError as error:
                self.drop()
                raise Transient(f"cannot reach Postmark: {self.http.reason(error)}", reconnect=True) from None
            self.unreachable = False

    def send(self, sender: str, recipient: str, data: bytes) -> str:
        """POST the message for ``recipient``; returns ``Postmark accepted: MessageID=...``.

        Postmark writes the envelope sender itself (its bounce domain): its bounces come back
        through the /webhooks/postmark endpoint of `newsdesk serve`, not to ``sender``.
        """
        if self.client is None:
            self.connect()
        assert self.client is not None
        payload = postmark_email(data, self.stream)
        payload["To"] = payload["To"] or recipient
        try:
            response = self.client.post(f"{self.url}/email", json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            self.drop()
            self.unreachable = True
            raise Transient(f"cannot reach Postmark: {self.http.reason(error)}", reconnect=True) from None
        except httpx.TransportError as error:
            # The request went out: Postmark may have taken the message without our hearing so.
            self.drop()
            unreachable = self.http.unreachable(error)
            self.unreachable = unreachable
            raise Transient(
                f"Postmark did not answer: {self.http.reason(error)}", reconnect=True, in_doubt=not unreachable
            ) from None
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        code = answer.get("ErrorCode")
        code = code if isinstance(code, int) else -1
        words = " ".join(str(answer.get("Message", "")).split())[:300]
        reply = f"Postmark {response.status_code} ErrorCode {code}: {words}".strip()
        if response.status_code == 200 and code == 0:
            return f"Postmark accepted: MessageID={answer.get('MessageID', '')}"
        if response.status_code == 429 or response.status_code >= 500:
            raise Transient(reply)
        if code in FATAL_CODES or response.status_code in (401, 403):
            raise SmtpFatal(f"Postmark refused to send: {FATAL_CODES.get(code, 'unauthorized')} ({reply})")
        if code in PERMANENT_CODES or response.status_code == 422:
            raise Permanent(reply)
        raise SmtpFatal(f"Postmark answered what newsdesk does not know: {reply}")

    def drop(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    def close(self) -> None:
        self.drop()
