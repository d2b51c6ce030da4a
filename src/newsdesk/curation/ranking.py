"""Relevance: score each story by the newsroom's topics and its sources' weights, say why,
and sink what earlier issues already featured.

A story's score is ``(1 + topic points) × the weightiest source's weight × coverage``:
each topic of sources.toml whose terms appear in one of the story's titles earns twice its
weight, in a summary only once; coverage adds a quarter for each further source reporting
the story (at most double). Stories featured in an earlier issue (by item id, an ``also``
id or the read-more link's canonical URL) are marked and listed last.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from newsdesk.chinese import fold
from newsdesk.config import Config, Topic
from newsdesk.curation.clusters import ARTICLE_CHARACTERS, Cluster, ClusterIndex
from newsdesk.errors import IssueFileError
from newsdesk.issue import load_issue
from newsdesk.items import Item
from newsdesk.newsroom import Newsroom
from newsdesk.urls import canonical_url

SUMMARY_CHARACTERS = 600  # the opening of a summary says what it is about
COVERAGE_STEP = 0.25
COVERAGE_MAX = 2.0
SORTS = ("score", "date")


@dataclass(frozen=True)
class TopicMatch:
    """One topic a story matched, with the terms found (in a title, or only in a summary)."""

    topic: str
    weight: float
    terms: tuple[str, ...]
    in_title: bool

    @property
    def points(self) -> float:
        return self.weight * (2 if self.in_title else 1)


@dataclass(frozen=True)
class Score:
    value: float
    matches: tuple[TopicMatch, ...]
    source_weight: float
    sources: int

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys(term for match in self.matches for term in match.terms))

    def explain(self) -> str:
        """'4.2 = (1 + social credit 2×1.5 [信用, social credit]) × source 1.2 × 2 sources 1.25'."""
        parts = []
        for match in self.matches:
            where = "title" if match.in_title else "summary"
            parts.append(f"{match.topic} {match.points:g} ({where}: {', '.join(match.terms)})")
        topics = " + ".join(parts) if parts else "no topic"
        coverage = coverage_factor(self.sources)
        return (
            f"{self.value:.2f} = (1 + {topics}) × source weight {self.source_weight:g}"
            f" × {self.sources} source{'s' if self.sources != 1 else ''} {coverage:g}"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "score": round(self.value, 3),
            "source_weight": self.source_weight,
            "topics": [
                {"topic": m.topic, "terms": list(m.terms), "in_title": m.in_title, "points": m.points}
                for m in self.matches
            ],
        }


def coverage_factor(sources: int) -> float:
    return min(COVERAGE_MAX, 1 + COVERAGE_STEP * max(0, sources - 1))


def _term_pattern(term: str) -> str:
    """Latin words match whole (plurals and -ed/-ing too); Chinese terms anywhere."""
    folded = " ".join(fold(term).casefold().split())
    body = r"\s+".join(re.escape(word) for word in folded.split(" "))
    if re.search(r"[a-z0-9]$", folded):
        body += r"(?:s|es|ed|ing)?(?![a-z0-9])"
    if re.match(r"[a-z0-9]", folded):
        body = r"(?<![a-z0-9])" + body
    return body


class TopicMatcher:
    """Finds the topics' terms in a text: one pass of one pattern, whatever the topic count."""

    def __init__(self, topics: Iterable[Topic]) -> None:
        self.topics = list(topics)
        self._owner: list[tuple[int, str]] = []
        alternatives = []
        for topic_index, topic in enumerate(self.topics):
            for term in dict.fromkeys(topic.terms):
                alternatives.append(f"(?P<t{len(self._owner)}>{_term_pattern(term)})")
                self._owner.append((topic_index, term))
        self._pattern = re.compile("|".join(alternatives)) if alternatives else None

    def find(self, text: str) -> dict[int, set[str]]:
        """Topic index -> the terms of it found in ``text``."""
        found: dict[int, set[str]] = {}
        if self._pattern is None or not text:
            return found
        for match in self._pattern.finditer(fold(text).casefold()):  # 诚信 finds 誠信 too
            topic_index, term = self._owner[int(match.lastgroup[1:])]  # type: ignore[index]
            found.setdefault(topic_index, set()).add(term)
        return found


class Scorer:
    """Scores stories for one newsroom's topics and source weights."""

    def __init__(self, config: Config) -> None:
        self.matcher = TopicMatcher(config.topics)
        self.weights = {source.name: source.weight for source in config.sources}
        self._cache: dict[str, tuple[dict[int, set[str]], dict[int, set[str]]]] = {}

    def _item_terms(self, item: Item) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
        key = f"{item.id}\n{item.content_hash}"
        if key not in self._cache:
            self._cache[key] = (
                self.matcher.find(item.title),
                self.matcher.find(item.summary_text[:SUMMARY_CHARACTERS]),
            )
        return self._cache[key]

    def score(self, items: Iterable[Item]) -> Score:
        items = list(items)
        title_terms: dict[int, set[str]] = {}
        summary_terms: dict[int, set[str]] = {}
        for item in items:
            in_title, in_summary = self._item_terms(item)
            for index, terms in in_title.items():
                title_terms.setdefault(index, set()).update(terms)
            for index, terms in in_summary.items():
                summary_terms.setdefault(index, set()).update(terms)
        matches = []
        for index, topic in enumerate(self.matcher.topics):
            if index in title_terms or index in summary_terms:
                terms = title_terms.get(index, set()) | summary_terms.get(index, set())
                ordered = tuple(t for t in topic.terms if t in terms)
                matches.append(TopicMatch(topic.name, topic.weight, ordered, index in title_terms))
        matches.sort(key=lambda m: -m.points)
        sources = len({item.source for item in items})
        source_weight = max((self.weights.get(item.source, 1.0) for item in items), default=1.0)
        points = 1 + sum(m.points for m in matches)
        return Score(points * source_weight * coverage_factor(sources), tuple(matches), source_weight, sources)


@dataclass
class Featured:
    """What earlier issues featured: item ids and read-more URLs, with the issue's date."""

    ids: dict[str, date]
    urls: dict[str, date]
    problems: list[str]

    def of(self, items: Iterable[Item]) -> date | None:
        """The earliest issue that featured one of ``items``, if any."""
        found = []
        for item in items:
            if item.id in self.ids:
                found.append(self.ids[item.id])
            if item.canonical_url and item.canonical_url in self.urls:
                found.append(self.urls[item.canonical_url])
        return min(found) if found else None


def featured_before(newsroom: Newsroom, day: date) -> Featured:
    """Items and links featured in the issues published before ``day`` (broken files skipped)."""
    featured = Featured({}, {}, [])
    for issue_date in newsroom.issue_dates():
        if issue_date >= day:
            continue
        try:
            issue = load_issue(newsroom.issue_path(issue_date))
        except IssueFileError as error:
            featured.problems.append(error.message)
            continue
        for development in issue.developments:
            for item_id in (development.item_id, *development.also):
                if item_id:
                    featured.ids.setdefault(item_id, issue_date)
            if development.read_more:
                featured.urls.setdefault(canonical_url(development.read_more), issue_date)
    return featured


@dataclass
class RankedStory:
    """A story as the shortlist shows it: its items, score, and the issue that featured it."""

    cluster: Cluster
    score: Score
    featured: date | None = None

    @property
    def lead(self) -> Item:
        return self.cluster.lead

    def as_json(self) -> dict[str, object]:
        out = self.lead.as_json()
        out["cluster"] = [
            {"id": item.id, "source": item.source, "title": item.title, "url": item.url} for item in self.cluster
        ]
        out.update(self.score.as_json())
        out["featured"] = self.featured.isoformat() if self.featured else None
        return out


def rank(
    clusters: Iterable[Cluster], scorer: Scorer, featured: Featured | None = None, *, sort: str = "score"
) -> list[RankedStory]:
    """Stories best first (or newest first); those already featured last, in the same order."""
    stories = [
        RankedStory(cluster, scorer.score(cluster), featured.of(cluster) if featured else None) for cluster in clusters
    ]
    stories.sort(key=sort_key(sort))
    return stories


def sort_key(sort: str):
    """The key that orders stories best first (``score``) or newest first (``date``), featured last."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if sort == "score":
        return lambda s: (s.featured is not None, -round(s.score.value, 6), _newest_first(s.lead))
    return lambda s: (s.featured is not None, _newest_first(s.lead))


def _newest_first(item: Item) -> tuple[float, str]:
    return (-item.when.timestamp(), item.id)


def shortlist(
    newsroom: Newsroom,
    publication: date,
    items: Iterable[Item],
    *,
    sort: str = "score",
    index: ClusterIndex | None = None,
    scorer: Scorer | None = None,
) -> list[RankedStory]:
    """``items`` as ranked stories for the issue published on ``publication``.

    Pass the same ``index`` again to cluster only the items it has not seen (after a fetch).
    """
    from newsdesk.curation.articles import cached_texts  # the article fetcher's imports, only when ranking
    from newsdesk.glossary import load_glossary

    items = list(items)
    index = index if index is not None else ClusterIndex()
    if index.glossary is None:
        index.glossary = load_glossary(newsroom.root)
    with newsroom.store() as store:
        texts = cached_texts(store, ARTICLE_CHARACTERS)
    index.add(items, texts)
    weights = {source.name: source.weight for source in newsroom.config.sources}
    clusters = index.clusters(weights, only={item.id for item in items})
    featured = featured_before(newsroom, publication)
    return rank(clusters, scorer or Scorer(newsroom.config), featured, sort=sort)
