"""An editing session on one issue: what the desk does, without the screen.

The desk is a thin layer over this class, so everything the editor can do
is testable without a terminal: pick, unpick, replace, reorder (and undo or redo those),
edit fields, save safely, and notice when the file changed on disk under us.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from newsdesk.chinese import fold
from newsdesk.curation.articles import Article, read_article
from newsdesk.curation.candidates import week_candidates
from newsdesk.curation.clusters import Cluster, ClusterIndex
from newsdesk.curation.editing import development_from, picked_ids
from newsdesk.curation.ranking import RankedStory, Score, Scorer, shortlist
from newsdesk.dates import Week, date_range
from newsdesk.issue import Development, Issue, load_issue, save_issue, tags_from_text, without_controls
from newsdesk.items import Item
from newsdesk.newsroom import Newsroom
from newsdesk.urls import is_http_url


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class SearchableItem:
    """An item with its search text computed once, for filter-as-you-type: lower-cased,
    traditional Chinese written as simplified (as the words typed are)."""

    item: Item
    haystack: str

    @classmethod
    def of(cls, item: Item) -> SearchableItem:
        return cls(item, fold(f"{item.title}\n{item.summary_text}\n{item.source}").casefold())


class StoryRow(NamedTuple):
    """One line of the desk's list: a story, shown by one of its items (a tuple: made per keystroke)."""

    story: RankedStory
    item: Item


@dataclass(frozen=True)
class SearchableStory:
    story: RankedStory
    items: tuple[SearchableItem, ...]


def searchable_stories(stories: list[RankedStory], items: list[SearchableItem]) -> list[SearchableStory]:
    by_id = {entry.item.id: entry for entry in items}
    return [
        SearchableStory(story, tuple(by_id.get(i.id) or SearchableItem.of(i) for i in story.cluster))
        for story in stories
    ]


UNSCORED = Score(0.0, (), 1.0, 1)


def unranked(items: list[SearchableItem]) -> list[SearchableStory]:
    """Each item as its own story, in the order given: what the desk shows until ranking ends."""
    return [SearchableStory(RankedStory(Cluster([entry.item]), UNSCORED), (entry,)) for entry in items]


def flatten(stories: list[SearchableStory]) -> list[tuple[str, Item, RankedStory, int]]:
    """(search text, item, story, story number) for every item, in the stories' order:
    what filter_stories scans, in one pass, on every keystroke."""
    return [
        (searchable.haystack, searchable.item, entry.story, number)
        for number, entry in enumerate(stories)
        for searchable in entry.items
    ]


def filter_stories(
    flat: list[tuple[str, Item, RankedStory, int]],
    text: str = "",
    *,
    source: str | None = None,
    tag_sources: set[str] | None = None,
) -> list[StoryRow]:
    """The stories with an item matching every word of ``text``, a source, a tag (see
    flatten); each shown by its lead when the lead matches, else by its first item that does."""
    words = fold(text).casefold().split()
    out: list[StoryRow] = []
    append = out.append
    last = -1
    for haystack, item, story, number in flat:
        if number == last:
            continue  # the story is listed already
        if source is not None and item.source != source:
            continue
        if tag_sources is not None and item.source not in tag_sources:
            continue
        if words and not all(word in haystack for word in words):
            continue
        append(StoryRow(story, item))
        last = number
    return out


UNDO_LIMIT = 100  # pick, unpick, replace and move steps kept for undo
Step = tuple[str, list[Development]]  # what was done, and the picks before it


class IssueChangedOnDisk(Exception):
    """The issue file was changed by someone else since we last read or wrote it."""


class DeskSession:
    def __init__(self, newsroom: Newsroom, path: Path) -> None:
        self.newsroom = newsroom
        self.path = path
        self.limit = newsroom.config.newsroom.developments
        self.issue: Issue = load_issue(path)
        self._disk_digest = _digest(path.read_bytes())
        self._disk_signature: tuple[int, int] | None = None  # (size, mtime) known to match
        self.dirty = False
        self._index = ClusterIndex()  # kept: after a fetch only the new items are clustered
        self._scorer = Scorer(newsroom.config)
        self._ranking = threading.Lock()
        # (what was done, the picks before it): the Development objects themselves, so an
        # unpick undone brings the pick back with the words the editor had given it.
        self._undo: list[Step] = []
        self._redo: list[Step] = []

    # Reading -------------------------------------------------------------

    @property
    def week(self) -> Week:
        zone = self.newsroom.config.newsroom.zone
        return Week(self.issue.week_start, self.issue.week_end, zone)

    @property
    def week_label(self) -> str:
        return date_range(self.issue.week_start, self.issue.week_end)

    def load_items(self, *, whole_store: bool = False) -> list[SearchableItem]:
        """The week's candidates, or every stored item; newest first."""
        if whole_store:
            with self.newsroom.store() as store:
                items = store.items()
        else:
            items = week_candidates(self.newsroom, self.issue.date).items
        return [SearchableItem.of(item) for item in items]

    def rank_items(self, items: list[SearchableItem], sort: str = "score") -> list[SearchableStory]:
        """The items as stories, ranked; the session's index clusters only items it has not seen.

        Safe to call from several worker threads: one ranks at a time.
        """
        with self._ranking:
            stories = shortlist(
                self.newsroom,
                self.issue.date,
                (entry.item for entry in items),
                sort=sort,
                index=self._index,
                scorer=self._scorer,
            )
        return searchable_stories(stories, items)

    def article(self, url: str, *, refresh: bool = False) -> Article:
        """The article behind a link: cached in the store, else fetched now (call it off the UI thread)."""
        with self.newsroom.store() as store:
            return read_article(store, url, self.newsroom.config.fetch, refresh=refresh)

    def tags(self) -> dict[str, set[str]]:
        """Each tag of sources.toml and the sources carrying it."""
        found: dict[str, set[str]] = {}
        for source in self.newsroom.config.sources:
            for tag in source.tags:
                found.setdefault(tag, set()).add(source.name)
        return found

    def picked_ids(self) -> set[str]:
        """The items the issue's developments came from, the other sources (`also`) included."""
        return picked_ids(self.issue)

    def pick_of(self, items: list[Item]) -> int | None:
        """The development that came from one of ``items`` (a story), if any."""
        ids = {item.id for item in items}
        for index, development in enumerate(self.issue.developments):
            if development.item_id in ids or ids & set(development.also):
                return index
        return None

    def set_annotation_if_empty(self, index: int, text: str) -> bool:
        """Start an empty annotation with ``text`` (an article's lead paragraph)."""
        if self.issue.developments[index].annotation.strip() or not text.strip():
            return False
        self.set_field(index, "annotation", text.strip())
        return True

    def picked_label(self) -> str:
        return f"{len(self.issue.developments)}/{self.limit} picked"

    def missing(self) -> list[str]:
        return self.issue.problems(self.limit)

    # Changing ------------------------------------------------------------

    def is_full(self) -> bool:
        return len(self.issue.developments) >= self.limit

    def pick(self, item: Item, replace: int | None = None, *, also: list[Item] | None = None) -> Development:
        """Add ``item``; when the issue is full, ``replace`` names the pick (0-based) it replaces.

        ``also`` are the other items reporting the same story: listed in the issue file.
        """
        if item.id in self.picked_ids():
            raise ValueError("already picked")
        development = development_from(item, self.newsroom.config.newsroom)
        development.also = [other.id for other in also or () if other.id != item.id]
        if replace is not None:
            self._remember(f"replacing pick {replace + 1} with “{development.headline}”")
            self.issue.developments[replace] = development
        elif self.is_full():
            raise ValueError(f"the issue already has {self.limit} developments")
        else:
            self._remember(f"picking “{development.headline}”")
            self.issue.developments.append(development)
        self.dirty = True
        return development

    def unpick(self, index: int) -> Development:
        self._remember(f"unpicking “{self.issue.developments[index].headline}”")
        removed = self.issue.developments.pop(index)
        self.dirty = True
        return removed

    def move(self, index: int, offset: int) -> int:
        """Move pick ``index`` up (-1) or down (+1); returns its new index."""
        target = index + offset
        picks = self.issue.developments
        if not (0 <= index < len(picks) and 0 <= target < len(picks)):
            return index
        self._remember(f"moving “{picks[index].headline}” {'up' if offset < 0 else 'down'}")
        picks[index], picks[target] = picks[target], picks[index]
        self.dirty = True
        return target

    def _remember(self, what: str) -> None:
        self._undo.append((what, list(self.issue.developments)))
        del self._undo[:-UNDO_LIMIT]
        self._redo.clear()

    def undo(self) -> str | None:
        """Take back the last pick, unpick, replace or move; returns what it was, or None."""
        return self._step(self._undo, self._redo)

    def redo(self) -> str | None:
        """Do again what the last undo took back; returns what it was, or None."""
        return self._step(self._redo, self._undo)

    def _step(self, source: list[Step], target: list[Step]) -> str | None:
        if not source:
            return None
        what, picks = source.pop()
        target.append((what, list(self.issue.developments)))
        self.issue.developments[:] = picks
        self.dirty = True
        return what

    def set_intro(self, text: str) -> None:
        if text != self.issue.intro:
            self.issue.intro = text
            self.dirty = True

    def set_tags(self, text: str) -> None:
        """The issue's tags, as typed in the desk: comma-separated."""
        tags = tags_from_text(text)
        if tags != self.issue.tags:
            self.issue.tags = tags
            self.dirty = True

    def set_field(self, index: int, name: str, value: str) -> None:
        development = self.issue.developments[index]
        if name == "headline":
            value = without_controls(value)  # the file refuses them: a paste must still save
        if name == "headline" and not value.strip():
            return  # a section needs its headline: the file keeps the last one until a new one is typed
        if name == "read_more" and not self.link_fits(value):
            return  # the file cannot hold it: it keeps the last link, the desk says so
        if getattr(development, name) != value:
            setattr(development, name, value)
            self.dirty = True

    @staticmethod
    def link_fits(value: str) -> bool:
        """The issue file can hold the link (in <…> when it has spaces): no <, > or line break."""
        return not any(c in "<>" or (c.isspace() and c != " ") for c in value)

    @staticmethod
    def link_problem(value: str) -> str | None:
        if not DeskSession.link_fits(value):
            return "NOT SAVED: a link cannot hold <, > or a tab or line break (the file keeps the last link)"
        if not value:
            return "the read-more link is empty"
        if not is_http_url(value):
            return "the read-more link must be an http(s) URL"
        return None

    # Saving --------------------------------------------------------------

    def changed_on_disk(self) -> bool:
        """Asked every second: the file's size and time first, its bytes only when those moved."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return True
        signature = (stat.st_size, stat.st_mtime_ns)
        if signature == self._disk_signature:
            return False
        try:
            changed = _digest(self.path.read_bytes()) != self._disk_digest
        except FileNotFoundError:
            return True
        if not changed:
            self._disk_signature = signature
        return changed

    def save(self, *, force: bool = False) -> bool:
        """Write the issue if it changed; refuse to overwrite someone else's edit unless forced."""
        if not self.dirty:
            return False
        if not force and self.changed_on_disk():
            raise IssueChangedOnDisk(f"{self.path} changed on disk")
        text = save_issue(self.issue, self.path)
        self._disk_digest = _digest(text.encode("utf-8"))
        self._disk_signature = None
        self.dirty = False
        return True

    def reload(self) -> None:
        """Take the file as it is on disk now, dropping unsaved changes."""
        self.issue = load_issue(self.path)
        self._disk_digest = _digest(self.path.read_bytes())
        self._disk_signature = None
        self.dirty = False
        self._undo.clear()  # the steps were taken on picks that are gone
        self._redo.clear()
