"""Ranking: topic terms and source weights score each story, the explanation names the
matched terms, and stories featured in earlier issues sink to the bottom."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from newsdesk.config import Config, Source, Topic
from newsdesk.curation.clusters import Cluster
from newsdesk.curation.ranking import Featured, Scorer, TopicMatcher, featured_before, rank
from newsdesk.issue import load_issue, save_issue
from newsdesk.items import Item, item_id
from newsdesk.newsroom import Newsroom
from newsdesk.urls import canonical_url

TOPICS = (
    Topic("social credit", ("social credit", "社会信用"), 2.0),
    Topic("blacklists", ("blacklist", "joint punishment", "失信"), 1.5),
    Topic("sport", ("football",), -1.0),
)
CONFIG = Config(
    sources=(
        Source("Big", "https://big.example/feed", weight=1.5),
        Source("Small", "https://small.example/feed", weight=0.5),
    ),
    topics=TOPICS,
)
START = datetime(2017, 7, 3, tzinfo=UTC)


def item(source: str, title: str, summary: str = "", hours: int = 0, url: str | None = None) -> Item:
    url = url or f"https://{source.lower()}.example/{abs(hash(title))}"
    when = START + timedelta(hours=hours)
    return Item(item_id(source, url), source, url, title, url, canonical_url(url), summary, when, when)


def test_terms_match_whole_words_plurals_phrases_and_chinese_anywhere():
    matcher = TopicMatcher(TOPICS)
    found = matcher.find("Blacklisted firms face JOINT\npunishment under social-credit rules; 失信被执行人")
    assert found == {1: {"blacklist", "joint punishment", "失信"}}
    assert matcher.find("Blacklists are everywhere in the social credit system") == {
        0: {"social credit"},
        1: {"blacklist"},
    }
    assert matcher.find("blacklisting") == {1: {"blacklist"}}
    assert matcher.find("a blacklistbook of footballers") == {}  # no partial words
    assert matcher.find("地方社会信用条例") == {0: {"社会信用"}}


def test_the_score_counts_titles_double_source_weight_and_coverage_and_says_why():
    scorer = Scorer(CONFIG)
    title_hit = scorer.score([item("Small", "Social credit rules for blacklisted firms")])
    assert title_hit.value == (1 + 2 * 2.0 + 2 * 1.5) * 0.5
    assert title_hit.terms == ["social credit", "blacklist"]
    assert title_hit.explain() == (
        "4.00 = (1 + social credit 4 (title: social credit) + blacklists 3 (title: blacklist))"
        " × source weight 0.5 × 1 source 1"
    )
    summary_hit = scorer.score([item("Unknown", "A new rule", "It touches the social credit system.")])
    assert summary_hit.value == 1 + 2.0 and "summary: social credit" in summary_hit.explain()
    story = scorer.score([item("Big", "New rules"), item("Small", "New rules - Small", "about 失信 people")])
    assert story.value == (1 + 1.5) * 1.5 * 1.25  # the weightiest source, a second source adds a quarter
    assert "2 sources 1.25" in story.explain()
    assert scorer.score([item("Big", "Football results")]).value < 0  # a negative topic pushes down


def story(*items: Item) -> Cluster:
    return Cluster(list(items))


def test_featured_stories_are_marked_and_sink_in_either_order():
    scorer = Scorer(CONFIG)
    top = story(item("Big", "Social credit blacklist", hours=1))
    old = story(item("Big", "Social credit blacklist again", hours=5), item("Small", "copy", hours=6))
    plain = story(item("Small", "Weather", hours=3))
    featured = Featured(ids={old.items[1].id: date(2017, 7, 3)}, urls={}, problems=[])
    by_score = rank([plain, old, top], scorer, featured)
    assert [s.cluster for s in by_score] == [top, plain, old]
    assert by_score[-1].featured == date(2017, 7, 3) and by_score[0].featured is None
    by_date = rank([plain, old, top], scorer, featured, sort="date")
    assert [s.cluster for s in by_date] == [plain, top, old]
    as_json = by_score[-1].as_json()
    assert as_json["featured"] == "2017-07-03" and [i["id"] for i in as_json["cluster"]] == [i.id for i in old]
    assert as_json["score"] == round(by_score[-1].score.value, 3) and as_json["topics"][0]["terms"]


def test_earlier_issues_feature_their_items_also_ids_and_read_more_links(fetched):
    room = Newsroom.open(fetched)
    featured = featured_before(room, date(2017, 7, 10))
    assert featured.ids["e5c62cc3a53e"] == date(2017, 7, 3)
    assert featured.ids["8e115134a19a"] == date(2017, 7, 3)  # an `also` id
    assert featured.urls[canonical_url("https://creditpolicy.example/2017/06/22/joint-punishment-one-year")] == date(
        2017, 6, 26
    )
    # an item never picked, but whose page an earlier issue linked to, is featured too
    linked = item(
        "Elsewhere",
        "Eight ministries",
        url="https://asiabizwire.example/news/2017/06/30/counterfeit-supplements-cosmetics?utm_source=x",
    )
    assert featured.of([linked]) == date(2017, 7, 3)
    assert featured_before(room, date(2017, 7, 3)).ids.get("e5c62cc3a53e") is None  # not before itself


def test_a_broken_earlier_issue_is_skipped_and_said(fetched):
    (fetched / "issues" / "2017-06-26.md").write_text("+++\ntitle = 'x'\n", encoding="utf-8")
    featured = featured_before(Newsroom.open(fetched), date(2017, 7, 10))
    assert "e5c62cc3a53e" in featured.ids and len(featured.problems) == 1


def test_candidates_explain_and_json(fetched, run):
    path = fetched / "issues" / "2017-07-10.md"
    issue = load_issue(path)
    result = run("candidates", "--week", "2017-07-10", "--explain")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "stories, by score" in lines[0]
    assert any(line.strip().startswith("score ") and "title:" in line for line in lines)
    assert any("+1" in line for line in lines) and any(line.strip().startswith("also ") for line in lines)
    scores = [float(line.split()[2]) for line in lines[1:] if not line.startswith("      ")]
    assert scores == sorted(scores, reverse=True)
    data = json.loads(run("candidates", "--week", "2017-07-10", "--sort", "date", "--json").output)
    assert {"cluster", "score", "topics", "featured", "id", "title"} <= set(data[0])
    times = [entry["published"] for entry in data]
    assert times == sorted(times, reverse=True)
    plain = json.loads(run("candidates", "--week", "2017-07-10", "--json").output)
    assert "score" not in plain[0] and len(plain) == 21 and len(data) < 21
    save_issue(issue, Path(path))
