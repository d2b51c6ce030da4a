"""Benchmark `newsdesk send` against the floor: messages per second to a local aiosmtpd over
1 and 4 connections, and peak memory at two list sizes.

    .venv/bin/python bench/bench_send.py                       # 5,000 recipients, 1 and 4 connections, 3 runs
    .venv/bin/python bench/bench_send.py --memory 5000 50000   # and peak memory at both sizes
    .venv/bin/python bench/bench_send.py --runs 1 --no-record

The floor is a bare client (smtplib, one thread per connection) sending the same messages,
built beforehand by newsdesk's MessageFactory, over the same number of connections to the
same server: what the server and the machine allow with nothing of newsdesk's work (no
rendering, no ledger). newsdesk's rate is given as a share of it.

Each run is a fresh newsroom and a fresh server process (tests/support/smtp_server.py,
which counts messages without keeping them), and each sender runs in its own process, so
its peak resident memory is its own. The clock covers the sending (for newsdesk: the
ledger, the list read before each message, rendering each copy, SMTP), not the loading of
the subscribers file into the list, not Python's start-up nor the floor's building of the
messages. Every run checks that each recipient got exactly one message and that the ledger
says so. Results are printed, and appended to docs/benchmarks.md under "## Send" unless
--no-record.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from common import REPO, show_results, versions
from mail_newsroom import ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers
from smtp_server import free_port

SAMPLE_PARTS = ("sources.toml", "samples", "templates", "issues")
SECTION = "Send"


def make_newsroom(folder: Path, recipients: int, port: int, connections: int, dkim: bool = False) -> Path:
    root = folder / "newsroom"
    root.mkdir()
    sample = REPO / "tests" / "fixtures" / "newsroom"
    for part in SAMPLE_PARTS:
        source = sample / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
    write_ready_issue(root, lambda path: f"https://stories.example{path}")
    write_subscribers(root, subscriber_rows(recipients))
    configure_smtp(root, port, rate=0, retries=3, backoff=0.1, timeout=30, connections=connections)
    if dkim:  # the tests' keys: RSA and Ed25519, both signatures on every message
        import tomlkit

        shutil.copytree(REPO / "tests" / "fixtures" / "dkim", root / "dkim")
        config = root / "sources.toml"
        document = tomlkit.parse(config.read_text(encoding="utf-8"))
        document["dkim"] = {
            "rsa_selector": "news",
            "rsa_key": "dkim/rsa.key",
            "ed25519_selector": "news-ed",
            "ed25519_key": "dkim/ed25519.key",
        }
        config.write_text(tomlkit.dumps(document), encoding="utf-8")
    return root


def newsdesk_worker(root: Path) -> dict:
    """One send with newsdesk, in this process."""
    from newsdesk.issue import load_issue
    from newsdesk.mail.ledger import Ledger
    from newsdesk.mail.roster import Roster
    from newsdesk.mail.send import Policy, SendJob
    from newsdesk.mail.smtp import SmtpTransport, smtp_target
    from newsdesk.mail.subscribers import load_subscribers
    from newsdesk.newsroom import Newsroom

    room = Newsroom.open(root)
    issue = load_issue(room.issue_path(datetime.fromisoformat(ISSUE).date()))
    target = smtp_target(room.config.smtp)
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with room.exclusive("send"), room.store() as store:
        # As `newsdesk send` does: the file brought into the list, the list read before each message.
        roster = Roster(store)
        listing = roster.sync_file(load_subscribers(root / "subscribers.csv"))
        job = SendJob(room, issue, listing, Policy.from_settings(room.config.smtp), roster=roster)
        started = time.perf_counter()
        report = job.run(Ledger(store, issue.name), SmtpTransport(target), open_transport=lambda: SmtpTransport(target))
        seconds = time.perf_counter() - started
    return {
        "sent": report.sent,
        "seconds": seconds,
        "rss_before_kb": before_kb,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def floor_worker(root: Path) -> dict:
    """The same messages, built first, sent by bare smtplib clients over the same connections."""
    import smtplib

    from newsdesk.issue import load_issue
    from newsdesk.mail.message import MessageFactory
    from newsdesk.mail.subscribers import load_subscribers
    from newsdesk.newsroom import Newsroom

    room = Newsroom.open(root)
    issue = load_issue(room.issue_path(datetime.fromisoformat(ISSUE).date()))
    factory = MessageFactory(room, issue)
    messages = [factory.build(s) for s in load_subscribers(root / "subscribers.csv").subscribed]
    settings = room.config.smtp
    lock = threading.Lock()
    queue = iter(messages)
    sent = [0]

    def connection() -> None:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as client:
            client.ehlo()
            while True:
                with lock:
                    message = next(queue, None)
                if message is None:
                    return
                client.sendmail(factory.sender, [message.recipient], message.data)
                with lock:
                    sent[0] += 1

    threads = [threading.Thread(target=connection) for _ in range(settings.connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"sent": sent[0], "seconds": time.perf_counter() - started}


def one_run(kind: str, recipients: int, connections: int, dkim: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp:
        port = free_port()
        root = make_newsroom(Path(tmp), recipients, port, connections, dkim)
        server = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "support" / "smtp_server.py"), "--port", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            done = subprocess.run(
                [sys.executable, __file__, f"--{kind}", str(root)], capture_output=True, text=True, check=True
            )
        finally:
            counts, _ = server.communicate("", timeout=120)
        figures = json.loads(done.stdout)
        received = json.loads(counts.strip().splitlines()[-1])
        if kind == "newsdesk":
            with sqlite3.connect(root / ".newsdesk" / "store.sqlite3") as db:
                ledger = db.execute("SELECT count(*) FROM send_ledger WHERE state = 'sent'").fetchone()[0]
        else:
            ledger = recipients
    if not (figures["sent"] == received["distinct"] == received["delivered"] == ledger == recipients):
        raise SystemExit(f"bench: not every message arrived exactly once: {kind} {figures} {received}")
    figures["connections"] = received["connections"]
    figures["rate"] = figures["sent"] / figures["seconds"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory", type=int, nargs="*", default=[], help="List sizes to measure peak memory at.")
    parser.add_argument("--dkim", action="store_true", help="Sign every message (RSA and Ed25519, the tests' keys).")
    parser.add_argument("--no-record", action="store_true", help="Do not append to docs/benchmarks.md.")
    parser.add_argument("--newsdesk", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.newsdesk or args.floor:
        worker = newsdesk_worker if args.newsdesk else floor_worker
        print(json.dumps(worker(args.newsdesk or args.floor)))
        return

    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    lines = [
        f"`.venv/bin/python bench/bench_send.py{' --dkim' if args.dkim else ''}"
        f"{' --size ' + str(args.size) if args.size != 5000 else ''}"
        f"{' --runs ' + str(args.runs) if args.runs != 3 else ''}"
        f"{' --memory ' + ' '.join(map(str, args.memory)) if args.memory else ''}`"
        f" at {datetime.now(UTC):%H:%M} UTC, load average {load} at the start; {versions('aiosmtpd', 'dkimpy')}.",
        f"{args.size:,} recipients to a local aiosmtpd (its own process), no rate limit, "
        f"{'both DKIM signatures on every message (the floor sends them signed too)' if args.dkim else 'no DKIM'}; "
        f"median of {args.runs} runs (min–max). The floor sends the same prebuilt messages with bare smtplib.",
        "",
        "| connections | newsdesk msg/s | floor msg/s | newsdesk / floor | newsdesk peak RSS |",
        "|---:|---|---|---:|---:|",
    ]
    # Interleaved, so the machine's drift touches both alike.
    for connections in args.connections:
        ours, floor = [], []
        for number in range(1, args.runs + 1):
            for kind, results in (("newsdesk", ours), ("floor", floor)):
                figures = one_run(kind, args.size, connections, args.dkim)
                results.append(figures)
                print(
                    f"  {kind:>8}, {connections} connections, run {number}: {figures['rate']:6.0f} msg/s",
                    file=sys.stderr,
                )
        rate = [r["rate"] for r in ours]
        bare = [r["rate"] for r in floor]
        peak = statistics.median(r["peak_rss_kb"] for r in ours) / 1024
        lines.append(
            f"| {connections} | {statistics.median(rate):.0f} ({min(rate):.0f}–{max(rate):.0f}) "
            f"| {statistics.median(bare):.0f} ({min(bare):.0f}–{max(bare):.0f}) "
            f"| {statistics.median(rate) / statistics.median(bare):.2f} | {peak:.1f} MB |"
        )
    if args.memory:
        lines += [
            "",
            "| recipients (4 connections) | peak RSS | RSS growth during the send | msg/s |",
            "|---:|---:|---:|---:|",
        ]
        for size in args.memory:
            figures = one_run("newsdesk", size, 4, args.dkim)
            lines.append(
                f"| {size:,} | {figures['peak_rss_kb'] / 1024:.1f} MB "
                f"| {(figures['peak_rss_kb'] - figures['rss_before_kb']) / 1024:.1f} MB | {figures['rate']:.0f} |"
            )
    show_results(SECTION, lines, record=not args.no_record)


if __name__ == "__main__":
    main()
