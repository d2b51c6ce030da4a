"""Amazon SES on loopback: moto's standalone server (ThreadedMotoServer), with a small front of
the tests' own that answers chosen recipients with SES's errors (throttling, rejection) the way
SES's API v2 writes them, and hands every other request to moto unchanged.

moto keeps what it was sent in its SES backend (``ses_backends[account][region].sent_messages``,
the way moto's documentation reads them back).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from loopback import QuietHTTPServer
from moto.core import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer
from moto.ses.models import ses_backends

REGION = "eu-west-1"


class SesServer:
    def __init__(self) -> None:
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        # recipient -> the errors to answer, in turn: (HTTP status, SES error code); status 0:
        # hand the request to moto, then keep its answer back (the line goes quiet after SES took it)
        self.faults: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.silence = 3.0  # seconds a status-0 fault keeps quiet before it closes the connection
        self.requests: list[str] = []  # the recipient of each SendEmail seen
        self.lock = threading.Lock()
        self.front: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.front is not None
        return f"http://127.0.0.1:{self.front.server_address[1]}"

    @property
    def backend(self):
        return ses_backends[DEFAULT_ACCOUNT_ID][REGION]

    def sent(self) -> list:
        """The messages moto took (RawMessage: id, source, destinations, raw_data)."""
        return list(self.backend.sent_messages)

    def verify(self, address: str) -> None:
        self.backend.verify_email_identity(address)

    def __enter__(self) -> SesServer:
        self.moto.start()
        moto_host, moto_port = self.moto.get_host_and_port()
        reset = http.client.HTTPConnection(moto_host, moto_port, timeout=30)
        reset.request("POST", "/moto-api/reset")  # nothing left from another test
        reset.getresponse().read()
        reset.close()
        server = self

        class Front(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recipient = ""
                if self.path.endswith("/outbound-emails"):
                    try:
                        recipient = json.loads(body)["Destination"]["ToAddresses"][0]
                    except (ValueError, KeyError, IndexError):
                        recipient = ""
                    with server.lock:
                        server.requests.append(recipient)
                        fault = server.faults[recipient].pop(0) if server.faults.get(recipient) else None
                    if fault is not None and fault[0] == 0:
                        upstream = http.client.HTTPConnection(moto_host, moto_port, timeout=30)
                        upstream.request(self.command, self.path, body, dict(self.headers.items()))
                        upstream.getresponse().read()  # moto took the message...
                        upstream.close()
                        time.sleep(server.silence)  # ...and the answer never comes
                        self.close_connection = True
                        return
                    if fault is not None:
                        status, code = fault
                        answer = json.dumps({"message": f"{code} (injected by the test)"}).encode()
                        self.send_response(status)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("x-amzn-ErrorType", code)
                        self.send_header("Content-Length", str(len(answer)))
                        self.end_headers()
                        self.wfile.write(answer)
                        return
                upstream = http.client.HTTPConnection(moto_host, moto_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                upstream.request(self.command, self.path, body, headers)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.front = QuietHTTPServer(("127.0.0.1", 0), Front)
        threading.Thread(target=self.front.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.front is not None
        self.front.shutdown()
        self.front.server_close()
        self.moto.stop()
