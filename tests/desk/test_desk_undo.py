"""Undo and redo in the desk: typing in every field, and picking, unpicking, replacing and
reordering; and the link field, focused, keeps its link from the next key."""

from __future__ import annotations

from desk_helpers import DRAFT, desk, loaded
from textual.widgets import Input, TextArea

from newsdesk.issue import load_issue


async def to_link(pilot) -> Input:
    await pilot.press("enter", "enter")  # pick the first story (its lead, of four sources): its headline has focus
    await pilot.pause()
    await pilot.press("tab", "tab")
    link = pilot.app.query_one("#link", Input)
    assert pilot.app.focused is link
    return link


async def test_focusing_the_link_selects_nothing_so_a_key_adds_to_it(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        url = listing.items[0].url
        link = await to_link(pilot)
        assert link.selection.is_empty
        await pilot.press(*"#top")
        assert link.value == url + "#top"
        assert app.session.issue.developments[0].read_more == url + "#top"


async def test_the_headline_and_the_link_undo_a_word_at_a_time_and_redo(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("enter", "enter")  # the top story, its lead
        await pilot.pause()
        headline = app.query_one("#headline", Input)
        title = headline.value
        await pilot.press(*"Red list")  # the first key replaces the selected title
        await pilot.press("ctrl+z")
        assert headline.value == "Red "
        await pilot.press("ctrl+z")
        assert headline.value == title
        assert app.session.issue.developments[0].headline == title
        await pilot.press("ctrl+y", "ctrl+y")
        assert headline.value == "Red list"
        await pilot.press("ctrl+z", *"flag")
        assert headline.value == "Red flag"
        await pilot.press("ctrl+y")  # typing after an undo leaves nothing to redo
        assert headline.value == "Red flag"
        await pilot.press("backspace", "backspace", "backspace", "backspace", "ctrl+z")
        assert headline.value == "Red flag"  # a run of deletions is one step
        await pilot.press("tab", "tab")
        link = app.query_one("#link", Input)
        url = link.value
        await pilot.press(*"#x", "ctrl+z")
        assert link.value == url
        await pilot.press("escape", "ctrl+z")  # out of the field: the pick itself is undone
        assert app.session.issue.developments == []


async def test_the_annotation_and_the_intro_undo_and_redo(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("enter", "enter", "tab")  # the top story, its lead
        annotation = app.query_one("#annotation", TextArea)
        await pilot.press(*"Named 215 firms.")
        await pilot.pause()
        assert app.session.issue.developments[0].annotation == "Named 215 firms."
        await pilot.press("ctrl+z")
        assert len(annotation.text) < len("Named 215 firms.")
        assert app.session.issue.developments[0].annotation == annotation.text
        await pilot.press("ctrl+shift+z")
        assert app.session.issue.developments[0].annotation == "Named 215 firms."
        await pilot.press("escape", "up", "enter")
        intro = app.query_one("#intro", TextArea)
        before = intro.text
        await pilot.press(*"Hello. ", "ctrl+z")
        assert intro.text == before == app.session.issue.intro


async def test_pick_unpick_and_moves_are_undone_and_redone(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        ids = [item.id for item in listing.items[:3]]
        await pilot.press("space", "down", "space", "e", "down")  # two picks; the first in the editor
        await pilot.press("tab")  # into its headline: give it words of the editor's own
        await pilot.press(*"Mine", "tab", *"My note", "escape")
        await pilot.press("J")  # move it down
        assert app.session.issue.item_ids() == [ids[1], ids[0]]
        await pilot.press("x")  # and unpick it
        assert app.session.issue.item_ids() == [ids[1]]
        await pilot.press("u")
        assert app.session.issue.item_ids() == [ids[1], ids[0]]
        back = app.session.issue.developments[1]
        assert back.annotation == "My note" and back.headline.endswith("Mine")
        await pilot.press("down")
        assert app.editing == 1 and app.query_one("#annotation", TextArea).text == "My note"
        await pilot.press("u")
        assert app.session.issue.item_ids() == [ids[0], ids[1]]
        await pilot.press("u", "u")
        assert app.session.issue.item_ids() == []
        await pilot.press("u")  # nothing more: said, and nothing changes
        assert "│ Nothing to undo" in str(app.query_one("#status").render())
        await pilot.press("U", "U")
        assert app.session.issue.item_ids() == [ids[0], ids[1]]
        await pilot.press("c")
        assert {ids[0], ids[1]} <= listing.picked
        await pilot.press("q")
    assert load_issue(fetched / DRAFT).item_ids() == [ids[0], ids[1]]


async def test_undoing_a_replacement_brings_the_replaced_pick_back(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        ids = [item.id for item in listing.items[:4]]
        await pilot.press("space", "down", "space", "down", "space", "down", "space")
        await pilot.press("down", "enter")  # the fourth replaces pick 2
        await pilot.pause()
        assert app.session.issue.item_ids() == [ids[0], ids[3], ids[2]]
        await pilot.press("ctrl+z")
        assert app.session.issue.item_ids() == ids[:3]
