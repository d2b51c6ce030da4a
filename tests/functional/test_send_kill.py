"""A send killed with SIGKILL and started again: nobody twice, nobody missed.

The sending process is a real `python -m newsdesk send` subprocess; the SMTP server is
aiosmtpd on loopback in this process, counting Message-IDs.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from link_server import LinkServer
from mail_newsroom import ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers
from smtp_server import Recorder, SmtpServer

pytestmark = pytest.mark.slow
RECIPIENTS = 500


@pytest.fixture
def room(newsroom_dir: Path):
    links = LinkServer().start()
    write_ready_issue(newsroom_dir, links.url)
    write_subscribers(newsroom_dir, subscriber_rows(RECIPIENTS))
    yield newsroom_dir
    links.stop()


def send_command(room: Path) -> list[str]:
    return [sys.executable, "-m", "newsdesk", "--newsroom", str(room), "send", ISSUE, "--yes"]


def start_send(room: Path) -> subprocess.Popen:
    return subprocess.Popen(
        send_command(room),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "CI": "true"},
        text=True,
    )


def finish_send(room: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        send_command(room),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env={**os.environ, "CI": "true"},
        text=True,
        timeout=120,
    )


def ledger_counts(room: Path) -> Counter:
    with sqlite3.connect(room / ".newsdesk" / "store.sqlite3") as db:
        return Counter(state for (state,) in db.execute("SELECT state FROM send_ledger WHERE issue = ?", (ISSUE,)))


def kill(process: subprocess.Popen) -> None:
    process.kill()  # SIGKILL: no cleanup, no last commit
    process.wait(10)


def test_killed_while_a_message_awaits_its_reply_resends_only_that_one(room: Path) -> None:
    # The server stores message 200, then keeps the client waiting for its reply: the one
    # moment when the ledger cannot know whether the message was delivered.
    recorder = Recorder(hold_after=200)
    with SmtpServer(recorder) as server:
        configure_smtp(room, server.port)
        process = start_send(room)
        if not recorder.held.wait(60):
            kill(process)
            pytest.fail(f"the send never reached message 200: {process.stdout.read()}")
        kill(process)
        held_id = recorder.messages[199].message_id
        assert ledger_counts(room) == Counter(sent=199, in_flight=1, pending=300)
        recorder.release.set()

        second = finish_send(room)

    assert second.returncode == 0, second.stdout + second.stderr
    assert "sent 301" in second.stdout and "in doubt 1" in second.stdout
    assert "resent with the same Message-ID" in second.stdout
    assert len(recorder.message_ids) == RECIPIENTS  # every subscriber has the issue
    assert recorder.delivered == RECIPIENTS + 1  # and one of them has it twice
    assert recorder.message_ids[held_id] == 2
    assert ledger_counts(room) == Counter(sent=RECIPIENTS)


def test_killed_at_an_arbitrary_moment_loses_nobody(room: Path) -> None:
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        configure_smtp(room, server.port)
        process = start_send(room)
        deadline = time.monotonic() + 60
        while recorder.delivered < 150 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.005)
        kill(process)
        before = recorder.delivered
        assert 150 <= before < RECIPIENTS, "the kill did not land mid-send"

        second = finish_send(room)

    assert second.returncode == 0, second.stdout + second.stderr
    assert len(recorder.message_ids) == RECIPIENTS
    duplicates = recorder.delivered - RECIPIENTS
    assert duplicates in (0, 1)  # at most the one message in flight at the kill
    assert all(count == 1 for count in recorder.message_ids.values()) or duplicates == 1
    assert ledger_counts(room) == Counter(sent=RECIPIENTS)


def test_killed_while_sending_over_four_connections_loses_nobody(room: Path) -> None:
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        configure_smtp(room, server.port, connections=4)
        process = start_send(room)
        deadline = time.monotonic() + 60
        while recorder.delivered < 150 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.005)
        kill(process)
        before = recorder.delivered
        assert 150 <= before < RECIPIENTS, "the kill did not land mid-send"
        in_flight = ledger_counts(room)["in_flight"]
        assert in_flight <= 4  # at most one row in flight per connection

        second = finish_send(room)

    assert second.returncode == 0, second.stdout + second.stderr
    assert recorder.connections >= 5  # four, then at least one more for the rest
    assert len(recorder.message_ids) == RECIPIENTS  # every subscriber has the issue
    duplicates = recorder.delivered - RECIPIENTS
    assert 0 <= duplicates <= in_flight  # only copies that were in doubt, resent with the same id
    assert all(count <= 2 for count in recorder.message_ids.values())
    assert ledger_counts(room) == Counter(sent=RECIPIENTS)
