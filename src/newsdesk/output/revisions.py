"""When each feed entry's content last changed: Atom's ``<updated>``, which must move when
an issue is corrected (feed readers show the correction) and only then.

Issue files do not say when they were edited (a file's time moves with a mere save, a copy
or a checkout), so the store keeps, for each entry id, a digest of the entry's content
(title, summary, body) as last rendered and when that digest changed (table
``feed_entries``, made by newsdesk.schema). A change is seen when a feed is next rendered:
by `newsdesk render`, or by publishing the site. An entry met for the first time is as it
was published, and nothing is updated before it is published: edits made while it was a
draft are not corrections.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from newsdesk.store import Store


def content_digest(title: str, summary: str, body: str) -> str:
    """What a reader of the entry sees, as one digest."""
    return hashlib.sha256(json.dumps([title, summary, body], ensure_ascii=False).encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Revision:
    """An entry as last rendered: its content's digest, when that changed, and a digest of
    what the content was rendered from (so that a build that has it unchanged need not
    render the content again to know its digest)."""

    digest: str
    changed_at: datetime
    source: str


class Revisions:
    """The entries' change times in ``store``; ``clock`` says what time it is (UTC)."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def known(self, ids: Sequence[str]) -> dict[str, Revision]:
        with self.store.reading() as db:
            return self._rows(db, list(ids))

    def updated(
        self, entries: Sequence[tuple[str, str, datetime, str]], known: dict[str, Revision] | None = None
    ) -> list[datetime]:
        """For each (entry id, content digest, published time, source digest), when its
        content last changed, never before it was published; a changed digest is recorded
        as of now. ``known``: what known() just said of these entries, if it was asked."""
        ids = [entry[0] for entry in entries]
        rows: dict[str, Revision] = self.known(ids) if known is None else dict(known)

        def stale(entry_id: str, digest: str, source: str) -> bool:
            row = rows.get(entry_id)
            return row is None or (row.digest, row.source) != (digest, source)

        if any(stale(entry_id, digest, source) for entry_id, digest, _, source in entries):
            # Only then the write lock: a feed rendered again unchanged writes nothing.
            now = self.clock().astimezone(UTC).replace(microsecond=0)
            with self.store.transaction() as db:
                rows = self._rows(db, ids)  # as of the lock: another render may have been first
                for entry_id, digest, published, source in entries:
                    if not stale(entry_id, digest, source):
                        continue
                    row = rows.get(entry_id)
                    changed = published if row is None else row.changed_at if row.digest == digest else now
                    db.execute(
                        "INSERT INTO feed_entries (entry_id, digest, changed_at, source) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (entry_id) DO UPDATE SET digest = excluded.digest, "
                        "changed_at = excluded.changed_at, source = excluded.source",
                        (entry_id, digest, _iso(changed), source),
                    )
                    rows[entry_id] = Revision(digest, changed, source)
        return [max(published, rows[entry_id].changed_at) for entry_id, _, published, _ in entries]

    @staticmethod
    def _rows(db: sqlite3.Connection, ids: list[str]) -> dict[str, Revision]:
        found: dict[str, Revision] = {}
        for start in range(0, len(ids), 500):  # SQLite's limit on a statement's parameters
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT entry_id, digest, changed_at, source FROM feed_entries WHERE entry_id IN ({marks})"
            for entry_id, digest, changed_at, source in db.execute(query, chunk):
                found[entry_id] = Revision(digest, datetime.fromisoformat(changed_at), source)
        return found
