"""How fast a cold `newsdesk fetch` could be if making each item's text cost nothing.

    .venv/bin/python bench/fetch_ceiling.py                  # 5 interleaved rounds
    .venv/bin/python bench/fetch_ceiling.py --runs 3 --no-record

A cold fetch turns every item's summary (often a whole article in HTML) into plain text.
This benchmark runs three cold fetches and newsboat's cold reload in turn on one farm:

- newsdesk as it is;
- "text free": the HTML-to-text step (`newsdesk.text.untrusted_html_to_text`) replaced
  by one that returns the HTML as it came, so the conversion costs nothing while as much
  text is still moved between processes and stored;
- "no text": the step returns nothing, so there is no text to convert, move or store.

The gaps between the three say what the conversion costs, and what moving and storing
the text costs; each variant's wall time over newsboat's, in the same round, says how
near the cold target (0.5×) the fetch could come without them. The variants are ceilings
to measure, never ways to run newsdesk. Results go to docs/benchmarks.md under
"## Fetch" (--no-record to skip that).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ab_fetch import FETCH_ENTRY  # noqa: E402
from bench_fetch import CONCURRENCY, make_newsroom, measure, newsboat_command  # noqa: E402
from common import REPO, compile_bytecode, git_revision, show_results, summary  # noqa: E402
from farm import FarmServer, describe, make_farm  # noqa: E402

# ab_fetch's entry point for every variant; the variants replace the text step first (a
# forked parse worker inherits the replacement).
VARIANTS = {
    "newsdesk": "",
    "text free (the HTML kept as it came)": "import newsdesk.text as t; t.untrusted_html_to_text = lambda html: html; ",
    "no text (empty summaries)": "import newsdesk.text as t; t.untrusted_html_to_text = lambda html: ''; ",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    if not shutil.which("newsboat"):
        raise SystemExit("newsboat is not installed: run `sudo bash scripts/ci/newsboat.sh` first")
    farm = make_farm(args.feeds)
    compile_bytecode()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "NO_COLOR": "1"}
    rounds: list[dict[str, tuple[float, float]]] = []
    with FarmServer(farm, latency=args.latency) as server:
        for n in range(args.runs):
            runs = {}
            for name, patch in VARIANTS.items():
                with tempfile.TemporaryDirectory(prefix="fetch-ceiling-") as tmp:
                    root = make_newsroom(Path(tmp), server)
                    command = [sys.executable, "-c", patch + FETCH_ENTRY, "--newsroom", str(root), "fetch", "--json"]
                    run = measure(command, server, env)
                    if run.counters["ok"] != args.feeds:
                        raise SystemExit(f"{name}: {run.counters['ok']} of {args.feeds} feeds answered 200")
                    runs[name] = (run.seconds, run.cpu)
            with tempfile.TemporaryDirectory(prefix="fetch-ceiling-") as tmp:
                run = measure(newsboat_command(Path(tmp), server), server, env)
                runs["newsboat"] = (run.seconds, run.cpu)
            rounds.append(runs)
            print(f"run {n + 1}/{args.runs}: " + ", ".join(f"{k} {s:.2f} s" for k, (s, _) in runs.items()))
    lines = report(rounds, args, farm)
    show_results("Fetch", lines, record=not args.no_record)
    return 0


def report(rounds: list[dict[str, tuple[float, float]]], args: argparse.Namespace, farm: list) -> list[str]:
    lines = [
        f"Command: `.venv/bin/python bench/fetch_ceiling.py --feeds {args.feeds} --latency {args.latency:g} "
        f"--runs {args.runs}` (revision {git_revision()}): cold fetches only, the variants and newsboat in turn.",
        f"Farm: {describe(farm).splitlines()[0]}; {args.latency * 1000:g} ms latency per request; "
        f"concurrency {CONCURRENCY} for both.",
        "",
        "| cold fetch | wall time | CPU time, all processes | / newsboat's wall time in the same round |",
        "|---|---|---|---|",
    ]
    for name in [*VARIANTS, "newsboat"]:
        walls = [r[name][0] for r in rounds]
        cpus = [r[name][1] for r in rounds]
        ratios = [r[name][0] / r["newsboat"][0] for r in rounds]
        ratio = summary(ratios, "", 2) if name != "newsboat" else ""
        lines.append(f"| {name} | {summary(walls, ' s', 2)} | {statistics.median(cpus):.2f} s | {ratio} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
