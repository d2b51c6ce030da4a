"""`newsdesk send` against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
from link_server import LinkServer
from mail_newsroom import CHINESE_LINE, ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers
from smtp_server import Recorder, SmtpServer

from newsdesk.issue import load_issue
from newsdesk.mail.message import message_id

pytestmark = [
    pytest.mark.slow,
    # The login tests run without TLS on loopback on purpose; aiosmtpd warns about that.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]


@pytest.fixture
def room(newsroom_dir: Path, links: LinkServer, smtp: SmtpServer) -> Path:
    write_ready_issue(newsroom_dir, links.url)
    configure_smtp(newsroom_dir, smtp.port)
    return newsroom_dir


def squeeze(text: str) -> str:
    return "".join(text.split())


def ledger_states(root: Path) -> dict[str, str]:
    """Each recipient's state in the send ledger; empty when no send ever wrote one."""
    with sqlite3.connect(root / ".newsdesk" / "store.sqlite3") as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'send_ledger'").fetchone():
            return {}
        return dict(db.execute("SELECT address, state FROM send_ledger WHERE issue = ?", (ISSUE,)))


def test_500_recipients_receive_exactly_one_complete_message(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(500)
    extra = [
        ["left@readers.example", "Gone Reader", "unsubscribed", "2017-05-01"],
        ["READER00007@readers.example", "Duplicate", "subscribed", ""],  # the same as reader00007
        ["not an address", "Typo", "subscribed", ""],
    ]
    write_subscribers(room, rows, extra)

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 0, result.output
    assert "sent 500" in result.output and "failed 0, in doubt 0" in result.output
    assert "subscribers.csv:504: 'not an address' is not an email address" in result.output
    received = smtp.recorder.by_recipient()
    assert sorted(received) == sorted(email for email, _ in rows)  # nobody else, nobody missed
    assert all(len(copies) == 1 for copies in received.values())
    assert smtp.recorder.connections == 1  # one session for every message

    issue = load_issue(room / "issues" / f"{ISSUE}.md")
    assert issue.status == "sent"
    for email, name in rows:
        message = received[email][0].parsed()
        assert not message.defects
        assert message["Subject"] == "Social Credit Weekly News Summary – 10th July 2017"
        assert message["From"].addresses[0].display_name == "Social Credit Weekly"
        assert message["From"].addresses[0].addr_spec == "weekly@socialcredit.example"
        assert message["Reply-To"] == "editors@socialcredit.example"
        assert message["To"].addresses[0].display_name == name  # Chinese names and commas survive
        assert message["To"].addresses[0].addr_spec == email
        assert message["Date"].datetime is not None
        assert message["Message-ID"] == message_id(issue, email, "socialcredit.example")
        assert message["List-Id"] == "Social Credit Weekly News Summary <weekly.socialcredit.example>"
        unsubscribe = f"https://socialcredit.example/unsubscribe?email={quote(email, safe='@')}"
        assert message["List-Unsubscribe"] == (
            f"<{unsubscribe}>, <mailto:unsubscribe@socialcredit.example?subject=unsubscribe>"
        )
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        plain, html = list(message.iter_parts())
        assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
        text, markup = plain.get_content(), html.get_content()
        # Words, not line breaks: the plaintext is wrapped (CJK too) at 72 columns.
        assert squeeze(CHINESE_LINE) in squeeze(text) and CHINESE_LINE in markup
        # The label, then the link: on one line if it fits in 72 columns, else on the next.
        assert re.search(rf"^Unsubscribe:\s+{re.escape(unsubscribe)}$", text.replace("\r\n", "\n"), re.M)
        assert f'href="{unsubscribe}"' in markup
    assert len({copies[0].message_id for copies in received.values()}) == 500

    again = run("send", ISSUE, "--yes")
    assert again.exit_code == 0, again.output
    assert "already sent to 500 subscribers" in again.output and "nothing to send" in again.output
    assert smtp.recorder.delivered == 500


def test_transient_refusals_are_retried_until_accepted(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(30)
    write_subscribers(room, rows)
    greylisted = [email for email, _ in rows[3:8]]
    for email in greylisted:
        smtp.recorder.rcpt_replies[email] = ["451 4.7.1 Greylisted, try again later"] * 2
    smtp.recorder.data_replies[rows[20][0]] = ["452 4.3.1 Insufficient system storage"]

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 0, result.output
    assert "sent 30" in result.output and "failed 0" in result.output
    received = smtp.recorder.by_recipient()
    assert all(len(received[email]) == 1 for email, _ in rows)
    assert smtp.recorder.attempts[rows[20][0]] == 2  # refused once after DATA, then accepted
    assert set(ledger_states(room).values()) == {"sent"}


def test_a_permanent_refusal_is_recorded_and_not_retried(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(12)
    write_subscribers(room, rows)
    refused = rows[4][0]
    smtp.recorder.rcpt_replies[refused] = [f"550 5.1.1 <{refused}>: Recipient address rejected: User unknown"] * 5

    result = run("send", ISSUE, "--yes")

    assert result.exit_code == 1, result.output  # not everyone got it
    assert "sent 11" in result.output and "failed 1" in result.output
    assert f"failed: {refused}: 550 5.1.1 <{refused}>: Recipient address rejected: User unknown" in result.output
    assert len(smtp.recorder.rcpt_replies[refused]) == 4  # asked once, never again
    assert refused not in smtp.recorder.by_recipient()
    assert ledger_states(room)[refused] == "failed"
    # Every subscriber is dealt with, so the send is complete and a rerun sends nothing.
    assert load_issue(room / "issues" / f"{ISSUE}.md").status == "sent"
    again = run("send", ISSUE, "--yes")
    assert "nothing to send" in again.output
    assert smtp.recorder.delivered == 11
    ledger = run("subscribers", "--issue", ISSUE)
    assert f"{ISSUE}: 11 sent, 0 pending, 0 in flight, 1 failed (completed " in ledger.output
    assert f"failed: {refused}: 550 5.1.1" in ledger.output


def test_a_dropped_connection_is_reconnected_and_the_message_resent(room: Path, run) -> None:
    rows = subscriber_rows(40)
    write_subscribers(room, rows)
    recorder = Recorder(drop_during_data={5, 23})
    with SmtpServer(recorder) as server:
        configure_smtp(room, server.port)
        result = run("send", ISSUE, "--yes")

    assert result.exit_code == 0, result.output
    assert "sent 40" in result.output
    assert "in doubt 2" in result.output and "resent with the same Message-ID" in result.output
    received = recorder.by_recipient()
    assert sorted(received) == sorted(email for email, _ in rows)
    assert all(len(copies) == 1 for copies in received.values())  # the cut-off copies were never stored
    assert recorder.connections == 3  # the first session and one per drop


def test_login_with_the_password_from_the_environment(room: Path, run, monkeypatch) -> None:
    rows = subscriber_rows(3)
    write_subscribers(room, rows)
    with SmtpServer(login=("editor", "s3cret")) as server:
        configure_smtp(room, server.port, user="editor", password_env="TEST_SMTP_PASSWORD")
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
        result = run("send", ISSUE, "--yes")
        assert result.exit_code == 0, result.output
        assert server.recorder.logins == ["editor"]
        assert server.recorder.delivered == 3


def test_a_wrong_password_stops_the_send_with_a_clear_error(room: Path, run, monkeypatch) -> None:
    rows = subscriber_rows(3)
    write_subscribers(room, rows)
    with SmtpServer(login=("editor", "s3cret")) as server:
        configure_smtp(room, server.port, user="editor", password_env="TEST_SMTP_PASSWORD")
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
        result = run("send", ISSUE, "--yes")
        assert result.exit_code == 1
        assert (
            f"127.0.0.1:{server.port} refused the login of 'editor': 535 5.7.8 Authentication credentials invalid"
            in result.output
        )
        assert "(check $TEST_SMTP_PASSWORD)" in result.output
        assert "Traceback" not in result.output
        assert server.recorder.delivered == 0
        assert set(ledger_states(room).values()) == {"pending"}  # nothing lost: the next run sends them

        monkeypatch.delenv("TEST_SMTP_PASSWORD")
        missing = run("send", ISSUE, "--yes")
        assert missing.exit_code == 2
        assert "$TEST_SMTP_PASSWORD is empty" in missing.output

        configure_smtp(room, server.port, user="")
        anonymous = run("send", ISSUE, "--yes")
        assert anonymous.exit_code == 1
        assert "requires authentication (530 5.7.0 Authentication required)" in anonymous.output

        configure_smtp(room, server.port, user="editor")
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
        fixed = run("send", ISSUE, "--yes")
        assert fixed.exit_code == 0, fixed.output
        assert server.recorder.delivered == 3


def test_an_unreachable_server_leaves_everyone_pending(room: Path, run) -> None:
    write_subscribers(room, subscriber_rows(3))
    from smtp_server import free_port

    configure_smtp(room, free_port(), retries=1)
    result = run("send", ISSUE, "--yes")
    assert result.exit_code == 1
    assert "stopped: cannot connect to 127.0.0.1" in result.output
    assert set(ledger_states(room).values()) == {"pending"}


def test_dry_run_prints_the_first_message_and_sends_nothing(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(20)
    write_subscribers(room, rows)
    result = run("send", ISSUE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "20 to send of 20 subscribed" in result.output
    assert f"To: {rows[0][1]} <{rows[0][0]}>" in result.output
    assert squeeze(CHINESE_LINE) in squeeze(result.output)
    assert "dry run: nothing sent" in result.output
    assert smtp.recorder.delivered == 0
    assert ledger_states(room) == {}


def test_a_test_copy_goes_to_one_address_and_leaves_the_ledger_alone(room: Path, smtp: SmtpServer, run) -> None:
    write_subscribers(room, subscriber_rows(20))
    result = run("send", ISSUE, "--test", "editor@socialcredit.example")
    assert result.exit_code == 0, result.output
    assert smtp.recorder.delivered == 1
    message = smtp.recorder.messages[0].parsed()
    assert message["Subject"].startswith("[test] ")
    assert message["To"].addresses[0].addr_spec == "editor@socialcredit.example"
    assert ledger_states(room) == {}
    assert load_issue(room / "issues" / f"{ISSUE}.md").status == "ready"


def test_a_large_send_needs_confirmation(room: Path, smtp: SmtpServer, run, monkeypatch) -> None:
    write_subscribers(room, subscriber_rows(11))
    refused = run("send", ISSUE)  # no terminal here, as in CI
    assert refused.exit_code == 3
    assert "sending to 11 subscribers needs a confirmation: run it in a terminal, or pass --yes" in refused.output

    import newsdesk.cli.mail

    monkeypatch.setattr(newsdesk.cli.mail, "_interactive", lambda: True)
    declined = run("send", ISSUE, input="n\n")
    assert declined.exit_code == 3 and "not confirmed" in declined.output
    assert smtp.recorder.delivered == 0
    accepted = run("send", ISSUE, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert smtp.recorder.delivered == 11


def test_check_errors_refuse_the_send_unless_forced(room: Path, smtp: SmtpServer, run, links: LinkServer) -> None:
    write_subscribers(room, subscriber_rows(2))
    path = room / "issues" / f"{ISSUE}.md"
    path.write_text(path.read_text(encoding="utf-8").replace("/ok/courts-first-half", "/gone"), encoding="utf-8")
    refused = run("send", ISSUE, "--yes")
    assert refused.exit_code == 3
    assert f"error: development 1: read-more link is dead: {links.url('/gone')}: HTTP 404" in refused.output
    assert "fix them, or send anyway with --force" in refused.output
    assert smtp.recorder.delivered == 0
    forced = run("send", ISSUE, "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert smtp.recorder.delivered == 2


def test_someone_who_unsubscribes_between_runs_is_skipped(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(6)
    write_subscribers(room, rows)
    smtp.recorder.rcpt_replies[rows[5][0]] = ["451 4.3.0 try later"] * 10  # left over after the first run
    first = run("send", ISSUE, "--yes")
    assert first.exit_code == 1 and "sent 5" in first.output
    assert "not finished; run send again" in first.output

    write_subscribers(room, rows[:5], [[rows[5][0], rows[5][1], "unsubscribed", ""]])
    second = run("send", ISSUE, "--yes")
    assert second.exit_code == 0, second.output
    assert "sent 0" in second.output and "1 no longer subscribed" in second.output
    assert rows[5][0] not in smtp.recorder.by_recipient()
    assert load_issue(room / "issues" / f"{ISSUE}.md").status == "sent"


def test_an_in_doubt_message_can_be_skipped_instead_of_resent(room: Path, smtp: SmtpServer, run) -> None:
    from newsdesk.issue import load_issue as load
    from newsdesk.mail.ledger import Ledger
    from newsdesk.mail.subscribers import load_subscribers
    from newsdesk.newsroom import Newsroom

    rows = subscriber_rows(5)
    write_subscribers(room, rows)
    # What a run killed between handing message 1 to the server and hearing back leaves behind.
    newsroom = Newsroom.open(room)
    issue = load(room / "issues" / f"{ISSUE}.md")
    with newsroom.store() as store:
        ledger = Ledger(store, ISSUE)
        ledger.begin(load_subscribers(room / "subscribers.csv").subscribed, lambda a: message_id(issue, a, "x.example"))
        ledger.mark_in_flight(rows[0][0])

    dry = run("send", ISSUE, "--dry-run", "--in-doubt", "skip")
    assert "4 to send of 5 subscribed (0 sent before, 1 refused before, 1 in doubt (skip))" in dry.output

    result = run("send", ISSUE, "--yes", "--in-doubt", "skip")
    assert result.exit_code == 0, result.output
    assert "sent 4" in result.output and "in doubt 1" in result.output
    assert f"in doubt, not resent (--in-doubt skip), recorded as failed: {rows[0][0]}" in result.output
    assert rows[0][0] not in smtp.recorder.by_recipient()
    assert ledger_states(room)[rows[0][0]] == "failed"


def test_no_subscribers_is_invalid_input(room: Path, run) -> None:
    write_subscribers(room, [], [["gone@readers.example", "Gone", "unsubscribed", ""]])
    result = run("send", ISSUE, "--yes")
    assert result.exit_code == 2
    assert "subscribers.csv: no subscribed addresses; nothing to send" in result.output


def test_an_issue_marked_sent_without_a_ledger_is_not_sent_again(room: Path, smtp: SmtpServer, run) -> None:
    write_subscribers(room, subscriber_rows(3))
    path = room / "issues" / f"{ISSUE}.md"
    path.write_text(path.read_text(encoding="utf-8").replace('status = "ready"', 'status = "sent"'), encoding="utf-8")
    assert 'status = "sent"' in path.read_text(encoding="utf-8")
    refused = run("send", ISSUE, "--yes")
    assert refused.exit_code == 3 and "no record of sending it" in refused.output
    assert smtp.recorder.delivered == 0
    forced = run("send", ISSUE, "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert smtp.recorder.delivered == 3


def test_a_dry_run_says_whether_the_real_send_would_be_refused_and_why(
    room: Path, smtp: SmtpServer, run, links: LinkServer
) -> None:
    write_subscribers(room, subscriber_rows(11))
    plain = run("send", ISSUE, "--dry-run", "--yes")
    assert plain.exit_code == 0, plain.output
    assert plain.output.splitlines()[-1] == "dry run: nothing sent"

    no_yes = run("send", ISSUE, "--dry-run")  # no terminal here: the real one would stop for a confirmation
    assert no_yes.output.splitlines()[-1] == (
        "dry run: nothing sent; a real send would be refused: sending to 11 subscribers needs a confirmation: "
        "run it in a terminal, or pass --yes"
    )

    path = room / "issues" / f"{ISSUE}.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('status = "ready"', 'status = "sent"').replace("/ok/courts-first-half", "/gone"),
        encoding="utf-8",
    )
    both = run("send", ISSUE, "--dry-run", "--yes")
    assert both.exit_code == 0, both.output
    last = both.output.splitlines()[-1]
    assert last.startswith("dry run: nothing sent; a real send would be refused: ")
    assert "the issue file says it was sent, but this newsroom's ledger has no record of sending it" in last
    assert "the pre-send checks found 1 error" in last and last.endswith("(--force sends anyway)")
    assert smtp.recorder.delivered == 0
