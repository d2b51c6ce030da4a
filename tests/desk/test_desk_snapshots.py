"""Snapshots of the desk's screens at 120x40 and 80x24 (cursor blink off, no animation).

Update with `pytest tests/desk/test_desk_snapshots.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

import pytest

from newsdesk.newsroom import Newsroom
from newsdesk.tui.app import DeskApp

SIZES = [(120, 40), (80, 24)]


def make(newsroom_dir, issue="issues/2017-07-10.md") -> DeskApp:
    return DeskApp(Newsroom.open(newsroom_dir), newsroom_dir / issue, blink=False)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def quiet(pilot) -> None:
    """Toasts and the autosave delay come and go with time: keep them out of the pictures."""
    pilot.app.autosave()
    pilot.app.clear_notifications()
    await pilot.pause()


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
        await pilot.pause(0.5)

    assert snap_compare(make(fetched, "issues/2017-07-03.md"), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make(fetched), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_replace_a_pick(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("space", "down", "space", "down", "space", "down", "space")
        await quiet(pilot)

    assert snap_compare(make(fetched), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_empty_store(snap_compare, newsroom_dir, size):
    assert snap_compare(make(newsroom_dir), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_changed_on_disk(snap_compare, fetched, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("space")
        path = fetched / "issues" / "2017-07-10.md"
        path.write_text(path.read_text(encoding="utf-8").replace("Welcome", "Hello"), encoding="utf-8")
        pilot.app.check_disk()
        pilot.app.clear_notifications()
        await pilot.pause()

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
        await pilot.pause()

    assert snap_compare(make(newsroom_dir), terminal_size=size, run_before=run_before)
