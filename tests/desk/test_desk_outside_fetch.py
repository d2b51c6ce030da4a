"""A fetch run in another terminal while the desk is open: the store keeps its report, the desk
notices it, offers its new items (n) and shows its report (r)."""

from __future__ import annotations

import subprocess
import sys

from desk_helpers import desk, loaded, no_timers

from newsdesk.newsroom import Newsroom
from newsdesk.tui.screens import ReportScreen

NEW_ITEM = """	<item>
		<title>Shenzhen Opens a Credit Repair Window for Listed Firms</title>
		<link>https://creditpolicy.example/2017/07/08/shenzhen-credit-repair</link>
		<pubDate>Sat, 08 Jul 2017 10:00:00 +0000</pubDate>
		<guid isPermaLink="false">https://creditpolicy.example/?p=1999</guid>
		<description><![CDATA[Shenzhen lets firms ask to leave its blacklist after a year.]]></description>
	</item>
"""


def fetch_elsewhere(room) -> None:
    """`newsdesk fetch` in its own process, as from another terminal, after the feed grew."""
    feed = room / "samples" / "feeds" / "credit-policy-daily.xml"
    text = feed.read_text(encoding="utf-8")
    feed.write_text(text.replace("\t<item>", NEW_ITEM + "\t<item>", 1), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "newsdesk", "--newsroom", str(room), "fetch"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_fetch_keeps_its_report_in_the_store(fetched):
    fetch_elsewhere(fetched)
    with Newsroom.open(fetched).store() as store:
        record = store.last_fetch()
    assert record is not None and record["finished"] and record["new"] == 1
    lines = {source["source"]: source for source in record["sources"]}
    assert lines["Credit Policy Daily"]["new"] == 1 and lines["Credit Policy Daily"]["status"] in ("new", "updated")


async def test_the_desk_offers_the_items_of_a_fetch_run_elsewhere(fetched, monkeypatch):
    no_timers(monkeypatch)
    app = desk(fetched)
    async with app.run_test(size=(120, 40)) as pilot:
        listing = await loaded(pilot)
        before = len(app.all_items)
        assert app.last_report is not None  # the session's fetch, before the desk opened
        fetch_elsewhere(fetched)
        app.check_store()
        await loaded(pilot)
        offers = [n.message for n in app._notifications]
        assert any("brought 1 new items: press n" in message for message in offers), offers
        assert len(app.all_items) == before  # offered, not forced on the list
        await pilot.press("n")
        await loaded(pilot)
        assert len(app.all_items) == before + 1
        assert any(item.title.startswith("Shenzhen Opens") for item in listing.items)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        assert app.screen.report is app.last_report
        assert [r.new for r in app.screen.report.results if r.source == "Credit Policy Daily"] == [1]
        assert app.screen.when  # "finished Mon 07 Dec 2026, 23:50"
        await pilot.press("escape")
        await pilot.press("n")  # nothing more waiting: said so
        assert "No fetch has brought new items" in str(app.query_one("#status").render())


def test_a_record_from_another_version_keeps_what_it_can():
    from newsdesk.feeds.fetch import FetchReport

    record = {
        "finished": "2026-12-08T00:00:00+00:00",
        "seconds": 1.5,
        "sources": [{"source": "A", "url": "https://a.test/feed", "status": "new", "new": 2, "colour": "red"}],
    }
    report = FetchReport.from_record(record)
    assert [(r.source, r.new) for r in report.results] == [("A", 2)] and report.finished.year == 2026
