"""The Issues tab: every issue and where it stands, and what the desk does with one (open it,
open its email in the browser, check, test send through a real SMTP server, publish), each
through the core in a worker."""

from __future__ import annotations

import re
import webbrowser

from desk_helpers import desk, loaded, no_timers
from smtp_server import SmtpServer

from newsdesk.issue import load_issue
from newsdesk.tui.issues_pane import IssuesList
from newsdesk.tui.screens import ConfirmScreen


async def to_issue(pilot, name: str) -> None:
    """The Issues tab, its list on the issue named ``name``."""
    app = pilot.app
    await pilot.press("i")
    await loaded(pilot)
    listing = app.query_one(IssuesList)
    listing.highlighted = [state.name for state in app.issue_rows].index(name)
    await pilot.pause()


async def test_the_issues_tab_shows_where_each_issue_stands(fetched, monkeypatch):
    no_timers(monkeypatch)
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("i")
        await loaded(pilot)
        rows = {state.name: state for state in app.issue_rows}
        assert list(rows) == ["2017-07-10", "2017-07-03", "2017-06-26"]  # newest first
        assert rows["2017-07-10"].label().startswith("draft, ")  # to do: picks, intro
        assert rows["2017-07-03"].label() == "published" and rows["2017-07-03"].outputs == "none"
        assert app.query_one(IssuesList).highlighted == 0  # the issue open in the desk
        assert "Open in the desk now" in str(app.query_one("#issue-state").render())


async def test_check_is_kept_and_shown_and_a_change_makes_it_stale(fetched, monkeypatch):
    no_timers(monkeypatch)
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await to_issue(pilot, "2017-07-03")
        await pilot.press("C")
        await loaded(pilot)
        state = app.selected_issue
        assert state.name == "2017-07-03" and state.check is not None and state.check.errors == 3
        shown = str(app.query_one("#issue-state").render())
        assert f"Checked: {state.check.summary()} (" in shown and "reserved for examples" in shown
        assert f"2017-07-03: {state.check.summary()}" in str(app.query_one("#status").render())
        assert state.check.summary().startswith("3 errors")
        path = fetched / "issues" / "2017-07-03.md"
        path.write_text(path.read_text(encoding="utf-8").replace("Welcome", "Hello"), encoding="utf-8")
        app.refresh_issues()
        await loaded(pilot)
        assert app.selected_issue.check is None  # the file changed since: not checked


async def test_b_renders_the_email_and_opens_it_in_the_browser(fetched, tmp_path, monkeypatch):
    no_timers(monkeypatch)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n')
    browser.chmod(0o755)
    monkeypatch.setattr(webbrowser, "_browsers", dict(webbrowser._browsers))
    monkeypatch.setattr(webbrowser, "_tryorder", list(webbrowser._tryorder or []) or None)
    webbrowser.register("newsdesk-test", None, webbrowser.BackgroundBrowser([str(browser), "%s"]), preferred=True)
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await to_issue(pilot, "2017-07-03")
        await pilot.press("b")
        await loaded(pilot)  # rendered, then the browser worker
        await loaded(pilot)
        email = fetched / "build" / "2017-07-03" / "email.html"
        assert email.exists()
        for _ in range(100):  # the browser is its own process
            if opened.exists() and opened.read_text():
                break
            await pilot.pause(0.05)
        assert opened.read_text() == email.as_uri()
        assert app.selected_issue.outputs == "fresh"


async def test_test_send_asks_then_sends_one_copy_to_the_editor(fetched, monkeypatch):
    no_timers(monkeypatch)
    with SmtpServer() as server:
        sources = fetched / "sources.toml"
        sources.write_text(sources.read_text(encoding="utf-8").replace("port = 8025", f"port = {server.port}"))
        app = desk(fetched)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            await to_issue(pilot, "2017-07-03")
            await pilot.press("M")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert "editors@socialcredit.example" in app.screen.question
            assert f"127.0.0.1:{server.port}" in app.screen.question
            await pilot.press("n")  # no: nothing sent
            await loaded(pilot)
            assert not server.recorder.messages
            await pilot.press("M")
            await pilot.pause()
            await pilot.press("y")
            await loaded(pilot)
            assert "sent a test copy of 2017-07-03 to editors@socialcredit.example" in str(
                app.query_one("#status").render()
            )
        [message] = server.recorder.messages
        assert message.recipient == "editors@socialcredit.example"
        assert message.parsed()["Subject"].startswith("[test]")


async def test_publish_asks_then_publishes_to_the_static_site(fetched, monkeypatch):
    no_timers(monkeypatch)
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await to_issue(pilot, "2017-07-10")  # the draft: incomplete, refused before asking
        await pilot.press("P")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        await to_issue(pilot, "2017-07-03")
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "again" in app.screen.question
        await pilot.press("y")
        await loaded(pilot)
        assert "2017-07-03 is published" in str(app.query_one("#status").render())
    pages = list((fetched / "site").rglob("*.html"))
    assert any(re.search(r"2017/.*3rd-july-2017\.html$", str(page)) for page in pages)
    assert load_issue(fetched / "issues" / "2017-07-03.md").status == "published"


async def test_enter_on_another_issue_opens_the_desk_on_it(fetched, monkeypatch):
    no_timers(monkeypatch)
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("space")  # a pick, saved before the desk moves on
        await to_issue(pilot, "2017-06-26")
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_value == fetched / "issues" / "2017-06-26.md"
    assert len(load_issue(fetched / "issues" / "2017-07-10.md").developments) == 1


def test_newsdesk_check_keeps_its_result_for_the_desk(fetched, run):
    from newsdesk.newsroom import Newsroom
    from newsdesk.output.state import issue_states

    result = run("check", "2017-07-03", "--offline")
    assert result.exit_code == 1  # the sample's reserved .example links
    state = next(s for s in issue_states(Newsroom.open(fetched)) if s.name == "2017-07-03")
    assert state.check is not None and state.check.errors == 3 and not state.checked


async def test_a_scheduled_send_is_shown(fetched, monkeypatch):
    from datetime import UTC, datetime

    from newsdesk.mail.schedule import Schedule, ScheduledSend
    from newsdesk.newsroom import Newsroom

    no_timers(monkeypatch)
    with Newsroom.open(fetched).store() as store:
        at = datetime(2030, 7, 1, 23, 0, tzinfo=UTC)  # 07:00 on 2 July in Asia/Shanghai
        Schedule(store).add(ScheduledSend("2017-07-03", at.isoformat(), datetime.now(UTC).isoformat()))
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await to_issue(pilot, "2017-07-03")
        shown = str(app.query_one("#issue-state").render())
        assert "Scheduled to send: Tue 02 Jul 2030, 07:00 Asia/Shanghai" in shown
        assert "newsdesk schedule cancel 2017-07-03" in shown
        lines = [str(app.issue_line(state)) for state in app.issue_rows]
        assert lines[1].endswith("published, scheduled") and not lines[0].endswith("scheduled")
