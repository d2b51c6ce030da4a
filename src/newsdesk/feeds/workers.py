"""Where a fetch run parses its feeds: a thread at first, worker processes when it pays.

Parsing holds the GIL, so in one process it competes with the downloads. A run that
has a lot to parse (more than ``POOL_THRESHOLD`` bytes of new feed bodies) starts one
worker process per core and parses there; a small run, and every test that fetches a
few feeds, never pays for starting them. ``parse_feed`` stays the pure function it is:
the workers call it with the same arguments and return its result.

A worker that dies (killed, out of memory, a crash in a native parser) breaks the pool:
the feeds it was parsing are parsed again in this process with feedparser, the
reference engine, and the rest of the run parses in a thread as a small run does.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import heapq
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsdesk.heap import WORKER_MMAP_THRESHOLD, tune_malloc
from newsdesk.feeds.compression import decode_body, decoded_size_hint

if TYPE_CHECKING:
    from newsdesk.items import ParsedFeed

# Bytes of feed bodies to parse in one run before worker processes are started. Below
# this the whole parse takes a tenth of a second or two in a thread, which is not worth
# the workers' start and their memory (20 to 30 MB each at a first fetch's peak).
POOL_THRESHOLD = 4_000_000
# What a feed fetched for the first time is expected to bring, for starting the workers
# before the bodies arrive (a tenth of a megabyte: typical of news sites' feeds).
EXPECTED_FIRST_BODY = 100_000


def _start_worker(fetch_pid: int) -> None:
    """Ctrl+C is the fetch's to handle; and a worker ends when the fetch does, however it
    ended (a killed fetch would otherwise leave its workers waiting for work forever).

    The fetch is watched by its pid, not as this process's parent: a worker forked by
    the fork server is the server's child, and the server lives as long as its workers.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits what the fetch had put in place of stdout and stderr (the
    # progress bar's proxies, which would redraw the bar for anything a worker writes).
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    tune_malloc(WORKER_MMAP_THRESHOLD)
    threading.Thread(target=_exit_with, args=(fetch_pid,), name="fetch-watch", daemon=True).start()
    import newsdesk.feeds.parse  # noqa: F401  the parsers, loaded before the first body arrives


def _exit_with(pid: int) -> None:
    try:
        # A pidfd becomes readable when the process ends, and cannot name a new process
        # that reused the pid (Linux 5.3 and later).
        watched = os.pidfd_open(pid)
    except (AttributeError, OSError):
        while _alive(pid):
            time.sleep(0.5)
    else:
        select.select([watched], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, but not ours to signal
        pass
    return True


# What a parse job gives: the decoded body's digest, and its parse unless unchanged.
_Parsed = tuple[str, "ParsedFeed | None"]


def decode_and_parse(
    body: bytes, content_encoding: str | None, limit: int, known_digest: str | None, **options: Any
) -> _Parsed:
    """The job a parser runs: the body decoded (raises BodyTooLarge or BodyCorrupt) and
    its SHA-256 taken, then ``parse_feed`` with ``options``, unless the decoded body is
    the one ``known_digest`` names (None then: nothing new to parse).

    The digest is of the decoded body, so a server that compresses the same feed anew
    for each answer (a gzip header carries a time) is still seen to send the same feed.
    Here, not in the fetch's process: the decoded body is about five times the size of
    the gzip one that crosses to the worker."""
    decoded = decode_body(body, content_encoding, limit)
    digest = hashlib.sha256(decoded).hexdigest()
    if digest == known_digest:
        return digest, None
    from newsdesk.feeds.parse import parse_feed  # here: a run with nothing to parse never imports a parser

    return digest, parse_feed(decoded, **options)


def _worker_context(fork: bool) -> multiprocessing.context.BaseContext:
    """Where workers come from: a plain fork when ``fork`` is allowed and this process has
    no other thread, else a fork server where there is one, else spawn.

    A fork copies only the thread that calls it: with another thread running (asyncio's
    executor, the store's, the desk's) a lock it held stays held in the copy. And it
    copies every open descriptor, so it is allowed only before the run's first download
    (``fork``). A fetch from the command line with many new feeds starts its workers
    then; each worker is a copy of this process that shares its pages until it writes
    them, and no fork server or resource tracker is started (a first fetch of 200 feeds:
    101 MB at its peak instead of 131 MB, and 2.00 s of CPU instead of 2.17 s;
    docs/benchmarks.md). The parsers are loaded first, so that the workers share them too.

    Otherwise the fork server, a clean process started once per process with the
    parsers loaded: each worker forked from it starts in milliseconds, where a spawned
    one starts a new interpreter and imports everything again.
    """
    methods = multiprocessing.get_all_start_methods()
    # Linux only: on macOS, system libraries a fetch may have used (the proxy settings')
    # are not safe to use in a forked child.
    if fork and sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        import newsdesk.feeds.parse  # noqa: F401  shared with every worker from here on

        return multiprocessing.get_context("fork")
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # Each worker runs the main script (the `newsdesk` script imports newsdesk.cli), and
    # Python 3.11's fork server never preloads "__main__" itself: with newsdesk.cli loaded
    # in the server, running the script in a worker imports nothing more.
    context.set_forkserver_preload(["newsdesk.cli", "newsdesk.feeds.parse"])
    return context


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, which a pool's first lock needs (but for a
    fork), and which is handed this process's stderr by its descriptor.

    In the desk, stderr is Textual's capture, whose ``fileno()`` is -1, and the start
    fails ("bad value(s) in fds_to_keep"): there the tracker gets /dev/null instead.
    stderr is swapped for that start alone, and put back only if nothing else replaced
    it meanwhile. Elsewhere the pool starts the tracker itself.
    """
    try:
        usable = sys.stderr.fileno() >= 0
    except Exception:  # noqa: BLE001  no stderr or no descriptor: multiprocessing skips it too
        usable = True
    if usable:
        return
    from multiprocessing import resource_tracker

    with open(os.devnull, "w") as devnull:
        captured, sys.stderr = sys.stderr, devnull
        try:
            resource_tracker.ensure_running()
        finally:
            if sys.stderr is devnull:
                sys.stderr = captured


def _end_processes(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers, busy or not (ProcessPoolExecutor has no public way to)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)


class LargestFirst:
    """Slots for parse jobs, like a semaphore, except that the largest waiting body is
    let in first: the long parses start early and short ones fill the end of the run."""

    def __init__(self, slots: int) -> None:
        self.free = slots
        self.waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self.arrivals = 0

    async def acquire(self, size: int) -> None:
        if self.free and not self.waiting:
            self.free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        self.arrivals += 1
        heapq.heappush(self.waiting, (-size, self.arrivals, turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # the slot came with the cancellation: pass it on
            raise

    def release(self) -> None:
        while self.waiting:
            _, _, turn = heapq.heappop(self.waiting)
            if not turn.done():
                turn.set_result(None)
                return
        self.free += 1


class ParseWorkers:
    """Parses for one fetch run; ``close()`` when the run ends."""

    def __init__(self, *, threshold: int | None = None, processes: int | None = None) -> None:
        self.threshold = POOL_THRESHOLD if threshold is None else threshold
        # One worker per core (measured on 2 cores: better than leaving one core to this
        # process, which waits on the network much of the time); none on one core, where
        # a pool would only add its start-up.
        cores = os.cpu_count() or 1
        self.processes = processes if processes is not None else (min(cores, 4) if cores > 1 else 0)
        self.pending_bytes = 0
        self.pool: ProcessPoolExecutor | None = None
        self.broken = False
        self.thread_slot = asyncio.Semaphore(1)  # one parse at a time in this process
        # One job more than workers: the next body is already queued when a worker frees,
        # instead of waiting for this process to hear and send one (about 4% of a large
        # first fetch). Its deadline counts from when it starts (see _within). The largest
        # waiting body goes next.
        self.pool_slots = LargestFirst(self.processes + 1)
        self._in_pool = 0  # pool jobs not yet ended
        self._pool_ends: list[float] = []  # when they ended (event loop time)
        self._pool_freed = asyncio.Event()  # set as each ends
        self.abandoned: set[asyncio.Future[_Parsed]] = set()

    @property
    def started(self) -> bool:
        return self.pool is not None

    def expect_new_feeds(self, count: int) -> None:
        """Called before the run's first download: ``count`` feeds have never been
        fetched. When they are likely to bring more than the threshold, the workers start
        now, instead of once the bodies have arrived (a first fetch of a whole newsroom);
        only then may they be forked from this process (see ``_worker_context``)."""
        if count * EXPECTED_FIRST_BODY >= self.threshold:
            self._start_pool(fork=True)

    def _start_pool(self, *, fork: bool = False) -> None:
        if self.pool is None and not self.broken and self.processes >= 1:
            context = _worker_context(fork)
            forking = context.get_start_method() == "fork"
            try:
                if not forking:
                    _start_resource_tracker()
                pool = ProcessPoolExecutor(
                    self.processes, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
                )
            except (OSError, ValueError):  # no helper process to be had: parse here, as a small run does
                self.broken = True
                return
            self.pool = pool
            if forking:
                # The first job forks every worker, here and now, before the pool's own
                # thread starts (ProcessPoolExecutor never forks on demand).
                try:
                    pool.submit(int)
                except OSError:  # out of processes or memory: end those forked, parse here
                    _end_processes(pool)
                    self.pool, self.broken = None, True
                return

            def start_all() -> None:
                # Processes start on the first jobs: these no-ops start them all now, in a
                # thread, because a start waits for the fork server to load the parsers.
                try:
                    for _ in range(self.processes):
                        pool.submit(int)
                except (RuntimeError, OSError):  # the run ended first, or no process to be had
                    pass  # (the parse that next asks for a worker then says so)

            threading.Thread(target=start_all, name="parse-workers-start", daemon=True).start()

    def _use_pool(self, size: int) -> bool:
        if self.broken or self.processes < 1:
            return False
        self.pending_bytes += size
        if self.pending_bytes >= self.threshold:
            self._start_pool()
        return self.pool is not None

    async def parse(
        self,
        body: bytes,
        *,
        content_encoding: str | None = None,
        limit: int,
        known_digest: str | None = None,
        source: str,
        url: str,
        content_type: str | None,
        fetched_at: datetime,
        deadline: float,
    ) -> _Parsed:
        """``decode_and_parse`` of the body as received, within ``deadline`` seconds (raises
        TimeoutError), the wait for a free slot not counted: the decoded body's digest,
        and its parse unless ``known_digest`` is that digest. A parse past its deadline is
        left to finish on its own."""
        job = functools.partial(
            decode_and_parse, body, content_encoding, limit, known_digest,
            source=source, url=url, content_type=content_type, fetched_at=fetched_at,
        )
        loop = asyncio.get_running_loop()
        if self._use_pool(decoded_size_hint(body, content_encoding)):
            slot = self.pool_slots
            await slot.acquire(len(body))
            try:
                work = loop.run_in_executor(self.pool, job)
            except (BrokenProcessPool, RuntimeError, OSError):  # OSError: a worker could not start
                slot.release()
                return await self._after_crash(job, deadline)
            # Every worker busy: this job waits in the pool's queue, and starts when the
            # next pool job ends (the one after the ends counted so far).
            queued_after = len(self._pool_ends) if self._in_pool >= self.processes else None
            self._in_pool += 1
            work.add_done_callback(self._pool_job_ended)
        else:
            queued_after = None
            slot = self.thread_slot
            await slot.acquire()
            work = loop.run_in_executor(None, job)
        # The slot is freed when the parse really ends, even one past its deadline.
        work.add_done_callback(lambda _: slot.release())
        try:
            return await self._within(work, deadline, queued_after)
        except (TimeoutError, asyncio.CancelledError):
            if not work.done():  # left running: close() must not wait for it
                self.abandoned.add(work)
            raise
        except BrokenProcessPool:
            return await self._after_crash(job, deadline)

    def _pool_job_ended(self, _: object) -> None:
        self._in_pool -= 1
        self._pool_ends.append(asyncio.get_running_loop().time())
        self._pool_freed.set()

    async def _within(self, work: asyncio.Future[_Parsed], deadline: float, queued_after: int | None) -> _Parsed:
        """``work``'s result, or TimeoutError once it has run ``deadline`` seconds. A job
        queued behind busy workers starts when the next of their jobs ends (end number
        ``queued_after``), and its time counts from then, not from the wait."""
        if deadline <= 0:
            raise TimeoutError
        started = asyncio.get_running_loop().time()
        if queued_after is not None:
            while len(self._pool_ends) <= queued_after and not work.done():
                self._pool_freed.clear()
                freed = asyncio.ensure_future(self._pool_freed.wait())
                try:
                    await asyncio.wait([work, freed], return_when=asyncio.FIRST_COMPLETED)
                finally:
                    freed.cancel()
            if len(self._pool_ends) > queued_after:
                started = self._pool_ends[queued_after]
        async with asyncio.timeout_at(started + deadline):
            return await asyncio.shield(work)

    async def _after_crash(
        self, job: functools.partial[_Parsed], deadline: float
    ) -> _Parsed:
        """A worker died: this feed again, here, with the reference engine."""
        self.broken = True
        async with self.thread_slot, asyncio.timeout(deadline):
            return await asyncio.to_thread(functools.partial(job, engine="feedparser"))

    def close(self) -> None:
        """Stop the workers; one still busy with an abandoned parse is ended."""
        if self.pool is None:
            return
        if any(not work.done() for work in self.abandoned):
            _end_processes(self.pool)
        else:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None
