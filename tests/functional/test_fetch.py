import asyncio
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedserver import FeedServer, Route
from proxy_server import ProxyServer

from newsdesk.feeds.fetch import Download, Fetcher, fetch
from newsdesk.feeds.workers import ParseWorkers
from newsdesk.newsroom import Newsroom
from newsdesk.store import FeedState

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Local</title><link>https://local.example/</link>
<item><title>First &amp; foremost</title><link>https://local.example/a?utm_source=rss&amp;id=7</link>
<guid>a</guid><pubDate>Tue, 27 Jun 2017 08:00:00 +0800</pubDate>
<description>&lt;p&gt;Hello &lt;script&gt;alert(1)&lt;/script&gt;&lt;b onclick="x()"&gt;world&lt;/b&gt;&lt;/p&gt;</description></item>
{extra}
</channel></rss>"""
SECOND = """<item><title>Second</title><link>https://local.example/b</link><guid>b</guid>
<pubDate>Wed, 28 Jun 2017 08:00:00 +0000</pubDate><description>Two</description></item>"""


@pytest.fixture
def server():
    running = FeedServer().start()
    yield running
    running.stop()


def newsroom_with(tmp_path: Path, sources: list[tuple[str, str]]) -> Newsroom:
    lines = ['[newsroom]\nname = "Test"\n[fetch]\nfeed_deadline = 5\nconnect_timeout = 2\n']
    for name, url in sources:
        lines.append(f'[[sources]]\nname = "{name}"\nurl = "{url}"\n')
    (tmp_path / "sources.toml").write_text("\n".join(lines), encoding="utf-8")
    return Newsroom.open(tmp_path)


def test_items_are_normalized_and_sanitized(tmp_path, server):
    server.routes["/feed.xml"] = Route(RSS.format(extra="").encode())
    room = newsroom_with(tmp_path, [("Local", server.url("/feed.xml"))])
    report = fetch(room)
    assert [r.status for r in report.results] == ["new"]
    with room.store() as store:
        (item,) = store.items()
    assert item.title == "First & foremost"
    assert item.canonical_url == "https://local.example/a?id=7"
    assert item.url == "https://local.example/a?utm_source=rss&id=7"
    assert item.summary_text == "Hello world"
    assert item.published is not None and item.published.isoformat() == "2017-06-27T00:00:00+00:00"
    assert len(item.id) == 12


def test_fetch_goes_through_the_proxy_the_environment_names(tmp_path, server, monkeypatch):
    proxy = ProxyServer(hosts={"feeds.test": "127.0.0.1"})  # feeds.test resolves only there
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        server.routes["/feed.xml"] = Route(RSS.format(extra="").encode())
        url = server.url("/feed.xml").replace("127.0.0.1", "feeds.test")
        room = newsroom_with(tmp_path, [("Local", url)])
        assert [r.status for r in fetch(room).results] == ["new"]
        assert [r.status for r in fetch(room).results] == ["unchanged"]  # a 304, through the proxy too
        assert proxy.request_lines == [f"GET {url}"] * 2 and server.not_modified["/feed.xml"] == 1
    finally:
        proxy.stop()


def test_conditional_get_costs_one_304_and_no_parse(tmp_path, server):
    server.routes["/feed.xml"] = Route(RSS.format(extra="").encode())
    room = newsroom_with(tmp_path, [("Local", server.url("/feed.xml"))])
    fetch(room)
    second = fetch(room)
    third = fetch(room)
    assert server.requests["/feed.xml"] == 3
    assert server.not_modified["/feed.xml"] == 2
    assert [r.status for r in second.results + third.results] == ["unchanged", "unchanged"]


def test_fetching_again_never_duplicates_and_counts_new_and_updated(tmp_path, server):
    route = Route(RSS.format(extra="").encode(), validators=False)
    server.routes["/feed.xml"] = route
    room = newsroom_with(tmp_path, [("Local", server.url("/feed.xml"))])
    url = server.url("/feed.xml")
    fetch(room)
    with room.store() as store:
        assert store.feed_state(url).status == "new"  # what the run said is what is kept
    route.body = RSS.format(extra=SECOND).replace("First &amp; foremost", "First, revised").encode()
    report = fetch(room)
    (result,) = report.results
    assert (result.status, result.new, result.updated) == ("new", 1, 1)
    with room.store() as store:
        assert store.count_items() == 2
        assert {i.title for i in store.items()} == {"First, revised", "Second"}
    route.body = route.body.replace(b"<description>Two</description>", b"<description>Two, revised</description>")
    assert fetch(room).results[0].status == "updated"
    with room.store() as store:
        assert store.feed_state(url).status == "updated"
    # The same bytes again: no validators, but the body hash shows nothing changed.
    assert fetch(room).results[0].status == "unchanged"
    with room.store() as store:
        assert store.feed_state(url).status == "unchanged"


def test_a_failing_source_stops_nothing_and_removes_nothing(tmp_path, server):
    server.routes["/good.xml"] = Route(RSS.format(extra="").encode())
    server.routes["/flaky.xml"] = Route(RSS.format(extra=SECOND).encode())
    room = newsroom_with(
        tmp_path,
        [("Good", server.url("/good.xml")), ("Flaky", server.url("/flaky.xml")), ("Gone", server.url("/gone.xml"))],
    )
    first = fetch(room)
    assert [r.status for r in first.results] == ["new", "new", "failed"]
    assert first.results[2].line() == "Gone: failed: HTTP 404 Not Found"
    del server.routes["/flaky.xml"]
    second = fetch(room)
    assert [r.status for r in second.results] == ["unchanged", "failed", "failed"]
    with room.store() as store:
        assert {i.source for i in store.items()} == {"Good", "Flaky"}
        assert len(store.items(sources=["Flaky"])) == 2


def test_cli_fetch_reports_each_source_and_exit_codes(run, newsroom_dir):
    result = run("fetch")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len([line for line in lines if line.startswith("✓ ")]) == 6
    assert "68 new items" in lines[-1]
    again = json.loads(run("fetch", "--json").output)
    assert again["new"] == 0 and all(s["status"] == "unchanged" for s in again["sources"])


def test_cli_fetch_exits_1_when_no_source_could_be_fetched(run, newsroom_dir):
    config = newsroom_dir / "sources.toml"
    text = config.read_text(encoding="utf-8").replace("samples/feeds/", "samples/missing/")
    config.write_text(text, encoding="utf-8")
    result = run("fetch")
    assert result.exit_code == 1
    assert "failed: no such file" in result.output


def test_file_urls_are_fetched(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS.format(extra=SECOND), encoding="utf-8")
    room = newsroom_with(tmp_path, [("File", feed.as_uri())])
    assert fetch(room).results[0].new == 2


def test_the_same_body_is_skipped_unless_the_last_fetch_failed(tmp_path):
    room = newsroom_with(tmp_path, [("Local", "https://local.example/feed.xml")])
    (source,) = room.config.enabled_sources
    body = RSS.format(extra="").encode()
    digest = hashlib.sha256(body).hexdigest()

    async def parsed_after(status: str):
        with room.store() as store:
            fetcher = Fetcher(room, store)
            fetcher._workers = ParseWorkers(processes=0)  # parse in a thread
            state = FeedState(url=source.url, source=source.name, body_hash=digest, status=status)
            return await fetcher._parse(source, source.url, state, Download(body=body), datetime.now(UTC))

    assert asyncio.run(parsed_after("unchanged")) is None
    assert asyncio.run(parsed_after("failed")).items  # parsed again: the failure may have been the parse


def test_a_run_ticks_while_a_slow_feed_is_awaited(tmp_path):
    from farm import FarmServer, make_farm

    ticks: list[int] = []
    results: list[str] = []
    with FarmServer(make_farm(1, seed=5), latency=0.8) as slow:
        room = newsroom_with(tmp_path, [("Slow", next(iter(slow.urls())))])
        with room.store() as store:
            fetcher = Fetcher(
                room, store, on_result=lambda r: results.append(r.status), on_tick=lambda: ticks.append(len(results))
            )
            report = asyncio.run(fetcher.run())
    assert [r.status for r in report.results] == ["new"]
    assert ticks[:2] == [0, 0]  # the clock moved before the one result came


LOCAL_LINKS = [
    "{origin}/story/1",  # the server the feed came from
    "http://localhost:8080/story/2",
    "http://[::1]/story/3",
    "http://10.1.2.3/intranet/4",
    "https://news.internal/5",
    "http://printer.local/6",
]
RSS_LINKS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Local</title><link>{origin}/</link>
{items}
</channel></rss>"""
ATOM_LINKS = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Local</title><id>urn:local</id>
<updated>2017-06-28T08:00:00Z</updated><link href="{origin}/"/>
{entries}
</feed>"""


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_links_to_loopback_and_private_hosts_are_kept(tmp_path, server, kind):
    """A newsroom fed by a local server (a test, an intranet) links there, whichever
    engine reads the feed."""
    origin = server.url("").rstrip("/")
    links = [link.format(origin=origin) for link in LOCAL_LINKS]
    if kind == "rss":
        body = RSS_LINKS.format(
            origin=origin,
            items="\n".join(
                f"<item><title>Story {n}</title><link>{link}</link><guid>g{n}</guid></item>"
                for n, link in enumerate(links)
            ),
        )
    else:
        body = ATOM_LINKS.format(
            origin=origin,
            entries="\n".join(
                f"<entry><title>Story {n}</title><id>urn:g{n}</id><updated>2017-06-28T08:00:00Z</updated>"
                f'<link href="{link}"/></entry>'
                for n, link in enumerate(links)
            ),
        )
    server.routes["/feed.xml"] = Route(body.encode(), content_type=f"application/{kind}+xml")
    room = newsroom_with(tmp_path, [("Local", server.url("/feed.xml"))])
    report = fetch(room)
    assert report.results[0].line() == "Local: 6 new, 0 updated (6 items)"
    with room.store() as store:
        kept = {item.title: item.url for item in store.items()}
    assert kept == {f"Story {n}": link for n, link in enumerate(links)}


def test_unsafe_links_are_dropped_and_the_report_says_so(tmp_path, server):
    items = [
        ("Script", "javascript:alert(1)"),
        ("Password", "http://editor:secret@127.0.0.1/story"),
        ("User", "https://someone@news.example/story"),
        ("Fine", "http://127.0.0.1:9/fine"),
    ]
    body = RSS_LINKS.format(
        origin="https://local.example",
        items="\n".join(
            f"<item><title>{title}</title><link>{link}</link><guid>{title}</guid></item>" for title, link in items
        ),
    )
    server.routes["/feed.xml"] = Route(body.encode())
    room = newsroom_with(tmp_path, [("Local", server.url("/feed.xml"))])
    report = fetch(room)
    assert report.results[0].line() == (
        "Local: 4 new, 0 updated (4 items); dropped 3 item links: 2 with a user name or password in them, 1 not http(s)"
    )
    with room.store() as store:
        kept = {item.title: item.url for item in store.items()}
    assert kept == {"Script": None, "Password": None, "User": None, "Fine": "http://127.0.0.1:9/fine"}
