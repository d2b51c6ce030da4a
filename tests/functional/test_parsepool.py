"""Parsing in worker processes: the same items as parsing here, a dead worker survived,
no pool at all for a small run, and no worker left once the run is over."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from farm import FarmServer, make_farm  # noqa: E402

from newsdesk.feeds import fetch as fetch_module
from newsdesk.feeds import workers as parsepool
from newsdesk.feeds.compression import BodyCorrupt, BodyTooLarge
from newsdesk.feeds.fetch import Backlog, Fetcher, fetch
from newsdesk.feeds.parse import parse_feed
from newsdesk.feeds.workers import LargestFirst, ParseWorkers
from newsdesk.newsroom import Newsroom

SUPPORT = Path(__file__).resolve().parents[1] / "support"
SAMPLE_NEWSROOM = Path(__file__).resolve().parents[1] / "fixtures" / "newsroom"
NOW = datetime(2026, 1, 5, tzinfo=UTC)
LIMIT = 20_000_000


@pytest.fixture(scope="module")
def feeds():
    return make_farm(12, seed=3)


def parse_args(feed):
    return dict(source="farm", url=f"http://127.0.0.1:1{feed.path}", content_type=feed.content_type, fetched_at=NOW)


async def parse_all(workers: ParseWorkers, feeds) -> list:
    try:
        return await asyncio.gather(*(workers.parse(f.body, deadline=60, limit=LIMIT, **parse_args(f)) for f in feeds))
    finally:
        workers.close()


def test_the_pool_gives_what_parse_feed_gives(feeds):
    workers = ParseWorkers(threshold=0, processes=2)
    results = asyncio.run(parse_all(workers, feeds))
    assert workers.started is False  # closed
    assert not workers.broken
    assert [parsed for _, parsed in results] == [parse_feed(f.body, **parse_args(f)) for f in feeds]
    assert [digest for digest, _ in results] == [hashlib.sha256(f.body).hexdigest() for f in feeds]


def test_workers_decode_compressed_bodies_under_the_cap(feeds):
    """Bodies cross to the workers as received: gzip is undone there, under the cap."""
    bomb = gzip.compress(b"<rss>" + b" " * 50_000_000)

    async def scenario():
        workers = ParseWorkers(threshold=0, processes=1)
        try:
            digest, parsed = await workers.parse(
                gzip.compress(feeds[0].body, mtime=1),
                content_encoding="gzip",
                deadline=60,
                limit=LIMIT,
                **parse_args(feeds[0]),
            )
            # The same feed compressed anew (another time in the gzip header): not parsed again.
            again = await workers.parse(
                gzip.compress(feeds[0].body, mtime=2),
                content_encoding="gzip",
                known_digest=digest,
                deadline=60,
                limit=LIMIT,
                **parse_args(feeds[0]),
            )
            assert again == (digest, None)
            with pytest.raises(BodyTooLarge):
                await workers.parse(bomb, content_encoding="gzip", deadline=60, limit=1_000_000, **parse_args(feeds[0]))
            with pytest.raises(BodyCorrupt, match="ends early"):
                await workers.parse(
                    gzip.compress(feeds[0].body)[:-100],
                    content_encoding="gzip",
                    deadline=60,
                    limit=LIMIT,
                    **parse_args(feeds[0]),
                )
            return parsed, workers.started, workers.broken
        finally:
            workers.close()

    parsed, started, broken = asyncio.run(scenario())
    assert started and not broken  # parsed in a worker, which survived the bomb
    assert parsed == parse_feed(feeds[0].body, **parse_args(feeds[0]))


def test_the_backlog_holds_bodies_past_its_limit_until_room_is_freed():
    async def scenario():
        backlog = Backlog(100)
        await backlog.reserve(60)
        second = asyncio.ensure_future(backlog.reserve(60))
        await asyncio.sleep(0.01)
        assert not second.done() and backlog.used == 60
        backlog.release(60)
        await asyncio.wait_for(second, 1)
        assert backlog.used == 60
        backlog.release(60)
        await asyncio.wait_for(backlog.reserve(500), 1)  # an empty backlog lets any body in
        assert backlog.used == 500
        await asyncio.wait_for(backlog.reserve(0), 1)  # a 304 never waits behind it

    asyncio.run(scenario())


def slow_feed(items: int) -> bytes:
    """Malformed, so feedparser's forgiving parser takes it, slowly (about 0.85 ms an item)."""
    item = (
        "<item><title>t &amp; <b>x</title><description>" + "<p>words and more words</p>" * 40 + "</description></item>"
    )
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>' + item * items).encode()


# What a slow feed's parse is asked with, its deadline apart.
SLOW_FEED = dict(source="slow", url="https://slow.example/feed", content_type=None, fetched_at=NOW)
SLOW = dict(SLOW_FEED, limit=LIMIT)


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "zombie" not in status.lower()


def gone(pids: list[int]) -> bool:
    """Whether the processes have all ended, waiting up to a minute for them."""
    for _ in range(600):
        if not any(_running(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def new_children(before: set) -> list[multiprocessing.Process]:
    """This process's children started since ``before`` was taken: here, a pool's workers."""
    return [child for child in multiprocessing.active_children() if child not in before]


def test_a_killed_worker_loses_no_feed(feeds):
    """The feed in the pool when its worker is killed, and every feed after it, are parsed
    here, with the same items."""
    slow = slow_feed(800)

    async def scenario():
        workers = ParseWorkers(threshold=0, processes=1)
        before = set(multiprocessing.active_children())
        try:
            in_the_pool = asyncio.ensure_future(workers.parse(slow, deadline=120, **SLOW))
            waiting = [
                asyncio.ensure_future(workers.parse(f.body, deadline=120, limit=LIMIT, **parse_args(f)))
                for f in feeds[:3]
            ]
            await asyncio.sleep(0)  # the slow feed has gone to the one worker, the others wait for it
            (worker,) = new_children(before)
            os.kill(worker.pid, signal.SIGKILL)
            return await in_the_pool, await asyncio.gather(*waiting), workers.broken
        finally:
            workers.close()

    (_, slow_parsed), rest, broken = asyncio.run(scenario())
    assert broken
    assert slow_parsed == parse_feed(slow, **SLOW_FEED)
    assert [parsed for _, parsed in rest] == [parse_feed(f.body, **parse_args(f)) for f in feeds[:3]]


def test_a_small_run_starts_no_pool(tmp_path):
    root = tmp_path / "room"
    root.mkdir()
    for part in ("sources.toml", "samples"):
        source = SAMPLE_NEWSROOM / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
    room = Newsroom.open(root)
    with room.store() as store:
        fetcher = Fetcher(room, store)
        report = asyncio.run(fetcher.run())
    assert not report.failed and sum(r.new for r in report.results) > 0
    assert fetcher._workers.pending_bytes < parsepool.POOL_THRESHOLD
    assert not fetcher._workers.wanted and fetcher._workers.pool is None


def test_a_first_fetch_of_many_feeds_uses_the_workers_from_its_first_body(feeds):
    async def scenario():
        workers = ParseWorkers(processes=2)
        try:
            workers.expect_new_feeds(3)  # a few new feeds: not worth the workers
            assert not workers.wanted
            workers.expect_new_feeds(parsepool.POOL_THRESHOLD // parsepool.EXPECTED_FIRST_BODY)
            assert workers.pool is None  # no process before there is something to parse
            _, parsed = await workers.parse(feeds[0].body, deadline=60, limit=LIMIT, **parse_args(feeds[0]))
            assert workers.started and workers.pending_bytes < workers.threshold
            return parsed
        finally:
            workers.close()

    assert asyncio.run(scenario()) == parse_feed(feeds[0].body, **parse_args(feeds[0]))


def newsroom_for(root: Path, server: FarmServer) -> Newsroom:
    root.mkdir()
    lines = ['[newsroom]\nname = "Farm"\nblog_url = "https://farm.example"\n']
    lines += [f'[[sources]]\nname = "farm {n}"\nurl = "{url}"\n' for n, url in enumerate(server.urls())]
    (root / "sources.toml").write_text("\n".join(lines), encoding="utf-8")
    return Newsroom.open(root)


def stored(room: Newsroom) -> list:
    with room.store() as store:
        return sorted((replace(i, first_seen=NOW) for i in store.items()), key=lambda i: i.id)


@pytest.mark.slow
def test_a_fetch_through_the_pool_stores_what_an_inline_fetch_stores(tmp_path, feeds, monkeypatch):
    with FarmServer(feeds, latency=0) as server:
        monkeypatch.setattr(parsepool, "POOL_THRESHOLD", 0)
        pooled = newsroom_for(tmp_path / "pooled", server)
        report = fetch(pooled)
        monkeypatch.setattr(parsepool, "POOL_THRESHOLD", 1 << 40)
        inline = newsroom_for(tmp_path / "inline", server)
        fetch(inline)
    assert [r.status for r in report.results] == ["new"] * len(feeds)
    items = stored(pooled)
    assert len(items) == sum(f.items for f in feeds)
    assert items == stored(inline)


def test_a_fetch_with_a_tiny_backlog_still_stores_every_feed(tmp_path, feeds, monkeypatch):
    monkeypatch.setattr(fetch_module, "BACKLOG_BYTES", 1)  # one body at a time waits for a parser
    with FarmServer(feeds[:12], latency=0) as server:
        room = newsroom_for(tmp_path / "room", server)
        report = fetch(room)
    assert [r.status for r in report.results] == ["new"] * 12
    assert len(stored(room)) == sum(f.items for f in feeds[:12])


def test_a_parse_past_its_deadline_fails_and_its_worker_ends_when_the_parse_does():
    """A running call cannot be stopped: the feed fails at its deadline, the run's close
    does not wait for the parse, and the worker ends once it is done."""
    body = slow_feed(3000)  # far past the deadline

    async def scenario():
        workers = ParseWorkers(threshold=0, processes=1)
        before = set(multiprocessing.active_children())
        try:
            with pytest.raises(TimeoutError):
                await workers.parse(body, deadline=0.01, **SLOW)
            (worker,) = new_children(before)
        finally:
            workers.close()
        return worker

    worker = asyncio.run(scenario())
    assert gone([worker.pid])


def test_a_parse_cancelled_with_the_run_is_not_waited_for():
    """The run's deadline cancels feeds mid-parse: the close leaves their worker to end."""
    slow = slow_feed(4000)

    async def scenario():
        workers = ParseWorkers(threshold=0, processes=1)
        before = set(multiprocessing.active_children())
        running = asyncio.ensure_future(workers.parse(slow, deadline=600, **SLOW))
        queued = asyncio.ensure_future(workers.parse(slow, deadline=600, **SLOW))
        await asyncio.sleep(0)
        (worker,) = new_children(before)
        running.cancel()
        queued.cancel()
        await asyncio.gather(running, queued, return_exceptions=True)
        workers.close()
        return worker, worker.is_alive(), queued.cancelled()

    worker, alive_after_close, queued_cancelled = asyncio.run(scenario())
    assert alive_after_close and queued_cancelled  # the close returned while the parse ran
    assert gone([worker.pid])


def test_a_feed_waiting_for_a_busy_worker_is_not_failed_for_the_wait(feeds):
    """The deadline counts a feed's own parse, not the wait for a worker: a quick feed
    behind a slow one (here on one worker) is parsed, not reported too slow."""
    slow = slow_feed(800)

    async def scenario():
        workers = ParseWorkers(threshold=0, processes=1)
        try:
            slow_parse = asyncio.ensure_future(workers.parse(slow, deadline=120, **SLOW))
            await asyncio.sleep(0)  # the slow feed has the worker
            quick = await workers.parse(feeds[0].body, deadline=5, limit=LIMIT, **parse_args(feeds[0]))
            await slow_parse
            return quick
        finally:
            workers.close()

    _, parsed = asyncio.run(scenario())
    assert parsed == parse_feed(feeds[0].body, **parse_args(feeds[0]))


def test_a_queued_feed_that_parses_too_long_once_started_is_still_cut_off(feeds):
    slow = slow_feed(3000)

    async def scenario():
        workers = ParseWorkers(threshold=0, processes=1)
        try:
            first = asyncio.ensure_future(
                workers.parse(feeds[0].body, deadline=60, limit=LIMIT, **parse_args(feeds[0]))
            )
            await asyncio.sleep(0)
            with pytest.raises(TimeoutError):  # queued behind the first, then too slow itself
                await workers.parse(slow, deadline=0.2, **SLOW)
            await first
        finally:
            workers.close()

    asyncio.run(scenario())


def test_a_spent_deadline_fails_before_any_parse_starts(feeds):
    async def scenario():
        workers = ParseWorkers(threshold=0, processes=1)
        try:
            with pytest.raises(TimeoutError):
                await workers.parse(feeds[0].body, deadline=0, limit=LIMIT, **parse_args(feeds[0]))
            return workers.started
        finally:
            workers.close()

    assert asyncio.run(scenario()) is False


def test_workers_that_cannot_be_started_leave_the_parse_to_this_process(feeds, monkeypatch):
    def no_process(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parsepool, "ProcessPoolExecutor", no_process)
    workers = ParseWorkers(threshold=0, processes=2)
    results = asyncio.run(parse_all(workers, feeds[:3]))
    assert workers.broken and not workers.started
    assert [parsed for _, parsed in results] == [parse_feed(f.body, **parse_args(f)) for f in feeds[:3]]


def test_the_largest_waiting_body_is_parsed_next_and_a_cancelled_wait_passes_its_turn_on():
    async def scenario():
        slots = LargestFirst(1)
        await slots.acquire(10)  # taken at once
        order = []

        async def job(size):
            await slots.acquire(size)
            order.append(size)

        tasks = {size: asyncio.ensure_future(job(size)) for size in (5, 500, 50, 5000)}
        await asyncio.sleep(0)
        tasks[5000].cancel()  # gives up while waiting: never counted
        slots.release()  # the first holder is done
        for _ in range(2):  # then each job that got a turn
            await asyncio.sleep(0.01)
            slots.release()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        assert order == [500, 50, 5]
        assert slots.free == 0  # the last job still holds its slot
        slots.release()
        assert slots.free == 1

    asyncio.run(scenario())


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_end_when_their_fetch_is_killed(tmp_path):
    pid_file = tmp_path / "workers"
    script = f"""
import asyncio, multiprocessing, os, signal, sys
from datetime import datetime, UTC
sys.path.insert(0, {str(SUPPORT)!r})
from farm import make_farm
from newsdesk.feeds.workers import ParseWorkers
feeds = make_farm(2)
async def main():
    workers = ParseWorkers(threshold=0, processes=2)
    await asyncio.gather(*(
        workers.parse(feed.body, source="s", url="http://x.example/f", content_type=None, limit=10**8,
                      fetched_at=datetime.now(UTC), deadline=60)
        for feed in feeds
    ))
    open({str(pid_file)!r}, "w").write(" ".join(str(p.pid) for p in multiprocessing.active_children()))
    os.kill(os.getpid(), signal.SIGKILL)  # no clean-up of any kind
asyncio.run(main())
"""
    # Output to files, not pipes: a worker left behind would hold a pipe open.
    with (tmp_path / "stderr").open("w") as stderr:
        code = subprocess.run(
            [sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=stderr, timeout=120
        ).returncode
    assert code == -signal.SIGKILL, (tmp_path / "stderr").read_text()
    pids = [int(pid) for pid in pid_file.read_text().split()]
    assert pids
    assert gone(pids)  # each worker ends as soon as it sees its parent gone


def test_a_pooled_fetch_never_imports_the_parsers_in_its_own_process(tmp_path):
    """The workers parse; the fetch receives their results without loading a parser."""
    script = f"""
import sys
sys.path.insert(0, {str(SUPPORT)!r})
from pathlib import Path
from farm import FarmServer, make_farm
from newsdesk.feeds import workers as parsepool
from newsdesk.feeds.fetch import fetch
from newsdesk.newsroom import Newsroom
parsepool.POOL_THRESHOLD = 0
root = Path({str(tmp_path / "room")!r})
root.mkdir()
with FarmServer(make_farm(3), latency=0) as server:
    sources = "".join(f'[[sources]]\\nname = "farm {{n}}"\\nurl = "{{url}}"\\n' for n, url in enumerate(server.urls()))
    (root / "sources.toml").write_text('[newsroom]\\nname = "F"\\nblog_url = "https://f.example"\\n' + sources)
    report = fetch(Newsroom.open(root))
assert [r.status for r in report.results] == ["new"] * 3, report.results
print(sorted(m for m in sys.modules if m in ("newsdesk.feeds.parse", "feedparser", "feedparser_rs", "nh3")))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def _farm_newsroom(root: Path, server: FarmServer) -> Path:
    root.mkdir()
    sources = "".join(f'[[sources]]\nname = "farm {n}"\nurl = "{url}"\n' for n, url in enumerate(server.urls()))
    (root / "sources.toml").write_text('[newsroom]\nname = "F"\nblog_url = "https://f.example"\n' + sources)
    return root


_FETCH_AND_LIST_CHILDREN = """
import asyncio, multiprocessing, sys
from pathlib import Path
from newsdesk.feeds import workers as parsepool
from newsdesk.feeds.fetch import Fetcher
from newsdesk.newsroom import Newsroom
parsepool.POOL_THRESHOLD = 0
room = Newsroom.open(Path(sys.argv[1]))
with room.store() as store:
    fetcher = Fetcher(room, store)
    report = asyncio.run(fetcher.run())
print(sorted({r.status for r in report.results}), sum(r.items for r in report.results),
      len(multiprocessing.active_children()), fetcher._workers.broken)
"""


def test_a_pooled_fetch_leaves_no_worker_behind(tmp_path, feeds):
    """The command line's fetch, in a process of its own: its workers parse every feed
    (the items are the ones parse_feed gives) and are gone when the run returns."""
    with FarmServer(feeds, latency=0) as server:
        root = _farm_newsroom(tmp_path / "room", server)
        result = subprocess.run(
            [sys.executable, "-c", _FETCH_AND_LIST_CHILDREN, str(root)], capture_output=True, text=True, timeout=120
        )
        counted = server.counters.snapshot()
    assert result.returncode == 0, result.stderr[-2000:]
    items = sum(len(parse_feed(f.body, **parse_args(f)).items) for f in feeds)
    assert result.stdout.split() == ["['new']", str(items), "0", "False"]
    assert counted["requests"] == len(feeds)


_FETCH_WITH_STDERR_CAPTURED = """
import asyncio, io, sys, threading
from pathlib import Path
from newsdesk.feeds import workers as parsepool
from newsdesk.feeds.fetch import Fetcher
from newsdesk.newsroom import Newsroom

class Capture(io.StringIO):
    def fileno(self):
        return -1  # as Textual's capture of stderr answers while the desk runs

stop = threading.Event()
other = threading.Thread(target=stop.wait)  # the desk fetches from a thread: never the only one
other.start()
parsepool.POOL_THRESHOLD = 0
room = Newsroom.open(Path(sys.argv[1]))
sys.stderr = Capture()
try:
    with room.store() as store:
        fetcher = Fetcher(room, store)
        report = asyncio.run(fetcher.run())
finally:
    sys.stderr = sys.__stderr__
    stop.set()
print(sorted({r.status for r in report.results}), sum(r.items for r in report.results))
"""


def test_a_fetch_from_the_desk_parses_every_feed_while_stderr_is_captured(tmp_path, feeds):
    """In the desk, stderr has no file descriptor to hand to a helper process; every feed
    is parsed all the same (by the workers, or here if they cannot start)."""
    with FarmServer(feeds, latency=0) as server:
        root = _farm_newsroom(tmp_path / "room", server)
        result = subprocess.run(
            [sys.executable, "-c", _FETCH_WITH_STDERR_CAPTURED, str(root)], capture_output=True, text=True, timeout=120
        )
    assert result.returncode == 0, result.stderr[-2000:]
    items = sum(len(parse_feed(f.body, **parse_args(f)).items) for f in feeds)
    assert result.stdout.split() == ["['new']", str(items)]
