"""A feed item as newsdesk keeps it: normalized, sanitized, with a stable id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime


def item_id(source: str, key: str) -> str:
    """A short id that stays the same every time the same entry is fetched."""
    return hashlib.sha1(f"{source}\n{key}".encode()).hexdigest()[:12]


def utc_text(moment: datetime) -> str:
    """A UTC timestamp that sorts as text: 2017-06-23T08:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    id: str
    source: str
    guid: str
    title: str
    url: str | None
    canonical_url: str | None
    summary_text: str
    published: datetime | None
    first_seen: datetime
    categories: tuple[str, ...] = ()
    content_hash: str = field(default="", compare=False)

    @property
    def when(self) -> datetime:
        """The time to sort and window by: published, or first seen when the feed gave none."""
        return self.published or self.first_seen

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "published": utc_text(self.published) if self.published else None,
        }


@dataclass
class ParsedFeed:
    """One feed's items as a parser made them. Defined here, with Item, so that the fetch,
    which receives it from a worker process, never imports the parsers to unpickle it."""

    title: str
    items: list[Item]
    notes: list[str] = field(default_factory=list)
