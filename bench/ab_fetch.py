"""`newsdesk fetch` from two or more source trees, interleaved on one feed farm.

    .venv/bin/python bench/ab_fetch.py /tmp/before/src src          # 7 rounds, cold only
    .venv/bin/python bench/ab_fetch.py --runs 11 /tmp/before/src src
    .venv/bin/python bench/ab_fetch.py --warm --newsboat --memory --record before=/tmp/before/src after=src

Each tree is a `src/` folder (make one of another revision with
`git worktree add /tmp/before REV`), optionally named as NAME=PATH; it is put first on
PYTHONPATH for its runs. Rounds run the trees in turn, so a machine that drifts during the
comparison drifts for all of them alike: the way to tell a change of a few percent from
noise, which separate `bench_fetch.py` runs cannot. Each round times a cold fetch of each
tree (a new newsroom); with --warm, that newsroom's second fetch too (every feed answered
304, none parsed); with --newsboat, newsboat's cold reload and its third (its steady warm
state, as bench_fetch.py times them), and each tree's times over newsboat's in the same
round; with --memory, a cold run of each (newsboat's too) sampled for the summed PSS of
its processes, as bench_fetch.py samples it. Prints medians (min–max) of wall time, CPU
time (the whole process tree) and peak memory; --record appends them to docs/benchmarks.md
under "## Fetch".
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_fetch import CONCURRENCY, Run, make_newsroom, measure, newsboat_command  # noqa: E402
from common import compile_bytecode, show_results, summary  # noqa: E402
from farm import FarmServer, describe, make_farm  # noqa: E402

# The script's own entry point, with the tree's package on the path before this one's.
FETCH_ENTRY = "import sys; from newsdesk.cli import main; sys.argv[0] = 'newsdesk'; sys.exit(main())"


def tree_argument(text: str) -> tuple[str, Path]:
    name, _, path = text.rpartition("=")
    return (name or path), Path(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=tree_argument, help="src/ folders to compare, as PATH or NAME=PATH")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--warm", action="store_true", help="also time each newsroom's second fetch")
    parser.add_argument("--newsboat", action="store_true", help="also time newsboat, and give each tree's ratio to it")
    parser.add_argument("--memory", action="store_true", help="also sample the peak memory of a cold run of each")
    parser.add_argument("--record", action="store_true", help="append the results to docs/benchmarks.md")
    args = parser.parse_args(argv)
    for _, tree in args.trees:
        if not (tree / "newsdesk" / "__init__.py").is_file():
            parser.error(f"{tree}: not a src/ folder with the newsdesk package")
    if args.newsboat and not shutil.which("newsboat"):
        parser.error("newsboat is not installed: run `sudo bash scripts/ci/newsboat.sh` first")
    names = [name for name, _ in args.trees]
    rounds: list[dict[str, Run]] = []
    for _, tree in args.trees:
        compile_bytecode(tree / "newsdesk")
    farm = make_farm(args.feeds)
    with FarmServer(farm, latency=args.latency) as server:
        for n in range(args.runs):
            runs: dict[str, Run] = {}
            for name, tree in args.trees:
                with tempfile.TemporaryDirectory(prefix="ab-fetch-") as tmp:
                    env = dict(os.environ, PYTHONPATH=str(tree.resolve()), HOME=tmp, NO_COLOR="1")
                    root = make_newsroom(Path(tmp), server)
                    command = [sys.executable, "-c", FETCH_ENTRY, "--newsroom", str(root), "fetch", "--json"]
                    runs[f"{name} cold"] = check(measure(command, server, env), ok=args.feeds)
                    if args.warm:
                        runs[f"{name} warm"] = check(measure(command, server, env), not_modified=args.feeds)
                    if args.memory:
                        (Path(tmp) / "memory").mkdir()
                        fresh = make_newsroom(Path(tmp) / "memory", server)
                        command = [sys.executable, "-c", FETCH_ENTRY, "--newsroom", str(fresh), "fetch", "--json"]
                        runs[f"{name} memory"] = check(measure(command, server, env, memory=True), ok=args.feeds)
            if args.newsboat:
                with tempfile.TemporaryDirectory(prefix="ab-fetch-") as tmp:
                    env = dict(os.environ, HOME=tmp)
                    command = newsboat_command(Path(tmp), server)
                    runs["newsboat cold"] = check(measure(command, server, env), ok=args.feeds)
                    measure(command, server, env)  # its second reload sends no validators
                    runs["newsboat warm"] = check(measure(command, server, env), not_modified=args.feeds)
                    if args.memory:
                        (Path(tmp) / "memory").mkdir()
                        command = newsboat_command(Path(tmp) / "memory", server)
                        runs["newsboat memory"] = check(measure(command, server, env, memory=True), ok=args.feeds)
            rounds.append(runs)
            print(f"run {n + 1}/{args.runs}: " + ", ".join(f"{k} {r.seconds:.2f} s" for k, r in runs.items()))
    show_results("Fetch", report(rounds, names, args, farm), record=args.record)
    return 0


def check(run: Run, *, ok: int = 0, not_modified: int = 0) -> Run:
    """The run did what it claims: every feed answered 200 (cold) or 304 (warm)."""
    if ok and run.counters["ok"] != ok:
        raise SystemExit(f"{ok} feeds expected to be answered 200, {run.counters['ok']} were: {run.counters}")
    if not_modified and (run.counters["not_modified"] != not_modified or run.counters["ok"]):
        raise SystemExit(f"{not_modified} feeds expected to be answered 304: {run.counters}")
    return run


def report(rounds: list[dict[str, Run]], names: list[str], args: argparse.Namespace, farm: list) -> list[str]:
    def values(key: str, attr: str = "seconds") -> list[float]:
        return [getattr(r[key], attr) for r in rounds]

    def ratio(key: str, other: str, attr: str = "seconds") -> str:
        return summary([getattr(r[key], attr) / getattr(r[other], attr) for r in rounds], "", 2)

    flags = " ".join(
        flag for flag, on in (("--warm", args.warm), ("--newsboat", args.newsboat), ("--memory", args.memory)) if on
    )
    trees = " ".join(f"{name}={path}" for name, path in args.trees)
    command = (
        f"Command: `.venv/bin/python bench/ab_fetch.py --runs {args.runs} --feeds {args.feeds} "
        f"--latency {args.latency:g} {flags} {trees}`"
    ).replace("  ", " ")
    lines = [
        command,
        f"Farm: {describe(farm).splitlines()[0]}; {args.latency * 1000:g} ms latency per request; "
        f"concurrency {CONCURRENCY}; {args.runs} rounds, the trees"
        f"{' and newsboat' if args.newsboat else ''} in turn in each; medians (min–max).",
    ]
    if args.newsboat:
        boat = subprocess.run(["newsboat", "--version"], capture_output=True, text=True, check=False).stdout.split(
            "\n"
        )[0]
        lines.append(f"newsboat: {boat.split(' - ')[0]}, reload-threads {CONCURRENCY}; warm is its third reload.")
    lines += [
        "",
        "| measure | " + " | ".join(names + (["newsboat"] if args.newsboat else [])) + " |",
        "|---|" + "---|" * (len(names) + bool(args.newsboat)),
    ]
    measures = [
        ("cold: wall time", "cold", "seconds", " s", 2),
        ("cold: CPU time, all processes", "cold", "cpu", " s", 2),
    ]
    if args.warm:
        measures += [
            ("warm: wall time", "warm", "seconds", " s", 2),
            ("warm: CPU time, all processes", "warm", "cpu", " s", 2),
        ]
    if args.memory:
        measures.append(("cold: peak memory, all processes (PSS summed)", "memory", "tree_mb", " MB", 0))
    for title, kind, attr, unit, digits in measures:
        cells = [summary(values(f"{name} {kind}", attr), unit, digits) for name in names]
        if args.newsboat:
            boat_key = f"newsboat {kind}"
            cells.append(summary(values(boat_key, attr), unit, digits) if rounds and boat_key in rounds[0] else "")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
        if args.newsboat and attr != "cpu" and f"newsboat {kind}" in rounds[0]:
            ratios = [ratio(f"{name} {kind}", f"newsboat {kind}", attr) for name in names]
            lines.append(f"| {title.split(':')[0]}: / newsboat's, same round | " + " | ".join(ratios) + " | |")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
