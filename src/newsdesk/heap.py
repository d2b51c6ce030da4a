"""How newsdesk's processes use glibc's malloc (the library never changes it).

Settings worth about a sixth of a first fetch's peak memory (docs/benchmarks.md, "Fetch"):

- One arena. glibc gives a thread that allocates while another holds the heap an arena
  of its own, up to eight per core, and memory freed in one arena is never reused by
  another. A fetch's threads (the store's, the one that receives the parse workers'
  results) would each leave one partly used. Python allocates under the GIL, so its
  threads seldom wait for the one heap.
- In the program's own process, blocks of a megabyte or more are mapped on their own
  and unmapped when freed. By default glibc raises that threshold to the largest block
  freed so far, after which the results of large feeds are carved from the heap, and
  the heap stays as large as the largest feed made it.
- A parse worker sets the threshold to 32 MB instead, the ceiling of glibc's own moving
  one: it parses one feed after another, and reusing its heap's pages costs less than
  mapping each large buffer anew (0.15 s of CPU over a first fetch of 200 feeds).
"""

from __future__ import annotations

import sys

# glibc's mallopt parameters.
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
PROGRAM_MMAP_THRESHOLD = 1 << 20
WORKER_MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for the threshold on 64-bit systems


def tune_malloc(mmap_threshold: int = PROGRAM_MMAP_THRESHOLD) -> bool:
    """One arena, and blocks of ``mmap_threshold`` bytes or more mapped on their own, for
    this process and the processes it forks. Each setting is tried on its own (a C library
    may refuse one); True when both were taken."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library with mallopt
        return False
    one_arena = mallopt(_M_ARENA_MAX, 1) == 1
    return mallopt(_M_MMAP_THRESHOLD, mmap_threshold) == 1 and one_arena
