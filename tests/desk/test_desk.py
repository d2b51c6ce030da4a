"""The desk driven with Textual's Pilot: each workflow an editor follows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import webbrowser

import pytest
from desk_helpers import DRAFT, desk, loaded, saved, until
from feedserver import FeedServer, Route
from textual.widgets import Input, TextArea

from newsdesk.issue import load_issue
from newsdesk.tui.app import PicksList
from newsdesk.tui.screens import ConflictScreen, HelpScreen, ReplaceScreen, ReportScreen, SourceScreen


async def test_pick_three_and_they_are_saved(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        # The week's 21 items are 9 stories: reports in both languages, and commentary, joined.
        assert len(listing.items) == 9
        assert sum(len(row.story.cluster) for row in listing.rows) == 21
        chosen = listing.items[:3]
        await pilot.press("space", "down", "p", "down", "space")
        assert app.session.picked_label() == "3/3 picked"
        assert "3/3 picked" in str(app.query_one("#status").render())
        await saved(pilot)
    issue = load_issue(fetched / DRAFT)
    assert [d.item_id for d in issue.developments] == [i.id for i in chosen]
    assert issue.developments[0].read_more == chosen[0].url


async def test_unpick_with_the_same_key(fetched):
    app = desk(fetched)
    async with app.run_test() as pilot:
        await loaded(pilot)
        await pilot.press("space", "space")
        assert app.session.picked_label() == "0/3 picked"


async def test_annotate_a_pick_and_the_intro(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        item = listing.items[0]
        await pilot.press("enter")  # pick and go annotate: the headline has focus
        await pilot.pause()
        assert isinstance(app.screen, SourceScreen)  # the top story has four sources
        await pilot.press("enter")  # the first, its lead
        await pilot.pause()
        assert isinstance(app.focused, Input) and app.focused.id == "headline"
        await pilot.press(*"Xiamen lists")  # replaces the selected title
        await pilot.press("tab")
        assert isinstance(app.focused, TextArea)
        await pilot.press(*"Named **215**")
        await pilot.press("tab")
        await pilot.press("ctrl+a", *"ftp:x")
        await pilot.pause()
        assert "http(s)" in str(app.query_one("#link-problem").render())
        app.query_one("#link", Input).value = "https://xiamen.example/red-list"
        await pilot.pause()
        assert str(app.query_one("#link-problem").render()).strip() == ""
        app.action_leave_field()
        await pilot.press("up")  # the intro
        await pilot.press("enter")
        assert app.focused.id == "intro"
        intro = app.query_one("#intro", TextArea)
        intro.move_cursor(intro.document.end)
        await pilot.press(*" Bye.")
        await saved(pilot)
    issue = load_issue(fetched / DRAFT)
    development = issue.developments[0]
    assert development.headline == "Xiamen lists"
    assert development.annotation == "Named **215**"
    assert development.read_more == "https://xiamen.example/red-list"
    assert development.item_id == item.id
    assert issue.intro.endswith("2017. Bye.")


async def test_reorder_and_unpick_in_the_issue_pane(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        ids = [i.id for i in listing.items[:3]]
        await pilot.press("space", "down", "space", "down", "space", "e")
        await pilot.press("down")  # pick 1
        await pilot.press("J")  # move it down
        assert app.session.issue.item_ids() == [ids[1], ids[0], ids[2]]
        await pilot.press("J", "K", "K")
        assert app.session.issue.item_ids() == [ids[0], ids[1], ids[2]]
        await pilot.press("x")
        assert app.session.issue.item_ids() == [ids[1], ids[2]]
        await saved(pilot)
    assert load_issue(fetched / DRAFT).item_ids() == [ids[1], ids[2]]


async def test_a_fourth_pick_asks_which_to_replace(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        ids = [i.id for i in listing.items[:4]]
        await pilot.press("space", "down", "space", "down", "space", "down", "space")
        assert isinstance(app.screen, ReplaceScreen)
        await pilot.press("down", "enter")  # replace pick 2
        await pilot.pause()
        assert app.session.issue.item_ids() == [ids[0], ids[3], ids[2]]
        await pilot.press("up", "up", "space")  # the second item is no longer picked
        assert isinstance(app.screen, ReplaceScreen)
        await pilot.press("escape")  # cancel keeps the picks as they were
        await pilot.pause()
        assert app.session.issue.item_ids() == [ids[0], ids[3], ids[2]]


async def test_autosave_then_reopen_restores_everything(fetched):
    app = desk(fetched)
    async with app.run_test() as pilot:
        await loaded(pilot)
        await pilot.press("space", "down", "space")
        await saved(pilot)
        before = load_issue(fetched / DRAFT)
    again = desk(fetched)
    async with again.run_test() as pilot:
        listing = await loaded(pilot)
        assert again.session.issue.item_ids() == before.item_ids()
        # Each pick's story: its item and the others reporting it.
        assert listing.picked == {i for d in before.developments for i in (d.item_id, *d.also)}


async def test_quit_saves_at_once(fetched):
    app = desk(fetched)
    async with app.run_test() as pilot:
        await loaded(pilot)
        await pilot.press("space", "q")
    assert len(load_issue(fetched / DRAFT).developments) == 1


async def test_filter_as_you_type_and_by_source_and_week(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        await pilot.press("slash", *"xiamen")
        assert all("xiamen" in (i.title + i.summary_text + i.source).lower() for i in listing.items)
        assert 0 < len(listing.items) < 9
        await pilot.press("enter")  # back to the list, filter kept
        assert app.focused is listing and 0 < len(listing.items) < 9
        await pilot.press("slash", "escape")  # escape drops the filter
        assert app.focused is listing and len(listing.items) == 9
        await pilot.press("s")  # the first source
        assert {i.source for i in listing.items} == {"Credit Policy Daily"}
        await pilot.press("t")  # and the first tag ("analysis": another source): nothing
        assert listing.items == []
        assert "Nothing matches" in listing.empty_text
        await pilot.press(*"s" * 6, *"t" * 8)  # back to all sources and all tags
        assert len(listing.items) == 9
        await pilot.press("w")
        await loaded(pilot)
        assert sum(len(row.story.cluster) for row in listing.rows) == 68
        assert 30 < len(listing.items) < 68


async def test_chinese_titles_align_in_the_list(fetched):
    app = desk(fetched)
    async with app.run_test(size=(100, 30)) as pilot:
        listing = await loaded(pilot)
        widths = set()
        from rich.cells import cell_len

        for y in range(min(10, len(listing.items))):
            strip = listing.render_line(y)
            widths.add(strip.cell_length)
            text = "".join(segment.text for segment in strip)
            assert cell_len(text[: text.index(listing.items[y].title[:2])]) == 2 + 7 + 23
        assert widths == {listing.size.width}


async def test_preview_shows_text_never_tags(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("w")
        listing = await loaded(pilot)
        with_html = next(i for i in listing.items if "\n\n" in i.summary_text)  # from <p>s
        listing.cursor = listing.items.index(with_html)
        await pilot.pause()
        shown = str(app.query_one("#item-body").render())
        assert with_html.title in shown and with_html.url in shown
        assert "<p>" not in shown and "</" not in shown


async def test_o_opens_the_link_in_the_browser(fetched, tmp_path, monkeypatch):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n')
    browser.chmod(0o755)
    # The registry is the webbrowser module's own: restored after the test.
    monkeypatch.setattr(webbrowser, "_browsers", dict(webbrowser._browsers))
    monkeypatch.setattr(webbrowser, "_tryorder", list(webbrowser._tryorder or []) or None)
    webbrowser.register("newsdesk-test", None, webbrowser.BackgroundBrowser([str(browser), "%s"]), preferred=True)
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        await pilot.press("o")
        for _ in range(50):
            await pilot.pause(0.05)
            if opened.exists() and opened.read_text():
                break
        assert opened.read_text() == listing.current.url


async def test_o_without_a_browser_shows_the_link(fetched, monkeypatch):
    def no_browser(using=None):
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("No browser found here") and listing.current.url in m for m in messages)


async def test_preview_tab_follows_the_typing(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("enter", "enter")  # pick the top story (its lead, of its four sources)
        await pilot.press(*"Red list")
        await pilot.press("v")
        await pilot.pause(0.5)
        assert "1. Red list" in str(app.query_one("#issue-preview").render())


async def test_background_fetch_against_a_local_server(newsroom_dir):
    server = FeedServer().start()
    try:
        server.routes["/feed.xml"] = Route(
            b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
            <item><title>Fresh from the server</title><link>https://fresh.example/1</link>
            <guid>fresh-1</guid><pubDate>Wed, 05 Jul 2017 09:00:00 +0000</pubDate></item>
            </channel></rss>"""
        )
        (newsroom_dir / "sources.toml").write_text(
            '[newsroom]\nname = "Social Credit Weekly News Summary"\ntimezone = "Asia/Shanghai"\n'
            f'[[sources]]\nname = "Local server"\nurl = "{server.url("/feed.xml")}"\n'
            '[[sources]]\nname = "Gone"\nurl = "' + server.url("/gone.xml") + '"\n',
            encoding="utf-8",
        )
        app = desk(newsroom_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            listing = await loaded(pilot)
            assert listing.items == [] and "press f to fetch" in listing.empty_text
            await pilot.press("f")
            await app.workers.wait_for_complete()
            await pilot.pause()
            listing = await loaded(pilot)
            assert [i.title for i in listing.items] == ["Fresh from the server"]
            assert server.requests["/feed.xml"] == 1
            await pilot.press("r")
            assert isinstance(app.screen, ReportScreen)
            report = "\n".join(str(w.render()) for w in app.screen.query("Static"))
            assert "Local server: 1 new" in report and "Gone: failed: HTTP 404" in report
    finally:
        server.stop()


async def test_an_edit_on_disk_is_reloaded_when_the_desk_has_no_changes(fetched):
    app = desk(fetched)
    async with app.run_test() as pilot:
        await loaded(pilot)
        path = fetched / DRAFT
        path.write_text(path.read_text(encoding="utf-8").replace("Welcome", "Hello"), encoding="utf-8")
        await until(pilot, lambda: app.session.issue.intro.startswith("Hello"), "reloading the file")


async def test_an_edit_on_disk_is_never_overwritten_silently(fetched):
    app = desk(fetched)
    async with app.run_test() as pilot:
        await loaded(pilot)
        await pilot.press("space")
        path = fetched / DRAFT
        theirs = path.read_text(encoding="utf-8").replace("Welcome", "Theirs")
        path.write_text(theirs, encoding="utf-8")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen), "asking about the change")
        assert path.read_text(encoding="utf-8") == theirs
        await pilot.press("enter")  # reload theirs
        await pilot.pause()
        assert app.session.issue.intro.startswith("Theirs") and not app.session.issue.developments


async def test_deciding_later_asks_again_only_at_the_next_change(fetched):
    app = desk(fetched)
    async with app.run_test() as pilot:
        await loaded(pilot)
        await pilot.press("space")
        path = fetched / DRAFT
        theirs = path.read_text(encoding="utf-8").replace("Welcome", "Theirs")
        path.write_text(theirs, encoding="utf-8")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen), "asking about the change")
        await pilot.press("down", "down", "enter")  # decide later
        await pilot.pause(2.5)
        assert not isinstance(app.screen, ConflictScreen)  # not nagged every second
        assert path.read_text(encoding="utf-8") == theirs
        await pilot.press("down", "space")  # another change: the question comes back
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen), "asking again")
        await pilot.press("down", "enter")  # keep the desk's version
        await pilot.pause()
        assert len(load_issue(path).developments) == 2


async def test_an_emptied_headline_never_breaks_the_file(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("enter", "enter")  # pick the top story's lead; the headline is focused
        headline = app.query_one("#headline", Input)
        title = headline.value
        headline.value = ""  # everything deleted, nothing typed yet
        await saved(pilot)
        assert load_issue(fetched / DRAFT).developments[0].headline == title
        headline.value = "New"
        await saved(pilot)
    assert load_issue(fetched / DRAFT).developments[0].headline == "New"


async def test_steady_typing_is_saved_within_two_seconds(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("enter", "enter", "tab")  # the top story's lead picked, its annotation
        for _ in range(10):  # a keystroke every 0.25 s: never a one-second pause
            await pilot.press("x")
            await pilot.pause(0.25)
        assert "x" in load_issue(fetched / DRAFT).developments[0].annotation


async def test_a_deleted_issue_file_is_written_again(fetched):
    app = desk(fetched)
    async with app.run_test() as pilot:
        await loaded(pilot)
        await pilot.press("space")
        await saved(pilot)
        (fetched / DRAFT).unlink()
        await until(pilot, (fetched / DRAFT).exists, "writing the file again")
        assert len(load_issue(fetched / DRAFT).developments) == 1


async def test_help_and_command_palette_list_the_actions(fetched):
    app = desk(fetched)
    async with app.run_test() as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Pick or unpick", "Fetch", "Render", "Move pick up", "Unpick", "Help", "Filter"} <= titles


async def test_the_autosave_and_the_preview_run_under_the_help_screen(fetched):
    app = desk(fetched)
    async with app.run_test() as pilot:
        await loaded(pilot)
        await pilot.press("space", "question_mark")  # the timers fire while help is on top
        await saved(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert len(load_issue(fetched / DRAFT).developments) == 1
        assert "saved" in str(app.main.query_one("#status").render())


async def test_render_key_writes_the_outputs(fetched):
    app = desk(fetched, "issues/2017-07-03.md")
    async with app.run_test() as pilot:
        await loaded(pilot)
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert (fetched / "build" / "2017-07-03" / "email.html").exists()


async def test_a_broken_issue_file_is_a_message_not_a_crash(fetched, run):
    (fetched / DRAFT).write_text("+++\ntitle = 'x'\n", encoding="utf-8")
    result = run("edit", "2017-07-10")
    assert result.exit_code == 2
    assert "never closed" in result.output


KILL_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from newsdesk.issue import load_issue
    from newsdesk.newsroom import Newsroom
    from newsdesk.tui.app import DeskApp

    async def main():
        room = Path(sys.argv[1])
        path = room / "issues/2017-07-10.md"
        app = DeskApp(Newsroom.open(room), path, blink=False)
        async with app.run_test() as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("space", "down", "space")
            while len(load_issue(path).developments) < 2:  # the autosave, however slow the machine
                await pilot.pause(0.1)
            print("saved", flush=True)
            await pilot.press("down", "space")  # killed within the autosave's second, most times
            print("edited", flush=True)
            await asyncio.sleep(60)

    asyncio.run(main())
    """
)


@pytest.mark.slow
def test_kill_9_while_editing_loses_at_most_the_last_seconds(fetched, tmp_path):
    script = tmp_path / "desk_then_die.py"
    script.write_text(KILL_SCRIPT, encoding="utf-8")
    process = subprocess.Popen([sys.executable, str(script), str(fetched)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "saved"
        assert process.stdout.readline().strip() == "edited"
        time.sleep(0.2)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=10)
    issue = load_issue(fetched / DRAFT)  # whole: the write is atomic
    # What was saved stays; the last pick is lost unless a loaded machine let its autosave
    # run before the kill (losing less is no fault).
    assert len(issue.developments) in (2, 3)
    assert not [p for p in (fetched / "issues").iterdir() if p.name.startswith(".")]


async def test_the_issues_tags_are_edited_under_the_intro_and_saved(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("e", "enter")  # the Issue tab, the intro
        assert app.focused.id == "intro"
        await pilot.press("tab")  # the tags, under the intro
        assert isinstance(app.focused, Input) and app.focused.id == "tags"
        await pilot.press(*"Hebei, xinyong, hebei, , courts")
        await pilot.pause()
        app.focused.insert_text_at_cursor("，信用")  # a Chinese comma, as an IME types it
        await pilot.press("escape", "q")
    assert load_issue(fetched / DRAFT).tags == ["Hebei", "xinyong", "courts", "信用"]
    again = desk(fetched)
    async with again.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert again.query_one("#tags", Input).value == "Hebei, xinyong, courts, 信用"


async def test_notes_take_turns_in_the_status_line_and_toasts_never_repeat(fetched, monkeypatch):
    def no_browser(using=None):
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        first, second = listing.items[0], listing.items[1]
        await pilot.press("space", "down", "space")
        assert not app._notifications  # two picks: two notes, no toast
        status = str(app.query_one("#status").render())
        assert f"│ Picked: {second.title}"[:60] in status and first.title not in status
        for _ in range(3):
            await pilot.press("o")
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert len(app._notifications) == 1  # the same warning three times: one toast


async def test_the_palette_screenshot_is_saved_in_the_newsroom(fetched):
    app = desk(fetched)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        assert "build/screenshots/" in commands["Screenshot"].help
        app.save_desk_screenshot()
        await pilot.pause()
        shots = list((fetched / "build" / "screenshots").glob("desk-*.svg"))
        assert len(shots) == 1 and "<svg" in shots[0].read_text(encoding="utf-8")
        assert [n.message for n in app._notifications] == [f"Saved the screenshot to {shots[0]}"]


async def test_quitting_after_deciding_later_asks_the_question(fetched, monkeypatch):
    from desk_helpers import no_timers

    no_timers(monkeypatch)
    app = desk(fetched)
    async with app.run_test() as pilot:
        await loaded(pilot)
        await pilot.press("space")
        path = fetched / DRAFT
        path.write_text(path.read_text(encoding="utf-8").replace("Welcome", "Theirs"), encoding="utf-8")
        app.check_disk()
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen), "asking about the change")
        await pilot.press("down", "down", "enter")  # decide later
        await until(pilot, lambda: not isinstance(app.screen, ConflictScreen), "closing the question")
        app.autosave()  # an autosave already due: it waits for the next change
        await pilot.pause()
        assert not isinstance(app.screen, ConflictScreen)
        await pilot.press("q")  # leaving: the question now, not a desk that ignores q
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen), "asking before quitting")


async def test_a_bad_link_holds_back_no_other_field(fetched):
    """A space in the link: it saves as typed in <…>; a link the file cannot hold at all
    stays in the desk, marked not saved, and every other field still saves."""
    path = fetched / DRAFT
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # the first source; its headline has focus
        await pilot.pause()
        await pilot.press(*"Spaced out", "tab", "tab", "ctrl+a", "ctrl+k", *"https://x.example/a b")
        await pilot.pause()
        assert app.autosave()
        issue = load_issue(path)
        assert issue.developments[0].headline == "Spaced out"
        assert issue.developments[0].read_more == "https://x.example/a b"
        app.query_one("#link", Input).value = "https://x.example/<b>"
        await pilot.pause()
        assert "NOT SAVED" in str(app.query_one("#link-problem").render())
        app.query_one(PicksList).focus()
        await pilot.pause()
        await pilot.press("enter", "end", *" again")
        assert app.autosave()
        issue = load_issue(path)
        assert issue.developments[0].headline == "Spaced out again"
        assert issue.developments[0].read_more == "https://x.example/a b"
        assert app.save_state == "saved"
