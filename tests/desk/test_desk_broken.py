"""A broken issue file: a screen naming the line and what is wrong, $EDITOR and reload; before
the desk opens (BrokenIssueApp, what `newsdesk edit` runs on a terminal) and while it is open."""

from __future__ import annotations

import io

from desk_helpers import DRAFT, desk, loaded, no_timers
from rich.console import Console
from textual.widgets import Static

from newsdesk.errors import IssueFileError
from newsdesk.issue import load_issue
from newsdesk.tui.broken import BrokenIssueApp, BrokenIssueScreen, editor_command


def text_of(screen) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    for static in screen.query(Static):
        console.print(static.content)
    return console.export_text()


def break_it(path) -> str:
    """An unknown front matter key on line 3; returns the good text."""
    good = path.read_text(encoding="utf-8")
    lines = good.splitlines(keepends=True)
    path.write_text("".join([*lines[:2], "colour = 'red'\n", *lines[2:]]), encoding="utf-8")
    return good


def test_the_error_knows_its_line(fetched):
    path = fetched / DRAFT
    break_it(path)
    try:
        load_issue(path)
    except IssueFileError as error:
        assert error.line == 3 and error.problem.startswith("unknown front matter key 'colour'")
    else:
        raise AssertionError("the broken file loaded")


def test_editor_command_opens_at_the_line(monkeypatch, tmp_path):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "vim -u NONE")
    assert editor_command(tmp_path / "x.md", 7) == ["vim", "-u", "NONE", "+7", str(tmp_path / "x.md")]
    monkeypatch.setenv("EDITOR", "code --wait")
    assert editor_command(tmp_path / "x.md", 7) == ["code", "--wait", str(tmp_path / "x.md")]
    monkeypatch.delenv("EDITOR")
    assert editor_command(tmp_path / "x.md", 7) is None


async def test_before_the_desk_the_line_is_shown_and_a_fix_is_read_again(fetched):
    path = fetched / DRAFT
    good = break_it(path)
    try:
        load_issue(path)
    except IssueFileError as error:
        app = BrokenIssueApp(path, error)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BrokenIssueScreen)
        shown = text_of(screen)
        assert f"{path}:3: unknown front matter key 'colour'" in shown
        assert "▶    3 │ colour = 'red'" in shown
        await pilot.press("r")  # still broken: said, and the screen stays
        await pilot.pause()
        assert app.screen is screen and "Still broken" in text_of(screen)
        path.write_text(good, encoding="utf-8")  # fixed in another editor
        await pilot.press("r")
        await pilot.pause()
    assert app.return_value is True
    assert path.read_text(encoding="utf-8") == good


async def test_quitting_leaves_the_file_as_it_was(fetched):
    path = fetched / DRAFT
    break_it(path)
    broken = path.read_text(encoding="utf-8")
    try:
        load_issue(path)
    except IssueFileError as error:
        app = BrokenIssueApp(path, error)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value is False
    assert path.read_text(encoding="utf-8") == broken


async def test_a_file_broken_while_the_desk_is_open_is_shown_and_reloaded_once_fixed(fetched, monkeypatch):
    no_timers(monkeypatch)
    app = desk(fetched)
    path = fetched / DRAFT
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        good = break_it(path)
        app.check_disk()
        await pilot.pause()
        assert isinstance(app.screen, BrokenIssueScreen)
        assert "NOT SAVED: the file on disk is broken" in str(app.main.query_one("#status").render())
        path.write_text(good.replace("Welcome", "Hello"), encoding="utf-8")
        await pilot.press("r")
        await pilot.pause()
        assert app.screen is app.main
        assert "Hello" in app.session.issue.intro
