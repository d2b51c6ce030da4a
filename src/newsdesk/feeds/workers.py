"""Where a fetch run parses its feeds: here for a small run, in worker processes for a large one.

Parsing holds the GIL, so in this process it competes with the downloads. A run that has
a lot to parse (``POOL_THRESHOLD`` bytes of feed bodies, or enough new feeds to bring
that much) parses in a ``ProcessPoolExecutor`` with one worker per core; a small run, and
every test that fetches a few feeds, parses in a thread and never pays for starting
processes. ``parse_feed`` stays the pure function it is: the workers call it with the same
arguments and return its result.

A worker that dies (killed, out of memory, a crash in a native parser) breaks the pool:
the feeds that were in it are parsed again in this process with feedparser, the reference
engine, and the rest of the run parses here as a small run does.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from newsdesk.feeds.compression import decoded_size_hint
from newsdesk.feeds.jobs import Parsed, decode_and_parse, start_worker

# Bytes of feed bodies to parse in one run before worker processes are used. Below this
# the whole parse takes a tenth of a second or two in a thread, which is not worth the
# workers' start and their memory (docs/benchmarks.md).
POOL_THRESHOLD = 4_000_000
# What a feed fetched for the first time is expected to bring, so that a first fetch of a
# whole newsroom uses the workers from its first body (a tenth of a megabyte: typical of
# news sites' feeds).
EXPECTED_FIRST_BODY = 100_000


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
        self.wanted = False  # this run has enough to parse for the workers
        self.pool: ProcessPoolExecutor | None = None
        self.broken = False
        self.thread_slot = asyncio.Semaphore(1)  # one parse at a time in this process
        # As many jobs as workers, so that a job starts when it is sent and its deadline
        # counts its own parse, not a wait behind another feed's.
        self.pool_slots = LargestFirst(max(self.processes, 1))
        self.abandoned: set[asyncio.Future[Parsed]] = set()  # pool jobs past their deadline

    @property
    def started(self) -> bool:
        return self.pool is not None

    def expect_new_feeds(self, count: int) -> None:
        """Called before the run's first download: ``count`` feeds have never been
        fetched. When they are likely to bring more than the threshold, the run uses the
        workers from its first body on (a first fetch of a whole newsroom)."""
        if count * EXPECTED_FIRST_BODY >= self.threshold:
            self.wanted = True

    def _pool_for(self, size: int) -> ProcessPoolExecutor | None:
        """The pool for a body of about ``size`` bytes decoded, or None to parse here."""
        if self.broken or self.processes < 1:
            return None
        self.pending_bytes += size
        if self.pending_bytes >= self.threshold:
            self.wanted = True
        if self.wanted and self.pool is None:
            try:
                # Forked while the fetch's threads may hold an import lock, a worker would wait
                # on it forever: workers start from a fork server instead (Python 3.14's default).
                context = multiprocessing.get_context("forkserver")
                self.pool = ProcessPoolExecutor(self.processes, mp_context=context, initializer=start_worker)
            except (OSError, ValueError):  # no helper process to be had: parse here, as a small run does
                self.broken = True
        return self.pool

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
    ) -> Parsed:
        """``decode_and_parse`` of the body as received, within ``deadline`` seconds (raises
        TimeoutError), the wait for a free slot not counted: the decoded body's digest,
        and its parse unless ``known_digest`` is that digest. A parse past its deadline is
        left to finish on its own."""
        if deadline <= 0:
            raise TimeoutError
        job = functools.partial(
            decode_and_parse,
            body,
            content_encoding,
            limit,
            known_digest,
            source=source,
            url=url,
            content_type=content_type,
            fetched_at=fetched_at,
        )
        loop = asyncio.get_running_loop()
        pool = self._pool_for(decoded_size_hint(body, content_encoding))
        work: asyncio.Future[Parsed] | None = None
        if pool is not None:
            slot: LargestFirst | asyncio.Semaphore = self.pool_slots
            await self.pool_slots.acquire(len(body))
            try:
                work = loop.run_in_executor(pool, job)
            except (RuntimeError, OSError):  # the pool broke (BrokenProcessPool) or a worker could not start
                self.pool_slots.release()
                self.broken = True
        if work is None:
            slot = self.thread_slot
            await self.thread_slot.acquire()
            work = loop.run_in_executor(None, job)
        # The slot is freed when the parse really ends, even one past its deadline.
        work.add_done_callback(lambda _: slot.release())
        try:
            async with asyncio.timeout(deadline):
                return await asyncio.shield(work)
        except (TimeoutError, asyncio.CancelledError):
            if pool is not None and not work.done():
                self.abandoned.add(work)
            raise
        except BrokenProcessPool:
            return await self._after_crash(job, deadline)

    async def _after_crash(self, job: functools.partial[Parsed], deadline: float) -> Parsed:
        """A worker died while this feed was in the pool: the feed again, here, with the
        reference engine (the crash may have been the fast engine's)."""
        self.broken = True
        async with self.thread_slot, asyncio.timeout(deadline):
            return await asyncio.to_thread(functools.partial(job, engine="feedparser"))

    def close(self) -> None:
        """Stop the workers, waiting for them unless one is still busy with a parse past
        its deadline: a running call cannot be stopped, so that worker ends once its
        parse does, and the run does not wait for it."""
        if self.pool is None:
            return
        busy = any(not work.done() for work in self.abandoned)
        self.pool.shutdown(wait=not busy, cancel_futures=True)
        self.pool = None
