"""A cold `newsdesk fetch` from two or more source trees, interleaved on one feed farm.

    .venv/bin/python bench/ab_fetch.py /tmp/before/src src          # 7 rounds
    .venv/bin/python bench/ab_fetch.py --runs 11 /tmp/before/src src

Each tree is a `src/` folder (make one of another revision with
`git worktree add /tmp/before REV`); it is put first on PYTHONPATH for its runs. Rounds
run the trees in turn, so a machine that drifts during the comparison drifts for all of
them alike: the way to tell a change of a few percent from noise, which separate
`bench_fetch.py` runs cannot. Prints medians of wall time, CPU time (the whole process
tree) and peak memory; records nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_fetch import make_newsroom, measure  # noqa: E402
from common import compile_bytecode  # noqa: E402
from farm import FarmServer, make_farm  # noqa: E402

# The script's own entry point, with the tree's package on the path before this one's.
FETCH_ENTRY = "import sys; from newsdesk.cli import main; sys.argv[0] = 'newsdesk'; sys.exit(main())"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path, help="src/ folders to compare")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args(argv)
    for tree in args.trees:
        if not (tree / "newsdesk" / "__init__.py").is_file():
            parser.error(f"{tree}: not a src/ folder with the newsdesk package")
    runs: dict[Path, list] = {tree: [] for tree in args.trees}
    for tree in args.trees:
        compile_bytecode(tree / "newsdesk")
    with FarmServer(make_farm(args.feeds), latency=args.latency) as server:
        for _ in range(args.runs):
            for tree in args.trees:
                with tempfile.TemporaryDirectory(prefix="ab-fetch-") as tmp:
                    root = make_newsroom(Path(tmp), server)
                    env = dict(os.environ, PYTHONPATH=str(tree.resolve()))
                    command = [sys.executable, "-c", FETCH_ENTRY, "--newsroom", str(root), "fetch", "--json"]
                    runs[tree].append(measure(command, server, env))
    print(f"{args.feeds} feeds, {args.latency * 1000:g} ms latency, medians of {args.runs} interleaved runs")
    for tree, results in runs.items():
        wall = [r.seconds for r in results]
        print(
            f"{tree}: wall {statistics.median(wall):.3f} s ({min(wall):.2f}–{max(wall):.2f}), "
            f"CPU {statistics.median(r.cpu for r in results):.3f} s, "
            f"peak {statistics.median(r.peak_mb for r in results):.0f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
