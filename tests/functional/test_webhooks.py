"""The providers' webhooks of `newsdesk serve`, run for real by uvicorn on loopback: SES's
notifications through SNS (signatures checked against a certificate the test made, fetched
over HTTPS from an allowed host; subscriptions confirmed) and Postmark's bounce and complaint
webhooks behind basic auth. Both reach the same suppression states as `newsdesk bounces`."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
import tomlkit
from conftest import server_context
from mail_newsroom import subscriber_rows, write_subscribers
from sns import TOPIC, Sns
from web_service import SECRET, RunningService, configure_web, web_port

import newsdesk.http as nethttp
from newsdesk.errors import InvalidInput
from newsdesk.mail.roster import Roster
from newsdesk.newsroom import Newsroom
from newsdesk.store import Store
from newsdesk.web.app import Service, create_app

pytestmark = pytest.mark.slow
PASSWORD = "postmark-webhook-password"


def configure(root: Path, **tables: dict) -> None:
    path = root / "sources.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    for table, values in tables.items():
        section = document.setdefault(table, tomlkit.table())
        for key, value in values.items():
            section[key] = value
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def states(room: Path) -> dict[str, tuple[str, str]]:
    with Store(room / ".newsdesk" / "store.sqlite3") as store:
        return {m.address: (m.state, m.reason) for m in Roster(store).members()}


def bounce(address: str, kind: str = "Permanent") -> dict:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": kind,
            "bounceSubType": "General",
            "bouncedRecipients": [
                {"emailAddress": address, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 no"}
            ],
            "timestamp": "2026-12-08T00:00:00.000Z",
        },
        "mail": {"messageId": "0100018-test", "destination": [address]},
    }


def complaint(address: str) -> dict:
    return {
        "eventType": "Complaint",  # a configuration set's event, which says eventType
        "complaint": {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"},
        "mail": {"messageId": "0100018-test", "destination": [address]},
    }


@pytest.fixture
def room(newsroom_dir: Path, run, monkeypatch, certificate) -> Path:
    monkeypatch.setenv("NEWSDESK_SECRET", SECRET)
    monkeypatch.setenv("NEWSDESK_POSTMARK_WEBHOOK_PASSWORD", PASSWORD)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the loopback SNS's TLS certificate
    nethttp.tls_context.cache_clear()
    write_subscribers(newsroom_dir, subscriber_rows(8))
    assert run("subscribers").exit_code == 0
    configure(
        newsroom_dir,
        delivery={"sns_topics": [TOPIC], "sns_certificate_hosts": ["127.0.0.1"], "postmark_webhook_user": "postmark"},
        bounces={"soft_limit": 2},
    )
    yield newsroom_dir
    nethttp.tls_context.cache_clear()


@pytest.fixture
def sns(certificate):
    with Sns(server_context(certificate)) as server:
        yield server


@pytest.fixture
def service(room: Path):
    port = web_port()
    configure_web(room, port)
    with RunningService(room, port) as running:
        yield running


def post_sns(service: RunningService, message: dict) -> httpx.Response:
    return httpx.post(
        service.url("/webhooks/ses"),
        content=json.dumps(message),
        headers={"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": message["Type"]},
    )


def test_ses_bounces_and_complaints_through_signed_sns(room: Path, sns: Sns, service: RunningService) -> None:
    confirmation = post_sns(service, sns.subscription_confirmation())
    assert confirmation.status_code == 200, confirmation.text
    assert len(sns.confirmed) == 1 and "Action=ConfirmSubscription" in sns.confirmed[0]

    hard = post_sns(service, sns.notification(bounce("reader00001@readers.example")))
    assert hard.status_code == 200, hard.text
    assert post_sns(service, sns.notification(complaint("reader00002@readers.example"), version="2")).status_code == 200
    soft = sns.notification(bounce("reader00003@readers.example", "Transient"), Subject="Amazon SES Email Event")
    assert post_sns(service, soft).status_code == 200
    assert post_sns(service, sns.notification(bounce("nobody@elsewhere.example"))).status_code == 200

    after = states(room)
    assert after["reader00001@readers.example"][0] == "bounced"
    assert "5.1.1" in after["reader00001@readers.example"][1]
    assert after["reader00002@readers.example"][0] == "complained"
    assert after["reader00003@readers.example"][0] == "subscribed"  # one soft bounce of 2
    assert post_sns(service, sns.notification(bounce("reader00003@readers.example", "Transient"))).status_code == 200
    assert states(room)["reader00003@readers.example"][0] == "bounced"  # the second: the limit
    assert sns.certificate_fetches == 1  # fetched once, then kept


def test_unsigned_forged_or_foreign_sns_messages_change_nothing(room: Path, sns: Sns, service: RunningService) -> None:
    before = states(room)
    tampered = sns.notification(bounce("reader00004@readers.example"))
    tampered["Message"] = json.dumps(bounce("reader00005@readers.example"))  # changed after signing
    assert post_sns(service, tampered).status_code == 403

    other_topic = sns.notification(bounce("reader00004@readers.example"), topic=TOPIC.replace("newsletter", "other"))
    assert post_sns(service, other_topic).status_code == 403

    elsewhere = sns.notification(bounce("reader00004@readers.example"))
    for url in ("https://sns.evil.example/cert.pem", sns.certificate_url.replace("https:", "http:")):
        moved = sns.sign({k: v for k, v in elsewhere.items() if k != "Signature"} | {"SigningCertURL": url})
        answer = post_sns(service, moved)
        assert answer.status_code == 403 and "SigningCertURL" in answer.text

    unsigned = {k: v for k, v in elsewhere.items() if k != "Signature"}
    assert post_sns(service, unsigned).status_code in (400, 403)
    assert post_sns(service, {"Type": "Notification"}).status_code == 403
    assert httpx.post(service.url("/webhooks/ses"), content=b"not json").status_code == 400

    confirmation = sns.subscription_confirmation()
    confirmation["SubscribeURL"] = "https://attacker.example/?Action=ConfirmSubscription"
    resigned = sns.sign({k: v for k, v in confirmation.items() if k != "Signature"})
    assert post_sns(service, resigned).status_code == 403
    assert sns.confirmed == []
    assert states(room) == before


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def postmark_bounce(address: str, kind: str = "HardBounce") -> dict:
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "MessageStream": "broadcast",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": address,
        "From": "weekly@socialcredit.example",
        "BouncedAt": "2026-12-08T00:00:00Z",
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Social Credit Weekly News Summary",
    }


def test_postmark_bounces_and_complaints_behind_basic_auth(room: Path, service: RunningService) -> None:
    url = service.url("/webhooks/postmark")
    before = states(room)
    assert httpx.post(url, json=postmark_bounce("reader00001@readers.example")).status_code == 401
    wrong = httpx.post(url, json=postmark_bounce("reader00001@readers.example"), headers=basic("postmark", "guess"))
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Basic")
    assert states(room) == before

    auth = basic("postmark", PASSWORD)
    assert httpx.post(url, json=postmark_bounce("reader00001@readers.example"), headers=auth).status_code == 200
    spam = {
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Email": "reader00002@readers.example",
        "MessageStream": "broadcast",
    }
    assert httpx.post(url, json=spam, headers=auth).status_code == 200
    soft = postmark_bounce("reader00003@readers.example", "SoftBounce")
    assert httpx.post(url, json=soft, headers=auth).status_code == 200
    auto = postmark_bounce("reader00004@readers.example", "AutoResponder")
    assert httpx.post(url, json=auto, headers=auth).status_code == 200
    assert httpx.post(url, content=b"[1, 2]", headers=auth).status_code == 400

    after = states(room)
    assert after["reader00001@readers.example"] == (
        "bounced",
        "Postmark HardBounce: The server was unable to deliver your message (ex: unknown user, mailbox not found).",
    )
    assert after["reader00002@readers.example"][0] == "complained"
    assert after["reader00003@readers.example"][0] == "subscribed"  # one soft bounce of 2
    assert after["reader00004@readers.example"][0] == "subscribed"


def test_webhooks_are_off_unless_configured_and_need_their_password(room: Path, monkeypatch) -> None:
    monkeypatch.delenv("NEWSDESK_POSTMARK_WEBHOOK_PASSWORD")
    newsroom = Newsroom.open(room)
    from newsdesk.mail.tokens import signer_for

    with pytest.raises(InvalidInput, match="NEWSDESK_POSTMARK_WEBHOOK_PASSWORD is empty"):
        create_app(Service(room=newsroom, signer=signer_for(newsroom.config), smtp_password=None))
    configure(room, delivery={"sns_topics": [], "postmark_webhook_user": ""})
    newsroom = Newsroom.open(room)
    app = create_app(Service(room=newsroom, signer=signer_for(newsroom.config), smtp_password=None))
    assert not [route for route in app.routes if getattr(route, "path", "").startswith("/webhooks")]
