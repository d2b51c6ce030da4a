"""Benchmark `newsdesk fetch` against newsboat on the same feed farm, in the same run.

    .venv/bin/python bench/bench_fetch.py                     # 200 feeds, 50 ms latency, 5 runs
    .venv/bin/python bench/bench_fetch.py --runs 1 --no-record
    .venv/bin/python bench/bench_fetch.py --profile cold      # one newsdesk run under pyinstrument

newsboat comes from Debian (`sudo bash scripts/ci/newsboat.sh`). Each run starts from
nothing: a fresh newsroom for newsdesk (sources.toml lists the farm, concurrency 20) and
a fresh cache for newsboat (`newsboat -u URLS -c CACHE -C CONFIG -x reload`, with
`reload-threads 20`). Then, nothing having changed on the server:

- cold: the first fetch, every feed downloaded and parsed;
- warm: newsdesk's second fetch, which must be answered 304 for every feed with no
  feed parsed; newsboat's third reload (its second sends no validators, so its steady
  state is the third).

Wall time is from starting the process to its exit, so start-up counts for both. Peak
memory is the peak of the proportional set sizes (PSS) of the command's processes
summed, sampled every 10 ms in a cold run of its own (sampling slows the processes it
reads): newsdesk's fetch, its fork server and parse workers and multiprocessing's
resource tracker count together, each shared page once. The largest
single process's ru_maxrss (from wait4) is shown beside it. Both are taken through a
small launcher process so that this process's own size does not leak into them. The
server is tests-free asyncio on 127.0.0.1 in this process; it counts requests, 304s
and the most connections open at once. Results go to docs/benchmarks.md under
"## Fetch" (--no-record to skip that).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import compile_bytecode, git_revision, show_results, summary, versions  # noqa: E402
from farm import FarmServer, describe, make_farm  # noqa: E402

CONCURRENCY = 20


@dataclass
class Run:
    seconds: float
    peak_mb: float  # ru_maxrss of the process (wait4)
    tree_mb: float  # sampled peak of the summed PSS of the process and every descendant
    counters: dict[str, int]
    cpu: float = 0.0  # user + system seconds of the process and the children it reaped
    output: str = ""
    statuses: dict[str, int] = field(default_factory=dict)


def _tree_pss_kb(pid: int) -> int:
    """Memory of the descendants of ``pid`` (not ``pid`` itself, the launcher), from /proc:
    the sum of their proportional set sizes, which counts a page that forked processes
    share once (RSS would count it in each). Children are looked up under every thread,
    since a thread, not the main one, may start a process (newsdesk's fork server)."""
    total, stack, first = 0, [pid], True
    while stack:
        current = stack.pop()
        try:
            if not first:
                for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            first = False
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


# Linux records the old address space's peak in a process's ru_maxrss when it execs, so a
# child started straight from this process (which holds the farm, ~80 MB) would never be
# measured below this process's own peak. A small launcher in between starts the command,
# times it and reports its rusage. It is a subreaper: processes the command leaves behind
# (newsdesk's fork server and the workers forked from it are not its own children to
# reap) come back to the launcher, which waits for them all, so their CPU time and peak
# memory are counted too.
_LAUNCHER = """
import ctypes, os, subprocess, sys, time
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - started
maxrss, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
while True:
    try:
        _, _, usage = os.wait4(-1, 0)
    except ChildProcessError:
        break
    maxrss, cpu = max(maxrss, usage.ru_maxrss), cpu + usage.ru_utime + usage.ru_stime
with open(sys.argv[1], "w") as out:
    out.write(f"{seconds} {maxrss} {cpu}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(command: list[str], server: FarmServer, env: dict[str, str] | None = None, *, memory: bool = False) -> Run:
    """Run ``command`` once against a freshly counted server; with ``memory``, sample the
    summed PSS of its processes. Reading smaps every 10 ms costs the measured processes
    time (about 0.2 s of a cold fetch here), so timed runs do not sample."""
    server.reset_counters()
    peak = [0]
    with tempfile.NamedTemporaryFile("r", suffix=".rusage") as figures:
        launcher = [sys.executable, "-c", _LAUNCHER, figures.name, *command]
        process = subprocess.Popen(launcher, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        done = threading.Event()

        def sample() -> None:
            while memory and not done.is_set():
                peak[0] = max(peak[0], _tree_pss_kb(process.pid))
                done.wait(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        output = process.stdout.read().decode("utf-8", "replace")
        code = process.wait()
        done.set()
        sampler.join()
        if code != 0:
            raise SystemExit(f"{' '.join(command[:3])}... exited {code}:\n{output[-2000:]}")
        seconds, maxrss_kb, cpu = (float(x) for x in Path(figures.name).read_text().split())
    return Run(seconds, maxrss_kb / 1024, peak[0] / 1024, server.counters.snapshot(), cpu, output)


def make_newsroom(folder: Path, server: FarmServer) -> Path:
    root = folder / "newsroom"
    root.mkdir()
    lines = [
        '[newsroom]\nname = "Farm Weekly"\nblog_url = "https://farm.example"\n',
        f"[fetch]\nconcurrency = {CONCURRENCY}\n",
    ]
    for n, url in enumerate(server.urls()):
        lines.append(f'[[sources]]\nname = "farm {n:03d}"\nurl = "{url}"\n')
    (root / "sources.toml").write_text("\n".join(lines), encoding="utf-8")
    return root


def newsdesk_command(root: Path, profile: Path | None = None) -> list[str]:
    if profile:
        return [
            sys.executable,
            "-m",
            "pyinstrument",
            "-o",
            str(profile),
            "-r",
            "text",
            "--no-color",
            "-m",
            "newsdesk",
            "--newsroom",
            str(root),
            "fetch",
            "--json",
        ]
    # The `newsdesk` script, as editors run it, where it is installed beside this Python.
    script = Path(sys.executable).with_name("newsdesk")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "newsdesk"]
    return [*command, "--newsroom", str(root), "fetch", "--json"]


def newsboat_command(folder: Path, server: FarmServer) -> list[str]:
    (folder / "urls").write_text("\n".join(server.urls()) + "\n", encoding="utf-8")
    (folder / "config").write_text(f"reload-threads {CONCURRENCY}\n", encoding="utf-8")
    return [
        "newsboat",
        "-u",
        str(folder / "urls"),
        "-c",
        str(folder / "cache.db"),
        "-C",
        str(folder / "config"),
        "-x",
        "reload",
    ]


def statuses(run: Run) -> dict[str, int]:
    report = json.loads(run.output[run.output.index("{") :])
    counts: dict[str, int] = {}
    for source in report["sources"]:
        counts[source["status"]] = counts.get(source["status"], 0) + 1
    return counts


def one_round(server: FarmServer, feeds: int) -> dict[str, Run]:
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="bench-fetch-") as tmp:
        folder = Path(tmp)
        root = make_newsroom(folder, server)
        env = {**os.environ, "HOME": str(folder), "NO_COLOR": "1"}
        runs["newsdesk cold"] = measure(newsdesk_command(root), server, env)
        runs["newsdesk warm"] = measure(newsdesk_command(root), server, env)
        requests = folder / "requests.json"
        requests.write_text(json.dumps([[server.url(f), f.etag] for f in server.feeds]), encoding="utf-8")
        floor = [
            sys.executable,
            str(Path(__file__).resolve().parent / "floor_client.py"),
            str(requests),
            str(CONCURRENCY),
        ]
        runs["floor warm"] = measure(floor, server, env)
        boat = folder / "newsboat"
        boat.mkdir()
        command = newsboat_command(boat, server)
        runs["newsboat cold"] = measure(command, server, env)
        runs["newsboat 2nd"] = measure(command, server, env)
        runs["newsboat warm"] = measure(command, server, env)
        # Memory, in cold runs of their own (sampling slows what it samples): a new newsroom,
        # a new cache.
        (folder / "memory").mkdir()
        runs["newsdesk cold memory"] = measure(
            newsdesk_command(make_newsroom(folder / "memory", server)), server, env, memory=True
        )
        (folder / "memory" / "newsboat").mkdir()
        runs["newsboat cold memory"] = measure(
            newsboat_command(folder / "memory" / "newsboat", server), server, env, memory=True
        )
    for name in ("newsdesk cold", "newsdesk warm"):
        runs[name].statuses = statuses(runs[name])
    check(runs, feeds)
    return runs


def check(runs: dict[str, Run], feeds: int) -> None:
    """The runs did what they claim: every feed fetched cold, every feed 304 warm."""
    cold, warm = runs["newsdesk cold"], runs["newsdesk warm"]
    assert cold.counters["ok"] == feeds and cold.statuses.get("new") == feeds, (cold.counters, cold.statuses)
    assert warm.counters["not_modified"] == feeds and warm.counters["ok"] == 0, warm.counters
    assert warm.statuses == {"unchanged": feeds}, warm.statuses
    assert runs["newsboat cold"].counters["ok"] == feeds, runs["newsboat cold"].counters
    assert runs["newsboat warm"].counters["not_modified"] == feeds, runs["newsboat warm"].counters
    assert runs["floor warm"].counters["not_modified"] == feeds, runs["floor warm"].counters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--profile", choices=["cold", "warm"], help="profile one newsdesk fetch with pyinstrument")
    args = parser.parse_args(argv)
    if not shutil.which("newsboat"):
        raise SystemExit("newsboat is not installed: run `sudo bash scripts/ci/newsboat.sh` first")
    farm = make_farm(args.feeds, args.seed)
    print(describe(farm))
    compile_bytecode()
    with FarmServer(farm, latency=args.latency) as server:
        if args.profile:
            with tempfile.TemporaryDirectory(prefix="bench-fetch-") as tmp:
                root = make_newsroom(Path(tmp), server)
                out = Path(tmp) / "profile.txt"
                if args.profile == "warm":
                    measure(newsdesk_command(root), server)
                measure(newsdesk_command(root, out), server)
                print(out.read_text())
            return 0
        rounds = []
        for n in range(args.runs):
            runs = one_round(server, args.feeds)
            rounds.append(runs)
            print(
                f"run {n + 1}/{args.runs}: "
                + ", ".join(f"{k} {r.seconds:.2f} s (CPU {r.cpu:.2f} s)" for k, r in runs.items())
            )
    lines = report(rounds, args, farm)
    show_results("Fetch", lines, record=not args.no_record)
    return 0


def report(rounds: list[dict[str, Run]], args: argparse.Namespace, farm: list) -> list[str]:
    def values(name: str, attr: str) -> list[float]:
        return [getattr(r[name], attr) for r in rounds]

    def ratio(a: str, b: str, attr: str = "seconds") -> list[float]:
        return [getattr(r[a], attr) / getattr(r[b], attr) for r in rounds]

    last = rounds[-1]
    boat_version = subprocess.run(["newsboat", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    lines = [
        f"Command: `.venv/bin/python bench/bench_fetch.py --feeds {args.feeds} --latency {args.latency:g} --runs {args.runs}`"
        f" (revision {git_revision()})",
        f"Versions: {versions('httpx', 'httpcore', 'feedparser', 'feedparser-rs', 'nh3')}; {boat_version.split(' - ')[0]}",
        f"Farm: {describe(farm).splitlines()[0]}; {args.latency * 1000:g} ms latency per request; "
        f"concurrency {CONCURRENCY} for both (newsboat reload-threads {CONCURRENCY}).",
        "",
        "| measure | newsdesk | newsboat | newsdesk / newsboat | target |",
        "|---|---|---|---|---|",
        f"| cold: wall time | {summary(values('newsdesk cold', 'seconds'), ' s', 2)} | "
        f"{summary(values('newsboat cold', 'seconds'), ' s', 2)} | {summary(ratio('newsdesk cold', 'newsboat cold'), '', 2)} | ≤ 0.5 |",
        f"| cold: peak memory, all processes (PSS summed, sampled every 10 ms in cold runs of their own) | "
        f"{summary(values('newsdesk cold memory', 'tree_mb'), ' MB', 0)} | {summary(values('newsboat cold memory', 'tree_mb'), ' MB', 0)} | "
        f"{summary(ratio('newsdesk cold memory', 'newsboat cold memory', 'tree_mb'), '', 2)} | ≤ 1 |",
        f"| cold: peak memory, largest process (ru_maxrss) | {summary(values('newsdesk cold', 'peak_mb'), ' MB', 0)} | "
        f"{summary(values('newsboat cold', 'peak_mb'), ' MB', 0)} | {summary(ratio('newsdesk cold', 'newsboat cold', 'peak_mb'), '', 2)} | |",
        f"| cold: CPU time (user + system, all processes) | {summary(values('newsdesk cold', 'cpu'), ' s', 2)} | "
        f"{summary(values('newsboat cold', 'cpu'), ' s', 2)} | {summary(ratio('newsdesk cold', 'newsboat cold', 'cpu'), '', 2)} | |",
        f"| warm: wall time (newsboat: 3rd reload) | {summary(values('newsdesk warm', 'seconds'), ' s', 2)} | "
        f"{summary(values('newsboat warm', 'seconds'), ' s', 2)} | {summary(ratio('newsdesk warm', 'newsboat warm'), '', 2)} | ≤ 0.5 |",
        f"| warm: peak memory (ru_maxrss) | {summary(values('newsdesk warm', 'peak_mb'), ' MB', 0)} | "
        f"{summary(values('newsboat warm', 'peak_mb'), ' MB', 0)} | | |",
        f"| newsboat 2nd reload (no validators sent) | | {summary(values('newsboat 2nd', 'seconds'), ' s', 2)} | | |",
        f"| warm floor: bare asyncio + h11 client, the same 200 conditional GETs (bench/floor_client.py) | "
        f"{summary(values('floor warm', 'seconds'), ' s', 2)} | | {summary(ratio('floor warm', 'newsboat warm'), '', 2)} | |",
        "",
        "Every run checked: cold, every feed answered 200 and stored as new; warm, every feed answered "
        f"304 on newsdesk's first re-run (server: {last['newsdesk warm'].counters['not_modified']} × 304, "
        f"{last['newsdesk warm'].counters['ok']} × 200, so no feed parsed; report: "
        f"{last['newsdesk warm'].statuses}). Most connections open at once: newsdesk "
        f"{last['newsdesk cold'].counters['max_connections']}, newsboat {last['newsboat cold'].counters['max_connections']}; "
        f"bytes sent cold (gzip): newsdesk {last['newsdesk cold'].counters['bytes_sent'] / 1e6:.1f} MB, "
        f"newsboat {last['newsboat cold'].counters['bytes_sent'] / 1e6:.1f} MB.",
    ]
    return lines


if __name__ == "__main__":
    sys.exit(main())
