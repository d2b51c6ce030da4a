"""The subscribers file: who receives the email.

A CSV file in the newsroom (``subscribers.csv`` by default) with the columns
``email,name,status,date``; the header line is optional, ``#`` starts a comment line.
Loading never stops at a bad line: it is reported with its number and skipped, so one
typo does not hold up a send. Addresses are compared case-insensitively, and an address
that is unsubscribed anywhere in the file is unsubscribed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from newsdesk.errors import InvalidInput

COLUMNS = ("email", "name", "status", "date")
STATUSES = ("subscribed", "unsubscribed")
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

    def find(self, address: str) -> Subscriber | None:
        key = address.lower()
        return next((s for s in self.subscribed if s.key == key), None)

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
    return {name: names.index(name) for name in COLUMNS if name in names}


def parse_subscribers(text: str, path: Path) -> SubscriberList:
    result = SubscriberList(path=path)
    seen: dict[str, tuple[Subscriber, bool]] = {}  # key -> (first entry, subscribed?)
    columns = {name: index for index, name in enumerate(COLUMNS)}
    first = True
    # One row per line (quoted newlines are not allowed), so the line numbers stay true.
    for number, line in enumerate(text.splitlines(), start=1):
        row = next(csv.reader([line]), [])
        if not row or not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if first:
            first = False
            header = _columns(row)
            if header is not None:
                columns = header
                continue

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        def warn(problem: str) -> None:
            result.warnings.append(f"{path.name}:{number}: {problem}")

        email = cell("email")
        if problem := address_problem(email):
            result.invalid += 1
            warn(f"{problem}; line skipped")
            continue
        status = cell("status").lower() or "subscribed"
        if status not in STATUSES:
            result.invalid += 1
            warn(f"status must be subscribed or unsubscribed, not {cell('status')!r}; line skipped")
            continue
        since = None
        if raw_date := cell("date"):
            try:
                since = date.fromisoformat(raw_date[:10])
            except ValueError:
                warn(f"{raw_date!r} is not a date like 2017-07-03; date ignored")
        entry = Subscriber(email=email, name=cell("name"), since=since, line=number)
        wanted = status == "subscribed"
        if entry.key in seen:
            earlier, was_wanted = seen[entry.key]
            result.duplicates += 1
            warn(f"{email} is also on line {earlier.line}; counted once")
            # Unsubscribed anywhere means unsubscribed: never mail someone who asked not to be.
            seen[entry.key] = (earlier, was_wanted and wanted)
        else:
            seen[entry.key] = (entry, wanted)
    for entry, wanted in seen.values():
        (result.subscribed if wanted else result.unsubscribed).append(entry)
    return result


def load_subscribers(path: Path) -> SubscriberList:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(
            f"{path}: no subscribers file (a CSV with the header line email,name,status,date)"
        ) from None
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InvalidInput(f"{path}:{line}: not valid UTF-8") from None
    return parse_subscribers(text, path)
