"""The newsdesk program keeps one malloc arena however many threads allocate."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Threads that allocate at once, then glibc's own account of its arenas (on stderr).
_ARENAS = """
import ctypes, sys, threading
from newsdesk.heap import use_one_malloc_arena
if sys.argv[1] == "one":
    assert use_one_malloc_arena()
start = threading.Barrier(4)
def allocate():
    start.wait()
    kept = [bytearray(2000) for _ in range(20000)]
threads = [threading.Thread(target=allocate) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()
"""


def arenas(mode: str) -> int:
    result = subprocess.run([sys.executable, "-c", _ARENAS, mode], capture_output=True, text=True, timeout=60, check=True)
    return result.stderr.count("Arena ")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_one_arena_serves_every_thread():
    assert arenas("default") > 1  # the test can tell: threads do get arenas of their own
    assert arenas("one") == 1


def test_the_command_keeps_one_arena(monkeypatch):
    from newsdesk import cli

    called = []
    monkeypatch.setattr(cli, "use_one_malloc_arena", lambda: called.append(True))
    monkeypatch.setattr(cli, "cli", lambda **_: None)
    cli.main()
    assert called
