"""The send across runs and refusals, against the real SMTP server (aiosmtpd) on loopback:
greylisting deferred while the others go on, --retry-failed after a complete send, what a
refused resume and the ledger say, the progress lines without a terminal."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from link_server import LinkServer
from mail_newsroom import ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers
from smtp_server import SmtpServer

from newsdesk.issue import load_issue
from newsdesk.mail.ledger import Ledger
from newsdesk.mail.message import message_id
from newsdesk.mail.send import Policy, Progress, SendJob
from newsdesk.mail.smtp import SmtpTransport, smtp_target
from newsdesk.mail.subscribers import load_subscribers
from newsdesk.newsroom import Newsroom

pytestmark = pytest.mark.slow


@pytest.fixture
def room(newsroom_dir: Path, links: LinkServer, smtp: SmtpServer) -> Path:
    write_ready_issue(newsroom_dir, links.url)
    configure_smtp(newsroom_dir, smtp.port)
    return newsroom_dir


def states(root: Path) -> dict[str, str]:
    with sqlite3.connect(root / ".newsdesk" / "store.sqlite3") as db:
        return dict(db.execute("SELECT address, state FROM send_ledger WHERE issue = ?", (ISSUE,)))


class FakeClock:
    """Time that passes only when the send sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_greylisted_recipient_waits_its_turn_while_the_others_are_sent(room: Path, smtp: SmtpServer) -> None:
    rows = subscriber_rows(60)
    write_subscribers(room, rows)
    greylisted = [email for email, _ in rows[2:12]]
    for email in greylisted:
        smtp.recorder.rcpt_replies[email] = ["451 4.7.1 Greylisted, try again in 5 minutes"]
    newsroom = Newsroom.open(room)
    issue = load_issue(room / "issues" / f"{ISSUE}.md")
    clock = FakeClock()
    policy = Policy(rate=0, retries=3, backoff=1, defer=300)
    with newsroom.store() as store:
        job = SendJob(newsroom, issue, load_subscribers(room / "subscribers.csv"), policy)
        report = job.run(
            Ledger(store, ISSUE), SmtpTransport(smtp_target(newsroom.config.smtp)), sleep=clock.sleep, clock=clock
        )

    assert report.sent == 60 and report.complete and not report.failed
    assert report.deferred == 10
    order = [message.recipient for message in smtp.recorder.messages]
    # Nobody waited for the greylisted: the 50 others went first, in their order, then the ten.
    assert order[:50] == [email for email, _ in rows if email not in greylisted]
    assert order[50:] == greylisted
    assert 300 <= clock.now < 600  # one turn of the schedule, not 2+4+8+16 s per recipient
    assert all(not queue for queue in smtp.recorder.rcpt_replies.values())  # each asked twice
    assert set(states(room).values()) == {"sent"}


def test_a_recipient_still_deferred_is_retried_by_the_next_run(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(8)
    write_subscribers(room, rows)
    slow = rows[3][0]
    smtp.recorder.rcpt_replies[slow] = ["450 4.2.0 Mailbox busy"] * 3
    configure_smtp(room, smtp.port, retries=2)
    first = run("send", ISSUE, "--yes")
    assert first.exit_code == 1, first.output
    assert "sent 7" in first.output and "deferred 2 times" in first.output
    assert f"failed: {slow}: 450 4.2.0 Mailbox busy (deferred 3 times; the next run tries again)" in first.output
    assert "not finished; run send again" in first.output

    second = run("send", ISSUE, "--yes")
    assert second.exit_code == 0, second.output
    assert "sent 1" in second.output
    assert len(smtp.recorder.by_recipient()[slow]) == 1
    assert set(states(room).values()) == {"sent"}


def test_retry_failed_after_a_complete_send_retries_the_refused(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(6)
    write_subscribers(room, rows)
    refused = rows[2][0]
    smtp.recorder.rcpt_replies[refused] = ["550 5.7.1 Relaying denied"]
    first = run("send", ISSUE, "--yes")
    assert first.exit_code == 1 and "the send is complete" in first.output
    again = run("send", ISSUE, "--yes")
    assert "nothing to send; --retry-failed tries again the recipients the server refused" in again.output

    # The server is fixed; a subscriber who joined since does not get a finished issue.
    write_subscribers(room, [*rows, ("late@readers.example", "Late")])
    retried = run("send", ISSUE, "--yes", "--retry-failed")
    assert retried.exit_code == 0, retried.output
    assert "sent 1" in retried.output and "the send is complete" in retried.output
    received = smtp.recorder.by_recipient()
    assert len(received[refused]) == 1 and "late@readers.example" not in received
    assert states(room)[refused] == "sent"
    assert "late@readers.example" not in states(room)
    assert "nothing to send" in run("send", ISSUE, "--yes", "--retry-failed").output


def test_retry_failed_resends_what_in_doubt_skip_left_out(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(4)
    write_subscribers(room, rows)
    newsroom = Newsroom.open(room)
    issue = load_issue(room / "issues" / f"{ISSUE}.md")
    with newsroom.store() as store:
        ledger = Ledger(store, ISSUE)
        ledger.begin(load_subscribers(room / "subscribers.csv").subscribed, lambda a: message_id(issue, a, "x.example"))
        ledger.mark_in_flight(rows[0][0])
    skipped = run("send", ISSUE, "--yes", "--in-doubt", "skip")
    assert skipped.exit_code == 0 and "the send is complete" in skipped.output
    assert rows[0][0] not in smtp.recorder.by_recipient()
    retried = run("send", ISSUE, "--yes", "--retry-failed")
    assert retried.exit_code == 0, retried.output
    assert len(smtp.recorder.by_recipient()[rows[0][0]]) == 1

    listing = run("subscribers", "--issue", ISSUE)
    assert f"in doubt: {rows[0][0]}: sent again, may have two copies" in listing.output


def test_a_refused_resume_says_who_already_has_the_issue(room: Path, smtp: SmtpServer, run, links) -> None:
    rows = subscriber_rows(12)
    write_subscribers(room, rows)
    smtp.recorder.rcpt_replies[rows[11][0]] = ["451 4.3.0 try later"] * 10
    configure_smtp(room, smtp.port, retries=0)
    first = run("send", ISSUE, "--yes")
    assert first.exit_code == 1 and "sent 11" in first.output

    links.stop()  # the sites the issue links to went down since the first run
    second = run("send", ISSUE, "--yes")
    assert second.exit_code == 3
    assert "read-more link is dead" in second.output
    assert "11 of 12 subscribers already have this issue from an earlier run" in second.output
    assert f"`newsdesk subscribers --issue {ISSUE}` lists them" in second.output
    assert "send the rest anyway with --force" in second.output


def test_the_ledger_shows_who_was_in_doubt(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(3)
    write_subscribers(room, rows)
    newsroom = Newsroom.open(room)
    issue = load_issue(room / "issues" / f"{ISSUE}.md")
    with newsroom.store() as store:
        ledger = Ledger(store, ISSUE)
        ledger.begin(load_subscribers(room / "subscribers.csv").subscribed, lambda a: message_id(issue, a, "x.example"))
        ledger.mark_in_flight(rows[1][0])
        ledger.recover_in_flight()  # a resending run, itself killed before it sent anything
        ledger.mark_pending(rows[1][0], "in doubt after an interrupted send", in_doubt=True)
    before = run("subscribers", "--issue", ISSUE, "--json")
    assert '"in_doubt": [\n      {\n        "address": "' + rows[1][0] in before.output
    assert f"in doubt: {rows[1][0]}: not yet sent again" in run("subscribers", "--issue", ISSUE).output
    sent = run("send", ISSUE, "--yes")
    assert sent.exit_code == 0, sent.output
    assert f"in doubt: {rows[1][0]}: sent again, may have two copies" in run("subscribers", "--issue", ISSUE).output


def test_an_old_issue_is_warned_about(room: Path, smtp: SmtpServer, run) -> None:
    write_subscribers(room, subscriber_rows(2))
    result = run("send", ISSUE, "--dry-run")
    # The machine's clock says 2026 (or later); the issue is from 2017.
    assert f"warning: {ISSUE} is dated " in result.output and " days before today (" in result.output
    from newsdesk.cli.mail import _warn_about_the_date

    issue = load_issue(room / "issues" / f"{ISSUE}.md")
    assert _warn_about_the_date(Newsroom.open(room), issue, today=date(2017, 7, 10)) is None
    assert _warn_about_the_date(Newsroom.open(room), issue, today=date(2017, 7, 16)) is None
    assert "dated 30 days after today" in (_warn_about_the_date(Newsroom.open(room), issue, today=date(2017, 6, 10)))


def test_progress_lines_without_a_terminal(room: Path, smtp: SmtpServer, run) -> None:
    write_subscribers(room, subscriber_rows(50))
    result = run("send", ISSUE, "--yes")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("sending: ")]
    for tenth in range(1, 11):
        assert any(line.startswith(f"sending: {tenth * 5}/50 ({tenth * 10}%)") for line in lines), lines
    assert lines[-1].endswith("0 failed, 0 deferred")


def test_progress_lines_come_every_ten_seconds_between_tenths() -> None:
    from newsdesk.cli.mail import SendProgress

    clock = FakeClock()
    said: list[str] = []
    progress = SendProgress(1000, terminal=False, clock=clock, echo=said.append)
    for done in range(1, 40):
        clock.sleep(1)
        progress(Progress(done, 1000, "a@x.example", "sent"))
    assert [line.split(" (")[0] for line in said] == ["sending: 10/1000", "sending: 20/1000", "sending: 30/1000"]
    progress(Progress(100, 1000, "a@x.example", "sent"))
    assert said[-1].startswith("sending: 100/1000 (10%)")


def test_several_connections_send_each_message_exactly_once(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(300)
    write_subscribers(room, rows)
    smtp.recorder.rcpt_replies[rows[7][0]] = ["451 4.7.1 Greylisted"]
    smtp.recorder.rcpt_replies[rows[9][0]] = ["550 5.1.1 User unknown"]
    configure_smtp(room, smtp.port, connections=4)
    result = run("send", ISSUE, "--yes")
    assert result.exit_code == 1, result.output  # the one refused for good
    assert "sent 299" in result.output and "failed 1" in result.output
    received = smtp.recorder.by_recipient()
    assert sorted(received) == sorted(email for email, _ in rows if email != rows[9][0])
    assert all(len(copies) == 1 for copies in received.values())
    assert smtp.recorder.connections == 4
    assert len(smtp.recorder.message_ids) == 299


def retitle(root: Path, title: str) -> None:
    path = root / "issues" / f"{ISSUE}.md"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("title = "))
    path.write_text(text.replace(old, f'title = "{title}"'), encoding="utf-8")


def test_an_edit_between_runs_is_refused_then_forced_as_version_2(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(20)
    write_subscribers(room, rows)
    later = [email for email, _ in rows[10:]]
    for email in later:
        smtp.recorder.rcpt_replies[email] = ["451 4.3.0 try later"]
    configure_smtp(room, smtp.port, retries=0)
    first = run("send", ISSUE, "--yes")
    assert first.exit_code == 1 and "sent 10" in first.output
    old_subject = smtp.recorder.messages[0].parsed()["Subject"]

    retitle(room, "Social Credit Weekly – corrected edition")
    refused = run("send", ISSUE, "--yes")
    assert refused.exit_code == 3, refused.output
    assert "the message differs from version 1, which 10 subscribers already have:" in refused.output
    assert f"Subject: {old_subject!r} → 'Social Credit Weekly – corrected edition'" in refused.output
    assert "send the new version to the rest with --force" in refused.output
    assert smtp.recorder.delivered == 10

    forced = run("send", ISSUE, "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert "sending version 2 to the rest" in forced.output
    received = smtp.recorder.by_recipient()
    assert all(len(received[email]) == 1 for email, _ in rows)
    for email in later:
        message = received[email][0]
        assert message.parsed()["Subject"] == "Social Credit Weekly – corrected edition"
        assert message.message_id.endswith(".v2@socialcredit.example>")
    with sqlite3.connect(room / ".newsdesk" / "store.sqlite3") as db:
        versions = dict(db.execute("SELECT address, version FROM send_ledger WHERE issue = ?", (ISSUE,)))
    assert {versions[email] for email, _ in rows[:10]} == {1} and {versions[email] for email in later} == {2}
    ledger = run("subscribers", "--issue", ISSUE)
    assert "version 1 (" in ledger.output and f"“{old_subject}”): 10 sent" in ledger.output
    assert "“Social Credit Weekly – corrected edition”): 10 sent" in ledger.output


def test_an_in_doubt_copy_of_changed_content_gets_a_new_message_id(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(4)
    write_subscribers(room, rows)
    smtp.recorder.rcpt_replies[rows[3][0]] = ["451 4.3.0 try later"]
    configure_smtp(room, smtp.port, retries=0)
    assert "sent 3" in run("send", ISSUE, "--yes").output
    first_id = smtp.recorder.by_recipient()[rows[0][0]][0].message_id
    newsroom = Newsroom.open(room)
    with newsroom.store() as store:
        Ledger(store, ISSUE).mark_in_flight(rows[0][0])  # as a run killed while resending it would leave it

    retitle(room, "Social Credit Weekly – corrected edition")
    forced = run("send", ISSUE, "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    copies = smtp.recorder.by_recipient()[rows[0][0]]
    assert len(copies) == 2 and copies[1].message_id != first_id
    assert copies[1].message_id.endswith(".v2@socialcredit.example>")


def test_an_edit_before_anyone_has_the_issue_just_goes_out(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(3)
    write_subscribers(room, rows)
    from smtp_server import free_port

    configure_smtp(room, free_port(), retries=0)
    assert run("send", ISSUE, "--yes").exit_code == 1  # nobody reached: every row pending
    retitle(room, "Social Credit Weekly – corrected edition")
    configure_smtp(room, smtp.port)
    result = run("send", ISSUE, "--yes")
    assert result.exit_code == 0, result.output
    assert "differs" not in result.output
    assert {m.parsed()["Subject"] for m in smtp.recorder.messages} == {"Social Credit Weekly – corrected edition"}
    assert all(m.message_id.count(".v") == 0 for m in smtp.recorder.messages)


def test_an_unexpected_error_on_one_connection_stops_the_run_and_is_raised(room: Path, smtp: SmtpServer) -> None:
    rows = subscriber_rows(200)
    write_subscribers(room, rows)
    newsroom = Newsroom.open(room)
    issue = load_issue(room / "issues" / f"{ISSUE}.md")
    target = smtp_target(newsroom.config.smtp)

    class Breaks(SmtpTransport):
        """A connection whose code fails after its fifth message went out."""

        sent = 0

        def send(self, sender: str, recipient: str, data: bytes) -> str:
            reply = super().send(sender, recipient, data)
            Breaks.sent += 1
            if Breaks.sent == 5:
                raise RuntimeError("a bug")
            return reply

    policy = Policy(rate=0, retries=1, backoff=0.01, defer=0.01, connections=3)
    with newsroom.store() as store:
        job = SendJob(newsroom, issue, load_subscribers(room / "subscribers.csv"), policy)
        with pytest.raises(RuntimeError, match="a bug"):
            job.run(Ledger(store, ISSUE), Breaks(target), open_transport=lambda: SmtpTransport(target))
    counts = states(root=room)
    assert list(counts.values()).count("in_flight") == 1  # the message the bug interrupted: in doubt
    assert smtp.recorder.delivered < 200  # the other connections stopped too
    assert len(smtp.recorder.message_ids) == smtp.recorder.delivered
