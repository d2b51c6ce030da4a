"""The issues as the site lists them, read through an index in the store, so that a build
after one edit parses one file rather than every issue in issues/.

A ``Listing`` is what the archive needs of an issue (date, status, title, excerpt, post
URL) and a key: a digest of everything the issue file says, which changes whenever any
page of the issue could. The index (table ``issue_files``, made by newsdesk.schema) keeps
each file's listing under its signature: size, modification and change times and inode,
and the digest of the code that makes a listing. A file whose signature is unchanged is
listed from the index; any other is parsed again. A file changed in the last 3 seconds
is not indexed: a second edit within the filesystem's clock tick, of the same size, would
leave its signature as it was.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from newsdesk.issue import Issue, load_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.archive import excerpt, search_text

# A file modified this recently is parsed again at every build rather than indexed: more
# than the coarsest clock tick of a filesystem's times (FAT's 2 s).
RECENT_NS = 3 * 1_000_000_000


@dataclass(frozen=True)
class Listing:
    """One issue as the site lists it; ``load()`` gives the whole issue."""

    name: str  # the publication date, as in the file's name
    path: Path
    date: date
    status: str
    title: str
    excerpt: str
    post_url: str | None
    key: str  # issue_key() of the issue
    tags: tuple[str, ...] = ()
    text: str = ""  # archive.search_text(), for the site's search index
    issue: Issue | None = field(default=None, compare=False, repr=False)  # when already parsed

    def load(self) -> Issue:
        return self.issue if self.issue is not None else load_issue(self.path)


def issue_key(issue: Issue) -> str:
    """A digest of everything the issue holds, front matter, intro and developments."""
    fields = [
        {k: str(v) for k, v in issue.front_values().items()},
        issue.intro,
        [d.fields() for d in issue.developments],
    ]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()


def listing(issue: Issue) -> Listing:
    """The listing of an issue at hand (parsed, or being published and not yet saved)."""
    return Listing(
        name=issue.name,
        path=issue.path or Path(f"{issue.name}.md"),
        date=issue.date,
        status=issue.status,
        title=issue.title,
        excerpt=excerpt(issue),
        post_url=issue.post_url,
        key=issue_key(issue),
        tags=tuple(issue.tags),
        text=search_text(issue),
        issue=issue,
    )


@functools.cache
def reader_digest() -> str:
    """A digest of the code that parses an issue and makes its listing: an index written by
    other code (an upgrade) is read as empty."""
    import newsdesk
    from newsdesk import issue, text
    from newsdesk.output import archive, markdown

    digest = hashlib.sha256(newsdesk.__version__.encode())
    for source in (issue.__file__, text.__file__, archive.__file__, markdown.__file__, __file__):
        if source:
            digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:16]


def _signature(stat: os.stat_result) -> str:
    return f"{reader_digest()}:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def _to_row(item: Listing) -> str:
    return json.dumps(
        {
            "date": item.date.isoformat(),
            "status": item.status,
            "title": item.title,
            "excerpt": item.excerpt,
            "post_url": item.post_url,
            "key": item.key,
            "tags": list(item.tags),
            "text": item.text,
        },
        ensure_ascii=False,
    )


def _from_row(path: Path, row: str) -> Listing | None:
    try:
        data: dict[str, Any] = json.loads(row)
        day = date.fromisoformat(data["date"])
        return Listing(
            name=day.isoformat(),
            path=path,
            date=day,
            status=data["status"],
            title=data["title"],
            excerpt=data["excerpt"],
            post_url=data["post_url"],
            key=data["key"],
            tags=tuple(str(tag) for tag in data["tags"]),
            text=str(data["text"]),
        )
    except (ValueError, KeyError, TypeError):
        return None  # a row this code cannot read: the file is parsed again


def _issue_files(folder: Path) -> list[tuple[date, str]]:
    """The issue files' dates and names, oldest first, as Newsroom.issue_dates finds them."""
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(".md"):
                    try:
                        found.append((date.fromisoformat(entry.name[:-3]), entry.name))
                    except ValueError:
                        continue
    except FileNotFoundError:
        return []
    return sorted(found)


def catalog(newsroom: Newsroom) -> list[Listing]:
    """Every issue file in issues/, oldest first, each parsed only if it changed since it
    was last indexed. A broken file raises its IssueFileError, as load_issue does."""
    with newsroom.store() as store:
        with store.reading() as db:
            indexed = dict(db.execute("SELECT name, signature || char(0) || listing FROM issue_files").fetchall())
        found: list[Listing] = []
        fresh: list[tuple[str, str, str]] = []
        now = time.time_ns()
        folder = newsroom.issues_dir
        for _, name in _issue_files(folder):
            path = folder / name
            try:
                signature = _signature(os.stat(path))
            except FileNotFoundError:
                continue  # removed since the folder was listed
            known_signature, _, row = indexed.get(name, "").partition("\0")
            item = _from_row(path, row) if known_signature == signature else None
            if item is None:
                item = listing(load_issue(path))
                # Taken before the read: a change during it leaves the signature unmatched.
                if now - path.stat().st_mtime_ns > RECENT_NS and _signature(path.stat()) == signature:
                    fresh.append((name, signature, _to_row(item)))
            found.append(item)
        gone = set(indexed) - {item.path.name for item in found}
        if fresh or gone:
            with store.transaction() as db:
                db.executemany(
                    "INSERT INTO issue_files (name, signature, listing) VALUES (?, ?, ?) ON CONFLICT (name) "
                    "DO UPDATE SET signature = excluded.signature, listing = excluded.listing",
                    fresh,
                )
                db.executemany("DELETE FROM issue_files WHERE name = ?", [(name,) for name in gone])
    return found
