"""Benchmark `newsdesk send`: messages per second to a local aiosmtpd over one connection,
and peak memory at two list sizes (it should not grow with the number of recipients).

    .venv/bin/python bench/bench_send.py                  # 2,000 and 10,000 recipients, 5 runs each
    .venv/bin/python bench/bench_send.py --sizes 500 --runs 2 --no-record

Each run is a fresh newsroom and a fresh server process (tests/smtp_server.py, which counts
messages without keeping them), and the send itself runs in its own process, so its peak
resident memory is its own. The clock covers the send (ledger, rendering each copy, SMTP),
not Python's start-up. Results are printed as a table and appended to docs/benchmarks.md
under "## Send" (--no-record to skip that).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from mail_newsroom import ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers  # noqa: E402

SAMPLE_PARTS = ("sources.toml", "samples", "templates", "issues")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_newsroom(folder: Path, recipients: int, port: int) -> Path:
    root = folder / "newsroom"
    root.mkdir()
    for part in SAMPLE_PARTS:
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
    write_ready_issue(root, lambda path: f"https://stories.example{path}")
    write_subscribers(root, subscriber_rows(recipients))
    configure_smtp(root, port, rate=0, retries=3, backoff=0.1, timeout=30)
    return root


def worker(root: Path) -> None:
    """One send, in this process; prints its figures as JSON."""
    from newsdesk.issue import load_issue
    from newsdesk.mail.ledger import Ledger
    from newsdesk.mail.send import Policy, SendJob
    from newsdesk.mail.smtp import SmtpTransport, smtp_target
    from newsdesk.mail.subscribers import load_subscribers
    from newsdesk.newsroom import Newsroom

    room = Newsroom.open(root)
    issue = load_issue(room.issue_path(datetime.fromisoformat(ISSUE).date()))
    listing = load_subscribers(root / "subscribers.csv")
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with room.exclusive("send"), room.store() as store:
        job = SendJob(room, issue, listing, Policy.from_settings(room.config.smtp))
        started = time.perf_counter()
        report = job.run(Ledger(store, issue.name), SmtpTransport(smtp_target(room.config.smtp)))
        seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "sent": report.sent,
                "failed": len(report.failed),
                "seconds": seconds,
                "connections": report.connections,
                "rss_before_kb": before_kb,
                "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


def one_run(recipients: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp:
        port = free_port()
        root = make_newsroom(Path(tmp), recipients, port)
        server = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "smtp_server.py"), "--port", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            done = subprocess.run(
                [sys.executable, __file__, "--worker", str(root)],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            counts, _ = server.communicate("", timeout=60)
        figures = json.loads(done.stdout)
        received = json.loads(counts.strip().splitlines()[-1])
        with sqlite3.connect(root / ".newsdesk" / "store.sqlite3") as db:
            sent_rows = db.execute("SELECT count(*) FROM send_ledger WHERE state = 'sent'").fetchone()[0]
    if not (figures["sent"] == received["distinct"] == received["delivered"] == sent_rows == recipients):
        raise SystemExit(f"bench: not every message arrived exactly once: {figures} {received}")
    figures["server_connections"] = received["connections"]
    return figures


def machine() -> str:
    cpus = os.cpu_count()
    model = platform.processor() or platform.machine()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name"))
        cpus = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, StopIteration, ValueError):
        pass
    return f"{model}, {cpus} CPUs (nproc), {platform.system()} {platform.release()}"


def versions() -> str:
    from importlib.metadata import version

    return (
        f"Python {platform.python_version()}, newsdesk {version('newsdesk')}, aiosmtpd {version('aiosmtpd')}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true", help="Do not append to docs/benchmarks.md.")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return

    rows = []
    for size in args.sizes:
        results = []
        for number in range(1, args.runs + 1):
            figures = one_run(size)
            rate = figures["sent"] / figures["seconds"]
            print(
                f"  {size:>6} recipients, run {number}: {rate:6.0f} msg/s, "
                f"peak RSS {figures['peak_rss_kb'] / 1024:.1f} MB",
                file=sys.stderr,
            )
            results.append(figures)
        rates = [r["sent"] / r["seconds"] for r in results]
        peaks = [r["peak_rss_kb"] / 1024 for r in results]
        growth = [(r["peak_rss_kb"] - r["rss_before_kb"]) / 1024 for r in results]
        rows.append(
            {
                "size": size,
                "runs": len(results),
                "rate": statistics.median(rates),
                "rate_range": (min(rates), max(rates)),
                "seconds": statistics.median(r["seconds"] for r in results),
                "peak": statistics.median(peaks),
                "peak_range": (min(peaks), max(peaks)),
                "growth": statistics.median(growth),
                "connections": max(r["server_connections"] for r in results),
            }
        )

    header = (
        "| recipients | runs | messages/s (median, min–max) | send time (median) "
        "| peak RSS (median, min–max) | RSS growth during the send | SMTP connections |"
    )
    lines = [header, "|---:|---:|---|---:|---|---:|---:|"]
    for row in rows:
        lines.append(
            f"| {row['size']:,} | {row['runs']} | {row['rate']:.0f} ({row['rate_range'][0]:.0f}–{row['rate_range'][1]:.0f}) "
            f"| {row['seconds']:.1f} s | {row['peak']:.1f} MB ({row['peak_range'][0]:.1f}–{row['peak_range'][1]:.1f}) "
            f"| {row['growth']:.1f} MB | {row['connections']} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.no_record:
        return
    record(table, rows)


def record(table: str, rows: list[dict]) -> None:
    path = REPO / "docs" / "benchmarks.md"
    path.parent.mkdir(exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    entry = (
        f"\n### {when}\n\n"
        f"`.venv/bin/python bench/bench_send.py` — {machine()}; {versions()}.\n"
        "One SMTP connection to a local aiosmtpd (a separate process, counting messages), no rate limit; "
        "every message built per recipient (plaintext + MJML HTML, ~22 KB) and recorded in the ledger "
        "(two commits each). Memory is the sending process's peak resident set.\n\n"
        f"{table}\n"
    )
    if "\n## Send\n" not in f"\n{text}":
        text = text.rstrip("\n") + "\n\n## Send\n"
        text += (
            "\nTarget: at least 300 messages per second to a local server over one connection, "
            "and memory flat in the number of recipients.\n"
        )
        text += entry
    else:
        # Append at the end of the Send section, leaving other sections as they are.
        start = text.index("## Send\n")
        following = text.find("\n## ", start + 1)
        end = len(text) if following == -1 else following
        text = text[:end].rstrip("\n") + "\n" + entry + text[end:]
    path.write_text(text, encoding="utf-8")
    print(f"appended to {path.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
