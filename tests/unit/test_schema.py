"""The store's one schema: an old store upgrades itself with its rows, a new one gets every
table, a newer one is refused untouched, and every step can run again harmlessly."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from newsdesk import schema
from newsdesk.curation.articles import Article, ArticleCache
from newsdesk.mail.ledger import Ledger, Tally
from newsdesk.mail.subscribers import Subscriber
from newsdesk.store import FeedState, Store, StoreError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stores"
TABLES = {
    *("items", "feeds", "meta", "send_ledger", "send_runs", "articles", "feed_entries", "issue_files", "site_files"),
    "subscribers",
    "send_versions",
}
INDEXES = {"items_by_time", "items_by_canonical_url", "send_ledger_by_state", "subscribers_by_state"}


def old_store(path: Path, script: str = "before_user_version.sql") -> Path:
    db = sqlite3.connect(path)
    db.executescript((FIXTURES / script).read_text(encoding="utf-8"))
    db.close()
    return path


def layout(path: Path) -> dict[str, object]:
    """Every table's columns (name, type, not null, default, key) and every index's columns."""
    db = sqlite3.connect(path)
    try:
        names = db.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        found: dict[str, object] = {}
        for kind, name in names:
            if kind == "table":
                found[name] = [row[1:] for row in db.execute("SELECT * FROM pragma_table_info(?)", (name,))]
            else:
                found[name] = [row[2] for row in db.execute("SELECT * FROM pragma_index_info(?)", (name,))]
        return found
    finally:
        db.close()


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_the_migrations_are_numbered_one_by_one_and_each_script_is_whole():
    assert [m.version for m in schema.MIGRATIONS] == list(range(1, len(schema.MIGRATIONS) + 1))
    assert schema.LATEST == schema.MIGRATIONS[-1].version
    for migration in schema.MIGRATIONS:
        assert list(schema.statements(migration.script))


def test_statements_split_where_sqlite_would():
    script = """
    CREATE TABLE t (x TEXT DEFAULT 'a;b');  -- a semicolon in a string
    CREATE TRIGGER t_added AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END;
    -- only a comment after the last one
    """
    table, trigger = schema.statements(script)
    assert table.strip() == "CREATE TABLE t (x TEXT DEFAULT 'a;b');"
    assert trigger.strip().startswith("-- a semicolon") and trigger.strip().endswith("SELECT 2; END;")
    for unfinished in ("CREATE TABLE t (x); CREATE TABLE u (y)", "CREATE TRIGGER a AFTER INSERT ON t BEGIN SELECT 1;"):
        with pytest.raises(ValueError, match="an unfinished SQL statement"):
            list(schema.statements(unfinished))


def test_a_fresh_store_gets_every_table_at_the_latest_version(tmp_path):
    path = tmp_path / "store.sqlite3"
    with Store(path) as store:
        assert store.count_items() == 0
    assert user_version(path) == schema.LATEST
    assert set(layout(path)) == TABLES | INDEXES


def test_a_store_made_before_user_version_upgrades_with_its_rows_intact(tmp_path):
    path = old_store(tmp_path / "store.sqlite3")
    assert user_version(path) == 0
    with Store(path) as store:
        items = {item.id: item for item in store.items()}
        assert set(items) == {"a1b2c3", "d4e5f6"}
        assert items["d4e5f6"].title == "河北试点信用评价" and items["d4e5f6"].published is None
        assert items["a1b2c3"].categories == ("policy",)
        moved = store.feed_state("https://y.example/rss")
        assert (moved.error, moved.moved_to) == ("HTTP 503", "https://y.example/rss2")
        assert store.feed_state("https://x.example/feed").etag == '"v1"'

        ledger = Ledger(store, "2017-07-03")
        assert ledger.tally() == Tally(pending=1, sent=1)
        assert ledger.entry("ann@example.org").reply == "250 OK"
        article = ArticleCache(store).get("https://x.example/1")
        assert article is not None and article.cached and article.lead == "The State Council issued rules."

        # ...and keeps working: a new send, a new article, a new feed state.
        assert Ledger(store, "2017-07-10").begin([Subscriber(email="cy@example.org")], lambda a: f"<{a}>") == 1
        ArticleCache(store).put(Article("https://x.example/2", "not_article", message="a PDF", fetched_at="t"))
        store.save_feed_state(FeedState(url="https://z.example/feed", source="Z"))
    assert user_version(path) == schema.LATEST


def test_an_upgraded_old_store_has_exactly_a_fresh_stores_tables(tmp_path):
    old = old_store(tmp_path / "old.sqlite3")
    with Store(old), Store(tmp_path / "fresh.sqlite3"):
        pass
    assert layout(old) == layout(tmp_path / "fresh.sqlite3")


def test_an_old_store_that_never_sent_gets_the_ledger_and_article_tables(tmp_path):
    path = tmp_path / "store.sqlite3"
    db = sqlite3.connect(path)
    script = (FIXTURES / "before_user_version.sql").read_text(encoding="utf-8")
    # Only the store's own tables: the ledger and the cache made theirs when first used.
    db.executescript(script[: script.index("CREATE TABLE IF NOT EXISTS send_ledger")])
    db.execute("INSERT INTO meta VALUES ('schema', '2')")
    db.commit()
    db.close()
    with Store(path) as store:
        assert Ledger(store, "2017-07-03").tally().total == 0
        assert ArticleCache(store).get("https://x.example/1") is None
    assert set(layout(path)) == TABLES | INDEXES


def test_migrating_again_changes_nothing(tmp_path):
    path = old_store(tmp_path / "store.sqlite3")
    with Store(path):
        pass
    upgraded, rows = layout(path), dump(path)
    db = sqlite3.connect(path, isolation_level=None)
    schema.migrate(db, path)  # at the latest version: nothing to do, nothing written
    assert db.total_changes == 0
    # Every step rerun from the start over its own tables (as two processes racing to
    # upgrade might): the same tables, the same rows.
    db.execute("PRAGMA user_version = 0")
    schema.migrate(db, path)
    db.close()
    assert (layout(path), dump(path), user_version(path)) == (upgraded, rows, schema.LATEST)


def dump(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [line for line in db.iterdump() if line.startswith("INSERT")]
    finally:
        db.close()


def test_two_stores_opening_a_new_file_at_once_both_upgrade_it_once(tmp_path):
    path = tmp_path / "store.sqlite3"
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Store(path).close()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert user_version(path) == schema.LATEST and set(layout(path)) == TABLES | INDEXES


def test_a_later_migration_upgrades_a_store_in_its_own_transaction(tmp_path, monkeypatch):
    path = tmp_path / "store.sqlite3"
    with Store(path) as store:
        store.save_feed_state(FeedState(url="https://x.example/feed", source="X"))
    broken = schema.Migration(schema.LATEST + 1, "CREATE TABLE extra (x); INSERT INTO missing VALUES (1);")
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    monkeypatch.setattr(schema, "LATEST", broken.version)
    with pytest.raises(StoreError, match="no such table: missing"):
        Store(path)
    # The failed step left nothing behind: no table, the version it had.
    assert "extra" not in layout(path) and user_version(path) == broken.version - 1

    fixed = schema.Migration(broken.version, "CREATE TABLE extra (x); INSERT INTO extra VALUES (1);")
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS[:-1], fixed))
    with Store(path) as store:
        assert store.feed_state("https://x.example/feed").source == "X"
        with store.reading() as db:
            assert db.execute("SELECT x FROM extra").fetchall() == [(1,)]
    assert user_version(path) == fixed.version


def test_a_store_newer_than_this_newsdesk_is_refused_untouched(tmp_path):
    path = tmp_path / "store.sqlite3"
    with Store(path):
        pass
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {schema.LATEST + 1}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as refused:
        Store(path)
    assert refused.value.message == (
        f"{path}: the store was written by a newer newsdesk (schema {schema.LATEST + 1}, "
        f"this one reads {schema.LATEST}); upgrade newsdesk"
    )
    assert path.read_bytes() == before and user_version(path) == schema.LATEST + 1


def test_the_command_line_refuses_a_newer_store_in_one_line(newsroom_dir):
    path = newsroom_dir / ".newsdesk" / "store.sqlite3"
    with Store(path):
        pass
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {schema.LATEST + 7}")
    db.close()
    before = path.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "newsdesk", "--newsroom", str(newsroom_dir), "candidates"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr == (
        f"newsdesk: error: {path}: the store was written by a newer newsdesk "
        f"(schema {schema.LATEST + 7}, this one reads {schema.LATEST}); upgrade newsdesk\n"
    )
    assert path.read_bytes() == before
