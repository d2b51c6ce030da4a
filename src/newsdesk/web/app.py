"""`newsdesk serve`: the newsroom's small web service, a Starlette app.

Routes:

* ``GET /`` and ``GET /subscribe``: the sign-up form; ``POST /subscribe`` takes ``email``,
  ``name`` and ``website`` (a honeypot) as a form (urlencoded or multipart/form-data; any
  other body gets 415), from this page or any blog's own form.
  A new address is stored ``pending`` and sent a confirmation email with a signed link;
  the address is subscribed only when that link is followed and its button pressed.
  A subscribed address gets a notice saying so instead (the page is everyone's, so it
  never tells who is subscribed). One address gets at most one message an hour (a sign-up
  again within the hour is told so, and when to try again); one client address at most
  ``[web] signups_per_hour`` sign-ups (429 with Retry-After past that; a honeypot's post
  and one the mail server failed are not counted). A filled-in honeypot gets the same
  answer as a person and changes nothing.
* ``GET /confirm/TOKEN`` shows a page with one button; ``POST /confirm/TOKEN`` subscribes.
  A replayed link (already used, or replaced by a newer one) gets 410, an expired one 410,
  a forged or altered one 400.
* ``GET /unsubscribe/TOKEN`` shows a page with one button and changes nothing (mail
  scanners follow links); ``POST /unsubscribe/TOKEN`` unsubscribes at once: the RFC 8058
  one-click POST (``List-Unsubscribe=One-Click``, no cookies, no second step) and the
  page's button alike. A forged or altered token gets 400 and changes nothing.

Every change is one store transaction, so a crash mid-request leaves the old state or
the new one. Bad input (a malformed address, an over-long name, a body that is not UTF-8,
an oversized body) gets a plain page and the right status; nothing is stored half-way.
The blocking work runs in threads: the store's in Starlette's pool, the confirmation
emails' SMTP sessions in a few threads of their own, so that a slow mail server never
holds up an unsubscribe.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from newsdesk.mail import roster as lists
from newsdesk.mail.providers import Delivery
from newsdesk.mail.roster import Roster
from newsdesk.mail.smtp import Permanent, SmtpFatal, SmtpTransport, Transient, smtp_target
from newsdesk.mail.subscribers import address_problem
from newsdesk.mail.tokens import Signer, TokenError, confirm_url
from newsdesk.newsroom import Newsroom
from newsdesk.store import Store
from newsdesk.web.pages import button_page, page, signup_form
from newsdesk.web.webhooks import webhook_routes

MAX_BODY = 4096  # bytes of a form: an address, a name and a honeypot fit many times over
MAX_NAME = 100
RESEND_AFTER = timedelta(hours=1)
RATE_WINDOW = 3600.0
MAIL_THREADS = 8  # confirmation emails sent at once, each over an SMTP session of its own
ONE_CLICK = ("List-Unsubscribe", "One-Click")
log = logging.getLogger("uvicorn.error")  # uvicorn's log of the service (not the access lines)


class BadRequest(Exception):
    """A request we answer with a plain page: its status and the sentence to show."""

    def __init__(self, status: int, title: str, text: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.status, self.title, self.text = status, title, text
        self.headers = headers or {}


@dataclass
class Service:
    """What the routes share: the newsroom, its store, the signer, the limits."""

    room: Newsroom
    signer: Signer
    smtp_password: str | None
    clock: Callable[[], float] = time.time
    store: Store | None = None
    # [delivery] provider SES or Postmark: the confirmations go as the issues do; None: [smtp].
    delivery: Delivery | None = None

    def __post_init__(self) -> None:
        self.web = self.room.config.web
        self.list_name = self.room.config.newsroom.name
        self.public_url = (self.web.public_url or f"http://{self.web.host}:{self.web.port}").rstrip("/")
        self.recent: dict[str, deque[float]] = {}  # client address -> times of its sign-ups
        self.mail_pool: ThreadPoolExecutor | None = None

    @property
    def roster(self) -> Roster:
        assert self.store is not None, "the service is not started"
        return Roster(self.store)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # Limits --------------------------------------------------------------

    def count_sign_up(self, client: str) -> float:
        """Count one sign-up from ``client`` and return its time (to take it back with
        ``uncount``); BadRequest 429, with Retry-After, when it is one too many this hour."""
        now = self.clock()
        times = self.recent.setdefault(client, deque())
        while times and now - times[0] > RATE_WINDOW:
            times.popleft()
        if len(times) >= self.web.signups_per_hour:
            wait = max(1, math.ceil(times[0] + RATE_WINDOW - now))
            raise BadRequest(
                429,
                "Too many sign-ups",
                f"Too many sign-ups from your address; try again in {_duration(wait)}.",
                {"Retry-After": str(wait)},
            )
        times.append(now)
        if len(self.recent) > 10_000:  # forget the quiet ones, so memory stays bounded
            for key in [key for key, kept in self.recent.items() if not kept or now - kept[-1] > RATE_WINDOW]:
                del self.recent[key]
        return now

    def uncount(self, client: str, moment: float) -> None:
        """Take back a counted sign-up that was not one (a honeypot's, one the mail server failed)."""
        times = self.recent.get(client)
        if times is not None and moment in times:
            times.remove(moment)

    # Pages ---------------------------------------------------------------

    def html(self, body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    def error(self, problem: BadRequest) -> HTMLResponse:
        response = self.html(page(problem.title, problem.text, list_name=self.list_name), problem.status)
        response.headers.update(problem.headers)
        return response

    # Confirmation emails -------------------------------------------------

    def confirmation_email(self, address: str, name: str, link: str) -> bytes:
        settings = self.room.config.newsroom
        message = EmailMessage()
        message["Subject"] = f"Confirm your subscription to {self.list_name}"
        message["From"] = Address(settings.sender_name, addr_spec=settings.sender_email)
        if settings.reply_to:  # where a reader's reply goes, as with every issue
            message["Reply-To"] = Address(addr_spec=settings.reply_to)
        message["To"] = address
        message["Date"] = format_datetime(self.now())
        message["Message-ID"] = make_msgid(domain=settings.sender_email.partition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"
        greeting = f"Hello {name},\n\n" if name else "Hello,\n\n"
        message.set_content(
            f"{greeting}someone (we hope you) asked to receive {self.list_name} at {address}.\n\n"
            f"To confirm, open this link and press the button on the page:\n\n{link}\n\n"
            f"The link works for {self.web.confirm_hours:g} hours. If you did not ask, ignore this "
            "message: you will not be subscribed and will hear nothing more.\n"
        )
        return message.as_bytes(policy=policy.SMTP)

    def notice_email(self, address: str, name: str) -> bytes:
        """To an address that signs up when it is subscribed already: the page said a
        message is on its way (it never tells who is subscribed), and this is it."""
        settings = self.room.config.newsroom
        message = EmailMessage()
        message["Subject"] = f"You are already subscribed to {self.list_name}"
        message["From"] = Address(settings.sender_name, addr_spec=settings.sender_email)
        if settings.reply_to:
            message["Reply-To"] = Address(addr_spec=settings.reply_to)
        message["To"] = address
        message["Date"] = format_datetime(self.now())
        message["Message-ID"] = make_msgid(domain=settings.sender_email.partition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"
        greeting = f"Hello {name},\n\n" if name else "Hello,\n\n"
        message.set_content(
            f"{greeting}someone (we hope you) asked to receive {self.list_name} at {address}. That address is "
            "subscribed already, so there is nothing to do: the next issue will reach you as the last one did.\n\n"
            "Every issue has a link to unsubscribe. If you did not ask, ignore this message: nothing has changed.\n"
        )
        return message.as_bytes(policy=policy.SMTP)

    def send_confirmation(self, address: str, name: str, link: str) -> None:
        self.deliver(address, self.confirmation_email(address, name, link))

    def deliver(self, address: str, data: bytes) -> None:
        if self.delivery is not None:
            transport = self.delivery.open()
            try:
                transport.send(self.room.config.newsroom.sender_email, address, data)
            finally:
                transport.close()
            return
        target = smtp_target(self.room.config.smtp)
        with SmtpTransport(target, self.smtp_password) as transport:
            transport.send(self.room.config.newsroom.sender_email, address, data)

    # Actions (blocking: run in the thread pool) ----------------------------

    def sign_up(self, address: str, name: str) -> datetime | None:
        """Record a sign-up and send its confirmation; returns, when one went less than an
        hour ago (and none is sent now), when the next may go."""
        nonce = secrets.token_urlsafe(12)
        signup = lists.sign_up(self.roster, address, name, nonce, self.now(), RESEND_AFTER)
        if signup.recent is not None:
            return datetime.fromisoformat(signup.recent) + RESEND_AFTER
        if signup.nonce is None and not signup.subscribed:
            return None
        try:
            if signup.nonce is None:
                self.deliver(address, self.notice_email(address, name))
            else:
                token = self.signer.confirm_token(signup.member_id, signup.nonce, int(self.clock()))
                self.send_confirmation(address, name, confirm_url(self.public_url, token))
        except (Permanent, Transient, SmtpFatal) as problem:
            lists.undo_sign_up(self.roster, signup)
            reply = problem.reply if isinstance(problem, (Permanent, Transient)) else problem.message
            if isinstance(problem, Permanent):
                raise BadRequest(400, "That address refuses mail", f"The mail server said: {reply}") from None
            # The editor reads why in the service's log (the address is left out: personal data).
            log.warning(
                "a confirmation email could not be sent via %s: %s",
                self.delivery.describe()
                if self.delivery is not None
                else smtp_target(self.room.config.smtp).describe(),
                reply,
            )
            raise BadRequest(
                503, "Please try again later", "The confirmation email could not be sent just now."
            ) from None
        return None

    def read_confirmation(self, token: str) -> lists.Member:
        try:
            confirmation = self.signer.read_confirm(token, self.web.confirm_hours * 3600, self.clock())
        except TokenError as problem:
            expired = "expired" in str(problem)
            raise BadRequest(
                410 if expired else 400, "This link does not work", str(problem).capitalize() + "."
            ) from None
        member = self.roster.by_id(confirmation.member_id)
        if member is None or member.confirm_nonce != confirmation.nonce:
            raise BadRequest(
                410,
                "This link was already used",
                "This confirmation link was used already, or a newer one replaced it.",
            )
        return member

    def confirm(self, token: str) -> lists.Member:
        member = self.read_confirmation(token)
        assert member.confirm_nonce is not None
        if lists.confirm(self.roster, member.id, member.confirm_nonce, self.now()) != "confirmed":
            raise BadRequest(410, "This link was already used", "This confirmation link was used already.")
        return member

    def member_of(self, token: str) -> lists.Member | None:
        try:
            member_id = self.signer.read_unsubscribe(token)
        except TokenError:
            raise BadRequest(
                400, "This link does not work", "The unsubscribe link is not valid; nothing was changed."
            ) from None
        return self.roster.by_id(member_id)

    def unsubscribe(self, token: str, reason: str) -> lists.Member | None:
        member = self.member_of(token)
        if member is None:
            return None
        return self.roster.unsubscribe(member.id, reason, self.now())


def _duration(seconds: int) -> str:
    """A wait in words: ``12 minutes``, ``1 hour``."""
    if seconds >= 3600 - 30:
        return "an hour"
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute" + ("" if minutes == 1 else "s")


def _form(body: bytes) -> dict[str, str]:
    """A form body's fields (the first of each name); BadRequest unless it is UTF-8."""
    if len(body) > MAX_BODY:
        raise BadRequest(413, "Too much", "The form sent more than a sign-up needs.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "Unreadable form", "The form was not sent as UTF-8.") from None
    fields: dict[str, str] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict", max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(400, "Unreadable form", "The form could not be read.") from None
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


def _multipart(body: bytes, content_type: str) -> dict[str, str]:
    """A multipart/form-data body's fields (the first of each name), read by the standard
    ``email`` parser; BadRequest for a file, a part that is not UTF-8, or no valid form."""
    unreadable = BadRequest(400, "Unreadable form", "The form could not be read.")
    try:
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("ascii")
    except UnicodeEncodeError:
        raise unreadable from None
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart() or message.defects:
        raise unreadable
    fields: dict[str, str] = {}
    for number, part in enumerate(message.iter_parts()):
        name = part.get_param("name", header="content-disposition")
        if number >= 20 or part.get_content_disposition() != "form-data" or not isinstance(name, str):
            raise unreadable
        if part.get_filename() is not None:
            raise BadRequest(400, "Unreadable form", "A sign-up form sends no files.")
        data = part.get_payload(decode=True)
        try:
            value = data.decode("utf-8") if isinstance(data, bytes) else ""
        except UnicodeDecodeError:
            raise BadRequest(400, "Unreadable form", "The form was not sent as UTF-8.") from None
        fields.setdefault(name, value)
    return fields


async def _fields(request: Request) -> dict[str, str]:
    """A posted form's fields, sent urlencoded (or with no type) or as multipart/form-data;
    BadRequest 415 for any other body (JSON, say)."""
    content_type = request.headers.get("content-type", "")
    media = content_type.partition(";")[0].strip().lower()
    if media not in ("", "application/x-www-form-urlencoded", "multipart/form-data"):
        raise BadRequest(
            415,
            "Not a form",
            "Send the sign-up as a form: application/x-www-form-urlencoded or multipart/form-data.",
        )
    body = await _body(request)
    return _multipart(body, content_type) if media == "multipart/form-data" else _form(body)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise BadRequest(413, "Too much", "The form sent more than a sign-up needs.")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY:
            raise BadRequest(413, "Too much", "The form sent more than a sign-up needs.")
    return bytes(received)


def create_app(service: Service) -> Starlette:
    """The ASGI app; the store opens at startup and closes at shutdown (the lifespan)."""

    def guarded(handler: Callable) -> Callable:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except BadRequest as problem:
                return service.error(problem)

        return endpoint

    async def form_page(request: Request) -> Response:
        return service.html(signup_form(service.list_name))

    async def subscribe(request: Request) -> Response:
        fields = await _fields(request)
        address = fields.get("email", "").strip()
        raw_name = fields.get("name", "")
        if problem := address_problem(address):
            raise BadRequest(400, "That address does not look right", f"{problem[0].upper()}{problem[1:]}.")
        # Looked for before the spaces are tidied: a CR, LF or TAB is refused, not made a space.
        if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029" for c in raw_name):
            raise BadRequest(400, "That name cannot be used", "The name has a control character.")
        name = " ".join(raw_name.split())
        if len(name) > MAX_NAME:
            raise BadRequest(400, "That name is too long", f"A name may have at most {MAX_NAME} characters.")
        client = request.client.host if request.client else "unknown"
        on_its_way = service.html(
            page(
                "Check your inbox",
                f"If {address} can receive {service.list_name}, a message with a confirmation link is on its way. "
                "Follow it to subscribe.",
                list_name=service.list_name,
            )
        )
        if fields.get("website"):  # the honeypot: robots get the same page, and nothing happens (or counts)
            return on_its_way
        counted = service.count_sign_up(client)
        try:
            # Its own few threads: SMTP sessions never hold up the quick store work of the others.
            later = await asyncio.get_running_loop().run_in_executor(service.mail_pool, service.sign_up, address, name)
        except BadRequest as failure:
            if failure.status == 503:  # the mail server's failure, not the reader's: not counted
                service.uncount(client, counted)
            raise
        if later is None:
            return on_its_way
        return service.html(
            page(
                "Check your inbox",
                f"A message was sent to {address} less than an hour ago: check your inbox (and the spam "
                f"folder) for it, or try again after {later:%H:%M} UTC.",
                list_name=service.list_name,
            )
        )

    async def confirm_page(request: Request) -> Response:
        token = request.path_params["token"]
        member = await run_in_threadpool(service.read_confirmation, token)
        return service.html(
            button_page(
                f"Confirm your subscription to {service.list_name}",
                f"Press the button to start receiving {service.list_name} at {member.address}.",
                f"/confirm/{token}",
                "Confirm subscription",
                service.list_name,
                {},
            )
        )

    async def confirm(request: Request) -> Response:
        token = request.path_params["token"]
        await _body(request)
        member = await run_in_threadpool(service.confirm, token)
        return service.html(
            page(
                "You are subscribed",
                f"{member.address} will receive {service.list_name}. Every issue has a link to unsubscribe.",
                list_name=service.list_name,
            )
        )

    async def unsubscribe_page(request: Request) -> Response:
        token = request.path_params["token"]
        member = await run_in_threadpool(service.member_of, token)
        if member is None or member.suppressed:
            return service.html(
                page(
                    "You are unsubscribed",
                    f"You will not receive {service.list_name} any more.",
                    list_name=service.list_name,
                )
            )
        return service.html(
            button_page(
                f"Unsubscribe from {service.list_name}",
                f"Press the button and {member.address} will receive no more issues.",
                f"/unsubscribe/{token}",
                "Unsubscribe",
                service.list_name,
                {"from": "page"},
            )
        )

    async def unsubscribe(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            fields = await _fields(request)
        except BadRequest as problem:
            if problem.status == 413:
                raise
            fields = {}  # an odd body: a valid link unsubscribes all the same
        one_click = fields.get(ONE_CLICK[0]) == ONE_CLICK[1]
        reason = "one-click unsubscribe (RFC 8058)" if one_click else "unsubscribe page"
        await run_in_threadpool(service.unsubscribe, token, reason)
        return service.html(
            page(
                "You are unsubscribed",
                f"You will not receive {service.list_name} any more.",
                list_name=service.list_name,
            )
        )

    async def no_token(request: Request) -> Response:
        return service.html(
            page(
                f"Unsubscribe from {service.list_name}",
                "Use the unsubscribe link at the end of any issue: it unsubscribes you with one click.",
                list_name=service.list_name,
            )
        )

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def http_error(request: Request, problem: Exception) -> Response:
        assert isinstance(problem, HTTPException)
        titles = {404: "Not found", 405: "Not allowed"}
        title = titles.get(problem.status_code, "Something went wrong")
        return service.error(BadRequest(problem.status_code, title, f"There is nothing to {request.method} here."))

    async def server_error(request: Request, problem: Exception) -> Response:
        return service.error(BadRequest(500, "Something went wrong", "The request failed; nothing was changed."))

    @asynccontextmanager
    async def lifespan(app: Starlette):
        service.store = service.room.store()
        service.mail_pool = ThreadPoolExecutor(max_workers=MAIL_THREADS, thread_name_prefix="confirmations")
        try:
            yield
        finally:
            service.mail_pool.shutdown(wait=True)
            service.store.close()
            service.store = None

    routes = [
        Route("/", guarded(form_page), methods=["GET"]),
        Route("/subscribe", guarded(form_page), methods=["GET"]),
        Route("/subscribe", guarded(subscribe), methods=["POST"]),
        Route("/confirm/{token}", guarded(confirm_page), methods=["GET"]),
        Route("/confirm/{token}", guarded(confirm), methods=["POST"]),
        Route("/unsubscribe", guarded(no_token), methods=["GET"]),
        Route("/unsubscribe/{token}", guarded(unsubscribe_page), methods=["GET"]),
        Route("/unsubscribe/{token}", guarded(unsubscribe), methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        *webhook_routes(service),  # the providers' bounce and complaint webhooks, when configured
    ]
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
