"""Snapshots of the desk's screens at 120x40 and 80x24 (cursor blink off, no animation).

Update with `pytest tests/desk/test_desk_snapshots.py --snapshot-update` and review the SVGs.

Every picture waits for a settled desk (tests/support/desk_helpers.py), never for a length of
time, and the desk's timers wait an hour: under load a fixed pause lets an autosave or a toast's
timeout land before the picture, or not.
"""

from __future__ import annotations

import pytest
from desk_helpers import desk, no_timers, quiet
from desk_helpers import settled as settle

SIZES = [(120, 40), (80, 24)]


@pytest.fixture(autouse=True)
def _no_timers(monkeypatch):
    no_timers(monkeypatch)


def make(newsroom_dir, issue="issues/2017-07-10.md"):
    return desk(newsroom_dir, issue)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_candidates(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("down", "space")
        await quiet(pilot)

    assert snap_compare(make(fetched), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_issue_pane(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("space", "down", "space", "e", "down", "down")
        await quiet(pilot)

    assert snap_compare(make(fetched), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_preview(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)

    assert snap_compare(make(fetched, "issues/2017-07-03.md"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make(fetched), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_replace_a_pick(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("space", "down", "space", "down", "space", "down")
        await quiet(pilot)  # before the modal screen: its toasts would stay painted under it
        await pilot.press("space")
        await quiet(pilot)

    assert snap_compare(make(fetched), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_source_filter(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("s", "s", "s", "s")  # China Governance Watch: the whole name shows
        await quiet(pilot)

    assert snap_compare(make(fetched), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_issues(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("down")  # 2017-07-03: published
        await quiet(pilot)

    assert snap_compare(make(fetched), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_empty_store(snap_compare, newsroom_dir, size):
    assert snap_compare(make(newsroom_dir), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_changed_on_disk(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("space")  # unsaved: the autosave waits an hour
        pilot.app.clear_notifications()
        await settle(pilot)
        path = fetched / "issues" / "2017-07-10.md"
        path.write_text(path.read_text(encoding="utf-8").replace("Welcome", "Hello"), encoding="utf-8")
        pilot.app.check_disk()
        await settle(pilot)

    assert snap_compare(make(fetched), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_fetch_report(snap_compare, newsroom_dir, size):
    from newsdesk.feeds.fetch import FeedResult, FetchReport
    from newsdesk.tui.screens import ReportScreen

    report = FetchReport(
        results=[
            FeedResult("Credit Policy Daily", "https://a.example/feed", "new", new=12, items=12),
            FeedResult("新华信用观察", "https://b.example/rss", "unchanged"),
            FeedResult("Gone", "https://c.example/feed", "failed", error="HTTP 404 Not Found"),
        ],
        seconds=1.25,
    )

    async def run_before(pilot):
        await settle(pilot)
        await pilot.app.push_screen(ReportScreen(report))
        await settle(pilot)

    assert snap_compare(make(newsroom_dir), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_broken_issue_file(snap_compare, newsroom_dir, size, monkeypatch):
    from newsdesk.errors import IssueFileError
    from newsdesk.issue import load_issue
    from newsdesk.tui.broken import BrokenIssueApp

    monkeypatch.delenv("VISUAL", raising=False)  # the help line names the editor
    monkeypatch.delenv("EDITOR", raising=False)
    path = newsroom_dir / "issues" / "2017-07-10.md"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[:2], "colour = 'red'\n", *lines[2:]]), encoding="utf-8")
    try:
        load_issue(path)
    except IssueFileError as error:
        app = BrokenIssueApp(path, error, root=newsroom_dir)
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_publish_asks_first(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("down", "P")  # 2017-07-03
        await quiet(pilot)

    assert snap_compare(make(fetched), terminal_size=size, run_before=run_before)
