"""Data safety: a killed fetch, a failed fetch, two processes at once, and the desk
reading while a fetch writes. The editor's stored items survive all of them.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hostile.fixtures import make_newsroom, server  # noqa: F401
from hostile.generate import corpus, good_feed, many_items

from newsdesk import schema
from newsdesk.errors import EXIT_REFUSED
from newsdesk.feeds.fetch import fetch
from newsdesk.store import FeedState, Store, StoreError

pytestmark = pytest.mark.slow


def newsdesk(root: Path, *args: str) -> subprocess.Popen:
    """`python -m newsdesk -N ROOT ARGS` in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "--newsroom", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def store_path(root: Path) -> Path:
    return root / ".newsdesk" / "store.sqlite3"


def count_by_source(root: Path) -> dict[str, int]:
    db = sqlite3.connect(f"file:{store_path(root)}?mode=ro", uri=True, timeout=10)
    try:
        return dict(db.execute("SELECT source, count(*) FROM items GROUP BY source"))
    finally:
        db.close()


def stored_ids(root: Path) -> set[str]:
    with Store(store_path(root)) as store:
        return {item.id for item in store.items()}


def integrity(root: Path) -> str:
    db = sqlite3.connect(store_path(root))
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


# Enough big feeds that a run is still storing some when it is killed after three.
BIG_FEEDS = 8


def test_kill_9_during_fetch_loses_nothing_stored_before(tmp_path, server):
    root = tmp_path / "room"
    earlier = [(f"earlier-{n}", server.serve(f"earlier-{n}", good_feed(f"earlier{n}", 20))) for n in range(5)]
    fetch(make_newsroom(root, earlier))
    before = stored_ids(root)
    assert len(before) == 100
    # Then many big, slow feeds: the run is killed while feeds are being stored.
    big = [
        (f"big-{n}", server.serve(f"big-{n}", many_items(1000, f"big{n}"), delay=0.05 * (n % 8)))
        for n in range(BIG_FEEDS)
    ]
    make_newsroom(root, earlier + big, feed_deadline=60, run_deadline=120, concurrency=4)
    for kill_after_feeds in (1, 3):
        process = newsdesk(root, "fetch")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            counts = count_by_source(root)
            if sum(1 for name in counts if name.startswith("big-")) >= kill_after_feeds:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the fetch ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL
        assert integrity(root) == "ok"
        assert before <= stored_ids(root)
        # One transaction per feed: each big feed is stored whole or not at all.
        for name, count in count_by_source(root).items():
            assert count == (1000 if name.startswith("big-") else 20), (name, count)
    # The next fetch, not killed, completes what the killed ones began.
    finished = newsdesk(root, "fetch")
    assert finished.wait(timeout=120) == 0, finished.stderr.read()
    counts = count_by_source(root)
    assert sum(counts.values()) == 100 + BIG_FEEDS * 1000


@pytest.mark.parametrize(
    "failure",
    ["status-500", "html-page", "truncated-xml", "empty-channel", "fewer-items", "garbage-bytes"],
)
def test_a_failed_or_partial_fetch_never_removes_stored_items(tmp_path, server, failure):
    url = server.serve("feed", good_feed("kept", 10))
    room = make_newsroom(tmp_path, [("kept", url)])
    fetch(room)
    before = stored_ids(tmp_path)
    assert len(before) == 10
    replacement = {
        "status-500": None,
        "html-page": b"<html><body>Maintenance</body></html>",
        "truncated-xml": good_feed("kept", 10)[:700],
        "empty-channel": corpus("empty-channel.xml"),
        "fewer-items": good_feed("kept", 2),
        "garbage-bytes": bytes(range(256)) * 10,
    }[failure]
    if replacement is None:
        room = make_newsroom(tmp_path, [("kept", server.url("/status/500"))])
    else:
        server.serve("feed", replacement)
    report = fetch(room)
    assert report.results[0].status in ("failed", "unchanged", "updated", "new"), report.results[0].line()
    assert before <= stored_ids(tmp_path)
    assert integrity(tmp_path) == "ok"


def test_second_fetch_is_refused_while_the_first_runs(tmp_path, server):
    sources = [(f"slow-{n}", server.url(f"/dribble?{n}")) for n in range(3)]
    sources.append(("good", server.serve("good", good_feed("good", 5))))
    root = tmp_path / "room"
    make_newsroom(root, sources, feed_deadline=3)
    first = newsdesk(root, "fetch")
    lock = root / ".newsdesk" / "fetch.lock"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
        time.sleep(0.02)
    second = newsdesk(root, "fetch")
    out, err = second.communicate(timeout=20)
    assert second.returncode == EXIT_REFUSED
    assert (
        err.strip()
        == f"newsdesk: error: newsroom busy: a fetch is already running (pid {first.pid}); try again when it ends"
    )
    assert "Traceback" not in err and out == ""
    assert first.wait(timeout=20) == 0
    assert integrity(root) == "ok"
    assert count_by_source(root) == {"good": 5}
    # And once the first is done, a fetch runs again.
    third = newsdesk(root, "fetch", "--source", "good")
    assert third.wait(timeout=20) == 0


def test_the_desk_reads_while_a_fetch_writes(tmp_path, server):
    sources = [(f"big-{n}", server.serve(f"big-{n}", many_items(1000, f"big{n}"))) for n in range(8)]
    root = tmp_path / "room"
    make_newsroom(root, sources, feed_deadline=60, run_deadline=120, concurrency=4)
    with Store(store_path(root)) as reader:  # what the desk holds open
        with reader.reading() as db:
            # No waiting for a lock at all: a read the writer held up fails instead of
            # being slow ("database is locked"), which no clock could tell for sure.
            db.execute("PRAGMA busy_timeout=0")
        writer = newsdesk(root, "fetch")
        seen = []
        while writer.poll() is None:
            seen.append(len(reader.items(limit=50_000)))
            time.sleep(0.02)  # a desk reads now and then: reading flat out starves the writer of a core
        assert writer.returncode == 0, writer.stderr.read()
        seen.append(reader.count_items())
    assert seen == sorted(seen), "a reader saw items disappear"
    assert seen[-1] == 8_000
    assert len(set(seen)) > 2, "the reader never saw the fetch in progress"


def test_a_store_made_with_small_pages_keeps_them_and_its_items(tmp_path):
    """New stores use 16 KB pages; one made before (4 KB) opens as it is, nothing lost."""
    old = tmp_path / "old.db"
    with Store(tmp_path / "new.db") as store:
        assert store._db.execute("PRAGMA page_size").fetchone() == (16384,)
    db = sqlite3.connect(old)
    db.execute("PRAGMA page_size=4096")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    with Store(old) as store:
        store.save_feed_state(FeedState(url="https://a.example/feed", source="A", etag='"1"'))
    with Store(old) as store:
        assert store._db.execute("PRAGMA page_size").fetchone() == (4096,)
        assert store.feed_state("https://a.example/feed").etag == '"1"'


# The schema of the first newsdesk (version 1), which also kept each item's sanitized HTML.
_SCHEMA_1_ITEMS = """
CREATE TABLE items (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, guid TEXT NOT NULL, title TEXT NOT NULL,
    url TEXT, canonical_url TEXT, summary_html TEXT NOT NULL, summary_text TEXT NOT NULL,
    published TEXT, first_seen TEXT NOT NULL, sort_time TEXT NOT NULL,
    categories TEXT NOT NULL DEFAULT '[]', content_hash TEXT NOT NULL
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema', '1');
INSERT INTO items VALUES ('abc', 'Xinhua', 'g1', 'Credit rules', 'https://x.example/1',
    'https://x.example/1', '<p>Body</p>', 'Body', '2017-06-27T08:00:00Z', '2017-06-27T09:00:00Z',
    '2017-06-27T08:00:00Z', '["policy"]', 'h1');
"""


def test_a_store_of_the_first_schema_is_upgraded_and_keeps_its_items(tmp_path):
    path = tmp_path / "store.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA_1_ITEMS)
    db.close()
    with Store(path) as store:
        (item,) = store.items()
        assert (item.title, item.summary_text, item.categories) == ("Credit rules", "Body", ("policy",))
        store.save_items([replace(item, id="def", summary_text="Another")])
        assert store.count_items() == 2
    db = sqlite3.connect(path)
    columns = [row[1] for row in db.execute("PRAGMA table_info(items)")]
    assert "summary_html" not in columns and "summary_text" in columns
    assert db.execute("PRAGMA user_version").fetchone() == (schema.LATEST,)
    # What the newsdesks before user_version read: the layout they know, so they open it too.
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)
    db.close()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            f"PRAGMA user_version = {schema.LATEST + 1}",
            (
                rf"store\.sqlite3: the store was written by a newer newsdesk \(schema {schema.LATEST + 1}, "
                rf"this one reads {schema.LATEST}\); upgrade newsdesk$"
            ),
        ),
        # A store from before user_version says its layout in meta: one it cannot know...
        (
            "PRAGMA user_version = 0; UPDATE meta SET value = '3' WHERE key = 'schema'",
            r"store\.sqlite3: the store was written by a newer newsdesk \(schema 3 in its meta table",
        ),
        # ...or cannot read.
        (
            "PRAGMA user_version = 0; UPDATE meta SET value = 'two' WHERE key = 'schema'",
            r"store\.sqlite3: the store's schema version is unreadable: 'two'$",
        ),
    ],
)
def test_a_store_from_a_newer_newsdesk_or_unreadable_is_refused_untouched(tmp_path, setting, message):
    path = tmp_path / "store.sqlite3"
    with Store(path):
        pass
    db = sqlite3.connect(path)
    db.executescript(setting)
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=message):
        Store(path)
    assert path.read_bytes() == before
