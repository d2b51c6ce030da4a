"""Clustering quality on the hand-labelled set (tests/fixtures/clusters.tsv): pairwise
precision and recall, shared by the tests and bench/bench_clusters.py."""

from __future__ import annotations

import csv
import itertools
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.curation.clusters import cluster_items
from newsdesk.items import Item, item_id
from newsdesk.urls import canonical_url

DATA = Path(__file__).resolve().parent.parent / "fixtures" / "clusters.tsv"


def load_labelled(path: Path = DATA) -> list[tuple[str, Item]]:
    """(story, item) for every row of the labelled set."""
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


def pairs(groups: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for group in groups for p in itertools.combinations(group, 2)}


def quality(show_errors: bool = False) -> tuple[float, float, int, int]:
    """Pairwise precision and recall, each the worse of two orders of arrival: the file's,
    and newest first, as the desk adds a week's items."""
    labelled = load_labelled()
    truth: dict[str, list[str]] = {}
    for story, item in labelled:
        truth.setdefault(story, []).append(item.id)
    want = pairs(list(truth.values()))
    titles = {item.id: f"{story} {item.source}: {item.title}" for story, item in labelled}
    orders = {
        "file order": [item for _, item in labelled],
        "newest first": sorted((item for _, item in labelled), key=lambda item: item.when, reverse=True),
    }
    precision = recall = 1.0
    for order, items in orders.items():
        got = pairs([[i.id for i in c] for c in cluster_items(items)])
        right = want & got
        if show_errors:
            for kind, wrong in (("put together, but different stories", got - want), ("missed", want - got)):
                print(f"{kind} ({order}):")
                for pair in sorted(wrong, key=sorted):
                    a, b = sorted(pair)
                    print(f"  {titles[a]}\n    ~ {titles[b]}")
        precision = min(precision, len(right) / len(got) if got else 1.0)
        recall = min(recall, len(right) / len(want) if want else 1.0)
    return precision, recall, len(labelled), len(want)
