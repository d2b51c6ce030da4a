"""Traditional and simplified Chinese are one text: a Big5 feed, served by a real HTTP
server on loopback, joins its simplified twin, and either script finds both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from feedserver import FeedServer, Route

from newsdesk.curation.session import SearchableItem, filter_stories, flatten, unranked
from newsdesk.newsroom import Newsroom

TRADITIONAL = (
    "臺北市發佈個人誠信資訊管理辦法 失信記錄將影響貸款審批",
    "臺北市政府週四發佈個人誠信資訊管理辦法，規定失信記錄的採集、公開與修復程序，銀行審批貸款時將查詢相關資訊。",
)
SIMPLIFIED = (
    "台北市发布个人诚信资讯管理办法 失信记录将影响贷款审批",
    "台北市政府周四发布个人诚信资讯管理办法，规定失信记录的采集、公开与修复程序，银行审批贷款时将查询相关资讯。",
)
OTHER = ("上海市举办信用知识竞赛 千名市民参加", "上海市信用办周五举办信用知识竞赛，一千名市民参加。")


def rss(title: str, channel: str, items: list[tuple[str, str, str, str]], encoding: str) -> bytes:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{d}</description><pubDate>{day}</pubDate></item>"
        for t, d, link, day in items
    )
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>{channel}</title>'
        f"<link>http://news.test/</link><description>{channel}</description>{entries}</channel></rss>"
    )
    return text.encode(encoding)


@pytest.fixture
def server():
    server = FeedServer().start()
    big5 = rss(
        "Big5",
        "臺灣信用新聞",
        [(*TRADITIONAL, "https://tw.news.test/2017/0629/credit.html", "Thu, 29 Jun 2017 08:00:00 +0800")],
        "big5",
    )
    assert big5.decode("big5")  # the feed really is Big5, not UTF-8
    server.routes["/big5.xml"] = Route(big5, content_type="application/rss+xml; charset=big5")
    server.routes["/gb.xml"] = Route(
        rss(
            "GB",
            "信用新闻",
            [
                (*SIMPLIFIED, "https://cn.news.test/2017-06/29/c_1121.htm", "Thu, 29 Jun 2017 10:00:00 +0800"),
                (*OTHER, "https://cn.news.test/2017-06/30/c_1122.htm", "Fri, 30 Jun 2017 10:00:00 +0800"),
            ],
            "utf-8",
        )
    )
    yield server
    server.stop()


@pytest.fixture
def room(tmp_path: Path, server: FeedServer) -> Path:
    root = tmp_path / "room"
    (root / "issues").mkdir(parents=True)
    (root / "sources.toml").write_text(
        f"""[newsroom]
name = "Scripts"
timezone = "Asia/Shanghai"

[[sources]]
name = "Taiwan Credit"
url = "{server.url("/big5.xml")}"

[[sources]]
name = "Credit News"
url = "{server.url("/gb.xml")}"

[[topics]]
name = "integrity"
terms = ["誠信"]
""",
        encoding="utf-8",
    )
    return root


def test_a_big5_source_joins_its_simplified_twin(room: Path, server: FeedServer) -> None:
    from click.testing import CliRunner

    from newsdesk.cli import cli

    def run(*args: str):
        result = CliRunner().invoke(cli, ["--newsroom", str(room), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("fetch")
    assert server.requests["/big5.xml"] == 1
    stories = json.loads(run("candidates", "--week", "2017-07-03", "--sort", "score", "--json"))
    titles = sorted(sorted(item["title"] for item in story["cluster"]) for story in stories)
    assert titles == sorted([sorted([TRADITIONAL[0], SIMPLIFIED[0]]), [OTHER[0]]])
    joined = next(story for story in stories if len(story["cluster"]) == 2)
    # The topic written in traditional script scores the story in both.
    assert [m["terms"] for m in joined["topics"]] == [["誠信"]]

    for query in ("诚信资讯", "誠信資訊"):
        found = json.loads(run("candidates", "--week", "2017-07-03", "--search", query, "--json"))
        assert sorted(item["title"] for item in found) == sorted([TRADITIONAL[0], SIMPLIFIED[0]])

    with Newsroom.open(room).store() as store:
        items = [SearchableItem.of(item) for item in store.items()]
    flat = flatten(unranked(items))
    assert {row.item.title for row in filter_stories(flat, "贷款")} == {TRADITIONAL[0], SIMPLIFIED[0]}
    assert {row.item.title for row in filter_stories(flat, "貸款 臺北")} == {TRADITIONAL[0], SIMPLIFIED[0]}
