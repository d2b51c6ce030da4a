"""The desk with 10,000 candidates: time to first paint with the list, filter latency, memory.

    .venv/bin/python bench/bench_desk.py [--items 10000] [--runs 5]

Launch is measured end to end: `newsdesk edit` is started in a pseudo-terminal (120x40)
and the clock stops when the list's count line has been painted. Memory is the desk
process's peak RSS (VmHWM) at that moment. Filter latency is the work each keystroke
does on the event loop (filter + list update), measured in-process over typed queries.
Targets (issue 3): first paint under 1.5 s, filter under 50 ms per keystroke, memory under 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import random
import re
import select
import shutil
import struct
import sys
import tempfile
import termios
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, append_results, summary, versions  # noqa: E402

from newsdesk.items import Item, item_id  # noqa: E402
from newsdesk.newsroom import Newsroom  # noqa: E402

WORDS = (
    "credit regulation blacklist court province enforcement integrity officials market "
    "supervision joint punishment red list taxpayers platform finance railway tickets"
).split()
HANZI = "社会信用体系建设失信被执行人联合惩戒守信激励地方条例法院公布名单企业个人政务诚信"


def make_newsroom(root: Path, count: int) -> Path:
    root.mkdir(parents=True)
    for part in ("sources.toml", "templates", "issues", "samples"):
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
    room = Newsroom.open(root)
    rng = random.Random(7)
    start = datetime(2017, 7, 3, tzinfo=UTC) - timedelta(hours=8)
    sources = [s.name for s in room.config.sources]
    items = []
    for n in range(count):
        if n % 3 == 0:
            title = "".join(rng.choice(HANZI) for _ in range(rng.randint(12, 28)))
        else:
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize()
        summary_text = " ".join(rng.choice(WORDS) for _ in range(40))
        source = sources[n % len(sources)]
        items.append(
            Item(
                id=item_id(source, f"bench-{n}"),
                source=source,
                guid=f"bench-{n}",
                title=title,
                url=f"https://bench.example/{n}",
                canonical_url=f"https://bench.example/{n}",
                summary_text=summary_text,
                published=start + timedelta(seconds=rng.randint(0, 7 * 86400 - 1)),
                first_seen=start,
                content_hash=str(n),
            )
        )
    with room.store() as store:
        store.save_items(items)
    return root


def launch_once(root: Path, count: int) -> tuple[float, float]:
    """Seconds from exec to the painted list, and the desk's peak RSS in MB."""
    # The list's count line: "N of N candidates" (N items at first paint, later N stories).
    marker = re.compile(rb"(\d+) of \1 candidates")
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [sys.executable, "-m", "newsdesk", "-N", str(root), "edit", "2017-07-10"])
    started = time.perf_counter()
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    elapsed = None
    deadline = started + 30
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
            if marker.search(seen):
                elapsed = time.perf_counter() - started
                break
    rss = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) / 1024
    except OSError:
        pass
    os.write(fd, b"q")
    time.sleep(0.5)
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    os.close(fd)
    if elapsed is None:
        raise RuntimeError("the desk never painted its list")
    return elapsed, rss


async def filter_latencies(root: Path) -> list[float]:
    from newsdesk.tui.app import DeskApp

    app = DeskApp(Newsroom.open(root), root / "issues" / "2017-07-10.md", blink=False)
    timings: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        field = app.query_one("#filter")
        for query in ("credit court", "信用", "joint punishment red", "railway tickets"):
            field.value = ""
            await pilot.pause()
            for n in range(1, len(query) + 1):
                field.value = query[:n]
                began = time.perf_counter()
                app.apply_filter()
                timings.append((time.perf_counter() - began) * 1000)
                await pilot.pause()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true", help="Do not append to docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = make_newsroom(Path(temp) / "room", args.items)
        launches, memory = [], []
        for _ in range(args.runs):
            seconds, rss = launch_once(root, args.items)
            launches.append(seconds)
            memory.append(rss)
        latencies = asyncio.run(filter_latencies(root))
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    rows = [
        ("first paint with the list", summary(launches, " s", 2), "< 1.5 s"),
        (
            "filter, per keystroke (median, p95, max)",
            f"{summary(latencies, ' ms', 1).split(' (')[0]}, {p95:.1f} ms, {max(latencies):.1f} ms",
            "< 50 ms",
        ),
        ("peak memory (VmHWM)", summary(memory, " MB", 0), "< 250 MB"),
    ]
    print(f"desk with {args.items} candidates, {args.runs} launches, {len(latencies)} keystrokes")
    for name, value, target in rows:
        print(f"  {name:<42} {value:<28} target {target}")
    if not args.no_record:
        append_results(
            "Desk",
            [
                f"Command: `.venv/bin/python bench/bench_desk.py --items {args.items} --runs {args.runs}` ({args.items} candidates)",
                f"Versions: {versions('textual', 'rich')}",
                "",
                "| measure | median (min–max) | target |",
                "|---|---|---|",
                *[f"| {n} | {v} | {t} |" for n, v, t in rows],
            ],
        )


if __name__ == "__main__":
    main()
