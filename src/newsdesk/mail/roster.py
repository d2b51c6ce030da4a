"""The list: every address the newsroom knows and its state, in the store's ``subscribers``
table (newsdesk.schema, migration 3).

States: ``pending`` (signed up, confirmation link not yet followed), ``subscribed``,
``unsubscribed``, ``bounced`` and ``complained``; the last three are suppressions, final for
every later send, and each records why (``reason``) and when (``changed_at``). A
suppression is never turned back into a subscription by the subscribers file, an import
or a late event; only a new sign-up, confirmed by its link, subscribes again.

The subscribers file (CSV) is still what an editor writes: before a send its lines are
brought into the table (``sync_file``) so that every recipient has an id for its signed
links, and the file's unsubscribes apply. The recipients are then the file's subscribed
addresses and the table's other subscribed ones (sign-ups, imports), minus every
suppression. ``newsdesk subscribers import/export`` move the whole list in and out of
the table in the file's format, every state and date included.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from newsdesk.files import write_atomic
from newsdesk.mail.subscribers import COLUMNS, EXPORT_COLUMNS, Subscriber, SubscriberList
from newsdesk.store import Store

STATES = ("pending", "subscribed", "unsubscribed", "bounced", "complained")
SUPPRESSED = ("unsubscribed", "bounced", "complained")

_COLUMNS = (
    "id, address, name, state, source, since, confirmed_at, changed_at, reason, soft_bounces, "
    "confirm_nonce, confirm_sent_at"
)


def now_text(moment: datetime | None = None) -> str:
    """A UTC time as the table keeps it: ISO 8601 to the second, with Z."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Member:
    """One row of the list."""

    id: int
    address: str
    name: str
    state: str
    source: str
    since: str
    confirmed_at: str | None
    changed_at: str
    reason: str
    soft_bounces: int
    confirm_nonce: str | None
    confirm_sent_at: str | None

    @property
    def key(self) -> str:
        return self.address.lower()

    @property
    def suppressed(self) -> bool:
        return self.state in SUPPRESSED


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0  # rows the file changed
    unchanged: int = 0  # rows the file says nothing new about
    kept: list[str] = field(default_factory=list)  # suppressed here, subscribed in the file: kept suppressed

    def line(self) -> str:
        kept = f", {len(self.kept)} kept suppressed (they left; the file cannot subscribe them again)"
        unchanged = f", {self.unchanged} unchanged" if self.unchanged else ""
        return f"{self.added} added, {self.updated} updated" + (kept if self.kept else "") + unchanged


class Roster:
    """The list in the store. Every change is one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # Reading -----------------------------------------------------------

    def get(self, address: str) -> Member | None:
        with self.store.reading() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE address_key = ?", (address.lower(),)).fetchone()
        return Member(*row) if row else None

    def by_id(self, member_id: int) -> Member | None:
        with self.store.reading() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", (member_id,)).fetchone()
        return Member(*row) if row else None

    def members(self) -> list[Member]:
        with self.store.reading() as db:
            return [Member(*row) for row in db.execute(f"SELECT {_COLUMNS} FROM subscribers ORDER BY id")]

    def counts(self) -> dict[str, int]:
        """How many addresses are in each state (every state named, zero included)."""
        found = dict.fromkeys(STATES, 0)
        with self.store.reading() as db:
            for state, count in db.execute("SELECT state, COUNT(*) FROM subscribers GROUP BY state"):
                found[state] = count
        return found

    def suppressed(self, address: str) -> bool:
        """Whether ``address`` must not be mailed, read afresh (the sender asks before each message)."""
        with self.store.reading() as db:
            row = db.execute("SELECT state FROM subscribers WHERE address_key = ?", (address.lower(),)).fetchone()
        return row is not None and row[0] in SUPPRESSED

    def ids(self, addresses: Iterable[str]) -> dict[str, int]:
        """The ids of ``addresses`` (by lowercase key) that are in the list."""
        keys = [address.lower() for address in addresses]
        found: dict[str, int] = {}
        with self.store.reading() as db:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(
                    db.execute(f"SELECT address_key, id FROM subscribers WHERE address_key IN ({marks})", chunk)
                )
        return found

    # The subscribers file ----------------------------------------------

    def sync_file(self, listing: SubscriberList, now: datetime | None = None) -> SubscriberList:
        """Bring the file's lines into the list, and return who is to be mailed.

        New addresses are added (source ``file``); the file's unsubscribes apply, except to
        someone who confirmed a sign-up after the line (its ``changed`` time, else the end of
        its ``date``, else when the file was last written): their own confirmation wins; a
        suppression here wins over a subscribed line there; a ``file`` row whose line was
        deleted is dropped unless it is a suppression (which must outlive the line)."""
        stamp = now_text(now)
        written = _written(listing.path)
        overruled: set[str] = set()  # the file's unsubscribes older than the person's own confirmation
        # Each line is looked up in the table by its key, not the table copied into memory: a
        # long list is held once (the listing), whatever the size of the table.
        with self.store.transaction() as db:

            def found(key: str) -> tuple[str, str | None] | None:
                return db.execute(
                    "SELECT state, confirmed_at FROM subscribers WHERE address_key = ?", (key,)
                ).fetchone()

            for subscriber in listing.subscribed:
                row = found(subscriber.key)
                if row is None:
                    self._insert(db, subscriber, "subscribed", "file", stamp, "subscribers file")
                elif row[0] == "pending":
                    db.execute(
                        "UPDATE subscribers SET state = 'subscribed', changed_at = ?, reason = ? WHERE address_key = ?",
                        (stamp, "subscribers file", subscriber.key),
                    )
            for subscriber in listing.unsubscribed:
                state = subscriber.status if subscriber.status in SUPPRESSED else "unsubscribed"
                row = found(subscriber.key)
                if (
                    row is not None
                    and row[0] == "subscribed"
                    and row[1] is not None
                    and datetime.fromisoformat(row[1]) > _line_time(subscriber, written)
                ):
                    overruled.add(subscriber.key)  # they signed up again since: their confirmation wins
                    continue
                if row is None:
                    self._insert(db, subscriber, state, "file", stamp, subscriber.reason or "subscribers file")
                elif row[0] not in SUPPRESSED:
                    db.execute(
                        "UPDATE subscribers SET state = ?, changed_at = ?, reason = ? WHERE address_key = ?",
                        (state, stamp, subscriber.reason or "subscribers file", subscriber.key),
                    )
            # A ``file`` row whose line was deleted goes, unless it is a suppression.
            db.execute("CREATE TEMP TABLE IF NOT EXISTS sync_in_file (key TEXT PRIMARY KEY) WITHOUT ROWID")
            db.execute("DELETE FROM temp.sync_in_file")
            db.executemany(
                "INSERT OR IGNORE INTO temp.sync_in_file (key) VALUES (?)",
                itertools.chain(((key,) for key in listing.index), ((s.key,) for s in listing.unsubscribed)),
            )
            marks = ",".join("?" * len(SUPPRESSED))
            db.execute(
                f"DELETE FROM subscribers WHERE source = 'file' AND state NOT IN ({marks}) "
                "AND address_key NOT IN (SELECT key FROM temp.sync_in_file)",
                SUPPRESSED,
            )
            db.execute("DELETE FROM temp.sync_in_file")
            # The file's subscribed addresses the list does not have subscribed (few), and the
            # list's subscribed addresses the file does not name (sign-ups, imports).
            not_subscribed = {
                key
                for (key,) in db.execute("SELECT address_key FROM subscribers WHERE state != 'subscribed'")
                if key in listing.index
            }
            others = [
                Subscriber(email=address, name=name, since=date.fromisoformat(since[:10]))
                for key, address, name, since in db.execute(
                    "SELECT address_key, address, name, since FROM subscribers WHERE state = 'subscribed' ORDER BY id"
                )
                if key not in listing.index
            ]
        held = [s for s in listing.subscribed if s.key in not_subscribed]
        if not_subscribed or others:
            recipients = [s for s in listing.subscribed if s.key not in not_subscribed] + others
            index = {s.key: s for s in recipients}
        else:  # the usual case: the file's subscribed are the recipients, shared rather than copied
            recipients, index = listing.subscribed, listing.index
        merged = SubscriberList(
            path=listing.path,
            subscribed=recipients,
            unsubscribed=[s for s in listing.unsubscribed if s.key not in overruled] + held,
            invalid=listing.invalid,
            duplicates=listing.duplicates,
            warnings=listing.warnings,
        )
        merged.index = index
        return merged

    def recipients(self, path: Path) -> SubscriberList:
        """The list as the send reads it when there is no subscribers file."""
        empty = SubscriberList(path=path)
        empty.index = {}
        return self.sync_file(empty)

    @staticmethod
    def _insert(db, subscriber: Subscriber, state: str, source: str, stamp: str, reason: str) -> None:
        since = (subscriber.since or datetime.now(UTC).date()).isoformat()
        changed = now_text(subscriber.changed) if subscriber.changed else stamp
        confirmed = now_text(subscriber.confirmed) if subscriber.confirmed else None
        db.execute(
            "INSERT INTO subscribers (address_key, address, name, state, source, since, confirmed_at, changed_at, "
            "reason, soft_bounces) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                subscriber.key,
                subscriber.email,
                subscriber.name,
                state,
                source,
                since,
                confirmed,
                changed,
                reason,
                subscriber.bounces,
            ),
        )

    # Import and export -------------------------------------------------

    def import_list(self, listing: SubscriberList, now: datetime | None = None) -> ImportReport:
        """Every line of a subscribers file (or an export) into the list, in one transaction."""
        report = ImportReport()
        stamp = now_text(now)
        with self.store.transaction() as db:
            known = {
                row[0]: row[1:]
                for row in db.execute(
                    "SELECT address_key, address, name, state, since, confirmed_at, changed_at, reason, soft_bounces "
                    "FROM subscribers"
                )
            }
            for subscriber in [*listing.subscribed, *listing.unsubscribed]:
                state = subscriber.status
                current = known.get(subscriber.key)
                if current is None:
                    self._insert(db, subscriber, state, "import", stamp, subscriber.reason or "imported")
                    known[subscriber.key] = (subscriber.email, subscriber.name, state, "", None, stamp, "", 0)
                    report.added += 1
                    continue
                _, _, old_state, old_since, old_confirmed, old_changed, old_reason, _ = current
                if old_state in SUPPRESSED and state not in SUPPRESSED:
                    report.kept.append(subscriber.email)
                    continue
                same_state = state == old_state
                # What the line does not say (no date, no change time, no reason) stays as it was.
                values = (
                    subscriber.email,
                    subscriber.name,
                    state,
                    subscriber.since.isoformat() if subscriber.since else old_since,
                    now_text(subscriber.confirmed) if subscriber.confirmed else old_confirmed,
                    now_text(subscriber.changed) if subscriber.changed else (old_changed if same_state else stamp),
                    subscriber.reason or (old_reason if same_state else "imported"),
                    subscriber.bounces,
                )
                if values == tuple(current):
                    report.unchanged += 1
                    continue
                db.execute(
                    "UPDATE subscribers SET address = ?, name = ?, state = ?, source = 'import', since = ?, "
                    "confirmed_at = ?, changed_at = ?, reason = ?, soft_bounces = ? WHERE address_key = ?",
                    (*values, subscriber.key),
                )
                known[subscriber.key] = values
                report.updated += 1
        return report

    def export_text(self) -> str:
        """The whole list as a subscribers file with the export's columns."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*COLUMNS, *EXPORT_COLUMNS])
        for member in sorted(self.members(), key=lambda member: (member.key, member.id)):  # by address, stable
            writer.writerow(
                [
                    member.address,
                    member.name,
                    member.state,
                    member.since[:10],
                    member.changed_at,
                    member.reason,
                    member.soft_bounces,
                    member.confirmed_at or "",
                ]
            )
        return out.getvalue()

    def export(self, path: Path) -> int:
        """Write the list to ``path`` atomically; returns how many addresses."""
        text = self.export_text()
        write_atomic(path, text)
        return text.count("\n") - 1

    # Changes -------------------------------------------------------------

    def forget(self, address: str) -> tuple[int, bool]:
        """Erase one person: their row and their rows in every send ledger. Returns the rows
        deleted, and whether the files are clean of them (False: another process's long
        read held up the checkpoint; the next checkpoint finishes it).

        Erased from the files too: the deleted cells are overwritten with zeros
        (``secure_delete``), and the write-ahead log, which still holds the pages as they
        were, is checkpointed into the database and truncated. A reader in the middle of a
        read (another process) can hold the checkpoint up: it is tried again for a while."""
        key = address.lower()
        with self.store.reading() as db:
            (before,) = db.execute("PRAGMA secure_delete").fetchone()
            db.execute("PRAGMA secure_delete = ON")
            try:
                with self.store.transaction() as db:
                    deleted = db.execute("DELETE FROM subscribers WHERE address_key = ?", (key,)).rowcount
                    deleted += db.execute("DELETE FROM send_ledger WHERE address_key = ?", (key,)).rowcount
            finally:
                db.execute(f"PRAGMA secure_delete = {int(before)}")
            # With the busy timeout, TRUNCATE waits for the other connections' reads to end.
            (busy, _, _) = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return deleted, not busy

    def suppress(self, address: str, state: str, reason: str, now: datetime | None = None) -> bool:
        """Mark ``address`` unsubscribed, bounced or complained (recording why and when);
        False when it is not in the list. An earlier suppression is kept as it was."""
        if state not in SUPPRESSED:
            raise ValueError(f"not a suppression: {state}")
        with self.store.transaction() as db:
            row = db.execute("SELECT state FROM subscribers WHERE address_key = ?", (address.lower(),)).fetchone()
            if row is None:
                return False
            if row[0] not in SUPPRESSED or (row[0] == "unsubscribed" and state == "complained"):
                db.execute(
                    "UPDATE subscribers SET state = ?, changed_at = ?, reason = ?, confirm_nonce = NULL "
                    "WHERE address_key = ?",
                    (state, now_text(now), reason, address.lower()),
                )
        return True

    def unsubscribe(self, member_id: int, reason: str, now: datetime | None = None) -> Member | None:
        """The unsubscribe link's action: final at once; None for an id not in the list."""
        member = self.by_id(member_id)
        if member is None:
            return None
        self.suppress(member.address, "unsubscribed", reason, now)
        return self.by_id(member_id)

    def soft_bounce(self, address: str, reason: str, limit: int, now: datetime | None = None) -> str | None:
        """Count a soft bounce; at ``limit`` of them the address is suppressed as bounced.
        Returns the state after, or None when the address is not in the list."""
        key = address.lower()
        stamp = now_text(now)
        with self.store.transaction() as db:
            row = db.execute("SELECT state, soft_bounces FROM subscribers WHERE address_key = ?", (key,)).fetchone()
            if row is None:
                return None
            state, count = row[0], row[1] + 1
            if state in SUPPRESSED:
                return state
            if count >= limit:
                state = "bounced"
                reason = f"{reason} (soft bounce {count} of {limit})"
                db.execute(
                    "UPDATE subscribers SET state = ?, soft_bounces = ?, changed_at = ?, reason = ? "
                    "WHERE address_key = ?",
                    (state, count, stamp, reason, key),
                )
            else:
                db.execute("UPDATE subscribers SET soft_bounces = ? WHERE address_key = ?", (count, key))
        return state


def _written(path: Path) -> datetime:
    """When the subscribers file was last written (now, when there is none)."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return datetime.now(UTC)


def _line_time(line: Subscriber, written: datetime) -> datetime:
    """The latest a line of the file can date from: its ``changed`` time, else the end of
    its ``date``, else when the file was last written (the line cannot be newer)."""
    if line.changed:
        return line.changed
    if line.since:
        return datetime.combine(line.since, datetime.max.time(), UTC)
    return written


def erase_from_file(path: Path, address: str) -> int:
    """Drop every line of the subscribers file at ``path`` that holds ``address`` (any case),
    keeping the others byte for byte; written atomically. Returns the lines dropped."""
    key = address.lower()
    data = path.read_bytes()
    kept: list[bytes] = []
    dropped = 0
    email_column = 0
    header_seen = False
    for raw in data.splitlines(keepends=True):
        line = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
        row = next(csv.reader([line.rstrip("\r\n")]), [])
        cells = [cell.strip() for cell in row]
        if cells and any(cells) and not cells[0].startswith("#"):
            if not header_seen:
                header_seen = True
                if "email" in (lowered := [cell.lower() for cell in cells]):
                    email_column = lowered.index("email")
                    kept.append(raw)
                    continue
            if email_column < len(cells) and cells[email_column].lower() == key:
                dropped += 1
                continue
        kept.append(raw)
    if dropped:
        write_atomic(path, b"".join(kept))
    return dropped


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did: ``nonce`` is the confirmation link's, or None when no email is
    to go out (already subscribed, or a confirmation went less than an hour ago)."""

    member_id: int
    nonce: str | None
    created: bool
    previous: tuple[str | None, str | None] = (None, None)  # nonce and time before, to undo
    recent: str | None = None  # when the message that went less than ``resend_after`` ago went
    subscribed: bool = False  # subscribed already: a notice saying so is to go, not a link


def sign_up(roster: Roster, address: str, name: str, nonce: str, now: datetime, resend_after: timedelta) -> SignUp:
    """Record a sign-up: a new address is ``pending``; any address not subscribed gets a
    fresh confirmation nonce unless one was sent within ``resend_after``. The state of an
    address that left is not touched: only the confirmation subscribes it again. A
    subscribed address is to get a notice saying so, as rarely."""
    stamp = now_text(now)
    key = address.lower()
    with roster.store.transaction() as db:
        row = db.execute(
            "SELECT id, state, confirm_nonce, confirm_sent_at FROM subscribers WHERE address_key = ?", (key,)
        ).fetchone()
        if row is None:
            cursor = db.execute(
                "INSERT INTO subscribers (address_key, address, name, state, source, since, changed_at, reason, "
                "confirm_nonce, confirm_sent_at) VALUES (?, ?, ?, 'pending', 'web', ?, ?, ?, ?, ?)",
                (key, address, name, now.date().isoformat(), stamp, "signed up", nonce, stamp),
            )
            assert cursor.lastrowid is not None
            return SignUp(cursor.lastrowid, nonce, created=True)
        member_id, state, old_nonce, sent_at = row
        if sent_at and now - datetime.fromisoformat(sent_at) < resend_after:
            return SignUp(member_id, None, created=False, recent=sent_at)
        if state == "subscribed":
            db.execute("UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?", (stamp, member_id))
            return SignUp(member_id, None, created=False, previous=(old_nonce, sent_at), subscribed=True)
        db.execute(
            "UPDATE subscribers SET confirm_nonce = ?, confirm_sent_at = ?, name = CASE WHEN state = 'pending' "
            "THEN ? ELSE name END WHERE id = ?",
            (nonce, stamp, name, member_id),
        )
        return SignUp(member_id, nonce, created=False, previous=(old_nonce, sent_at))


def undo_sign_up(roster: Roster, signup: SignUp) -> None:
    """The confirmation email could not be sent: leave the list as it was before."""
    with roster.store.transaction() as db:
        if signup.created:
            db.execute("DELETE FROM subscribers WHERE id = ? AND state = 'pending'", (signup.member_id,))
        elif signup.subscribed:
            db.execute(
                "UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?", (signup.previous[1], signup.member_id)
            )
        else:
            db.execute(
                "UPDATE subscribers SET confirm_nonce = ?, confirm_sent_at = ? WHERE id = ? AND confirm_nonce = ?",
                (*signup.previous, signup.member_id, signup.nonce),
            )


def confirm(roster: Roster, member_id: int, nonce: str, now: datetime) -> str:
    """Follow a confirmation link: ``confirmed``, or ``used`` (replayed, replaced by a newer
    link, or the person was forgotten since)."""
    stamp = now_text(now)
    with roster.store.transaction() as db:
        updated = db.execute(
            "UPDATE subscribers SET state = 'subscribed', confirmed_at = ?, changed_at = ?, "
            "reason = 'confirmed sign-up', soft_bounces = 0, confirm_nonce = NULL "
            "WHERE id = ? AND confirm_nonce = ?",
            (stamp, stamp, member_id, nonce),
        ).rowcount
    return "confirmed" if updated else "used"
