"""newsdesk's processes keep one malloc arena and map large blocks on their own."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from newsdesk.heap import WORKER_MMAP_THRESHOLD

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc")

# Threads that allocate at once, then glibc's own account of its arenas (on stderr).
_ARENAS = """
import ctypes, sys, threading
from newsdesk.heap import tune_malloc
if sys.argv[1] == "tuned":
    assert tune_malloc()
start = threading.Barrier(4)
def allocate():
    start.wait()
    kept = [bytearray(2000) for _ in range(20000)]
threads = [threading.Thread(target=allocate) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()
"""

# Whether a 3 MB block gets a mapping of its own (anonymous, not the [heap]).
_MAPPED = """
import sys
from newsdesk.heap import tune_malloc
if sys.argv[1] == "tuned":
    assert tune_malloc()
elif sys.argv[1] == "worker":
    assert tune_malloc(int(sys.argv[2]))
def mappings():
    found = set()
    for line in open("/proc/self/maps"):
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if len(fields) == 5 and end - start >= 3 << 20:
            found.add(fields[0])
    return found
first = bytearray(8 << 20); del first  # by default this raises glibc's threshold past 3 MB
before = mappings()
block = bytearray(3 << 20)
print(len(mappings() - before))
"""


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60, check=True)


def test_one_arena_serves_every_thread():
    assert run(_ARENAS, "default").stderr.count("Arena ") > 1  # the test can tell
    assert run(_ARENAS, "tuned").stderr.count("Arena ") == 1


def test_the_program_maps_large_blocks_and_a_worker_keeps_them_in_its_heap():
    assert run(_MAPPED, "default").stdout.strip() == "0"  # the test can tell
    assert run(_MAPPED, "tuned").stdout.strip() == "1"
    assert run(_MAPPED, "worker", str(WORKER_MMAP_THRESHOLD)).stdout.strip() == "0"


def test_the_command_tunes_its_process(monkeypatch):
    from newsdesk import cli

    called = []
    monkeypatch.setattr(cli, "tune_malloc", lambda: called.append(True))
    monkeypatch.setattr(cli, "cli", lambda **_: None)
    cli.main()
    assert called
