"""The store's one schema: every table newsdesk keeps in SQLite (items, feeds, the send
ledger, the article cache...), built by an ordered list of migrations.

Each migration is a small SQL script, applied in a transaction of its own that also
records its number in ``PRAGMA user_version``; opening a store applies the steps it lacks,
so an older store upgrades itself and a kill mid-upgrade leaves it at the last whole step.
The version is read again inside each step's write lock, as another process may be
upgrading the same store at that moment.

A store made before this module has user_version 0 but already holds tables (the
``meta`` table's ``schema`` key said which layout: 1 with items' ``summary_html``, or 2).
Migration 1 is exactly the tables that code created, with ``IF NOT EXISTS``, so it adopts
such a store without losing a row; it also drops the version-1 column as that code did.

The ``meta`` row ``schema = '2'`` is kept for the newsdesks before this module, which read
it and refuse a store that says more: a later migration that changes a table they use
should raise it, so that they refuse the store rather than misread it.

A store newer than this code (user_version above the last migration) is refused before
anything is written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from newsdesk.errors import NewsdeskError


class StoreError(NewsdeskError):
    """The store cannot be opened as it is; the message names the file."""


@dataclass(frozen=True)
class Migration:
    version: int
    script: str
    # Run first in the step's transaction, for what SQL alone cannot say conditionally.
    before: Callable[[sqlite3.Connection, Path], None] | None = None


# The layout the newsdesks before this module wrote in meta; higher was "a newer newsdesk".
_LEGACY_LAYOUT = 2


def _adopt_legacy_store(db: sqlite3.Connection, path: Path) -> None:
    """A store from before user_version: refuse what its meta row says is unknown, and
    drop the column version-1 stores kept (each item's sanitized HTML, which nothing read)."""
    if _has_table(db, "meta"):
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is not None:
            try:
                layout = int(row[0])
            except ValueError:
                raise StoreError(f"{path}: the store's schema version is unreadable: {row[0]!r}") from None
            if layout > _LEGACY_LAYOUT:
                raise StoreError(
                    f"{path}: the store was written by a newer newsdesk (schema {layout} in its meta "
                    f"table, this one reads {_LEGACY_LAYOUT} there); upgrade newsdesk"
                )
    if _has_table(db, "items") and "summary_html" in _columns(db, "items"):
        db.execute("ALTER TABLE items DROP COLUMN summary_html")


def _add_ledger_versions(db: sqlite3.Connection, path: Path) -> None:
    """Which version of an issue's message each recipient was sent (newsdesk.mail.ledger): an
    issue edited after some readers had it, and sent on with --force, is version 2."""
    if "version" not in _columns(db, "send_ledger"):
        db.execute("ALTER TABLE send_ledger ADD COLUMN version INTEGER NOT NULL DEFAULT 1")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        """
        CREATE TABLE IF NOT EXISTS items (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            guid TEXT NOT NULL,
            title TEXT NOT NULL,
            url TEXT,
            canonical_url TEXT,
            summary_text TEXT NOT NULL,
            published TEXT,
            first_seen TEXT NOT NULL,
            sort_time TEXT NOT NULL,
            categories TEXT NOT NULL DEFAULT '[]',
            content_hash TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS items_by_time ON items (sort_time DESC);
        CREATE INDEX IF NOT EXISTS items_by_canonical_url ON items (canonical_url);
        CREATE TABLE IF NOT EXISTS feeds (
            url TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            status TEXT,
            error TEXT,
            checked_at TEXT,
            moved_to TEXT
        );
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '2');

        -- The send ledger (newsdesk.mail.ledger): each recipient's state for each issue.
        CREATE TABLE IF NOT EXISTS send_ledger (
            issue TEXT NOT NULL,
            address_key TEXT NOT NULL,
            address TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            message_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            permanent INTEGER NOT NULL DEFAULT 0,
            in_doubt INTEGER NOT NULL DEFAULT 0,
            reply TEXT,
            updated_at TEXT NOT NULL,
            sent_at TEXT,
            PRIMARY KEY (issue, address_key)
        );
        CREATE INDEX IF NOT EXISTS send_ledger_by_state ON send_ledger (issue, state, seq);
        CREATE TABLE IF NOT EXISTS send_runs (
            issue TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            completed_at TEXT
        );

        -- The article cache (newsdesk.curation.articles), by canonical URL.
        CREATE TABLE IF NOT EXISTS articles (
            url TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            lead TEXT NOT NULL,
            message TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        );
        """,
        before=_adopt_legacy_store,
    ),
    Migration(
        2,
        """
        -- Feed entries (newsdesk.output.revisions): a digest of each entry's content as last
        -- rendered, when that content last changed (an ISO 8601 UTC time), which is the
        -- entry's Atom <updated>, and a digest of what the content was rendered from.
        CREATE TABLE IF NOT EXISTS feed_entries (
            entry_id TEXT PRIMARY KEY,
            digest TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT ''
        );

        -- The issue files as last read (newsdesk.output.catalog): a file whose signature
        -- (size, times, inode) and reader are unchanged is listed from here, not parsed.
        CREATE TABLE IF NOT EXISTS issue_files (
            name TEXT PRIMARY KEY,
            signature TEXT NOT NULL,
            listing TEXT NOT NULL
        );

        -- The static sites' files as last built (newsdesk.output.site), by the site folder's
        -- absolute path: what each was rendered from (a digest), and its size and time
        -- once written, so that a rebuild renders only what changed.
        CREATE TABLE IF NOT EXISTS site_files (
            site TEXT NOT NULL,
            path TEXT NOT NULL,
            inputs TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            PRIMARY KEY (site, path)
        );
        """,
    ),
    Migration(
        3,
        """
        -- The list (newsdesk.mail.roster): every address the newsroom knows, with its state.
        -- ``id`` is what signed links carry instead of the address (never reused: AUTOINCREMENT).
        -- Times are ISO 8601 UTC; ``reason`` says why the state is what it is (an unsubscribe
        -- link, a bounce's status and diagnostic, the subscribers file...).
        CREATE TABLE IF NOT EXISTS subscribers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            address_key TEXT NOT NULL UNIQUE,
            address TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL
                CHECK (state IN ('pending', 'subscribed', 'unsubscribed', 'bounced', 'complained')),
            source TEXT NOT NULL DEFAULT 'import' CHECK (source IN ('file', 'import', 'web')),
            since TEXT NOT NULL,  -- the day they signed up or were added (YYYY-MM-DD)
            confirmed_at TEXT,  -- when they followed the confirmation link (double opt-in)
            changed_at TEXT NOT NULL,  -- the state's last change
            reason TEXT NOT NULL DEFAULT '',
            soft_bounces INTEGER NOT NULL DEFAULT 0,
            -- The confirmation link in flight: its nonce (cleared once followed) and when it went.
            confirm_nonce TEXT,
            confirm_sent_at TEXT
        );
        CREATE INDEX IF NOT EXISTS subscribers_by_state ON subscribers (state);
        """,
    ),
    Migration(
        4,
        """
        -- Each version's message as every reader's copy shares it (rendered for a placeholder
        -- reader): its digest, and enough of it (the shared headers, the plaintext, a digest of
        -- the HTML) to say what changed from one version to the next.
        CREATE TABLE IF NOT EXISTS send_versions (
            issue TEXT NOT NULL,
            version INTEGER NOT NULL,
            digest TEXT NOT NULL,
            subject TEXT NOT NULL,
            headers TEXT NOT NULL,
            plaintext TEXT NOT NULL,
            html_digest TEXT NOT NULL,
            made_at TEXT NOT NULL,
            PRIMARY KEY (issue, version)
        );
        """,
        before=_add_ledger_versions,
    ),
)

LATEST = MIGRATIONS[-1].version


def version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def refuse_newer(db: sqlite3.Connection, path: Path) -> int:
    """The store's version; a StoreError if a newer newsdesk wrote it."""
    found = version(db)
    if found > LATEST:
        raise StoreError(
            f"{path}: the store was written by a newer newsdesk (schema {found}, "
            f"this one reads {LATEST}); upgrade newsdesk"
        )
    return found


def statements(script: str) -> Iterator[str]:
    """The script's statements one by one (executescript would commit the transaction
    first); a semicolon inside a string or a trigger's body does not end one."""
    pieces = script.split(";")
    pending = ""
    for piece in pieces[:-1]:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if _has_sql(pending):
                yield pending
            pending = ""
    if _has_sql(pending + pieces[-1]):
        raise ValueError(f"an unfinished SQL statement (no closing ';'): {(pending + pieces[-1]).strip()!r}")


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Apply the migrations the store lacks, each in its own transaction.

    ``db`` must be in autocommit mode (isolation_level=None): the steps open and commit
    their own transactions. Raises StoreError for a store newer than this code."""
    if refuse_newer(db, path) == LATEST:
        return
    for migration in MIGRATIONS:
        db.execute("BEGIN IMMEDIATE")
        try:
            if refuse_newer(db, path) >= migration.version:
                db.execute("ROLLBACK")
                continue
            if migration.before is not None:
                migration.before(db, path)
            for statement in statements(migration.script):
                db.execute(statement)
            # A PRAGMA takes no parameters; the number is this module's own int.
            db.execute(f"PRAGMA user_version = {int(migration.version)}")
        except BaseException:
            if db.in_transaction:  # SQLite may have rolled it back itself (a full disk)
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _has_sql(text: str) -> bool:
    """Whether text holds more than blanks, semicolons and -- comments."""
    lines = (line.split("--", 1)[0] for line in text.splitlines())
    return any(line.strip().strip(";").strip() for line in lines)


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return db.execute(query, (name,)).fetchone() is not None


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM pragma_table_info(?)", (table,))]
