"""What the desk's Pilot tests share: the app on a newsroom, and waiting for a settled desk.

Waiting is for a state, never for a length of time: a loaded machine (CI runs the suite on
every core) stretches any fixed pause, and the desk's own timers (autosave, the disk check,
toasts that time out) fire in between.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from newsdesk.newsroom import Newsroom
from newsdesk.tui.app import DeskApp
from newsdesk.tui.candidate_list import CandidateList

DRAFT = "issues/2017-07-10.md"


def desk(newsroom_dir: Path, issue: str = DRAFT) -> DeskApp:
    return DeskApp(Newsroom.open(newsroom_dir), newsroom_dir / issue, blink=False)


def no_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The desk's autosave, disk check and store check wait an hour: a test calls them when it means to."""
    import newsdesk.tui.fetching as fetching
    import newsdesk.tui.saving as saving

    monkeypatch.setattr(saving, "AUTOSAVE_SECONDS", 3600.0)
    monkeypatch.setattr(saving, "AUTOSAVE_LIMIT", 3600.0)
    monkeypatch.setattr(saving, "DISK_CHECK_SECONDS", 3600.0)
    monkeypatch.setattr(fetching, "FETCH_CHECK_SECONDS", 3600.0)


async def settled(pilot) -> None:
    """Every worker done, every message they posted handled, every animation over."""
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def loaded(pilot) -> CandidateList:
    """The candidate list once the loading (and ranking) workers are done."""
    await settled(pilot)
    return pilot.app.query_one(CandidateList)


async def until(pilot, condition, what: str, timeout: float = 30.0) -> None:
    """Wait for ``condition()`` (a desk state, a file on disk), however slow the machine; the
    timeout only turns a desk that never gets there into a failure that says so."""
    deadline = time.monotonic() + timeout
    await pilot.pause()  # what the keys and values set just now has been handled
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the desk never got to {what} in {timeout:.0f} s")
        await pilot.pause(0.05)


async def saved(pilot) -> None:
    """Wait for the autosave, as an editor who stops typing would: the desk says saved."""
    app = pilot.app
    await until(pilot, lambda: app.save_state == "saved" and not app.session.dirty, "saving")


async def quiet(pilot) -> None:
    """Saved and no toast: the toasts and the autosave delay come and go with time.

    Call it before a modal screen opens too: the desk's toasts stay painted under a modal
    screen until they time out, however soon they are cleared."""
    pilot.app.autosave()
    pilot.app.clear_notifications()
    await settled(pilot)
