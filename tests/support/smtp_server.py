"""A real SMTP server on loopback (aiosmtpd) that records what it receives, and misbehaves
on demand: refuse some recipients for a while (4xx) or for good (5xx), require a login,
drop the connection in the middle of a message, or hold a reply until the test says so.

Run as a script it is the benchmark's server: ``python tests/smtp_server.py --port N``
counts messages without keeping them, and prints the counts as JSON when stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import email.parser
import email.policy
import json
import re
import socket
import sys
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    recipient: str
    data: bytes
    sender: str = ""  # the envelope's MAIL FROM (the Return-Path)

    @property
    def message_id(self) -> str | None:
        head = self.data.split(b"\r\n\r\n", 1)[0]
        match = _MESSAGE_ID.search(head)
        return match.group(1).decode() if match else None

    def parsed(self) -> email.message.EmailMessage:
        return email.parser.BytesParser(policy=email.policy.default).parsebytes(self.data)  # type: ignore[return-value]


@dataclass
class Recorder:
    """The server's behaviour and memory. Replies are spent in order, then 250."""

    keep: bool = True  # keep message bodies (the benchmark only counts)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    data_replies: dict[str, list[str]] = field(default_factory=dict)
    drop_during_data: set[int] = field(default_factory=set)  # message numbers (1-based) to cut off
    hold_after: int | None = None  # store message N, then wait for `release` before replying
    messages: list[Received] = field(default_factory=list)
    message_ids: Counter = field(default_factory=Counter)
    attempts: Counter = field(default_factory=Counter)  # DATA attempts per recipient
    logins: list[str] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.held = threading.Event()
        self.release = threading.Event()
        self.data_count = 0
        self.seen = defaultdict(int)

    # aiosmtpd handler hooks ------------------------------------------

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            queue = self.rcpt_replies.get(address.lower())
            reply = queue.pop(0) if queue else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        recipient = envelope.rcpt_tos[0].lower()
        with self.lock:
            self.data_count += 1
            number = self.data_count
            self.attempts[recipient] += 1
            queue = self.data_replies.get(recipient)
            reply = queue.pop(0) if queue else None
        if number in self.drop_during_data:
            server.transport.close()  # the line goes dead before any reply
            return "421 closing"
        if reply:
            return reply
        received = Received(recipient, envelope.content, envelope.mail_from or "")
        with self.lock:
            message_id = received.message_id
            self.message_ids[message_id] += 1
            if self.keep:
                self.messages.append(received)
            else:
                self.messages.append(Received(recipient, b""))
        if self.hold_after == number:
            self.held.set()
            # The message is stored; the client is left waiting for the reply until released.
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return "250 Message accepted for delivery"

    # Views -------------------------------------------------------------

    @property
    def delivered(self) -> int:
        return sum(self.message_ids.values())

    def by_recipient(self) -> dict[str, list[Received]]:
        found: dict[str, list[Received]] = defaultdict(list)
        for message in self.messages:
            found[message.recipient].append(message)
        return found


class SmtpServer:
    """aiosmtpd's threaded Controller on 127.0.0.1 and a free port."""

    def __init__(
        self,
        recorder: Recorder | None = None,
        *,
        login: tuple[str, str] | None = None,
        tls_context=None,
        implicit_tls: bool = False,
        port: int | None = None,
    ) -> None:
        self.recorder = recorder or Recorder()
        self.login = login
        self.port = port or free_port()
        kwargs: dict = {"server_hostname": "localhost", "data_size_limit": 10_000_000}
        if login:
            # With STARTTLS the login waits for it; aiosmtpd does not count implicit TLS as TLS
            # here, and loopback tests without TLS log in in the clear.
            starttls = tls_context is not None and not implicit_tls
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=starttls)
        if tls_context is not None and implicit_tls:
            kwargs["ssl_context"] = tls_context
        elif tls_context is not None:
            kwargs["tls_context"] = tls_context
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and self.login is not None:
            user, password = self.login
            if auth_data.login.decode() == user and auth_data.password.decode() == password:
                self.recorder.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def url(self, user: str | None = None, scheme: str = "smtp") -> str:
        who = f"{user}@" if user else ""
        return f"{scheme}://{who}127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.recorder.release.set()
        self.controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    recorder = Recorder(keep=False)
    with SmtpServer(recorder, port=args.port):
        print("ready", flush=True)
        sys.stdin.read()  # until the benchmark closes our stdin
    print(
        json.dumps(
            {
                "delivered": recorder.delivered,
                "distinct": len(recorder.message_ids),
                "connections": recorder.connections,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
