"""Amazon SNS as the tests play it: a signing key and certificate made by the test, served
over HTTPS on loopback (with the test TLS certificate) the way SNS serves its SigningCertURL,
messages signed as SNS's documentation describes (SignatureVersion 1: SHA1withRSA, 2:
SHA256withRSA, over "Key\\nValue\\n" of the signed keys in order), and the SubscribeURL a
subscription confirmation GETs."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from loopback import QuietHTTPServer

TOPIC = "arn:aws:sns:eu-west-1:123456789012:newsletter-events"
NOTIFICATION_KEYS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
CONFIRMATION_KEYS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]


def signing_pair() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.eu-west-1.amazonaws.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.PEM)


class Sns:
    """The HTTPS server of the certificate and the confirmations, and the signer."""

    def __init__(self, tls_context) -> None:
        self.key, self.pem = signing_pair()
        self.tls_context = tls_context
        self.certificate_fetches = 0
        self.confirmed: list[str] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    @property
    def certificate_url(self) -> str:
        return f"{self.base}/SimpleNotificationService-test.pem"

    def sign(self, message: dict, version: str = "1") -> dict:
        keys = NOTIFICATION_KEYS if message["Type"] == "Notification" else CONFIRMATION_KEYS
        canonical = "".join(f"{key}\n{message[key]}\n" for key in keys if key in message).encode()
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(canonical, padding.PKCS1v15(), algorithm)
        return {
            **message,
            "SignatureVersion": version,
            "Signature": base64.b64encode(signature).decode(),
            "SigningCertURL": message.get("SigningCertURL", self.certificate_url),
        }

    def notification(self, ses_event: dict, *, topic: str = TOPIC, version: str = "1", **extra: str) -> dict:
        message = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic,
            "Message": json.dumps(ses_event),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            **extra,
        }
        signed = self.sign(message, version)
        signed["UnsubscribeURL"] = f"{self.base}/?Action=Unsubscribe"
        return signed

    def subscription_confirmation(self, topic: str = TOPIC) -> dict:
        token = uuid.uuid4().hex
        message = {
            "Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": topic,
            "Message": f"You have chosen to subscribe to the topic {topic}.",
            "SubscribeURL": f"{self.base}/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        return self.sign(message)

    def __enter__(self) -> Sns:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.endswith(".pem"):
                    outer.certificate_fetches += 1
                    body = outer.pem
                elif "Action=ConfirmSubscription" in self.path:
                    outer.confirmed.append(self.path)
                    body = b"<ConfirmSubscriptionResponse/>"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = self.tls_context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
