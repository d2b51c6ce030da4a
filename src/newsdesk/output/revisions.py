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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from newsdesk.store import Store


def content_digest(title: str, summary: str, body: str) -> str:
    """What a reader of the entry sees, as one digest."""
    return hashlib.sha256(json.dumps([title, summary, body], ensure_ascii=False).encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Revisions:
    """The entries' change times in ``store``; ``clock`` says what time it is (UTC)."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def updated(self, entries: Sequence[tuple[str, str, datetime]]) -> list[datetime]:
        """For each (entry id, content digest, published time), when its content last
        changed, never before it was published; a changed digest is recorded as of now."""
        ids = [entry_id for entry_id, _, _ in entries]
        with self.store.reading() as db:
            known = self._rows(db, ids)
        if any(known.get(entry_id, ("",))[0] != digest for entry_id, digest, _ in entries):
            # Only then the write lock: a feed rendered again unchanged writes nothing.
            now = self.clock().astimezone(UTC).replace(microsecond=0)
            with self.store.transaction() as db:
                known = self._rows(db, ids)  # as of the lock: another render may have been first
                for entry_id, digest, published in entries:
                    row = known.get(entry_id)
                    if row is not None and row[0] == digest:
                        continue
                    changed = published if row is None else now
                    db.execute(
                        "INSERT INTO feed_entries (entry_id, digest, changed_at) VALUES (?, ?, ?) "
                        "ON CONFLICT (entry_id) DO UPDATE SET digest = excluded.digest, changed_at = excluded.changed_at",
                        (entry_id, digest, _iso(changed)),
                    )
                    known[entry_id] = (digest, _iso(changed))
        return [max(published, datetime.fromisoformat(known[entry_id][1])) for entry_id, _, published in entries]

    @staticmethod
    def _rows(db, ids: list[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(ids), 500):  # SQLite's limit on a statement's parameters
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT entry_id, digest, changed_at FROM feed_entries WHERE entry_id IN ({marks})"
            for entry_id, digest, changed_at in db.execute(query, chunk):
                found[entry_id] = (digest, changed_at)
        return found
