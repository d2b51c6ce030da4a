"""HTML-to-text over the farm's summaries: newsdesk's against native converters.

    .venv/bin/python bench/text_converters.py
    .venv/bin/python bench/text_converters.py --runs 3 --no-record

The summaries are every item's HTML as `newsdesk.feeds.parse` hands it to
`newsdesk.text.untrusted_html_to_text` in a fetch of the whole farm (7,067 of them, about
35 MB, many whole articles). Each converter takes them all, one after another, in this
process; the time is the best of the runs. Converters that are not installed are
skipped (`pip install selectolax resiliparse html2text-rs`): none is a newsdesk
dependency, they are here to say how much a native converter could save. Only
newsdesk's applies newsdesk's paragraph rules; "nh3 alone" and "lexbor, parse only" are
parts of a conversion, not whole ones. Results go to docs/benchmarks.md under "## Parse".
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import git_revision, show_results, versions  # noqa: E402
from farm import make_farm  # noqa: E402

import newsdesk.feeds.parse as normalize  # noqa: E402
import newsdesk.text as text  # noqa: E402

PROCESSES = 3


def farm_summaries(feeds: int) -> list[str]:
    """The HTML each of the farm's items hands to the text step, in order."""
    seen: list[str] = []
    convert = normalize.untrusted_html_to_text

    def keep(fragment: str) -> str:
        seen.append(fragment)
        return convert(fragment)

    normalize.untrusted_html_to_text = keep
    try:
        for feed in make_farm(feeds):
            normalize.parse_feed(
                feed.body, source=feed.path, url=f"http://127.0.0.1{feed.path}", content_type=feed.content_type
            )
    finally:
        normalize.untrusted_html_to_text = convert
    return seen


def converters() -> dict[str, tuple[Callable[[str], object], str]]:
    """Name: (function, package whose version to report)."""
    found: dict[str, tuple[Callable[[str], object], str]] = {
        "newsdesk `untrusted_html_to_text` (nh3, then substitutions and paragraphs)": (
            text.untrusted_html_to_text,
            "nh3",
        ),
        "nh3 alone (keeping the tags that break lines)": (text._text_cleaner().clean, "nh3"),
    }
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:
        pass
    else:
        found["lexbor (selectolax), parse only"] = (LexborHTMLParser, "selectolax")
        found["lexbor (selectolax), parse and text without paragraphs"] = (
            lambda html: LexborHTMLParser(html).text(),
            "selectolax",
        )
    try:
        from resiliparse.extract.html2text import extract_plain_text
    except ImportError:
        pass
    else:
        found["resiliparse `extract_plain_text`"] = (extract_plain_text, "resiliparse")
    try:
        import html2text_rs
    except ImportError:
        pass
    else:
        found["html2text-rs `text_plain`"] = (lambda html: html2text_rs.text_plain(html, 1_000_000), "html2text-rs")
    return found


def best_time(function: Callable[[str], object], summaries: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for summary in summaries:
            function(summary)
        best = min(best, time.perf_counter() - started)
    return best


def time_one(name: str, summaries_file: str, runs: int) -> float:
    """In a process of its own: ``name``'s best time over the summaries pickled in the file."""
    with open(summaries_file, "rb") as handle:
        summaries = pickle.load(handle)
    return best_time(converters()[name][0], summaries, runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--one", nargs=2, metavar=("CONVERTER", "SUMMARIES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(time_one(*args.one, args.runs))
        return 0
    summaries = farm_summaries(args.feeds)
    size = sum(len(s.encode()) for s in summaries)
    found = converters()
    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as stored:
        pickle.dump(summaries, stored)
    lines = [
        f"Command: `.venv/bin/python bench/text_converters.py --feeds {args.feeds} --runs {args.runs}` "
        f"(revision {git_revision()})",
        f"Versions: {versions(*sorted({package for _, package in found.values()}))}",
        f"Input: the farm's {len(summaries):,} summaries, {size / 1e6:.1f} MB of HTML, converted one after "
        "another, in processes of their own; each process's best of the runs.",
        "",
        f"| converter | time: median of {PROCESSES} processes' bests (min–max) | MB/s |",
        "|---|---|---|",
    ]
    try:
        for name in found:
            command = [sys.executable, __file__, "--runs", str(args.runs), "--one", name, stored.name]
            times = sorted(
                float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
                for _ in range(PROCESSES)
            )
            seconds = statistics.median(times)
            lines.append(f"| {name} | {seconds:.3f} s ({times[0]:.3f}–{times[-1]:.3f}) | {size / 1e6 / seconds:.0f} |")
            print(lines[-1], flush=True)
    finally:
        Path(stored.name).unlink()
    show_results("Parse", lines, record=not args.no_record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
