"""DeskSession's undo and redo of picks, unpicks, replacements and moves (no terminal)."""

from __future__ import annotations

from datetime import UTC, datetime

from newsdesk.curation.session import DeskSession
from newsdesk.issue import load_issue
from newsdesk.items import Item
from newsdesk.newsroom import Newsroom

WHEN = datetime(2017, 7, 5, 9, tzinfo=UTC)


def item(n: int) -> Item:
    return Item(f"id{n}", "Credit Policy Daily", f"g{n}", f"Story {n}", f"https://a.example/{n}", None, "", WHEN, WHEN)


def ids(session: DeskSession) -> list[str | None]:
    return [d.item_id for d in session.issue.developments]


def test_each_change_to_the_picks_is_undone_and_redone_in_turn(newsroom_dir):
    session = DeskSession(Newsroom.open(newsroom_dir), newsroom_dir / "issues" / "2017-07-10.md")
    assert session.undo() is None and session.redo() is None
    session.pick(item(1))
    session.pick(item(2))
    session.set_field(0, "annotation", "Words of the editor's own.")
    session.move(0, 1)
    session.unpick(1)
    session.pick(item(3))
    session.pick(item(4), replace=0)
    assert ids(session) == ["id4", "id3"]
    assert session.undo() == "replacing pick 1 with “Story 4”"
    assert ids(session) == ["id2", "id3"]
    assert session.undo() == "picking “Story 3”"
    assert session.undo() == "unpicking “Story 1”"
    assert ids(session) == ["id2", "id1"]
    assert session.issue.developments[1].annotation == "Words of the editor's own."
    assert session.undo() == "moving “Story 1” down"
    assert ids(session) == ["id1", "id2"]
    assert session.redo() == "moving “Story 1” down"
    assert ids(session) == ["id2", "id1"]
    session.move(0, 1)  # a new change: nothing left to redo
    assert session.redo() is None
    assert session.undo() == "moving “Story 2” down"
    session.undo(), session.undo(), session.undo()
    assert ids(session) == [] and session.undo() is None
    assert session.dirty


def test_the_steps_are_forgotten_when_the_file_is_reloaded(newsroom_dir):
    path = newsroom_dir / "issues" / "2017-07-10.md"
    session = DeskSession(Newsroom.open(newsroom_dir), path)
    session.pick(item(1))
    session.save()
    session.reload()
    assert session.undo() is None
    assert [d.item_id for d in load_issue(path).developments] == ["id1"]
