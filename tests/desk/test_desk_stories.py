"""The desk's shortlist, driven with Pilot: one line per story, choosing a story's source,
sorting by score or date, featured stories last, and the article at hand."""

from __future__ import annotations

from desk_helpers import DRAFT, desk, loaded
from feedserver import FeedServer, Route

from newsdesk.issue import load_issue
from newsdesk.tui.app import DeskApp
from newsdesk.tui.candidate_list import CandidateList
from newsdesk.tui.screens import SourceScreen


def preview(app: DeskApp) -> str:
    return str(app.query_one("#item-body").render())


async def to_story_with_sources(pilot, listing: CandidateList, count: int = 2) -> int:
    index = next(i for i, row in enumerate(listing.rows) if len(row.story.cluster.sources) == count)
    listing.cursor = index
    await pilot.pause()
    return index


async def test_a_story_reported_twice_is_one_line_and_its_other_source_goes_to_also(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        index = await to_story_with_sources(pilot, listing)
        first, second = listing.rows[index].story.cluster.items
        line = "".join(segment.text for segment in listing.render_line(index - listing.scroll_offset.y))
        assert f"{first.source} +1" in line
        assert f"Also reported by 1 more:\n  {second.source}: {second.title}" in preview(app)
        await pilot.press("space")
        development = app.session.issue.developments[0]
        assert (development.item_id, development.also, development.read_more) == (first.id, [second.id], first.url)
        assert "✓ " in "".join(s.text for s in listing.render_line(index - listing.scroll_offset.y))
        await pilot.press("space")  # the same key unpicks the whole story
        assert app.session.issue.developments == []
        await pilot.press("space", "q")
    text = (fetched / DRAFT).read_text(encoding="utf-8")
    assert f"<!-- item: {first.id}; also: {second.id} -->" in text


async def test_enter_on_a_story_lets_the_editor_choose_where_read_more_points(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        index = await to_story_with_sources(pilot, listing)
        first, second = listing.rows[index].story.cluster.items
        await pilot.press("enter")
        assert isinstance(app.screen, SourceScreen)
        await pilot.press("escape")  # cancel picks nothing
        assert app.session.issue.developments == []
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        development = app.session.issue.developments[0]
        assert (development.item_id, development.also, development.read_more) == (second.id, [first.id], second.url)
        assert app.focused.id == "headline"  # and on to annotating it
        assert f"also reported by {first.id}" in str(app.query_one("#pick-source").render())


async def test_sort_by_score_or_date_and_the_preview_says_why(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        assert "by score" in str(app.query_one("#list-status").render())
        scores = [row.story.score.value for row in listing.rows]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
        top = listing.rows[0].story
        shown = preview(app)
        assert f"Score {top.score.value:.2f}" in shown
        assert all(term in shown for term in top.score.terms) and top.score.terms
        await pilot.press("S")
        assert "by date" in str(app.query_one("#list-status").render())
        times = [item.when for item in listing.items]
        assert times == sorted(times, reverse=True) and listing.cursor == 0
        await pilot.press("S")
        assert [row.story.score.value for row in listing.rows] == scores


async def test_stories_featured_in_earlier_issues_are_marked_and_last(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("w")  # every stored item: the earlier weeks' picks are there
        listing = await loaded(pilot)
        featured = [row.story.featured is not None for row in listing.rows]
        assert any(featured) and featured == sorted(featured)  # all of them at the bottom
        picked_before = {
            i for d in load_issue(fetched / "issues/2017-07-03.md").developments for i in (d.item_id, *d.also)
        }
        last = listing.rows[-1].story
        assert last.featured is not None
        listing.cursor = len(listing.rows) - 1
        await pilot.pause()
        assert "• featured in the issue of 2017-0" in preview(app)
        line = "".join(s.text for s in listing.render_line(listing.cursor - listing.scroll_offset.y))
        assert line.startswith("• ")
        stories_with_picks = [row for row in listing.rows if {i.id for i in row.story.cluster} & picked_before]
        assert stories_with_picks and all(row.story.featured for row in stories_with_picks)


ARTICLE = """<html><head><meta charset="utf-8"><title>Xiamen red list</title></head><body>
<nav>Home | Policy | Courts | About</nav><article><h1>Xiamen names its first red list</h1>
<p>The city of Xiamen has released its first red list of trustworthy entities, naming 215 enterprises
and 38 individuals who will get faster approvals and fewer inspections.</p>
<p>The list will be reviewed every six months, and entities found to have broken trust since will be
removed from it, the city's credit office said in a notice on its website.</p></article>
<footer>All rights reserved.</footer></body></html>"""


def feed(server: FeedServer) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{server.url(path)}</link><guid>{path}</guid>"
        f"<pubDate>Wed, 05 Jul 2017 0{n}:00:00 +0000</pubDate></item>"
        for n, (title, path) in enumerate(
            [("Xiamen names its first red list of 215 firms", "/xiamen"), ("A page that is gone", "/gone")], 1
        )
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


async def test_the_article_in_the_preview_and_its_lead_as_the_annotation(newsroom_dir):
    server = FeedServer().start()
    try:
        server.routes["/feed.xml"] = Route(feed(server))
        server.routes["/xiamen"] = Route(ARTICLE.encode(), content_type="text/html; charset=utf-8")
        (newsroom_dir / "sources.toml").write_text(
            '[newsroom]\nname = "Weekly"\ntimezone = "Asia/Shanghai"\n'
            f'[[sources]]\nname = "Local"\nurl = "{server.url("/feed.xml")}"\n',
            encoding="utf-8",
        )
        app = desk(newsroom_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            await pilot.press("f")  # fetch the local feed in the background
            await loaded(pilot)
            listing = await loaded(pilot)
            assert len(listing.items) == 2
            listing.cursor = next(i for i, item in enumerate(listing.items) if item.url.endswith("/gone"))
            await pilot.press("a")
            await loaded(pilot)
            assert "HTTP 404" in preview(app)  # said, and the desk goes on
            listing.cursor = next(i for i, item in enumerate(listing.items) if item.url.endswith("/xiamen"))
            await pilot.pause()
            await pilot.press("A")  # not picked yet: nothing to fill
            assert not app.session.issue.developments
            await pilot.press("a")
            await loaded(pilot)
            shown = preview(app)
            assert "── Article ──" in shown and "reviewed every six months" in shown and "Home | Policy" not in shown
            await pilot.press("space", "A")
            await loaded(pilot)
            annotation = app.session.issue.developments[0].annotation
            assert annotation.startswith("The city of Xiamen has released its first red list")
            # Read once (the second time came from the cache), and saved with the issue when picked.
            assert server.requests["/xiamen"] == 2
            assert list((newsroom_dir / "issues" / "2017-07-10" / "sources").glob("*.html"))
            await pilot.press("e", "down", "A")  # an annotation that is no longer empty is left alone
            await pilot.pause()
            assert app.session.issue.developments[0].annotation == annotation
    finally:
        server.stop()
