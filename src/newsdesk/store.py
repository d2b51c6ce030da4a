"""The newsroom's store: items and feed state in SQLite (WAL), one transaction per feed."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsdesk import schema
from newsdesk.chinese import fold, has_han
from newsdesk.items import Item, parse_utc, utc_text
from newsdesk.schema import StoreError

__all__ = ["FeedState", "Store", "StoreError"]

_ITEM_COLUMNS = (
    "id, source, guid, title, url, canonical_url, summary_text, published, first_seen, categories, content_hash"
)


@dataclass
class FeedState:
    """What the last fetch of one feed URL left behind, for conditional GET."""

    url: str
    source: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    status: str | None = None
    error: str | None = None
    checked_at: str | None = None
    moved_to: str | None = None


def _row_to_item(row: sqlite3.Row | tuple) -> Item:
    (id_, source, guid, title, url, canonical, text, published, first_seen, cats, digest) = row
    return Item(
        id=id_,
        source=source,
        guid=guid,
        title=title,
        url=url,
        canonical_url=canonical,
        summary_text=text,
        published=parse_utc(published),
        first_seen=parse_utc(first_seen),  # type: ignore[arg-type]
        categories=tuple(json.loads(cats)),
        content_hash=digest,
    )


def _fold_text(text: str | None) -> str | None:
    """The store's SQL function ``fold``: traditional Chinese as simplified, for search."""
    return fold(text) if text else text


class Store:
    """Items and feed state. Safe to share between threads; other processes wait their turn."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{path}: the store cannot be opened: {error}") from None
        self._db.create_function("fold", 1, _fold_text, deterministic=True)
        try:
            # Before any pragma that writes: a store from a newer newsdesk is left untouched.
            schema.refuse_newer(self._db, path)
            # 16 KB pages for a new store (an existing one keeps its own): items carry
            # kilobytes of text, and bigger pages mean fewer overflow pages and writes
            # (measured in docs/benchmarks.md).
            self._db.execute("PRAGMA page_size=16384")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=30000")
            schema.migrate(self._db, path)
        except StoreError:
            self._db.close()
            raise
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise StoreError(f"{path}: the store cannot be opened: {error}") from None
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads: no write lock, so a fetch's writes never hold them up."""
        with self._lock:
            yield self._db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing write: a kill in the middle leaves the store as it was."""
        with self._lock:
            if self._db.in_transaction:  # nested: the outer transaction commits
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    # The last fetch run ---------------------------------------------------

    def save_last_fetch(self, record: dict[str, object]) -> None:
        """Keep the report of the fetch run that just ended (meta's ``last_fetch`` row): the
        desk shows it, whichever terminal ran it."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_fetch', ?)",
                (json.dumps(record, ensure_ascii=False),),
            )

    def last_fetch(self) -> dict[str, object] | None:
        """The report save_last_fetch kept, or None before the first fetch."""
        with self.reading() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'last_fetch'").fetchone()
        return json.loads(row[0]) if row else None

    # Items -------------------------------------------------------------

    def save_items(self, items: Iterable[Item]) -> tuple[int, int]:
        """Insert new items and update changed ones; returns (new, updated)."""
        batch = {item.id: item for item in items}
        if not batch:
            return 0, 0
        new = updated = 0
        with self.transaction() as db:
            known: dict[str, str] = {}
            ids = list(batch)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                known.update(db.execute(f"SELECT id, content_hash FROM items WHERE id IN ({marks})", chunk))
            rows = []
            for item in batch.values():
                if item.id not in known:
                    new += 1
                elif known[item.id] != item.content_hash:
                    updated += 1
                else:
                    continue
                rows.append(
                    (
                        item.id,
                        item.source,
                        item.guid,
                        item.title,
                        item.url,
                        item.canonical_url,
                        item.summary_text,
                        utc_text(item.published) if item.published else None,
                        utc_text(item.first_seen),
                        json.dumps(list(item.categories), ensure_ascii=False),
                        item.content_hash,
                        utc_text(item.when),
                    )
                )
            # An update keeps first_seen: an item is "new" once.
            db.executemany(
                f"INSERT INTO items ({_ITEM_COLUMNS}, sort_time) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET source=excluded.source, guid=excluded.guid, "
                "title=excluded.title, url=excluded.url, canonical_url=excluded.canonical_url, "
                "summary_text=excluded.summary_text, "
                "published=excluded.published, categories=excluded.categories, "
                "content_hash=excluded.content_hash, "
                "sort_time=coalesce(excluded.published, items.first_seen)",
                rows,
            )
        return new, updated

    def item(self, item_id: str) -> Item | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
        return _row_to_item(row) if row else None

    def items(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        search: str | None = None,
        sources: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> list[Item]:
        """Items whose time falls in [start, end), newest first."""
        where, params = [], []
        if start is not None:
            where.append("sort_time >= ?")
            params.append(utc_text(start))
        if end is not None:
            where.append("sort_time < ?")
            params.append(utc_text(end))
        if sources is not None:
            names = list(sources)
            where.append(f"source IN ({','.join('?' * len(names))})")
            params.extend(names)
        if search:
            for word in search.split():
                # Chinese in either script: 資訊 finds 资讯 (the text folded by OpenCC as compared).
                han = has_han(word)
                word = fold(word) if han else word
                pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                if han:
                    where.append(
                        "(fold(title) LIKE ? ESCAPE '\\' OR fold(summary_text) LIKE ? ESCAPE '\\'"
                        " OR fold(source) LIKE ? ESCAPE '\\')"
                    )
                    params.extend([pattern] * 3)
                    continue
                where.append(
                    "(title LIKE ? ESCAPE '\\' OR summary_text LIKE ? ESCAPE '\\' OR source LIKE ? ESCAPE '\\')"
                )
                params.extend([pattern] * 3)
        sql = f"SELECT {_ITEM_COLUMNS} FROM items"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY sort_time DESC, id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [_row_to_item(row) for row in rows]

    def items_with_prefix(self, prefix: str, limit: int = 10) -> list[Item]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                (prefix, prefix + "\uffff", limit),
            ).fetchall()
        return [_row_to_item(row) for row in rows]

    def count_items(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM items").fetchone()[0]

    # Feed state --------------------------------------------------------

    def feed_state(self, url: str) -> FeedState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT url, source, etag, last_modified, body_hash, status, error, checked_at, moved_to "
                "FROM feeds WHERE url = ?",
                (url,),
            ).fetchone()
        return FeedState(*row) if row else None

    def save_feed_state(self, state: FeedState, items: Iterable[Item] = ()) -> tuple[int, int]:
        """Store a feed's items and its new state together, in one transaction; the counts
        of new and updated items. A state saved with items takes its status from them:
        "new" when any was new, else "updated" when any changed, else "unchanged"."""
        with self.transaction():
            new, updated = self.save_items(items) if items else (0, 0)
            if items:
                state.status = "new" if new else ("updated" if updated else "unchanged")
            self.save_feed_states([state])
        return new, updated

    def save_feed_states(self, states: Iterable[FeedState]) -> None:
        """Store the states of feeds that brought no items, all in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO feeds (url, source, etag, last_modified, body_hash, status, error, checked_at, moved_to) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
                "source=excluded.source, etag=excluded.etag, last_modified=excluded.last_modified, "
                "body_hash=excluded.body_hash, status=excluded.status, error=excluded.error, "
                "checked_at=excluded.checked_at, moved_to=excluded.moved_to",
                [
                    (
                        state.url,
                        state.source,
                        state.etag,
                        state.last_modified,
                        state.body_hash,
                        state.status,
                        state.error,
                        state.checked_at,
                        state.moved_to,
                    )
                    for state in states
                ],
            )
