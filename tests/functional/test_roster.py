"""The list in the store: import and export in the subscribers file's format (every state
and date read back whole), counts by state, forgetting one person, and an unsubscribe in
the middle of a real send (a `newsdesk send` subprocess, aiosmtpd on loopback) that is final."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from link_server import LinkServer
from mail_newsroom import ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers
from smtp_server import Recorder, SmtpServer

from newsdesk.mail.roster import Roster
from newsdesk.store import Store

EXPORT = """\
email,name,status,date,changed,reason,bounces,confirmed
ada@readers.example,Ada Lovelace,subscribed,2017-06-01,2017-06-01T08:00:00Z,imported,1,
"lee@readers.example","Lee, Jordan",pending,2017-06-02,2017-06-02T09:30:05Z,signed up at the form,0,
li@readers.example,李明,unsubscribed,2017-05-03,2017-07-04T10:00:00Z,one-click unsubscribe (RFC 8058),0,2017-05-03T11:00:00Z
dead@readers.example,,bounced,2017-05-04,2017-07-05T11:00:00Z,hard bounce: 5.1.1 (smtp; 550 5.1.1 User unknown),0,
angry@readers.example,Angry,complained,2017-05-05,2017-07-06T12:00:00Z,complaint (ARF abuse) from mail.example,2,
"""


def store_of(room: Path) -> Store:
    return Store(room / ".newsdesk" / "store.sqlite3")


def test_an_export_imported_into_a_fresh_store_exports_the_same_file(newsroom_dir: Path, tmp_path: Path, run) -> None:
    source = tmp_path / "list.csv"
    source.write_text(EXPORT, encoding="utf-8")
    (newsroom_dir / "subscribers.csv").unlink()  # the list alone

    imported = run("subscribers", "import", str(source))
    assert imported.exit_code == 0, imported.output
    assert "list.csv: 5 added, 0 updated" in imported.output

    exported = tmp_path / "out.csv"
    result = run("subscribers", "export", str(exported))
    assert result.exit_code == 0, result.output
    assert f"{exported}: 5 addresses written" in result.output
    header, *rows = EXPORT.replace('"lee@readers.example"', "lee@readers.example").splitlines(keepends=True)
    assert exported.read_text(encoding="utf-8") == header + "".join(sorted(rows))  # by address

    again = run("subscribers", "import", str(exported))  # the list's own export: nothing changes
    assert again.exit_code == 0, again.output
    assert "out.csv: 0 added, 0 updated, 5 unchanged" in again.output
    second = tmp_path / "second.csv"
    assert run("subscribers", "export", str(second)).exit_code == 0
    assert second.read_bytes() == exported.read_bytes()

    counts = run("subscribers")
    assert "list: 1 pending, 1 subscribed, 1 unsubscribed, 1 bounced, 1 complained" in counts.output


def test_importing_never_subscribes_someone_who_left(newsroom_dir: Path, tmp_path: Path, run) -> None:
    first = tmp_path / "first.csv"
    first.write_text(EXPORT, encoding="utf-8")
    assert run("subscribers", "import", str(first)).exit_code == 0
    again = tmp_path / "again.csv"
    again.write_text("email,name\nli@readers.example,Li\ndead@readers.example,\nnew@readers.example,New\n")
    result = run("subscribers", "import", str(again))
    assert result.exit_code == 0, result.output
    assert "again.csv: 1 added, 0 updated, 2 kept suppressed" in result.output
    with store_of(newsroom_dir) as store:
        roster = Roster(store)
        assert roster.get("li@readers.example").state == "unsubscribed"
        assert roster.get("dead@readers.example").reason.startswith("hard bounce: 5.1.1")
        assert roster.get("new@readers.example").state == "subscribed"


def test_a_bad_import_file_is_one_line_and_changes_nothing(newsroom_dir: Path, tmp_path: Path, run) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"email,name\nok@readers.example,Ok\nbad@readers.example,\xff\xfe\n")
    result = run("subscribers", "import", str(broken))
    assert result.exit_code == 2
    assert result.output.strip() == f"newsdesk: error: {broken}:3: not valid UTF-8"
    with store_of(newsroom_dir) as store:
        assert Roster(store).get("ok@readers.example") is None


def test_the_counts_by_state_follow_the_subscribers_file(run) -> None:
    result = run("subscribers")
    assert result.exit_code == 0, result.output
    # The sample file: 4 subscribed, 1 unsubscribed (its invalid line and duplicate apart).
    assert "list: 0 pending, 4 subscribed, 1 unsubscribed, 0 bounced, 0 complained" in result.output
    as_json = run("subscribers", "--json")
    assert '"complained": 0' in as_json.output


def test_forget_erases_the_person_from_the_store_the_ledgers_and_the_file(newsroom_dir: Path, run) -> None:
    text = (newsroom_dir / "subscribers.csv").read_text(encoding="utf-8")
    assert "ada.lovelace@readers.example" in text.lower()
    assert run("subscribers").exit_code == 0  # the file brought into the store
    with store_of(newsroom_dir) as store, store.transaction() as db:
        db.execute(
            "INSERT INTO send_ledger (issue, address_key, address, message_id, seq, state, updated_at) "
            "VALUES ('2017-07-03', 'ada.lovelace@readers.example', 'Ada.Lovelace@readers.example', '<x@y>', 1, "
            "'sent', 't')"
        )

    result = run("subscribers", "forget", "ADA.lovelace@readers.example")
    assert result.exit_code == 0, result.output
    assert "forgotten (2 rows in the store, 2 lines in subscribers.csv)" in result.output
    assert "ada.lovelace" not in (newsroom_dir / "subscribers.csv").read_text(encoding="utf-8").lower()
    with sqlite3.connect(newsroom_dir / ".newsdesk" / "store.sqlite3") as db:
        for table in ("subscribers", "send_ledger"):
            assert not db.execute(f"SELECT 1 FROM {table} WHERE address_key LIKE 'ada.lovelace%'").fetchall()
    # The other lines are kept as they were.
    remaining = [line for line in text.splitlines() if "ada.lovelace" not in line.lower()]
    assert (newsroom_dir / "subscribers.csv").read_text(encoding="utf-8").splitlines() == remaining

    one = run("subscribers", "forget", "li.ming@readers.example")
    assert "forgotten (1 row in the store, 1 line in subscribers.csv)" in one.output

    again = run("subscribers", "forget", "ada.lovelace@readers.example")
    assert again.exit_code == 2
    assert "not in the list, the send ledgers or subscribers.csv" in again.output


@pytest.mark.slow
def test_an_unsubscribe_during_a_send_is_final_for_the_messages_not_yet_sent(newsroom_dir: Path) -> None:
    links = LinkServer().start()
    try:
        write_ready_issue(newsroom_dir, links.url)
        rows = subscriber_rows(30)
        write_subscribers(newsroom_dir, rows)
        leaving = rows[20][0]
        recorder = Recorder(hold_after=5)  # message 5 stored, its reply held: the send is mid-way
        with SmtpServer(recorder) as server:
            configure_smtp(newsroom_dir, server.port)
            process = subprocess.Popen(
                [sys.executable, "-m", "newsdesk", "--newsroom", str(newsroom_dir), "send", ISSUE, "--yes"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env={**os.environ, "CI": "true"},
                text=True,
            )
            try:
                assert recorder.held.wait(60), "the send never reached message 5"
                with store_of(newsroom_dir) as store:
                    assert Roster(store).suppress(leaving, "unsubscribed", "one-click unsubscribe (RFC 8058)")
                recorder.release.set()
                output, _ = process.communicate(timeout=120)
            finally:
                process.kill()
    finally:
        links.stop()
    assert process.returncode == 0, output
    assert "sent 29" in output and "1 no longer subscribed" in output
    assert "the send is complete" in output
    received = recorder.by_recipient()
    assert leaving not in received
    assert sorted(received) == sorted(email for email, _ in rows if email != leaving)


def test_a_new_newsroom_has_an_empty_list_not_an_error(tmp_path: Path, run) -> None:
    room = tmp_path / "fresh"
    assert run("init", str(room)).exit_code == 0
    from click.testing import CliRunner

    from newsdesk.cli import cli

    result = CliRunner().invoke(cli, ["--newsroom", str(room), "subscribers"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "subscribers.csv: no such file (the list in the store alone)",
        "list: 0 pending, 0 subscribed, 0 unsubscribed, 0 bounced, 0 complained",
    ]
    as_json = CliRunner().invoke(cli, ["--newsroom", str(room), "subscribers", "--json"], catch_exceptions=False)
    assert as_json.exit_code == 0 and '"pending": 0' in as_json.output


def test_an_import_with_bad_lines_imports_nothing_and_lists_them(newsroom_dir: Path, tmp_path: Path, run) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "email,name,status\ngood@readers.example,Good,\nnot-an-address,Bad,\nodd@readers.example,Odd,maybe\n",
        encoding="utf-8",
    )
    result = run("subscribers", "import", str(bad))
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        "error: bad.csv:3: 'not-an-address' is not an email address",
        "error: bad.csv:4: status must be subscribed or unsubscribed, not 'maybe'",
        f"newsdesk: error: {bad}: 2 bad lines; nothing imported (fix them and import again)",
    ]
    with store_of(newsroom_dir) as store:
        assert Roster(store).get("good@readers.example") is None
    one = tmp_path / "one.csv"
    one.write_text("email\ngood@readers.example\nbad\n", encoding="utf-8")
    assert f"{one}: 1 bad line; nothing imported" in run("subscribers", "import", str(one)).output


def test_an_export_to_a_folder_that_is_not_there_or_not_writable_is_one_line(tmp_path: Path, run) -> None:
    missing = tmp_path / "no-such-folder" / "x.csv"
    result = run("subscribers", "export", str(missing))
    assert result.exit_code == 2
    assert result.output.strip() == f"newsdesk: error: {missing}: no folder {missing.parent}"
    assert not missing.parent.exists()

    result = run("subscribers", "export", "/proc/x.csv")
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[-1]  # after the sample file's warnings
    assert line.startswith("newsdesk: error: /proc/x.csv: cannot write: ") and ".tmp" not in result.output


def test_a_forgotten_address_is_in_no_file_of_the_store_even_with_the_service_connected(
    newsroom_dir: Path, run
) -> None:
    rows = subscriber_rows(300)
    write_subscribers(newsroom_dir, rows)
    assert run("subscribers").exit_code == 0
    target = rows[150][0]
    # The service holds its own connection to the store all along (and has read from it).
    with store_of(newsroom_dir) as service_store:
        roster = Roster(service_store)
        assert roster.get(target) is not None
        with service_store.transaction() as db:
            db.execute(
                "INSERT INTO send_ledger (issue, address_key, address, message_id, seq, state, updated_at) "
                "VALUES ('2017-07-03', ?, ?, '<x@y>', 1, 'sent', 't')",
                (target.lower(), target),
            )
        result = run("subscribers", "forget", target)
        assert result.exit_code == 0, result.output
        assert roster.get(target) is None  # the service sees it gone at once
        folder = newsroom_dir / ".newsdesk"
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes().lower()
                assert target.lower().encode() not in data, path
                assert target.split("@")[0].lower().encode() not in data, path
        assert roster.get(rows[151][0]) is not None  # everyone else still there
