"""Scheduled sends: `newsdesk send ISSUE --at TIME` records one, and `newsdesk schedule run`
(from cron or a systemd timer) starts it when it is due.

Each scheduled send is a row of the store's ``meta`` table (``scheduled_send:<issue>``, a
JSON object): the time (UTC), when it was scheduled, and the send's options. A send found
more than ``LATE_AFTER`` past its time (the machine was off, the timer stopped) is not
started unattended: an issue meant for Monday 07:00 going out on Monday night is worse than
a human deciding. One already under way (its ledger has rows) is always carried on.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from newsdesk.errors import InvalidInput
from newsdesk.store import Store

LATE_AFTER = timedelta(hours=3)
_PREFIX = "scheduled_send:"
_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)$")


@dataclass(frozen=True)
class ScheduledSend:
    issue: str
    at: str  # ISO 8601, UTC
    scheduled_at: str  # when it was recorded, ISO 8601 UTC
    force: bool = False
    in_doubt: str = "resend"

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)

    def state(self, now: datetime) -> str:
        """``waiting`` (not yet due), ``due``, or ``late`` (due more than LATE_AFTER ago)."""
        if now < self.when:
            return "waiting"
        return "late" if now - self.when > LATE_AFTER else "due"


def parse_at(text: str, zone: tzinfo, zone_name: str) -> datetime:
    """``2017-07-03 07:00`` (or with seconds, or a ``T``) in the newsroom's timezone, or an
    ISO 8601 time with its offset; the instant in UTC."""
    value = text.strip()
    match = _TIME.match(value)
    try:
        if match:
            moment = datetime.fromisoformat(f"{match.group(1)}T{match.group(2).zfill(5)}").replace(tzinfo=zone)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError(value)
    except ValueError:
        raise InvalidInput(
            f"--at {text!r}: expected a time like 2017-07-03 07:00 (in the newsroom's timezone, {zone_name})"
        ) from None
    return moment.astimezone(UTC)


class Schedule:
    """The newsroom's scheduled sends, in its store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, entry: ScheduledSend) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (_PREFIX + entry.issue, json.dumps(asdict(entry))),
            )

    def get(self, issue: str) -> ScheduledSend | None:
        with self.store.reading() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (_PREFIX + issue,)).fetchone()
        return ScheduledSend(**json.loads(row[0])) if row else None

    def cancel(self, issue: str) -> bool:
        with self.store.transaction() as db:
            return db.execute("DELETE FROM meta WHERE key = ?", (_PREFIX + issue,)).rowcount > 0

    def all(self) -> list[ScheduledSend]:
        with self.store.reading() as db:
            rows = db.execute("SELECT value FROM meta WHERE key LIKE ? ORDER BY key", (_PREFIX + "%",)).fetchall()
        entries = [ScheduledSend(**json.loads(value)) for (value,) in rows]
        return sorted(entries, key=lambda e: e.at)
