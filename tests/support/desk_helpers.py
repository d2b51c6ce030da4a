"""What the desk's Pilot tests share: the app on a newsroom, and waiting for its list."""

from __future__ import annotations

from pathlib import Path

from newsdesk.newsroom import Newsroom
from newsdesk.tui.app import DeskApp
from newsdesk.tui.candidate_list import CandidateList

DRAFT = "issues/2017-07-10.md"


def desk(newsroom_dir: Path, issue: str = DRAFT) -> DeskApp:
    return DeskApp(Newsroom.open(newsroom_dir), newsroom_dir / issue, blink=False)


async def loaded(pilot) -> CandidateList:
    """The candidate list once the loading (and ranking) workers are done."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return pilot.app.query_one(CandidateList)
