"""`newsdesk send` through Amazon SES ([delivery] provider = "ses"): boto3's sesv2 client
against moto's standalone server on loopback. The message SES takes is the one SMTP would
carry, DKIM signatures and all; throttling defers a recipient as a 4xx does, a rejection is
recorded as a 5xx is, and the ledger keeps SES's message id."""

from __future__ import annotations

import shutil
import sqlite3
from email import message_from_bytes
from pathlib import Path

import dkim
import pytest
import tomlkit
from link_server import LinkServer
from mail_newsroom import ISSUE, subscriber_rows, write_ready_issue, write_subscribers
from ses_server import REGION, SesServer

pytestmark = pytest.mark.slow
KEYS = Path(__file__).resolve().parent.parent / "fixtures" / "dkim"
RECORDS = {
    b"news._domainkey.socialcredit.example.": (KEYS / "rsa.dns").read_bytes().strip(),
    b"news-ed._domainkey.socialcredit.example.": (KEYS / "ed25519.dns").read_bytes().strip(),
}
SENDER = "weekly@socialcredit.example"


def configure(root: Path, **tables: dict) -> None:
    path = root / "sources.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    for table, values in tables.items():
        section = document.setdefault(table, tomlkit.table())
        for key, value in values.items():
            section[key] = value
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def ledger(root: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(root / ".newsdesk" / "store.sqlite3") as db:
        rows = db.execute("SELECT address, state, reply FROM send_ledger WHERE issue = ?", (ISSUE,))
        return {address: (state, reply) for address, state, reply in rows}


@pytest.fixture
def ses():
    with SesServer() as server:
        yield server


@pytest.fixture
def room(newsroom_dir: Path, ses: SesServer, links: LinkServer, monkeypatch) -> Path:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    write_ready_issue(newsroom_dir, links.url)
    shutil.copytree(KEYS, newsroom_dir / "dkim")
    configure(
        newsroom_dir,
        delivery={"provider": "ses", "region": REGION, "endpoint_url": ses.url, "timeout": 10},
        smtp={"rate": 0, "backoff": 0.01, "defer": 0.01, "retries": 3},
        dkim={
            "rsa_selector": "news",
            "rsa_key": "dkim/rsa.key",
            "ed25519_selector": "news-ed",
            "ed25519_key": "dkim/ed25519.key",
        },
    )
    return newsroom_dir


def test_the_signed_message_goes_through_ses_to_each_subscriber_once(room: Path, ses: SesServer, run) -> None:
    ses.verify(SENDER)
    rows = subscriber_rows(5)
    write_subscribers(room, rows)

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 0, result.output
    assert "via Amazon SES" in result.output and "sent 5" in result.output
    sent = ses.sent()
    assert len(sent) == 5
    by_recipient = {}
    for message in sent:
        assert message.source == SENDER
        raw = message.raw_data.encode("utf-8")
        parsed = message_from_bytes(raw)
        by_recipient[parsed["To"]] = raw
        assert message.destinations[0] in {email for email, _ in rows}
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert len(parsed.get_all("DKIM-Signature")) == 2
        # The message SES took verifies against the keys' DNS records, both signatures.
        assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: RECORDS.get(name))
    states = ledger(room)
    assert {state for state, _ in states.values()} == {"sent"}
    ids = {message.id for message in sent}
    recorded = {reply.removeprefix("SES accepted: MessageId=") for _, reply in states.values()}
    assert recorded == ids  # the ledger keeps each message's SES id

    again = run("send", ISSUE, "--yes")
    assert again.exit_code == 0 and "nothing to send" in again.output
    assert len(ses.sent()) == 5


def test_throttling_defers_a_recipient_and_a_rejection_is_permanent(room: Path, ses: SesServer, run) -> None:
    ses.verify(SENDER)
    rows = subscriber_rows(6)
    write_subscribers(room, rows)
    throttled, rejected = rows[1][0], rows[3][0]
    ses.faults[throttled] = [(429, "TooManyRequestsException"), (400, "Throttling")]
    ses.faults[rejected] = [(400, "MessageRejected")] * 5

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 1, result.output  # one subscriber did not get it
    assert "sent 5" in result.output and "failed 1" in result.output
    assert ses.requests.count(throttled) == 3  # deferred twice, then taken
    assert ses.requests.count(rejected) == 1  # refused for good: never asked again
    # The throttled one was deferred while the others went on.
    assert ses.requests.index(rows[2][0]) < len(ses.requests) - 1 - ses.requests[::-1].index(throttled)
    states = ledger(room)
    assert states[throttled][0] == "sent"
    assert states[rejected][0] == "failed" and "MessageRejected" in states[rejected][1]
    assert sorted(m.destinations[0] for m in ses.sent()) == sorted(e for e, _ in rows if e != rejected)

    again = run("send", ISSUE, "--yes")  # complete: the refused one is not retried by itself
    assert "nothing to send" in again.output
    assert ses.requests.count(rejected) == 1


def test_an_answer_lost_after_ses_took_the_message_leaves_it_in_doubt(room: Path, ses: SesServer, run) -> None:
    ses.verify(SENDER)
    rows = subscriber_rows(4)
    write_subscribers(room, rows)
    configure(room, delivery={"timeout": 1})
    lost = rows[2][0]
    ses.faults[lost] = [(0, "")]  # SES takes it; its answer is lost (a read timeout)
    ses.silence = 3

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 0, result.output
    assert "sent 4" in result.output and "in doubt 1" in result.output
    copies = [m for m in ses.sent() if m.destinations[0] == lost]
    assert len(copies) == 2  # resent once, with the same Message-ID, so the reader can tell
    ids = {message_from_bytes(m.raw_data.encode())["Message-ID"] for m in copies}
    assert len(ids) == 1
    with sqlite3.connect(room / ".newsdesk" / "store.sqlite3") as db:
        doubt = db.execute("SELECT address FROM send_ledger WHERE issue = ? AND in_doubt = 1", (ISSUE,)).fetchall()
    assert doubt == [(lost,)]


def test_an_unverified_sender_is_refused_by_ses(room: Path, ses: SesServer, run) -> None:
    rows = subscriber_rows(3)
    write_subscribers(room, rows)

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 1, result.output
    assert "sent 0" in result.output and "failed 3" in result.output
    assert "Did not have authority to send from email" in result.output
    assert ses.sent() == []


def test_missing_aws_credentials_are_one_line_before_anything_is_sent(room: Path, run, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    write_subscribers(room, subscriber_rows(2))

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 2, result.output
    assert "no AWS credentials were found" in result.output
    assert "Traceback" not in result.output


def test_ses_out_of_reach_stops_the_run_with_everyone_pending(room: Path, run) -> None:
    import socket

    with socket.socket() as spare:  # a port with nothing listening
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    configure(room, delivery={"endpoint_url": f"http://127.0.0.1:{port}", "timeout": 2})
    write_subscribers(room, subscriber_rows(5))

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 1, result.output
    assert "cannot reach Amazon SES" in result.output and "stay pending" in result.output
    assert {state for state, _ in ledger(room).values()} == {"pending"}
