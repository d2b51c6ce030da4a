"""The desk with Chinese sources: the glossary beside the item, romanized terms into the
annotation, terms added from the desk, and a pick's page saved from a real loopback server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from article_pages import english_route
from desk_helpers import desk, loaded, settled
from feedserver import FeedServer
from textual.widgets import Input, TextArea

from newsdesk.glossary import load_glossary
from newsdesk.tui.candidate_list import CandidateList
from newsdesk.tui.chinese_desk import GlossaryPane, TermScreen

GLOSSARY = """\
# The sample newsroom's glossary.
[terms]
"失信被执行人" = { en = "judgment defaulters", also = ["discredited persons"] }
"联合惩戒" = "joint punishment"
"""


async def to_item(pilot, listing: CandidateList, text: str) -> int:
    """Move the cursor to the first story whose title has ``text``; a report that is not its
    story's lead (芜湖法院… is one of the Wuhu notice's three reports) is shown by
    filtering for its title, as an editor would find it."""
    found = [n for n, row in enumerate(listing.rows) if text in row.item.title]
    if not found:
        pilot.app.query_one("#filter", Input).value = text
        await pilot.pause()
        found = [n for n, row in enumerate(listing.rows) if text in row.item.title]
    listing.cursor = found[0]
    return found[0]


async def no_filter(pilot) -> None:
    pilot.app.query_one("#filter", Input).value = ""
    await pilot.pause()


def pane_text(app) -> str:
    return str(app.query_one(GlossaryPane).render())


async def test_the_glossary_beside_the_item(fetched: Path):
    (fetched / "glossary.toml").write_text(GLOSSARY, encoding="utf-8")
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        await to_item(pilot, listing, "芜湖法院向联合惩戒成员单位推送失信被执行人名单")
        await pilot.pause()
        pane = app.query_one(GlossaryPane)
        assert pane.display
        text = pane_text(app)
        assert "Glossary · 2 terms" in text
        assert "失信被执行人  judgment defaulters  (not: discredited persons)" in text
        assert "联合惩戒  joint punishment" in text
        await no_filter(pilot)
        listing.cursor = next(n for n, row in enumerate(listing.rows) if row.item.title.isascii())
        await pilot.pause()
        assert not pane.display  # an English item: no terms, no pane


async def test_romanized_title_and_selection_into_the_annotation(fetched: Path):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        await to_item(pilot, listing, "芜湖法院向联合惩戒成员单位推送失信被执行人名单")
        await pilot.press("P")  # not picked yet
        await settled(pilot)
        assert app.session.issue.developments == []
        await pilot.press("space", "P")
        await settled(pilot)
        development = app.session.issue.developments[0]
        assert development.annotation == (
            "芜湖法院向联合惩戒成员单位推送失信被执行人名单 Wuhu fayuan xiang lianhe chengjie chengyuan danwei tuisong "
            "shixin beizhixingren mingdan"
        )
        area = app.query_one("#annotation", TextArea)
        assert app.focused is area
        area.load_text("Courts share the 失信被执行人 list.")
        area.select_line(0)
        area.selection = area.selection.__class__((0, 17), (0, 23))
        assert area.selected_text == "失信被执行人"
        await pilot.press("ctrl+r")
        await settled(pilot)
        assert area.text == "Courts share the 失信被执行人 Shixin beizhixingren list."
        await pilot.press("!")  # the cursor is after the insertion, nothing selected
        assert area.text == "Courts share the 失信被执行人 Shixin beizhixingren! list."
        await pilot.press("backspace")
        await pilot.pause(1.3)  # the autosave
    assert "失信被执行人 Shixin beizhixingren list." in (fetched / "issues" / "2017-07-10.md").read_text(
        encoding="utf-8"
    )


async def test_a_term_added_from_the_desk(fetched: Path):
    (fetched / "glossary.toml").write_text(GLOSSARY, encoding="utf-8")
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        await to_item(pilot, listing, "最高法发布一批失信惩戒典型案例")
        await pilot.press("T")
        await pilot.pause()
        assert isinstance(app.screen, TermScreen)
        app.screen.query_one("#term-zh", Input).value = "典型案例"
        await pilot.press("enter", *"typical cases", "enter")
        await settled(pilot)
        assert not isinstance(app.screen, TermScreen)
        assert "典型案例  typical cases" in pane_text(app)
    written = (fetched / "glossary.toml").read_text(encoding="utf-8")
    assert written.startswith(GLOSSARY)  # the comment and the terms as they were
    assert load_glossary(fetched).get("典型案例").en == "typical cases"


@pytest.mark.slow
async def test_a_pick_keeps_its_page(fetched: Path):
    from newsdesk.curation.added import add_page
    from newsdesk.newsroom import Newsroom

    server = FeedServer().start()
    try:
        server.routes["/courts/defaulters.html"] = english_route()
        added = add_page(Newsroom.open(fetched), server.url("/courts/defaulters.html"))
        app = desk(fetched)
        async with app.run_test(size=(120, 40)) as pilot:
            listing = await loaded(pilot)
            await to_item(pilot, listing, "Courts Add 1.46 Million Judgment Defaulters")
            await pilot.press("space")
            await settled(pilot)
            saved = fetched / "issues" / "2017-07-10" / "sources" / f"{added.item.id}.html"
            assert saved.read_bytes() == english_route().body
            assert server.requests["/courts/defaulters.html"] == 2  # added, then saved when picked
    finally:
        server.stop()


@pytest.mark.slow
async def test_a_draft_translation_in_a_worker(fetched: Path):
    from chat_server import ChatServer

    title = "最高法：失信被执行人名单将与更多部门共享"
    engine = ChatServer().start()
    try:
        app = desk(fetched)  # no [translation]: the key says the feature is off
        async with app.run_test(size=(120, 40)) as pilot:
            listing = await loaded(pilot)
            await to_item(pilot, listing, title)
            await pilot.press("D")
            await settled(pilot)
            assert "Draft translations are off: no [translation] engine in sources.toml." in str(
                app.query_one("#status").render()
            )  # as written, not eaten as Rich markup
            assert engine.requests == []
        config = fetched / "sources.toml"
        config.write_text(
            config.read_text(encoding="utf-8") + f'\n[translation]\nurl = "{engine.base}"\ntimeout = 2\n',
            encoding="utf-8",
        )
        (fetched / "glossary.toml").write_text(GLOSSARY, encoding="utf-8")
        app = desk(fetched)
        async with app.run_test(size=(120, 40)) as pilot:
            listing = await loaded(pilot)
            first = await to_item(pilot, listing, title)
            engine.gate = threading.Event()  # the engine thinks until the test lets it answer
            await pilot.press("D")
            await pilot.pause()
            assert "asking the engine" in pane_text(app)
            await pilot.press("down")  # the desk goes on while the engine works
            assert listing.cursor == first + 1
            engine.gate.set()
            await settled(pilot)
            listing.cursor = first
            await pilot.pause()
            text = pane_text(app)
            assert "Machine translation (tiny-test-model), a draft to check" in text
            assert "Supreme People's Court: judgment defaulters list to be shared with more departments" in text
            assert (
                "Use these renderings: 失信被执行人 = judgment defaulters; 联合惩戒 = joint punishment."
                in engine.requests[-1]["messages"][1]["content"]
            )
            engine.delay = 3  # slower than the timeout: a message, and the desk goes on
            await to_item(pilot, listing, "芜湖法院向联合惩戒成员单位推送失信被执行人名单")
            await pilot.press("D")
            await settled(pilot)
            assert "No draft translation:" in pane_text(app) and "timed out" in pane_text(app)
    finally:
        engine.stop()


@pytest.mark.slow
async def test_a_page_added_from_the_desk(fetched: Path):
    from newsdesk.tui.chinese_desk import PageScreen

    server = FeedServer().start()
    try:
        server.routes["/courts/defaulters.html"] = english_route()
        app = desk(fetched)
        async with app.run_test(size=(120, 40)) as pilot:
            listing = await loaded(pilot)
            before = len(listing.items)
            await pilot.press("plus")
            await pilot.pause()
            assert isinstance(app.screen, PageScreen)
            await pilot.press(*"ftp://nope", "enter")
            assert isinstance(app.screen, PageScreen)  # refused: not http(s)
            app.screen.query_one("#page-url", Input).value = server.url("/courts/defaulters.html")
            await pilot.press("enter")
            await settled(pilot)
            await settled(pilot)
            added = "Courts Add 1.46 Million Judgment Defaulters in First Half"
            # It joins the sample's story of the same figures, as a second source.
            assert any(item.title == added for row in listing.rows for item in row.story.cluster)
            assert "Added: Courts Add 1.46 Million" in str(app.query_one("#status").render())
            await pilot.press("plus")
            await pilot.pause()
            app.screen.query_one("#page-url", Input).value = server.url("/gone")
            await pilot.press("enter")
            await settled(pilot)
            assert not isinstance(app.screen, PageScreen) and len(listing.items) == before
            assert server.requests["/gone"] == 1
            assert "Reading" not in str(app.query_one("#status").render())  # the 404 ended the reading
    finally:
        server.stop()


async def test_figures_romanized_with_their_term_and_a_term_dialog_leaves_no_selection(fetched: Path):
    (fetched / "glossary.toml").write_text(GLOSSARY, encoding="utf-8")
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        await to_item(pilot, listing, "芜湖法院向联合惩戒成员单位推送失信被执行人名单")
        await pilot.press("space", "P")
        await settled(pilot)
        area = app.query_one("#annotation", TextArea)
        area.load_text("新增失信被执行人146万人次")
        area.select_all()
        await pilot.press("ctrl+r")
        await settled(pilot)
        assert area.text == "新增失信被执行人146万人次 Xinzeng shixin beizhixingren 146 wanrenci"
        assert area.selection.is_empty and area.selection.end == (0, len(area.text))
        area.selection = area.selection.__class__((0, 2), (0, 8))  # 失信被执行人
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, TermScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is area and area.selection.is_empty
        await pilot.press("x")
        assert area.text.startswith("新增失信被执行人x146")


async def test_the_term_dialog_refuses_latin_letters(fetched: Path):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("T")
        await pilot.pause()
        app.screen.query_one("#term-zh", Input).value = "诚信honesty"
        app.screen.query_one("#term-en", Input).value = "honesty"
        app.screen.query_one("#term-en", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TermScreen)
        assert "Latin letters" in str(app.screen.query_one("#term-problem").render())
    assert not (fetched / "glossary.toml").exists()
