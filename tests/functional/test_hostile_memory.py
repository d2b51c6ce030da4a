"""Bounded memory: bombs and endless bodies, all at once, with the default 10 MB cap.

The fetch runs as `python -m newsdesk fetch` in its own process, so its peak resident
memory (from wait4's rusage, taken by a small launcher) is the fetch's alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hostile.fixtures import make_newsroom, server  # noqa: F401
from hostile.generate import good_feed, many_items

pytestmark = pytest.mark.slow

PEAK_LIMIT_MB = 300


# Linux records the old address space's peak in a process's ru_maxrss when it execs, so a
# child started straight from pytest is never measured below pytest's own peak (which grows
# with the suite). A small launcher in between starts the command and reports its figure.
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss_of(command: list[str], figure: Path) -> tuple[int, float, str]:
    """Run ``command``; return its exit code, peak RSS in MB and its stdout."""
    launcher = [sys.executable, "-c", _LAUNCHER, str(figure), *command]
    process = subprocess.Popen(launcher, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # Read all output first (a full pipe would block the child), then reap it.
    output = process.stdout.read().decode()
    code = process.wait()
    return code, int(figure.read_text()) / 1024, output  # ru_maxrss is in KB on Linux


def test_bombs_and_endless_bodies_stay_under_300_mb(tmp_path, server):
    bombs = [
        (f"{kind}-{n}", server.url(f"/bomb/{kind}?{n}"))
        for kind in ("gzip", "deflate", "raw-deflate")
        for n in range(3)
    ]
    endless = [(f"endless-{n}", server.url(f"/endless?{n}")) for n in range(3)]
    good = [
        ("good", server.serve("good", good_feed("good", 5))),
        ("large", server.serve("large", many_items(8000, "large"))),  # ~1.7 MB, a real parse
    ]
    root = tmp_path / "room"
    # The default cap (10 MB); the server shares this process's CPU, so timeouts are loose:
    # far from what the large feed's parse costs on a loaded machine (it took 20 s on two
    # busy cores), so that only the sizes decide.
    make_newsroom(
        root, bombs + endless + good, connect_timeout=10, read_timeout=30, feed_deadline=120, run_deadline=240
    )
    code, peak_mb, output = peak_rss_of(
        [sys.executable, "-m", "newsdesk", "--newsroom", str(root), "fetch"], tmp_path / "maxrss"
    )
    print(f"peak RSS {peak_mb:.0f} MB")
    assert code == 0, output
    lines = output.splitlines()
    for name, _ in bombs + endless:
        assert f"✗ {name}: failed: too large: over 10 MB" in lines, output
    assert "✓ large: 8000 new, 0 updated (8000 items)" in lines, output
    assert peak_mb < PEAK_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
