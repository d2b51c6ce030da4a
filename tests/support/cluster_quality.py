"""Clustering quality on labelled sets, shared by the tests and bench/bench_clusters.py.

A labelled set is a TSV (group, source, published, url, title, summary): the story each
item belongs to. Measured: pairwise precision (the share of item pairs put together that
belong together), recall (the share of pairs that belong together that were put together)
and F1; BCubed F1 (precision and recall of each item's story, averaged over items); and
recall by kind of pair (en-en, zh-zh, en-zh, en-zht, zh-zht, zht-zht, copies), with the
wrong joins by kind too.

The sets: tests/fixtures/clusters.tsv (the project's own, a regression set) and the
independent one, written apart from the code, in two halves: bench/data/independent_tuning.tsv
(thresholds are chosen on it) and bench/data/independent_heldout.tsv (only measured).
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.chinese import fold, has_han
from newsdesk.curation.clusters import cluster_items, comparable_title
from newsdesk.items import Item, item_id
from newsdesk.urls import canonical_url

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "fixtures" / "clusters.tsv"
TUNING = ROOT / "bench" / "data" / "independent_tuning.tsv"
HELDOUT = ROOT / "bench" / "data" / "independent_heldout.tsv"
KINDS = ("en-en", "zh-zh", "zht-zht", "en-zh", "en-zht", "zh-zht", "copies")
_SUFFIX = re.compile(r"\s[-–—|]\s[^-–—|]{2,24}$")


def load_labelled(path: Path = DATA) -> list[tuple[str, Item]]:
    """(story, item) for every row of a labelled set."""
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    out = []
    for row in csv.DictReader(rows, delimiter="\t"):
        when = datetime.strptime(row["published"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        out.append(
            (
                row["group"],
                Item(
                    id=item_id(row["source"], row["url"]),
                    source=row["source"],
                    guid=row["url"],
                    title=row["title"],
                    url=row["url"],
                    canonical_url=canonical_url(row["url"]),
                    summary_text=row["summary"],
                    published=when,
                    first_seen=when,
                ),
            )
        )
    return out


def script(item: Item) -> str:
    """en, zh (simplified) or zht (traditional Chinese)."""
    text = item.title + item.summary_text
    if not has_han(text):
        return "en"
    return "zh" if fold(text) == text else "zht"


def kind_of(a: Item, b: Item) -> str:
    """The kind of a pair: copies (one is the other with a site's name added, or both have
    one summary), else the scripts of the two."""
    if a.summary_text and a.summary_text == b.summary_text:
        return "copies"
    ta, tb = comparable_title(a.title, a.source), comparable_title(b.title, b.source)
    if _SUFFIX.sub("", ta) == _SUFFIX.sub("", tb):
        return "copies"
    order = {"en": 0, "zh": 1, "zht": 2}
    x, y = sorted((script(a), script(b)), key=order.__getitem__)
    return f"{x}-{y}"


def pairs(groups: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for group in groups for p in itertools.combinations(group, 2)}


@dataclass
class Quality:
    items: int
    stories: int
    true_pairs: int
    precision: float
    recall: float
    bcubed: float
    found: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (found, of)
    wrong: dict[str, int] = field(default_factory=dict)  # kind -> pairs put together wrongly
    errors: list[str] = field(default_factory=list)

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _bcubed(truth: dict[str, str], got: dict[str, str]) -> float:
    by_truth: dict[str, set[str]] = {}
    by_got: dict[str, set[str]] = {}
    for item, story in truth.items():
        by_truth.setdefault(story, set()).add(item)
    for item, story in got.items():
        by_got.setdefault(story, set()).add(item)
    precision = recall = 0.0
    for item in truth:
        mine, theirs = by_got[got[item]], by_truth[truth[item]]
        common = len(mine & theirs)
        precision += common / len(mine)
        recall += common / len(theirs)
    precision, recall = precision / len(truth), recall / len(truth)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def measure(path: Path = DATA, cluster: Callable[[list[Item]], list[list[Item]]] | None = None) -> Quality:
    """The quality of clustering one labelled set, in the file's order of arrival."""
    labelled = load_labelled(path)
    if cluster is None:

        def cluster(items: list[Item]) -> list[list[Item]]:
            return [c.items for c in cluster_items(items)]

    items = [item for _, item in labelled]
    by_id = {item.id: item for item in items}
    story_of = {item.id: story for story, item in labelled}
    truth: dict[str, list[str]] = {}
    for story, item in labelled:
        truth.setdefault(story, []).append(item.id)
    want = pairs(list(truth.values()))
    groups = cluster(items)
    got_of = {item.id: str(n) for n, group in enumerate(groups) for item in group}
    got = pairs([[i.id for i in group] for group in groups])
    right = want & got
    found: dict[str, tuple[int, int]] = {kind: (0, 0) for kind in KINDS}
    wrong: dict[str, int] = dict.fromkeys(KINDS, 0)
    errors = []
    for pair in sorted(want | got, key=sorted):
        a, b = (by_id[i] for i in sorted(pair))
        kind = kind_of(a, b)
        if pair in want:
            hit, total = found[kind]
            found[kind] = (hit + (pair in got), total + 1)
        else:
            wrong[kind] += 1
        if pair in want and pair not in got:
            errors.append(f"missed {kind}: {story_of[a.id]} {a.source}: {a.title}\n    ~ {b.source}: {b.title}")
        elif pair in got and pair not in want:
            errors.append(
                f"wrong {kind}: {story_of[a.id]} {a.source}: {a.title}\n    ~ {story_of[b.id]} {b.source}: {b.title}"
            )
    return Quality(
        items=len(items),
        stories=len(truth),
        true_pairs=len(want),
        precision=len(right) / len(got) if got else 1.0,
        recall=len(right) / len(want) if want else 1.0,
        bcubed=_bcubed(story_of, got_of),
        found={k: v for k, v in found.items() if v[1]},
        wrong=wrong,
        errors=errors,
    )


def quality(show_errors: bool = False, path: Path = DATA) -> tuple[float, float, int, int]:
    """Pairwise precision and recall, each the worse of two orders of arrival: the file's,
    and newest first, as the desk adds a week's items."""
    worst_precision = worst_recall = 1.0
    result = None
    for newest_first in (False, True):

        def cluster(items: list[Item], newest_first: bool = newest_first) -> list[list[Item]]:
            if newest_first:
                items = sorted(items, key=lambda item: item.when, reverse=True)
            return [c.items for c in cluster_items(items)]

        result = measure(path, cluster)
        if show_errors:
            print("\n".join(result.errors))
        worst_precision = min(worst_precision, result.precision)
        worst_recall = min(worst_recall, result.recall)
    assert result is not None
    return worst_precision, worst_recall, result.items, result.true_pairs
