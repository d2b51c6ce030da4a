"""The providers' bounce and complaint webhooks, as routes of `newsdesk serve`.

* ``POST /webhooks/ses``: Amazon SNS delivering SES's notifications (an SNS topic that a
  configuration set's event destination, or an identity's bounce and complaint notifications,
  publish to; subscribed over HTTPS to this URL). Every message's signature is checked before
  anything is read from it: the signing certificate is fetched (once, then kept) only over
  https from a host of ``[delivery] sns_certificate_hosts`` (``sns.*.amazonaws.com``), and the
  message is verified with it (SignatureVersion 1, SHA1withRSA, or 2, SHA256withRSA, over
  SNS's canonical string). Only the topics of ``[delivery] sns_topics`` are accepted: anyone
  can have AWS sign a message of their own topic. A ``SubscriptionConfirmation`` is confirmed
  by fetching its SubscribeURL (same host rule). A ``Notification`` carries SES's bounce or
  complaint: a permanent bounce is a hard bounce, a transient or undetermined one a soft
  bounce, a complaint a complaint.
* ``POST /webhooks/postmark``: Postmark's bounce and spam complaint webhooks, behind HTTP basic
  auth (the credentials Postmark puts in the webhook's URL: ``[delivery] postmark_webhook_user``
  and ``$NEWSDESK_POSTMARK_WEBHOOK_PASSWORD``). HardBounce and BadEmailAddress are hard bounces;
  SoftBounce, Transient and DnsError soft ones; SpamComplaint a complaint; other kinds
  (auto-replies, ...) change nothing.

Both feed the suppression states the IMAP reader does (newsdesk.mail.bounces.apply): a hard
bounce or a complaint suppresses the address at once, soft bounces after ``[bounces]
soft_limit`` of them. A notification about an address not in the list changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from newsdesk.config import Config
from newsdesk.errors import InvalidInput
from newsdesk.http import Http
from newsdesk.mail.bounces import Finding, RunReport, apply
from newsdesk.urls import is_loopback

if TYPE_CHECKING:
    from newsdesk.mail.roster import Roster
    from newsdesk.newsroom import Newsroom


class Service(Protocol):
    """What the webhooks need of the service (newsdesk.web.app's, which routes to them)."""

    @property
    def room(self) -> Newsroom: ...

    @property
    def roster(self) -> Roster: ...


MAX_WEBHOOK_BODY = 512 * 1024  # an SNS message is at most 256 KB; Postmark's are a few KB
MAX_CERTIFICATE = 64 * 1024
POSTMARK_PASSWORD_ENV = "NEWSDESK_POSTMARK_WEBHOOK_PASSWORD"
_SIGNED_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
POSTMARK_HARD = frozenset({"HardBounce", "BadEmailAddress"})
POSTMARK_SOFT = frozenset({"SoftBounce", "Transient", "DnsError"})


class WebhookError(Exception):
    """A request refused: its status and the line to answer (and log)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status, self.text = status, text


def _host_matches(host: str, pattern: str) -> bool:
    """``pattern`` with * as exactly one DNS label (sns.*.amazonaws.com)."""
    labels, wanted = host.lower().split("."), pattern.lower().split(".")
    if len(labels) != len(wanted):
        return False
    return all(
        (w == "*" and re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", label)) or w == label
        for w, label in zip(wanted, labels, strict=True)
    )


def allowed_sns_url(url: str, patterns: tuple[str, ...]) -> bool:
    """An https URL on a host of ``patterns``, on the default port (any port on loopback)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    if parts.scheme != "https" or not host or parts.username or parts.password:
        return False
    if port not in (None, 443) and not is_loopback(host):
        return False
    return any(_host_matches(host, pattern) for pattern in patterns)


def sns_string_to_sign(message: dict[str, Any]) -> bytes:
    """SNS's canonical form of a message: each signed key present, then its value, one per line."""
    keys = _SIGNED_KEYS.get(str(message.get("Type")))
    if keys is None:
        raise WebhookError(400, f"unknown SNS message type {message.get('Type')!r}")
    text = "".join(f"{key}\n{message[key]}\n" for key in keys if key in message)
    return text.encode("utf-8")


@dataclass
class SnsVerifier:
    """Checks SNS messages' signatures, with the signing certificates fetched as allowed."""

    topics: tuple[str, ...]
    hosts: tuple[str, ...]
    http: Http
    certificates: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def certificate(self, url: str) -> Any:
        from cryptography import x509

        with self.lock:
            if url in self.certificates:
                return self.certificates[url]
        if not allowed_sns_url(url, self.hosts) or not urlsplit(url).path.endswith(".pem"):
            raise WebhookError(403, f"SigningCertURL {url!r} is not an https .pem URL of an allowed SNS host")
        try:
            with self.http.client(follow_redirects=False) as client:
                response = client.get(url)
        except httpx.HTTPError as error:
            raise WebhookError(
                502, f"cannot fetch the SNS signing certificate {url}: {self.http.reason(error)}"
            ) from None
        if response.status_code != 200 or len(response.content) > MAX_CERTIFICATE:
            raise WebhookError(502, f"cannot fetch the SNS signing certificate {url}: HTTP {response.status_code}")
        try:
            certificate = x509.load_pem_x509_certificate(response.content)
        except ValueError:
            raise WebhookError(502, f"the SNS signing certificate at {url} is not a PEM certificate") from None
        with self.lock:
            self.certificates[url] = certificate
        return certificate

    def verify(self, message: dict[str, Any]) -> None:
        """WebhookError unless ``message`` is signed by SNS for one of our topics."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        if message.get("TopicArn") not in self.topics:
            raise WebhookError(403, f"SNS topic {message.get('TopicArn')!r} is not in [delivery] sns_topics")
        version = str(message.get("SignatureVersion", ""))
        algorithm = {"1": hashes.SHA1, "2": hashes.SHA256}.get(version)
        if algorithm is None:
            raise WebhookError(400, f"unknown SNS SignatureVersion {version!r}")
        try:
            signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        except (binascii.Error, ValueError):
            raise WebhookError(400, "the SNS Signature is not base64") from None
        canonical = sns_string_to_sign(message)
        key = self.certificate(str(message.get("SigningCertURL", ""))).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise WebhookError(403, "the SNS signing certificate's key is not RSA")
        try:
            key.verify(signature, canonical, padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise WebhookError(403, "the SNS signature does not verify") from None


def ses_findings(notification: dict[str, Any]) -> list[Finding]:
    """The bounces and complaints of one SES notification (or configuration-set event)."""
    kind = notification.get("notificationType") or notification.get("eventType")
    found: list[Finding] = []
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        hard = bounce.get("bounceType") == "Permanent"
        for recipient in bounce.get("bouncedRecipients") or []:
            address = str(recipient.get("emailAddress", "")).strip()
            if not address:
                continue
            words = " ".join(
                str(w)
                for w in (
                    recipient.get("status"),
                    recipient.get("diagnosticCode") or bounce.get("bounceSubType"),
                )
                if w
            )
            reason = f"SES {bounce.get('bounceType', 'bounce').lower()} bounce: {words}"[:300]
            found.append(Finding("hard" if hard else "soft", address, reason))
    elif kind == "Complaint":
        complaint = notification.get("complaint") or {}
        feedback = complaint.get("complaintFeedbackType") or "not given"
        for recipient in complaint.get("complainedRecipients") or []:
            address = str(recipient.get("emailAddress", "")).strip()
            if address:
                found.append(Finding("complaint", address, f"complaint reported by SES (feedback {feedback})"))
    return found


def postmark_findings(event: dict[str, Any]) -> list[Finding]:
    """The bounce or complaint of one Postmark webhook call."""
    address = str(event.get("Email") or "").strip()
    record, kind = event.get("RecordType"), str(event.get("Type") or "")
    if not address:
        return []
    description = " ".join(str(event.get("Description") or event.get("Details") or "").split())[:200]
    if record == "SpamComplaint" or kind == "SpamComplaint":
        return [Finding("complaint", address, "complaint reported by Postmark (SpamComplaint)")]
    if record != "Bounce":
        return []
    if kind in POSTMARK_HARD:
        return [Finding("hard", address, f"Postmark {kind}: {description}".strip())]
    if kind in POSTMARK_SOFT:
        return [Finding("soft", address, f"Postmark {kind}: {description}".strip())]
    return []


@dataclass
class Webhooks:
    """The webhook endpoints this newsroom turns on, and what they need."""

    config: Config
    sns: SnsVerifier | None
    postmark_auth: tuple[str, str] | None

    @classmethod
    def from_config(cls, config: Config) -> Webhooks:
        delivery = config.delivery
        http = Http("newsdesk/0.1 (+webhooks)", delivery.timeout, delivery.timeout)
        sns = SnsVerifier(delivery.sns_topics, delivery.sns_certificate_hosts, http) if delivery.sns_topics else None
        auth = None
        if delivery.postmark_webhook_user:
            password = os.environ.get(POSTMARK_PASSWORD_ENV, "")
            if len(password) < 12:
                raise InvalidInput(
                    f"[delivery] postmark_webhook_user is set but ${POSTMARK_PASSWORD_ENV} is "
                    f"{'empty' if not password else 'shorter than 12 characters'}: export the webhook's "
                    "basic-auth password there (the same one as in the webhook URL set in Postmark)"
                )
            auth = (delivery.postmark_webhook_user, password)
        return cls(config, sns, auth)

    def record(self, service: Service, findings: list[Finding]) -> RunReport:
        report = RunReport(messages=1)
        apply(service.roster, findings, self.config.bounces.soft_limit, report)
        return report

    def confirm_subscription(self, message: dict[str, Any]) -> None:
        assert self.sns is not None
        url = str(message.get("SubscribeURL", ""))
        if not allowed_sns_url(url, self.sns.hosts):
            raise WebhookError(403, f"SubscribeURL {url!r} is not an https URL of an allowed SNS host")
        try:
            with self.sns.http.client(follow_redirects=False) as client:
                response = client.get(url)
        except httpx.HTTPError as error:
            raise WebhookError(502, f"cannot confirm the SNS subscription: {self.sns.http.reason(error)}") from None
        if response.status_code != 200:
            raise WebhookError(502, f"cannot confirm the SNS subscription: HTTP {response.status_code}")

    def ses(self, service: Service, body: bytes) -> str:
        assert self.sns is not None
        message = _json(body)
        self.sns.verify(message)
        kind = message["Type"]
        if kind == "SubscriptionConfirmation":
            self.confirm_subscription(message)
            return f"subscription to {message['TopicArn']} confirmed"
        if kind == "UnsubscribeConfirmation":
            return "unsubscribed"
        try:
            notification = json.loads(str(message.get("Message", "")))
        except ValueError:
            raise WebhookError(400, "the SNS notification's Message is not SES's JSON") from None
        if not isinstance(notification, dict):
            raise WebhookError(400, "the SNS notification's Message is not SES's JSON")
        return self.record(service, ses_findings(notification)).line()

    def postmark(self, service: Service, body: bytes, authorization: str) -> str:
        assert self.postmark_auth is not None
        if not _basic_auth_matches(authorization, self.postmark_auth):
            raise WebhookError(401, "the webhook's basic-auth credentials are wrong")
        event = _json(body)
        return self.record(service, postmark_findings(event)).line()


def _basic_auth_matches(header: str, expected: tuple[str, str]) -> bool:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    wanted = f"{expected[0]}:{expected[1]}".encode()
    return hmac.compare_digest(given, wanted)


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookError(400, "the body is not JSON") from None
    if not isinstance(value, dict):
        raise WebhookError(400, "the body is not a JSON object")
    return value


async def _webhook_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_WEBHOOK_BODY:
        raise WebhookError(413, "the body is larger than a notification")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_WEBHOOK_BODY:
            raise WebhookError(413, "the body is larger than a notification")
    return bytes(received)


_SAFE = re.compile(r"[^\x20-\x7e]")
log = logging.getLogger("uvicorn.error")


def webhook_routes(service: Service) -> list[Route]:
    """The routes of the webhooks this newsroom configured (none without [delivery] settings)."""
    hooks = Webhooks.from_config(service.room.config)

    def endpoint(name: str, handle: Callable[[Request, bytes], str]) -> Callable:
        async def answer(request: Request) -> Response:
            try:
                body = await _webhook_body(request)
                line = await run_in_threadpool(handle, request, body)
            except WebhookError as problem:
                log.warning("webhook %s: %s", name, _SAFE.sub("?", problem.text))
                headers = {"WWW-Authenticate": 'Basic realm="webhooks"'} if problem.status == 401 else None
                return JSONResponse({"error": problem.text}, status_code=problem.status, headers=headers)
            log.info("webhook %s: %s", name, line)
            return PlainTextResponse(line + "\n")

        return answer

    routes = []
    if hooks.sns is not None:
        routes.append(Route("/webhooks/ses", endpoint("ses", lambda r, b: hooks.ses(service, b)), methods=["POST"]))
    if hooks.postmark_auth is not None:
        routes.append(
            Route(
                "/webhooks/postmark",
                endpoint("postmark", lambda r, b: hooks.postmark(service, b, r.headers.get("authorization", ""))),
                methods=["POST"],
            )
        )
    return routes
