"""Scheduled sends: `send --at`, `schedule` (list, cancel, run), against the real SMTP server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from link_server import LinkServer
from mail_newsroom import ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers
from smtp_server import SmtpServer

from newsdesk.mail.ledger import Ledger
from newsdesk.mail.schedule import LATE_AFTER, Schedule
from newsdesk.newsroom import Newsroom

pytestmark = pytest.mark.slow
ZONE = ZoneInfo("Asia/Shanghai")  # the sample newsroom's


@pytest.fixture
def room(newsroom_dir: Path, links: LinkServer, smtp: SmtpServer) -> Path:
    write_ready_issue(newsroom_dir, links.url)
    configure_smtp(newsroom_dir, smtp.port)
    write_subscribers(newsroom_dir, subscriber_rows(12))
    return newsroom_dir


def move(root: Path, when: datetime) -> None:
    """What the clock passing does: the scheduled time is now ``when``."""
    with Newsroom.open(root).store() as store:
        schedule = Schedule(store)
        entry = schedule.get(ISSUE)
        assert entry is not None
        schedule.add(replace(entry, at=when.astimezone(UTC).isoformat()))


def test_a_scheduled_send_goes_when_due_and_not_before(room: Path, smtp: SmtpServer, run) -> None:
    tomorrow = (datetime.now(ZONE) + timedelta(days=1)).replace(second=0, microsecond=0)
    scheduled = run("send", ISSUE, "--at", tomorrow.strftime("%Y-%m-%d %H:%M"))
    assert scheduled.exit_code == 0, scheduled.output
    assert f"{ISSUE} is scheduled for {tomorrow:%Y-%m-%d %H:%M} Asia/Shanghai" in scheduled.output
    listing = run("schedule")
    assert f"{ISSUE}: {tomorrow:%Y-%m-%d %H:%M} Asia/Shanghai, waiting" in listing.output

    early = run("schedule", "run")
    assert early.exit_code == 0, early.output
    assert smtp.recorder.delivered == 0

    move(room, datetime.now(UTC) - timedelta(minutes=2))
    assert "due now" in run("schedule").output
    due = run("schedule", "run")
    assert due.exit_code == 0, due.output
    assert "sending" in due.output and "sent 12" in due.output
    assert smtp.recorder.delivered == 12
    assert run("schedule").output.strip() == "no scheduled sends"
    assert run("schedule", "run").exit_code == 0 and smtp.recorder.delivered == 12


def test_a_late_send_waits_for_a_human(room: Path, smtp: SmtpServer, run) -> None:
    tomorrow = datetime.now(ZONE) + timedelta(days=1)
    assert run("send", ISSUE, "--at", tomorrow.strftime("%Y-%m-%d %H:%M")).exit_code == 0
    move(room, datetime.now(UTC) - LATE_AFTER - timedelta(hours=2))
    late = run("schedule", "run")
    assert late.exit_code == 3
    assert "hours ago: not sent unattended; send it with `newsdesk send 2017-07-10`" in late.output
    assert smtp.recorder.delivered == 0
    assert "late: waits for a human" in run("schedule").output

    cancelled = run("schedule", "cancel", ISSUE)
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    assert run("schedule").output.strip() == "no scheduled sends"
    assert run("schedule", "cancel", ISSUE).exit_code == 2


def test_a_send_under_way_is_carried_on_even_late(room: Path, smtp: SmtpServer, run) -> None:
    rows = subscriber_rows(12)
    smtp.recorder.rcpt_replies[rows[5][0]] = ["451 4.3.0 try later"]
    configure_smtp(room, smtp.port, retries=0)
    tomorrow = datetime.now(ZONE) + timedelta(days=1)
    assert run("send", ISSUE, "--at", tomorrow.strftime("%Y-%m-%d %H:%M")).exit_code == 0
    move(room, datetime.now(UTC) - timedelta(minutes=1))
    first = run("schedule", "run")
    assert first.exit_code == 1 and "sent 11" in first.output  # one deferred past its retries
    move(room, datetime.now(UTC) - LATE_AFTER - timedelta(hours=1))
    second = run("schedule", "run")
    assert second.exit_code == 0, second.output
    assert smtp.recorder.delivered == 12
    with Newsroom.open(room).store() as store:
        assert Ledger(store, ISSUE).completed_at() is not None
        assert Schedule(store).get(ISSUE) is None


@pytest.mark.parametrize(
    ("at", "message"),
    [("2017-07-10 07:00", "that time has passed"), ("next monday", "expected a time like 2017-07-03 07:00")],
)
def test_a_bad_time_is_refused(room: Path, run, at: str, message: str) -> None:
    result = run("send", ISSUE, "--at", at)
    assert result.exit_code == 2 and message in result.output
    assert run("schedule").output.strip() == "no scheduled sends"


def test_newsdesk_serve_sends_what_is_due(room: Path, smtp: SmtpServer, run) -> None:
    import os
    import subprocess
    import sys
    import time

    from smtp_server import free_port
    from web_service import SECRET, configure_web

    port = free_port()
    configure_web(room, port)
    tomorrow = datetime.now(ZONE) + timedelta(days=1)
    # --force: the service's plain-http address on loopback is what the checks refuse here.
    scheduled = run("send", ISSUE, "--at", tomorrow.strftime("%Y-%m-%d %H:%M"), "--force")
    assert scheduled.exit_code == 0, scheduled.output
    move(room, datetime.now(UTC) - timedelta(minutes=1))
    service = subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "--newsroom", str(room), "serve", "--port", str(port)],
        env={**os.environ, "NEWSDESK_SECRET": SECRET, "CI": "true"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while smtp.recorder.delivered < 12 and time.monotonic() < deadline and service.poll() is None:
            time.sleep(0.05)
        with Newsroom.open(room).store() as store:
            while Schedule(store).get(ISSUE) is not None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert Schedule(store).get(ISSUE) is None  # complete, so forgotten
    finally:
        service.terminate()
        said, _ = service.communicate(timeout=30)
    assert smtp.recorder.delivered == 12, said
    assert f"{ISSUE}: scheduled for " in said and "sent 12" in said
