"""The send ledger: each recipient's state for each issue, kept in the newsroom's store.

States move pending -> in_flight -> sent | failed, and every change is committed before
the next step of the SMTP conversation begins:

* a recipient is marked ``in_flight`` (committed) before its message is handed to the
  server, and ``sent`` (committed) as soon as the server has accepted it;
* so after a kill at any moment, ``sent`` rows were delivered, ``pending`` rows were not,
  and at most one row is ``in_flight``: the message whose acceptance was never recorded.
  It is "in doubt": the server may or may not have it.

The policy for in-doubt rows (see send.py) is to resend them with the same Message-ID, so
a reader's mail client can recognise the copy; ``--in-doubt skip`` marks them failed instead.
Commits use SQLite's WAL with synchronous=NORMAL: they survive a killed process; a power cut
may lose the last few, which would be resent. The tables (send_ledger, send_runs) are the
store's, created with the others by newsdesk.schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from newsdesk.mail.subscribers import Subscriber
from newsdesk.store import Store

STATES = ("pending", "in_flight", "sent", "failed")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Entry:
    """One recipient of one issue, as the ledger has it."""

    address: str
    name: str
    message_id: str
    state: str
    attempts: int
    permanent: bool
    in_doubt: bool
    reply: str | None
    updated_at: str = ""

    @property
    def key(self) -> str:
        return self.address.lower()

    def subscriber(self) -> Subscriber:
        return Subscriber(email=self.address, name=self.name)


@dataclass(frozen=True)
class Tally:
    pending: int = 0
    in_flight: int = 0
    sent: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.in_flight + self.sent + self.failed


@dataclass(frozen=True)
class Version:
    """One version of an issue's message, as every copy shares it."""

    version: int
    digest: str
    subject: str
    headers: str
    plaintext: str
    html_digest: str
    made_at: str = ""


_ENTRY_COLUMNS = "address, name, message_id, state, attempts, permanent, in_doubt, reply, updated_at"


class Ledger:
    """The send ledger of one issue."""

    def __init__(self, store: Store, issue: str) -> None:
        self.store = store
        self.issue = issue

    # Reading -----------------------------------------------------------

    def tally(self) -> Tally:
        with self.store.reading() as db:
            rows = db.execute(
                "SELECT state, count(*) FROM send_ledger WHERE issue = ? GROUP BY state", (self.issue,)
            ).fetchall()
        return Tally(**dict(rows))

    def completed_at(self) -> str | None:
        with self.store.reading() as db:
            row = db.execute("SELECT completed_at FROM send_runs WHERE issue = ?", (self.issue,)).fetchone()
        return row[0] if row else None

    def entry(self, address: str) -> Entry | None:
        with self.store.reading() as db:
            row = db.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM send_ledger WHERE issue = ? AND address_key = ?",
                (self.issue, address.lower()),
            ).fetchone()
        return Entry(*row) if row else None

    def entries(self, states: Iterable[str], *, batch: int = 500) -> Iterator[Entry]:
        """Rows in these states, in the order they were added, read a batch at a time."""
        wanted = list(states)
        marks = ",".join("?" * len(wanted))
        last = -1
        while True:
            with self.store.reading() as db:
                rows = db.execute(
                    f"SELECT seq, {_ENTRY_COLUMNS} FROM send_ledger "
                    f"WHERE issue = ? AND state IN ({marks}) AND seq > ? ORDER BY seq LIMIT ?",
                    (self.issue, *wanted, last, batch),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield Entry(*row[1:])
            last = rows[-1][0]

    def versions(self) -> list[Version]:
        with self.store.reading() as db:
            rows = db.execute(
                "SELECT version, digest, subject, headers, plaintext, html_digest, made_at "
                "FROM send_versions WHERE issue = ? ORDER BY version",
                (self.issue,),
            ).fetchall()
        return [Version(*row) for row in rows]

    def sent_by_version(self) -> dict[int, int]:
        with self.store.reading() as db:
            rows = db.execute(
                "SELECT version, count(*) FROM send_ledger WHERE issue = ? AND state = 'sent' GROUP BY version",
                (self.issue,),
            ).fetchall()
        return dict(rows)

    def failures(self) -> list[Entry]:
        return list(self.entries(["failed"]))

    def in_doubt(self) -> list[Entry]:
        """Rows that were once in doubt: a reader who may have two copies (or, skipped, none)."""
        with self.store.reading() as db:
            rows = db.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM send_ledger WHERE issue = ? AND in_doubt = 1 ORDER BY seq",
                (self.issue,),
            ).fetchall()
        return [Entry(*row) for row in rows]

    # Writing: each method is one committed transaction -----------------

    def record_version(self, content: Version, *, replace: bool = False) -> int:
        """Record ``content`` as the next version (or, ``replace``, in place of the latest,
        which nobody has yet); returns its number."""
        with self.store.transaction() as db:
            latest = db.execute(
                "SELECT coalesce(max(version), 0) FROM send_versions WHERE issue = ?", (self.issue,)
            ).fetchone()[0]
            number = latest if replace and latest else latest + 1
            db.execute(
                "INSERT OR REPLACE INTO send_versions "
                "(issue, version, digest, subject, headers, plaintext, html_digest, made_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.issue,
                    number,
                    content.digest,
                    content.subject,
                    content.headers,
                    content.plaintext,
                    content.html_digest,
                    _now(),
                ),
            )
            return number

    def begin(self, subscribers: Iterable[Subscriber], message_id_of, version: int = 1) -> int:
        """Add the subscribers not yet in the ledger as pending; returns how many were added."""
        now = _now()
        with self.store.transaction() as db:
            db.execute("INSERT OR IGNORE INTO send_runs (issue, started_at) VALUES (?, ?)", (self.issue, now))
            start = db.execute(
                "SELECT coalesce(max(seq), 0) FROM send_ledger WHERE issue = ?", (self.issue,)
            ).fetchone()[0]
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO send_ledger "
                "(issue, address_key, address, name, message_id, seq, state, updated_at, version) "
                "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (
                    (self.issue, s.key, s.email, s.name, message_id_of(s.email), start + n, now, version)
                    for n, s in enumerate(subscribers, start=1)
                ),
            )
            return db.total_changes - before

    def mark_in_flight(
        self,
        address: str,
        message_id: str | None = None,
        version: int | None = None,
        *,
        then_sent: tuple[str, str] | None = None,
    ) -> None:
        """In flight, with the Message-ID and version of the copy going out. ``then_sent``
        (an address and the server's acceptance) records the connection's previous message
        as sent in the same transaction: one commit a message instead of two."""
        now = _now()
        with self.store.transaction() as db:
            if then_sent is not None:
                db.execute(
                    "UPDATE send_ledger SET state = 'sent', reply = ?, sent_at = ?, updated_at = ? "
                    "WHERE issue = ? AND address_key = ?",
                    (then_sent[1], now, now, self.issue, then_sent[0].lower()),
                )
            if message_id is None or version is None:
                db.execute(
                    "UPDATE send_ledger SET state = 'in_flight', attempts = attempts + 1, updated_at = ? "
                    "WHERE issue = ? AND address_key = ?",
                    (now, self.issue, address.lower()),
                )
            else:
                db.execute(
                    "UPDATE send_ledger SET state = 'in_flight', attempts = attempts + 1, message_id = ?, "
                    "version = ?, updated_at = ? WHERE issue = ? AND address_key = ?",
                    (message_id, version, now, self.issue, address.lower()),
                )

    def mark_sent(self, address: str, reply: str) -> None:
        self._set(address, "state = 'sent', reply = ?, sent_at = ?", reply, _now())

    def mark_pending(self, address: str, reply: str, *, in_doubt: bool = False) -> None:
        """Back to pending after a transient failure (the server's reply kept for the report)."""
        self._set(address, "state = 'pending', reply = ?, in_doubt = in_doubt OR ?", reply, in_doubt)

    def mark_failed(self, address: str, reply: str, *, permanent: bool) -> None:
        self._set(address, "state = 'failed', reply = ?, permanent = ?", reply, permanent)

    def recover_in_flight(self) -> list[Entry]:
        """Rows a killed run left in flight: flag them in doubt and return them."""
        with self.store.transaction() as db:
            rows = db.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM send_ledger WHERE issue = ? AND state = 'in_flight'",
                (self.issue,),
            ).fetchall()
            db.execute(
                "UPDATE send_ledger SET in_doubt = 1, updated_at = ? WHERE issue = ? AND state = 'in_flight'",
                (_now(), self.issue),
            )
        return [Entry(*row) for row in rows]

    def reopen_failed(self, *, permanent_too: bool) -> int:
        """Failed rows back to pending: transient ones always, permanent ones when asked."""
        condition = "" if permanent_too else " AND permanent = 0"
        with self.store.transaction() as db:
            cursor = db.execute(
                # updated_at stays the time of the last try: a deferred row's turn counts from it.
                f"UPDATE send_ledger SET state = 'pending', permanent = 0 WHERE issue = ? AND state = 'failed'{condition}",
                (self.issue,),
            )
            return cursor.rowcount

    def complete(self) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE send_runs SET completed_at = ? WHERE issue = ?", (_now(), self.issue))

    def _set(self, address: str, assignments: str, *values: object) -> None:
        with self.store.transaction() as db:
            db.execute(
                f"UPDATE send_ledger SET {assignments}, updated_at = ? WHERE issue = ? AND address_key = ?",
                (*values, _now(), self.issue, address.lower()),
            )
