"""Clustering quality on a labelled set, and its speed on 10,000 items.

    .venv/bin/python bench/bench_clusters.py [--runs 5] [--items 10000] [--no-record] [--show-errors]

Quality: tests/fixtures/clusters.tsv holds hand-written items in English and Chinese with the
story each belongs to (syndicated copies, tracking-parameter variants, rewritten titles,
near-misses). Pairwise precision is the share of item pairs put together that belong
together; recall the share of pairs that belong together that were put together. Each is
the worse of two orders of arrival: the file's, and newest first (the desk's).
Targets (issue 7): precision >= 0.95, recall >= 0.90.

Speed: 10,000 synthetic items (two thirds English, one third Chinese, one in ten giving a
figure, one in six a copy of another with a site suffix, a tracking parameter or a word
changed) spread over eight weeks:
the time to cluster them all from nothing, and to add 100 more to the built index.
Target: under 2 s for 10,000.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_quality import quality  # noqa: E402
from common import append_results, git_revision, summary, versions  # noqa: E402

from newsdesk.curation.clusters import ClusterIndex  # noqa: E402
from newsdesk.items import Item, item_id  # noqa: E402
from newsdesk.urls import canonical_url  # noqa: E402

# Synthetic volume ----------------------------------------------------------------

SYLLABLES = "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru sa se si so su ta te ti to tu".split()
HANZI = (
    "社会信用体系建设失信被执行人联合惩戒守信激励地方条例法院公布名单企业个人政务诚信国务院印发意见通知"
    "发展改革委人民银行市场监管总局税务部门纳税等级评价平台电子商务网络借贷环境保护食品药品安全生产交通运输"
    "司机档案记录共享归集公示查询修复退出机制专项行动整治开展部署召开会议强调推进实施办法暂行规定试点城市"
)


FIGURES = [str(n) for n in range(101, 1000, 7)]


def synthetic(count: int, seed: int = 7) -> list[Item]:
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(4000)]
    zipf = [1 / (rank + 1) for rank in range(len(vocabulary))]
    hanzi_weights = [1 / (rank + 1) ** 0.6 for rank in range(len(HANZI))]
    sources = [f"Source {n}" for n in range(40)]
    start = datetime(2017, 6, 1, tzinfo=UTC)
    items: list[Item] = []
    for n in range(count):
        source = rng.choice(sources)
        if items and rng.random() < 1 / 6:  # a copy of an earlier story
            original = rng.choice(items[-300:])
            title = original.title
            roll = rng.random()
            if roll < 0.4:
                title += f" - {original.source}"
            elif roll < 0.7:
                words = title.split()
                words[rng.randrange(len(words))] = rng.choices(vocabulary, zipf)[0]
                title = " ".join(words)
            url = (original.url or "") + ("?utm_source=rss" if roll >= 0.7 else f"/copy{n}")
            when = original.when + timedelta(hours=rng.randint(0, 48))
            summary_text = original.summary_text
        else:
            # One title in ten gives a figure, from a pool small enough for figures to recur.
            figure = rng.choice(FIGURES) if rng.random() < 0.1 else None
            if n % 3 == 0:
                title = "".join(rng.choices(HANZI, hanzi_weights, k=rng.randint(12, 26)))
                title += f"{figure}家" if figure else ""
            else:
                title = " ".join(rng.choices(vocabulary, zipf, k=rng.randint(6, 12))).capitalize()
                title += f" {figure} firms" if figure else ""
            summary_text = " ".join(rng.choices(vocabulary, zipf, k=30))
            url = f"https://bench.example/{n}"
            when = start + timedelta(seconds=rng.randint(0, 56 * 86400))
        items.append(
            Item(
                id=item_id(source, f"{n}"),
                source=source,
                guid=str(n),
                title=title,
                url=url,
                canonical_url=canonical_url(url),
                summary_text=summary_text,
                published=when,
                first_seen=when,
            )
        )
    return items


def speed(count: int) -> tuple[float, float, int]:
    items = synthetic(count + 100)
    began = time.perf_counter()
    index = ClusterIndex()
    index.add(items[:count])
    stories = len(index.clusters())
    built = time.perf_counter() - began
    began = time.perf_counter()
    index.add(items[count:])
    index.clusters()
    added = time.perf_counter() - began
    return built, added, stories


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true", help="Do not append to docs/benchmarks.md")
    parser.add_argument("--show-errors", action="store_true", help="List the pairs clustered wrongly")
    args = parser.parse_args()
    precision, recall, labelled, true_pairs = quality(args.show_errors)
    builds, adds = [], []
    stories = 0
    for _ in range(args.runs):
        built, added, stories = speed(args.items)
        builds.append(built)
        adds.append(added * 1000)
    rows = [
        ("pairwise precision", f"{precision:.3f}", ">= 0.95"),
        ("pairwise recall", f"{recall:.3f}", ">= 0.90"),
        (f"cluster {args.items} items from nothing", summary(builds, " s", 2), "< 2 s"),
        (f"add 100 items to {args.items}", summary(adds, " ms", 1), ""),
    ]
    print(
        f"labelled set: {labelled} items, {true_pairs} same-story pairs; "
        f"{args.items} synthetic items -> {stories} stories; {args.runs} runs"
    )
    for name, value, target in rows:
        print(f"  {name:<34} {value:<24} {('target ' + target) if target else ''}")
    if not args.no_record:
        append_results(
            "Clustering",
            [
                f"Command: `.venv/bin/python bench/bench_clusters.py --items {args.items} --runs {args.runs}`",
                f"Labelled set: tests/fixtures/clusters.tsv, {labelled} items, {true_pairs} same-story pairs",
                f"Versions: {versions('newsdesk')} (commit {git_revision()})",
                "",
                "| measure | median (min–max) | target |",
                "|---|---|---|",
                *[f"| {n} | {v} | {t} |" for n, v, t in rows],
            ],
        )


if __name__ == "__main__":
    main()
