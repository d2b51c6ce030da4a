"""DKIM and the envelope: every message the real SMTP server (aiosmtpd) receives carries an
RSA and an Ed25519 signature that dkimpy verifies against the test keys' DNS records, and a
VERP envelope sender whose signed token names the subscriber."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import dkim
import pytest
import tomlkit
from mail_newsroom import ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers
from smtp_server import SmtpServer

from newsdesk.mail.roster import Roster
from newsdesk.mail.tokens import Signer, bounce_token_of
from newsdesk.newsroom import Newsroom

pytestmark = pytest.mark.slow
KEYS = Path(__file__).resolve().parent.parent / "fixtures" / "dkim"
SECRET = "a test secret that is long enough"
RECORDS = {
    b"news._domainkey.socialcredit.example.": (KEYS / "rsa.dns").read_bytes().strip(),
    b"news-ed._domainkey.socialcredit.example.": (KEYS / "ed25519.dns").read_bytes().strip(),
}


def dns(name: bytes, timeout: int = 5) -> bytes | None:
    """The test zone: the two keys' TXT records, as a resolver would return them."""
    return RECORDS.get(name)


def configure(root: Path, **tables: dict) -> None:
    path = root / "sources.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    for table, values in tables.items():
        section = document.setdefault(table, tomlkit.table())
        for key, value in values.items():
            section[key] = value
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


@pytest.fixture
def room(newsroom_dir: Path, monkeypatch) -> Path:
    write_ready_issue(newsroom_dir, lambda path: f"https://links.example.org{path}")
    shutil.copytree(KEYS, newsroom_dir / "dkim")
    configure(
        newsroom_dir,
        dkim={
            "rsa_selector": "news",
            "rsa_key": "dkim/rsa.key",
            "ed25519_selector": "news-ed",
            "ed25519_key": "dkim/ed25519.key",
        },
        newsroom={"bounce_address": "bounces@socialcredit.example"},
    )
    monkeypatch.setenv("NEWSDESK_SECRET", SECRET)
    return newsroom_dir


def signatures(data: bytes) -> list[dict[str, str]]:
    head = re.sub(r"\r\n[ \t]", " ", data.split(b"\r\n\r\n", 1)[0].decode("ascii"))
    found = []
    for header in re.findall(r"^DKIM-Signature:(.*)$", head.replace("\r\n", "\n"), re.M | re.I):
        tags = dict(
            (part.split("=", 1)[0].strip(), "".join(part.split("=", 1)[1].split()))
            for part in header.split(";")
            if "=" in part
        )
        found.append(tags)
    return found


def test_every_message_is_signed_twice_and_verifies(room: Path, run) -> None:
    rows = subscriber_rows(20)
    write_subscribers(room, rows)
    with SmtpServer() as server:
        configure_smtp(room, server.port)
        result = run("send", ISSUE, "--yes", "--force")  # --force: the example links fail the checks
        assert result.exit_code == 0, result.output
        messages = list(server.recorder.messages)
    assert len(messages) == 20
    for message in messages:
        found = signatures(message.data)
        assert [tags["a"] for tags in found] == ["rsa-sha256", "ed25519-sha256"]
        for tags in found:
            assert tags["d"] == "socialcredit.example" and tags["c"] == "relaxed/relaxed"
            signed = tags["h"].lower().split(":")
            for name in ("from", "to", "subject", "date", "message-id", "list-id"):
                assert name in signed
            assert "list-unsubscribe" in signed and "list-unsubscribe-post" in signed
        checker = dkim.DKIM(message.data)
        assert checker.verify(idx=0, dnsfunc=dns) and checker.verify(idx=1, dnsfunc=dns)
        # A one-click unsubscribe cannot be forged onto the message: both signatures break.
        forged = message.data.replace(b"List-Unsubscribe: <https://", b"List-Unsubscribe: <https://evil.", 1)
        assert forged != message.data
        assert not dkim.DKIM(forged).verify(idx=0, dnsfunc=dns)
        assert not dkim.DKIM(forged).verify(idx=1, dnsfunc=dns)


def test_the_envelope_sender_names_the_subscriber_with_a_signed_token(room: Path, run) -> None:
    rows = subscriber_rows(5)
    write_subscribers(room, rows)
    with SmtpServer() as server:
        configure_smtp(room, server.port)
        result = run("send", ISSUE, "--yes", "--force")
        assert result.exit_code == 0, result.output
        messages = list(server.recorder.messages)
    signer = Signer(SECRET.encode(), "weekly.socialcredit.example")
    newsroom = Newsroom.open(room)
    with newsroom.store() as store:
        roster = Roster(store)
        for message in messages:
            assert re.fullmatch(r"bounces\+[0-9]+-[a-z2-7]{16}@socialcredit\.example", message.sender)
            assert len(message.sender.split("@")[0]) <= 64
            token = bounce_token_of(message.sender)
            assert token is not None
            member = roster.by_id(signer.read_bounce(token))
            assert member is not None and member.address == message.recipient
            # A server that changes the local part's case does not lose the subscriber.
            assert signer.read_bounce(token.upper()) == member.id
    other = Signer(b"another secret, long enough too", "weekly.socialcredit.example")
    with pytest.raises(ValueError, match="not one of ours"):
        other.read_bounce(bounce_token_of(messages[0].sender) or "")


def test_no_secret_no_send(room: Path, run, monkeypatch) -> None:
    write_subscribers(room, subscriber_rows(2))
    monkeypatch.delenv("NEWSDESK_SECRET")
    with SmtpServer() as server:
        configure_smtp(room, server.port)
        result = run("send", ISSUE, "--yes", "--force")
        assert result.exit_code == 2
        assert "$NEWSDESK_SECRET is not set" in result.output
        assert server.recorder.delivered == 0


def test_a_bad_key_file_is_named(room: Path, run) -> None:
    write_subscribers(room, subscriber_rows(2))
    (room / "dkim" / "rsa.key").write_text("not a key\n", encoding="utf-8")
    result = run("send", ISSUE, "--dry-run")
    assert result.exit_code == 2
    assert "dkim.rsa_key: dkim/rsa.key is not a usable rsa private key" in result.output
    (room / "dkim" / "rsa.key").unlink()
    missing = run("send", ISSUE, "--dry-run")
    assert missing.exit_code == 2 and "dkim.rsa_key: cannot read" in missing.output
    configure(room, dkim={"rsa_key": ""})
    half = run("send", ISSUE, "--dry-run")
    assert half.exit_code == 2 and "dkim.rsa_key must be set with dkim.rsa_selector" in half.output
