"""Benchmark parsing: items per second through newsdesk's fetch-and-normalize path
(``parse_feed`` on the farm's bytes) against bare feedparser on the same bytes.

    .venv/bin/python bench/bench_parse.py                  # 200 feeds, 5 runs
    .venv/bin/python bench/bench_parse.py --runs 1 --no-record
    .venv/bin/python bench/bench_parse.py --profile        # one newsdesk pass under pyinstrument

One process, one core, no network: this is the work each parse does, before the fetch
spreads it over worker processes. "Bare feedparser" is ``feedparser.parse`` with its
defaults (its sanitizer on), given the bytes and the Content-Type as a server sends
them; the row with its sanitizer off is there for comparison. newsdesk's path decodes
and defuses the bytes, parses (feedparser-rs where it reads a feed as feedparser does,
else feedparser), sanitizes with nh3, makes the plain text, canonical URLs, ids and
hashes. Results go to docs/benchmarks.md under "## Parse" (--no-record to skip that).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import git_revision, show_results, summary, versions  # noqa: E402
from farm import FarmFeed, describe, make_farm  # noqa: E402

NOW = datetime(2017, 7, 3, tzinfo=UTC)


def bare_feedparser(feeds: list[FarmFeed], **options: bool) -> int:
    import feedparser

    items = 0
    for feed in feeds:
        parsed = feedparser.parse(
            io.BytesIO(feed.body), response_headers={"content-type": feed.content_type}, **options
        )
        items += len(parsed.entries)
    return items


def newsdesk(feeds: list[FarmFeed], engine: str = "auto") -> int:
    from newsdesk.feeds.parse import parse_feed

    items = 0
    for feed in feeds:
        parsed = parse_feed(
            feed.body,
            source="farm",
            url=f"http://127.0.0.1:8000{feed.path}",
            content_type=feed.content_type,
            fetched_at=NOW,
            engine=engine,
        )
        items += len(parsed.items)
    return items


CONTENDERS = {
    "bare feedparser (defaults)": lambda feeds: bare_feedparser(feeds),
    "bare feedparser, sanitizer off": lambda feeds: bare_feedparser(feeds, sanitize_html=False),
    "newsdesk parse_feed": lambda feeds: newsdesk(feeds),
    "newsdesk parse_feed, feedparser engine only": lambda feeds: newsdesk(feeds, "feedparser"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--profile", action="store_true", help="profile one newsdesk pass with pyinstrument")
    args = parser.parse_args(argv)
    feeds = make_farm(args.feeds, args.seed)
    megabytes = sum(len(f.body) for f in feeds) / 1e6
    print(describe(feeds))
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        with profiler:
            newsdesk(feeds)
        print(profiler.output_text(color=False))
        return 0
    # Warm both up once (imports, regex compilation) before the clock.
    newsdesk(feeds[:3]), bare_feedparser(feeds[:3])
    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    counts: dict[str, int] = {}
    for run in range(args.runs):
        for name, contender in CONTENDERS.items():
            started = time.perf_counter()
            counts[name] = contender(feeds)
            times[name].append(time.perf_counter() - started)
        print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()))
    reference = times["bare feedparser (defaults)"]
    lines = [
        f"Command: `.venv/bin/python bench/bench_parse.py --feeds {args.feeds} --runs {args.runs}` (revision {git_revision()})",
        f"Versions: {versions('feedparser', 'feedparser-rs', 'nh3')}",
        f"Farm: {describe(feeds).splitlines()[0]}; one process, no network.",
        "",
        "| path | items | time (median, min–max) | items/s | MB/s | time / bare feedparser |",
        "|---|---|---|---|---|---|",
    ]
    for name, values in times.items():
        ratios = [v / r for v, r in zip(values, reference, strict=True)]
        med = statistics.median(values)
        lines.append(
            f"| {name} | {counts[name]:,} | {summary(values, ' s', 2)} | {counts[name] / med:,.0f} | {megabytes / med:.1f} | {summary(ratios, '', 2)} |"
        )
    overhead = statistics.median(v / r - 1 for v, r in zip(times["newsdesk parse_feed"], reference, strict=True))
    lines += [
        "",
        f"newsdesk's overhead over bare feedparser: {overhead:+.0%} (target: under +20%; negative is faster).",
    ]
    show_results("Parse", lines, record=not args.no_record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
