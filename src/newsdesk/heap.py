"""Settings of the newsdesk program's own process (the library never changes them)."""

from __future__ import annotations

import sys

# glibc's mallopt parameter for the most arenas malloc may create.
_M_ARENA_MAX = -8


def use_one_malloc_arena() -> bool:
    """Have glibc's malloc keep one heap for every thread; True where that was done.

    glibc gives a thread that allocates while another holds the heap an arena of its
    own, up to eight per core, and memory freed in one arena is never reused by another.
    A fetch's threads (the store's, the one that receives the parse workers' results)
    each leave an arena partly used: about 8 MB of a first fetch's peak (docs/benchmarks.md).
    Python allocates under the GIL, so its threads seldom wait for the one heap.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library with mallopt
        return False
    return mallopt(_M_ARENA_MAX, 1) == 1
