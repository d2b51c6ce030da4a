"""A loopback server that speaks Postmark's documented email API (POST /email), for the tests.

What it checks and answers is what Postmark's API reference says: the X-Postmark-Server-Token
header (ErrorCode 10, HTTP 401), JSON in and out (ErrorCode 409 without Content-Type and Accept
of application/json), From and To required (ErrorCode 300), a From of a confirmed sender
signature (ErrorCode 400), an existing message stream (ErrorCode 1235), inactive recipients
(ErrorCode 406, HTTP 422); a success is HTTP 200 with To, SubmittedAt, MessageID, ErrorCode 0
and Message "OK". ``faults`` makes chosen recipients answer 429 or 5xx first.

Read-only, as `newsdesk doctor` asks: ``GET /server`` (the server the token belongs to: ID,
Name, ...; ErrorCode 10 and HTTP 401 for a wrong token) and ``GET /message-streams/{id}``
(ID, ServerID, Name, MessageStreamType; HTTP 404 for a stream the server lacks), both wanting
``Accept: application/json``.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from loopback import QuietHTTPServer


class PostmarkServer:
    def __init__(
        self,
        token: str,
        senders: tuple[str, ...] = (),
        streams: tuple[str, ...] = ("broadcast",),
        name: str = "Social Credit Weekly",
    ) -> None:
        self.token = token
        self.name = name
        self.gets: list[str] = []  # the path of every GET
        self.senders = {s.lower() for s in senders}
        self.streams = set(streams)
        self.inactive: set[str] = set()
        self.faults: dict[str, list[int]] = defaultdict(list)
        self.received: list[dict] = []  # the accepted requests' JSON, with "MessageID" added
        self.requests: list[str] = []  # the To address of every POST /email
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, headers, body: bytes) -> tuple[int, dict]:
        if headers.get("X-Postmark-Server-Token") != self.token:
            return 401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."}
        if "application/json" not in (headers.get("Content-Type") or "") or "application/json" not in (
            headers.get("Accept") or ""
        ):
            return 422, {"ErrorCode": 409, "Message": "JSON required."}
        try:
            email = json.loads(body)
        except ValueError:
            return 422, {"ErrorCode": 402, "Message": "Invalid JSON."}
        if not isinstance(email, dict) or not email.get("From") or not email.get("To"):
            return 422, {"ErrorCode": 300, "Message": "Invalid email request: From and To are required."}
        to = parseaddr(email["To"])[1].lower()
        with self.lock:
            self.requests.append(to)
            fault = self.faults[to].pop(0) if self.faults.get(to) else None
        if fault is not None:
            return fault, {"ErrorCode": 0 if fault >= 500 else 429, "Message": f"HTTP {fault} (injected by the test)"}
        if parseaddr(email["From"])[1].lower() not in self.senders:
            return 422, {
                "ErrorCode": 400,
                "Message": "The 'From' address you supplied is not a Sender Signature on your account.",
            }
        if email.get("MessageStream", "outbound") not in self.streams:
            return 422, {"ErrorCode": 1235, "Message": "The message stream for the provided 'ID' was not found."}
        if to in self.inactive:
            return 422, {
                "ErrorCode": 406,
                "Message": "You tried to send to recipient(s) that have been marked as inactive.",
            }
        ident = str(uuid.uuid4())
        with self.lock:
            self.received.append({**email, "MessageID": ident})
        return 200, {
            "To": email["To"],
            "SubmittedAt": datetime.now(UTC).isoformat(),
            "MessageID": ident,
            "ErrorCode": 0,
            "Message": "OK",
        }

    def read(self, headers, path: str) -> tuple[int, dict]:
        with self.lock:
            self.gets.append(path)
        if headers.get("X-Postmark-Server-Token") != self.token:
            return 401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."}
        if "application/json" not in (headers.get("Accept") or ""):
            return 422, {"ErrorCode": 409, "Message": "JSON required."}
        if path == "/server":
            return 200, {
                "ID": 1,
                "Name": self.name,
                "ApiTokens": [self.token],
                "Color": "blue",
                "SmtpApiActivated": False,
                "DeliveryType": "Live",
            }
        stream = path.removeprefix("/message-streams/")
        if path.startswith("/message-streams/") and stream in self.streams:
            kind = {"outbound": "Transactional", "inbound": "Inbound"}.get(stream, "Broadcasts")
            return 200, {"ID": stream, "ServerID": 1, "Name": stream, "Description": "", "MessageStreamType": kind}
        if path.startswith("/message-streams/"):
            return 404, {"ErrorCode": 1226, "Message": "The message stream for the provided 'ID' was not found."}
        return 404, {"ErrorCode": 0, "Message": "Not found"}

    def __enter__(self) -> PostmarkServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/email":
                    status, answer = 404, {"ErrorCode": 0, "Message": "Not found"}
                else:
                    status, answer = outer.answer(self.headers, body)
                self.reply(status, answer)

            def do_GET(self) -> None:
                self.reply(*outer.read(self.headers, self.path))

            def reply(self, status: int, answer: dict) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
