"""Bounded memory: bombs and endless bodies, all at once, with the default 10 MB cap.

The fetch runs as `python -m newsdesk fetch` in its own process, so its peak resident
memory (from wait4's rusage) is the fetch's alone.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hostile.fixtures import make_newsroom, server  # noqa: F401
from hostile.generate import good_feed, many_items

pytestmark = pytest.mark.slow

PEAK_LIMIT_MB = 300


def peak_rss_of(command: list[str]) -> tuple[int, float, str]:
    """Run ``command``; return its exit code, peak RSS in MB and its stdout."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # Read all output first (a full pipe would block the child), then reap it with wait4.
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024, output  # ru_maxrss is in KB on Linux


def test_bombs_and_endless_bodies_stay_under_300_mb(tmp_path, server):
    bombs = [(f"{kind}-{n}", server.url(f"/bomb/{kind}?{n}")) for kind in ("gzip", "deflate", "raw-deflate") for n in range(3)]
    endless = [(f"endless-{n}", server.url(f"/endless?{n}")) for n in range(3)]
    good = [
        ("good", server.serve("good", good_feed("good", 5))),
        ("large", server.serve("large", many_items(8000, "large"))),  # ~1.7 MB, a real parse
    ]
    root = tmp_path / "room"
    # The default cap (10 MB); the server shares this process's CPU, so timeouts are loose.
    make_newsroom(
        root, bombs + endless + good, connect_timeout=10, read_timeout=10, feed_deadline=20, run_deadline=60
    )
    code, peak_mb, output = peak_rss_of([sys.executable, "-m", "newsdesk", "--newsroom", str(root), "fetch"])
    print(f"peak RSS {peak_mb:.0f} MB")
    assert code == 0, output
    lines = output.splitlines()
    for name, _ in bombs + endless:
        assert f"✗ {name}: failed: too large: over 10 MB" in lines, output
    assert "✓ large: 8000 new, 0 updated (8000 items)" in lines, output
    assert peak_mb < PEAK_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
