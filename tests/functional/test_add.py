"""`newsdesk add URL`: a page outside the feeds made a candidate, read from a real
loopback server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from article_pages import ENGLISH, chinese_dated_route, chinese_route, english_route
from feedserver import FeedServer, Route


@pytest.fixture
def server():
    server = FeedServer().start()
    server.routes["/courts/2017-07/05/defaulters.html"] = english_route()
    server.routes["/xiamen/red-list.htm"] = chinese_route()
    undated = ENGLISH.replace('<meta property="article:published_time" content="2017-07-05T09:30:00+08:00">', "")
    server.routes["/undated"] = Route(undated.encode(), content_type="text/html; charset=utf-8")
    server.routes["/court/dated-in-text.html"] = chinese_dated_route()
    server.routes["/court/dotted.html"] = chinese_dated_route("2017.07.04", "")
    server.routes["/court/slashed.html"] = chinese_dated_route("2017/7/4", "")
    server.routes["/court/year-only.html"] = chinese_dated_route("", "")
    server.routes["/feed.pdf"] = Route(b"%PDF-1.4", content_type="application/pdf")
    yield server
    server.stop()


@pytest.mark.slow
def test_a_page_becomes_a_candidate_with_title_date_and_text(newsroom_dir: Path, server: FeedServer, run) -> None:
    url = server.url("/courts/2017-07/05/defaulters.html")
    result = run("add", url)
    assert result.exit_code == 0, result.output
    line = result.output.splitlines()[0]
    assert line.startswith("added ") and line.endswith(
        ": Courts Add 1.46 Million Judgment Defaulters in First Half (127.0.0.1, 2017-07-05)"
    )
    item_id = line.split()[1].rstrip(":")
    listed = json.loads(run("candidates", "--week", "2017-07-10", "--json").output)
    found = next(item for item in listed if item["id"] == item_id)
    assert found["url"] == url and found["published"] == "2017-07-05T04:00:00Z"  # noon in Shanghai
    assert run("candidates", "--week", "2017-07-10", "--search", "plane tickets").output.count(item_id) == 1

    again = run("add", url, "--source", "Court Watch")
    assert again.output.startswith("added ") and "(Court Watch, 2017-07-05)" in again.output
    assert run("add", url, "--source", "Court Watch").output.startswith("updated ")

    undated = run("add", server.url("/undated"), "--date", "2017-07-04")
    assert "(127.0.0.1, 2017-07-04)" in undated.output

    gone = run("add", server.url("/missing"))
    assert (
        gone.exit_code == 1 and gone.output.strip() == f"newsdesk: error: {server.url('/missing')}: HTTP 404 Not Found"
    )
    pdf = run("add", server.url("/feed.pdf"))
    assert pdf.exit_code == 1 and "not an article: the link is application/pdf" in pdf.output
    assert run("add", "ftp://files.example/a").exit_code == 2


@pytest.mark.slow
def test_adding_and_picking_saves_the_page(newsroom_dir: Path, server: FeedServer, run) -> None:
    url = server.url("/xiamen/red-list.htm")
    result = run("add", url, "--pick", "2017-07-10")
    assert result.exit_code == 0, result.output
    item_id = result.output.split()[1].rstrip(":")
    assert "厦门发布首批守信“红名单” 215家企业38名个人上榜 (127.0.0.1, 2017-07-06)" in result.output
    issue = (newsroom_dir / "issues" / "2017-07-10.md").read_text(encoding="utf-8")
    assert f"<!-- item: {item_id} -->" in issue and url in issue
    saved = newsroom_dir / "issues" / "2017-07-10" / "sources" / f"{item_id}.html"
    assert f"saved its page: {saved}" in result.output
    assert "215家企业和38名个人入选" in saved.with_suffix(".txt").read_text(encoding="utf-8")
    # The article was read once and is cached: the desk's `a` shows it without a fetch.
    from newsdesk.curation.articles import ArticleCache
    from newsdesk.newsroom import Newsroom

    with Newsroom.open(newsroom_dir).store() as store:
        cached = ArticleCache(store).get(url)
    assert cached is not None and cached.ok and "红名单" in cached.text


@pytest.mark.slow
def test_a_date_written_the_chinese_way(newsroom_dir: Path, server: FeedServer, run) -> None:
    for path in ("/court/dated-in-text.html", "/court/dotted.html", "/court/slashed.html"):
        result = run("add", server.url(path))
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[0].endswith("(127.0.0.1, 2017-07-04)"), result.output
        assert "no date" not in result.output
    guessed = run("add", server.url("/court/year-only.html"))
    assert guessed.exit_code == 0, guessed.output
    assert "the page gives no date: 2017-01-01 is only a guess (give one with --date)" in guessed.output


@pytest.mark.slow
def test_date_given_again_updates_the_date(newsroom_dir: Path, server: FeedServer, run) -> None:
    url = server.url("/court/year-only.html")
    item_id = run("add", url).output.split()[1].rstrip(":")
    again = run("add", url, "--date", "2017-07-04")
    assert again.output.startswith(f"updated {item_id}:") and "(127.0.0.1, 2017-07-04)" in again.output
    listed = json.loads(run("candidates", "--week", "2017-07-10", "--json").output)
    assert next(item for item in listed if item["id"] == item_id)["published"] == "2017-07-04T04:00:00Z"
