"""The subscribers file: who receives the email.

A CSV file in the newsroom (``subscribers.csv`` by default) with the columns
``email,name,status,date``; the header line is optional, ``#`` starts a comment line.
Loading never stops at a bad line: it is reported with its number and skipped, so one
typo does not hold up a send. Addresses are compared case-insensitively, and an address
that is unsubscribed anywhere in the file is unsubscribed.

The statuses an editor writes are subscribed and unsubscribed; the list's export
(``newsdesk subscribers export``) also writes pending, bounced and complained, and the
columns ``changed,reason,bounces,confirmed`` (named in the header line), so that it reads back whole.
Anything but subscribed is never mailed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

from newsdesk.errors import InvalidInput
from newsdesk.mail.headers import control_character

COLUMNS = ("email", "name", "status", "date")
# Columns the list's export adds; read only when the header line names them.
EXPORT_COLUMNS = ("changed", "reason", "bounces", "confirmed")
STATUSES = ("subscribed", "unsubscribed", "pending", "bounced", "complained")
MAX_ADDRESS = 254  # RFC 5321's limit on a forward path

# A deliberately plain address check: ASCII dot-atoms on both sides, a dotted domain.
# Quoted local parts and non-ASCII (SMTPUTF8) addresses are refused rather than half-supported.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot be mailed, or None when it looks deliverable."""
    if not address:
        return "no email address"
    if len(address) > MAX_ADDRESS:
        return f"the address is longer than {MAX_ADDRESS} characters"
    if not address.isascii():
        return f"{address!r}: addresses with non-ASCII characters are not supported"
    if address.count("@") != 1:
        return f"{address!r} is not an email address"
    local, domain = address.split("@")
    labels = domain.split(".")
    if not local or len(local) > 64 or not _LOCAL.match(local):
        return f"{address!r} is not an email address (the part before @)"
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return f"{address!r} is not an email address (the domain)"
    return None


@dataclass(frozen=True, slots=True)
class Subscriber:
    email: str
    name: str = ""
    since: date | None = None
    line: int = 0
    status: str = "subscribed"
    changed: datetime | None = None  # when the status last changed (the export's column)
    reason: str = ""
    bounces: int = 0  # soft bounces counted so far
    confirmed: datetime | None = None  # when they confirmed a sign-up (double opt-in)

    @property
    def key(self) -> str:
        """The address as compared: case does not make another subscriber."""
        return self.email.lower()


@dataclass
class SubscriberList:
    path: Path
    subscribed: list[Subscriber] = field(default_factory=list)
    unsubscribed: list[Subscriber] = field(default_factory=list)
    invalid: int = 0
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)
    # The subscribed, by key: whether an address is subscribed, without a second copy of the list.
    index: dict[str, Subscriber] = field(default_factory=dict, repr=False)

    def find(self, address: str) -> Subscriber | None:
        return self.index.get(address.lower())

    def summary(self) -> str:
        invalid = "line" if self.invalid == 1 else "lines"
        duplicates = "duplicate" if self.duplicates == 1 else "duplicates"
        return (
            f"{len(self.subscribed)} subscribed, {len(self.unsubscribed)} unsubscribed, "
            f"{self.invalid} invalid {invalid} skipped, {self.duplicates} {duplicates} collapsed"
        )


def subscribers_path(root: Path, configured: str) -> Path:
    path = Path(configured).expanduser()
    return path if path.is_absolute() else root / path


def _columns(header: list[str]) -> dict[str, int] | None:
    """Column positions from a header line, or None when the line is a subscriber."""
    names = [cell.strip().lower() for cell in header]
    if "email" not in names:
        return None
    return {name: names.index(name) for name in (*COLUMNS, *EXPORT_COLUMNS) if name in names}


# A cell that spans lines is looked for this many lines ahead; past that the quote is taken
# for a stray one and only its own line is skipped.
MAX_SPANNED_LINES = 10


def _rows(lines: Iterable[str], warn_at) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` for each line that parses as one CSV row.

    Each row is one line, so line numbers stay true: a line that is not one row (a cell
    over csv's field limit, a carriage return inside the line, a quoted cell running on
    to the next lines) is reported by ``warn_at(number, problem)`` and skipped.
    """
    numbered = enumerate(lines, start=1)
    ahead: list[tuple[int, str]] = []
    while True:
        if ahead:
            number, line = ahead.pop(0)
        else:
            following = next(numbered, None)
            if following is None:
                return
            number, line = following
        line = line.removesuffix("\n").removesuffix("\r")
        if "\r" in line:
            warn_at(number, "a carriage return (CR) inside the line; line skipped")
            continue
        if line.count('"') % 2:
            # An open quote: the cell may go on over the next lines (a line break in a cell).
            while len(ahead) < MAX_SPANNED_LINES and (following := next(numbered, None)) is not None:
                ahead.append(following)
                if following[1].count('"') % 2:
                    break
            closing = next((n for n, (_, text) in enumerate(ahead) if text.count('"') % 2), None)
            if closing is not None:
                last = ahead[closing][0]
                del ahead[: closing + 1]
                warn_at(number, f"a quoted cell runs on to line {last} (cells cannot hold line breaks); lines skipped")
                continue
        try:
            row = next(csv.reader([line], strict=True), [])
        except csv.Error as error:
            if "field limit" in str(error):
                warn_at(number, f"a cell is longer than {csv.field_size_limit()} characters; line skipped")
            else:
                warn_at(number, f"not a CSV line ({error}); line skipped")
            continue
        yield number, row


def _text_lines(text: str) -> list[str]:
    """A whole file's lines as _lines splits its bytes: at LF, or at CR in a file without LF."""
    ending = "\n" if "\n" in text or "\r" not in text else "\r"
    lines = [line + ending for line in text.split(ending)]
    lines[-1] = lines[-1].removesuffix(ending)
    return lines if lines[-1] else lines[:-1]


def parse_subscribers(lines: str | Iterable[str], path: Path) -> SubscriberList:
    """Read the file's text (or its lines, streamed: a long list is never held twice)."""
    result = SubscriberList(path=path)
    first_entries: dict[str, Subscriber] = {}  # key -> its first line, in file order
    leaving: dict[str, Subscriber] = {}  # keys unsubscribed (or worse) on any line: that line
    columns = {name: index for index, name in enumerate(COLUMNS)}
    statuses = {status: status for status in STATUSES}
    dates: dict[str, date] = {}
    first = True

    def skipped(number: int, problem: str) -> None:
        result.invalid += 1
        result.warnings.append(f"{path.name}:{number}: {problem}")

    source = _text_lines(lines) if isinstance(lines, str) else lines
    for number, row in _rows(source, skipped):
        if not row or not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if first:
            first = False
            header = _columns(row)
            if header is not None:
                columns = header
                continue

        def cell(name: str, row: list[str] = row, columns: dict[str, int] = columns) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        def warn(problem: str, number: int = number) -> None:
            result.warnings.append(f"{path.name}:{number}: {problem}")

        email = cell("email")
        if problem := address_problem(email):
            result.invalid += 1
            warn(f"{problem}; line skipped")
            continue
        # The statuses' own strings, and one date object a day: not a copy of each per line.
        status = statuses.get(cell("status").lower() or "subscribed", "")
        if not status:
            result.invalid += 1
            warn(f"status must be subscribed or unsubscribed, not {cell('status')!r}; line skipped")
            continue
        changed, confirmed = (_moment(cell(name), name, warn) for name in ("changed", "confirmed"))
        bounces = 0
        if raw_bounces := cell("bounces"):
            if raw_bounces.isdigit():
                bounces = int(raw_bounces)
            else:
                warn(f"bounces: {raw_bounces!r} is not a count; taken as 0")
        since = None
        if raw_date := cell("date"):
            day = raw_date[:10]
            if (since := dates.get(day)) is None:
                try:
                    since = dates[day] = date.fromisoformat(day)
                except ValueError:
                    warn(f"{raw_date!r} is not a date like 2017-07-03; date ignored")
        name = cell("name")
        if found := control_character(name):
            warn(f"the name has a control character ({found}); name left out, the address kept")
            name = ""
        entry = Subscriber(
            email=email,
            name=name,
            since=since,
            line=number,
            status=status,
            changed=changed,
            reason=cell("reason"),
            bounces=bounces,
            confirmed=confirmed,
        )
        key = entry.key
        key = email if key == email else key  # one string, not two, for a lowercase address
        if key in first_entries:
            result.duplicates += 1
            warn(f"{email} is also on line {first_entries[key].line}; counted once")
        else:
            first_entries[key] = entry
        if status != "subscribed" and key not in leaving:
            # Unsubscribed anywhere means unsubscribed: never mail someone who asked not to be.
            leaving[key] = entry
    result.unsubscribed = [
        replace(
            first_entries.pop(key),
            status=last.status,
            changed=last.changed,
            reason=last.reason,
            bounces=last.bounces,
            confirmed=last.confirmed,
        )
        for key, last in leaving.items()
    ]
    result.index = first_entries
    result.subscribed = list(first_entries.values())
    return result


def _moment(raw: str, column: str, warn: Callable[[str], None]) -> datetime | None:
    """An export's time column (ISO 8601, UTC when no offset is given), or None."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        warn(f"{column}: {raw!r} is not a time like 2017-07-03T09:00:00Z; time ignored")
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _lines(handle: BinaryIO) -> Iterator[bytes]:
    """The file's lines, ending in LF or CRLF, or in CR alone (classic Mac Excel) when the
    file has no LF at all."""
    head = handle.read(1 << 20)
    if b"\n" not in head and b"\r" in head:
        rest = head + handle.read()
        yield from (line + b"\r" for line in rest.split(b"\r")[:-1])
        if tail := rest.rsplit(b"\r", 1)[-1]:
            yield tail
        return
    handle.seek(0)
    yield from handle


def load_subscribers(path: Path) -> SubscriberList:
    """Load and check the subscribers file, reading it line by line."""

    def decoded(handle: Iterable[bytes]) -> Iterator[str]:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput(f"{path}:{number}: not valid UTF-8") from None
            yield line.removeprefix("\ufeff") if number == 1 else line

    try:
        with open(path, "rb") as handle:
            return parse_subscribers(decoded(_lines(handle)), path)
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no subscribers file (a CSV with the header line email,name,status,date)") from None
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read: {error.strerror}") from None
