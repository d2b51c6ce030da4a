"""Every keystroke kept: the desk's fields hold exactly what was typed, at any speed.

Pilot's own press() waits for the app to go idle after every key, which no typist does;
these tests post the keys the way the terminal driver does, never waiting for the desk:
all at once, or with a few turns of the event loop between them (keys arriving while the
desk is still busy with the last ones, which is what lost them), and compare the saved
issue file byte for byte with the file the typed text should make.
tests/integration/test_desk_terminal.py types into a real terminal.
"""

from __future__ import annotations

import asyncio
import random
import unicodedata

import pytest
from desk_helpers import DRAFT, desk, loaded
from textual import events
from textual.keys import KEY_NAME_REPLACEMENTS
from textual.widgets import Input, TextArea
from typed import FIELDS, check_saved, typed_link, typed_text

from newsdesk.tui.app import PicksList


def key_event(character: str) -> events.Key:
    """The Key event the terminal driver makes of one character typed."""
    if character == "\n":
        return events.Key("enter", "\r")
    if character.isalnum():
        key = character
    else:
        key = unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")
    return events.Key(KEY_NAME_REPLACEMENTS.get(key, key), character)


async def until(pilot, condition, *, rounds: int = 2000) -> None:
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("the desk never got there")


async def type_fast(pilot, text: str, jitter: random.Random | None) -> None:
    """Post every key without waiting for the desk: all at once, or with 0 to 3 turns of
    the event loop between keys (``jitter``), so that keys land between the steps of the
    desk's handling of the last ones. Then escape, and wait until it has left the field
    (every key before it has been handled by then)."""
    app = pilot.app
    for character in text:
        app.post_message(key_event(character))
        for _ in range(jitter.randint(0, 3) if jitter else 0):
            await asyncio.sleep(0)
    app.post_message(events.Key("escape", "\x1b"))
    await until(pilot, lambda: isinstance(app.focused, PicksList))
    await pilot.pause()


async def edit_every_field(
    pilot, values: dict[str, str], *, paste: bool = False, jitter: random.Random | None = None
) -> None:
    """Pick the first story, then fill the headline, annotation, link and intro."""
    app = pilot.app
    await loaded(pilot)
    await pilot.press("enter")
    await pilot.pause()
    for field in FIELDS:
        if field == "intro":
            await pilot.press("up", "enter")  # from the pick to the intro, and into it
        else:
            app.query_one(PicksList).focus()
            await pilot.press("enter")  # into the headline
            for _ in range(("headline", "annotation", "link").index(field)):
                await pilot.press("tab")
        widget = app.query_one(f"#{field}")
        assert app.focused is widget
        if isinstance(widget, Input):
            widget.value = ""
        else:
            widget.load_text("")
        await pilot.pause()
        if paste:
            app.post_message(events.Paste(values[field]))
            app.post_message(events.Key("escape", "\x1b"))
            await until(pilot, lambda: isinstance(app.focused, PicksList))
            await pilot.pause()
        else:
            await type_fast(pilot, values[field], jitter)


async def edit_and_compare(
    newsroom, values: dict[str, str], *, paste: bool = False, jitter: random.Random | None = None
) -> None:
    path = newsroom / DRAFT
    original = path.read_text(encoding="utf-8")
    app = desk(newsroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await edit_every_field(pilot, values, paste=paste, jitter=jitter)
        assert app.query_one("#intro", TextArea).text == values["intro"]
        await pilot.press("q")
    check_saved(path, original, values)


@pytest.mark.parametrize("jitter", [False, True], ids=["all-at-once", "jittered"])
async def test_two_thousand_keys_with_no_pause_are_all_kept_in_order(fetched, jitter):
    values = {  # 2,000 keys in all, most of them in the annotation
        "headline": typed_text(300, seed=1, lines=False),
        "annotation": typed_text(1000, seed=2, lines=True),
        "link": typed_link(300, seed=3),
        "intro": typed_text(400, seed=4, lines=True),
    }
    await edit_and_compare(fetched, values, jitter=random.Random(22) if jitter else None)


async def test_a_bracketed_paste_of_five_thousand_characters_with_cjk_is_kept(fetched):
    values = {
        "headline": typed_text(5000, seed=5, lines=False),
        "annotation": typed_text(5000, seed=6, lines=True),
        "link": typed_link(5000, seed=7),
        "intro": typed_text(5000, seed=8, lines=True),
    }
    assert any(unicodedata.east_asian_width(c) == "W" for c in values["annotation"])
    await edit_and_compare(fetched, values, paste=True)


async def test_keys_typed_right_after_tab_and_shift_tab_go_to_the_field_they_reach(fetched):
    """A string, tab, another string and shift+tab, all posted at once: every key goes to
    the field that has focus once the keys before it were handled."""
    path = fetched / DRAFT
    app = desk(fetched)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("enter")  # pick the first story
        await pilot.pause()
        app.query_one(PicksList).focus()
        await pilot.press("enter")  # into its headline
        await until(pilot, lambda: app.focused is app.query_one("#headline"))
        headline, annotation = app.query_one("#headline", Input), app.query_one("#annotation", TextArea)
        with_text = {"headline": "Quick headline", "annotation": "Quick annotation"}
        headline.value = ""
        annotation.load_text("")
        await pilot.pause()
        keys = [key_event(c) for c in with_text["headline"]]
        keys.append(events.Key("tab", "\t"))
        keys += [key_event(c) for c in with_text["annotation"]]
        keys.append(events.Key("shift+tab", None))
        for key in keys:
            app.post_message(key)
        await until(pilot, lambda: app.focused is headline)
        await pilot.pause()
        assert headline.value == with_text["headline"]
        assert annotation.text == with_text["annotation"]
        await pilot.press("escape", "q")
    saved = path.read_text(encoding="utf-8")
    assert "Quick headline" in saved and "Quick annotation" in saved


async def test_the_focused_fields_label_is_marked(fetched):
    app = desk(fetched)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        app.query_one(PicksList).focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.focused is app.query_one("#headline"))

        def marked() -> list[str]:
            return [str(label.render()) for label in app.query(".field-label.-focused")]

        assert marked() == ["▸ Headline"]
        await pilot.press("tab")
        assert marked() == ["▸ Annotation (Markdown)"]
        await pilot.press("shift+tab")
        assert app.focused is app.query_one("#headline")
        assert marked() == ["▸ Headline"]
        await pilot.press("escape")
        assert marked() == []
