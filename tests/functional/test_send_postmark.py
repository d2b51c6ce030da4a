"""`newsdesk send` through Postmark ([delivery] provider = "postmark"): the HTTP API's JSON,
against a loopback server of the tests' own that speaks Postmark's documented API."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
import tomlkit
from link_server import LinkServer
from mail_newsroom import CHINESE_LINE, ISSUE, subscriber_rows, write_ready_issue, write_subscribers
from postmark_server import PostmarkServer

from newsdesk.issue import load_issue
from newsdesk.mail.message import message_id
from newsdesk.mail.providers.postmark import unflow

pytestmark = pytest.mark.slow
TOKEN = "a-test-server-token"
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
def postmark():
    with PostmarkServer(TOKEN, senders=(SENDER,)) as server:
        yield server


@pytest.fixture
def room(newsroom_dir: Path, postmark: PostmarkServer, monkeypatch) -> Path:
    links = LinkServer().start()
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", TOKEN)
    write_ready_issue(newsroom_dir, links.url)
    configure(
        newsroom_dir,
        delivery={"provider": "postmark", "endpoint_url": postmark.url, "timeout": 10},
        smtp={"rate": 0, "backoff": 0.01, "defer": 0.01, "retries": 3},
    )
    yield newsroom_dir
    links.stop()


def test_each_subscriber_gets_the_message_as_postmark_json(room: Path, postmark: PostmarkServer, run) -> None:
    rows = subscriber_rows(6)
    write_subscribers(room, rows)

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 0, result.output
    assert "via Postmark" in result.output and "sent 6" in result.output
    received = {email["To"]: email for email in postmark.received}
    assert len(postmark.received) == 6
    issue = load_issue(room / "issues" / f"{ISSUE}.md")
    states = ledger(room)
    for address, name in rows:
        to = next(key for key in received if key.endswith(f"<{address}>"))
        email = received[to]
        assert name in to  # the Chinese names, and "Lee, Jordan" quoted
        if "," in name:
            assert to == f'"{name}" <{address}>'
        assert email["From"] == f"Social Credit Weekly <{SENDER}>"
        assert email["ReplyTo"] == "editors@socialcredit.example"
        assert email["Subject"] == "Social Credit Weekly News Summary – 10th July 2017"
        assert email["MessageStream"] == "broadcast"
        assert email["TrackOpens"] is False and email["TrackLinks"] == "None"
        headers = {h["Name"]: h["Value"] for h in email["Headers"]}
        unsubscribe = f"https://socialcredit.example/unsubscribe?email={quote(address, safe='@')}"
        assert headers["List-Unsubscribe"] == (
            f"<{unsubscribe}>, <mailto:unsubscribe@socialcredit.example?subject=unsubscribe>"
        )
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["List-Id"] == "Social Credit Weekly News Summary <weekly.socialcredit.example>"
        assert headers["Message-ID"] == message_id(issue, address, "socialcredit.example")
        assert not {"From", "To", "Subject", "DKIM-Signature", "Content-Type"} & set(headers)
        # Both parts; the plaintext's flowed lines joined back: the Chinese sentence is whole.
        assert CHINESE_LINE in email["TextBody"] and CHINESE_LINE in email["HtmlBody"]
        assert f"Unsubscribe: {unsubscribe}" in email["TextBody"].replace("\n", " ")
        assert states[address] == ("sent", f"Postmark accepted: MessageID={email['MessageID']}")

    again = run("send", ISSUE, "--yes")
    assert again.exit_code == 0 and "nothing to send" in again.output
    assert len(postmark.received) == 6


def test_inactive_recipients_are_refused_and_rate_limits_deferred(room: Path, postmark: PostmarkServer, run) -> None:
    rows = subscriber_rows(6)
    write_subscribers(room, rows)
    inactive, limited, failing = rows[1][0], rows[2][0], rows[4][0]
    postmark.inactive.add(inactive)
    postmark.faults[limited] = [429, 429]
    postmark.faults[failing] = [503]

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 1, result.output
    assert "sent 5" in result.output and "failed 1" in result.output
    assert postmark.requests.count(inactive) == 1
    assert postmark.requests.count(limited) == 3 and postmark.requests.count(failing) == 2
    states = ledger(room)
    assert states[inactive][0] == "failed" and "ErrorCode 406" in states[inactive][1]
    assert states[limited][0] == states[failing][0] == "sent"


def test_a_wrong_token_stops_the_send_with_everyone_pending(room: Path, postmark: PostmarkServer, run, monkeypatch):
    write_subscribers(room, subscriber_rows(4))
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", "not-the-token")

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 1, result.output
    assert "the server token was refused" in result.output
    assert postmark.received == []
    assert {state for state, _ in ledger(room).values()} == {"pending"}

    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", TOKEN)  # fixed: the next run sends them all
    fixed = run("send", ISSUE, "--yes")
    assert fixed.exit_code == 0, fixed.output
    assert len(postmark.received) == 4


def test_no_token_and_an_unknown_sender(room: Path, postmark: PostmarkServer, run, monkeypatch) -> None:
    write_subscribers(room, subscriber_rows(3))
    monkeypatch.delenv("POSTMARK_SERVER_TOKEN")
    missing = run("send", ISSUE, "--yes")
    assert missing.exit_code == 2 and "$POSTMARK_SERVER_TOKEN is empty" in missing.output

    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", TOKEN)
    postmark.senders.clear()
    refused = run("send", ISSUE, "--yes")
    assert refused.exit_code == 1
    assert "the sender signature was not found" in refused.output
    assert postmark.received == []


def test_flowed_text_is_joined_back() -> None:
    assert unflow("one two \r\nthree\r\n\r\n >From here", delsp=False) == "one two three\n\n>From here"
    assert unflow("中文 \r\n句子\r\n-- \r\nsig", delsp=True) == "中文句子\n-- \nsig"


def test_serve_sends_its_confirmations_through_postmark_s_transactional_stream(
    room: Path, postmark: PostmarkServer, monkeypatch
) -> None:
    import httpx
    from web_service import SECRET, RunningService, configure_web, web_port

    monkeypatch.setenv("NEWSDESK_SECRET", SECRET)
    postmark.streams.add("outbound")
    port = web_port()
    configure_web(room, port)
    with RunningService(room, port) as service:
        answer = httpx.post(service.url("/subscribe"), data={"email": "new@readers.example", "name": "New Reader"})
        assert answer.status_code == 200, answer.text
        (email,) = postmark.received
        assert email["To"] == "new@readers.example" and email["MessageStream"] == "outbound"
        assert email["Subject"].startswith("Confirm your subscription")
        link = next(word for word in email["TextBody"].split() if "/confirm/" in word)
        assert httpx.post(link).status_code == 200
    from newsdesk.mail.roster import Roster
    from newsdesk.store import Store

    with Store(room / ".newsdesk" / "store.sqlite3") as store:
        assert Roster(store).get("new@readers.example").state == "subscribed"


def test_postmark_out_of_reach_stops_the_run_with_everyone_pending(room: Path, postmark: PostmarkServer, run) -> None:
    import socket

    with socket.socket() as spare:  # a port with nothing listening
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    configure(room, delivery={"endpoint_url": f"http://127.0.0.1:{port}"})
    write_subscribers(room, subscriber_rows(5))

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 1, result.output
    assert "cannot reach Postmark" in result.output and "stay pending" in result.output
    assert {state for state, _ in ledger(room).values()} == {"pending"}

    configure(room, delivery={"endpoint_url": postmark.url})  # back: the next run sends them all
    again = run("send", ISSUE, "--yes")
    assert again.exit_code == 0, again.output
    assert len(postmark.received) == 5


def test_the_provider_s_rate_paces_the_send(room: Path, postmark: PostmarkServer, run) -> None:
    write_subscribers(room, subscriber_rows(3))
    configure(room, smtp={"rate": 2}, delivery={"rate": 0})
    assert ", no rate limit" in run("send", ISSUE, "--dry-run").output
    configure(room, delivery={"rate": 40})

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 0, result.output
    assert "via Postmark" in result.output and ", at most 40/s" in result.output
    assert len(postmark.received) == 3
