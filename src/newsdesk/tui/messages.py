"""Messages the desk's workers post back to the screen."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from newsdesk.curation.articles import Article
from newsdesk.curation.session import SearchableItem, SearchableStory
from newsdesk.feeds.fetch import FeedResult, FetchReport
from newsdesk.output.render import Rendered


class ItemsLoaded(Message):
    def __init__(self, items: list[SearchableItem]) -> None:
        super().__init__()
        self.items = items


class LoadFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class FetchProgressed(Message):
    def __init__(self, result: FeedResult, done: int, total: int) -> None:
        super().__init__()
        self.result = result
        self.done = done
        self.total = total


class FetchFinished(Message):
    def __init__(self, report: FetchReport) -> None:
        super().__init__()
        self.report = report


class FetchFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class RenderFinished(Message):
    def __init__(self, rendered: Rendered) -> None:
        super().__init__()
        self.rendered = rendered


class RenderFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class StoriesRanked(Message):
    """The loaded items, clustered into stories and ranked (posted after ItemsLoaded)."""

    def __init__(self, stories: list[SearchableStory]) -> None:
        super().__init__()
        self.stories = stories


class ArticleLoaded(Message):
    """An article fetched (or found in the cache, or failed); ``fill`` names the pick whose
    empty annotation should start with its lead paragraph."""

    def __init__(self, url: str, article: Article, fill: int | None = None) -> None:
        super().__init__()
        self.url = url
        self.article = article
        self.fill = fill


class LastFetchRead(Message):
    """The store's record of the last fetch run (None: no fetch yet), read by a worker."""

    def __init__(self, record: dict | None) -> None:
        super().__init__()
        self.record = record


class IssuesListed(Message):
    def __init__(self, states: list, scheduled: dict | None = None) -> None:
        super().__init__()
        self.states = states  # newsdesk.output.state.IssueState, newest first
        self.scheduled = scheduled or {}  # issue name -> newsdesk.mail.schedule.ScheduledSend


class JobDone(Message):
    """A job on an issue (check, test send, publish, render to open) ended: what to say."""

    def __init__(
        self, title: str, lines: list[str], *, ok: bool, path: Path | None = None, open_file: Path | None = None
    ) -> None:
        super().__init__()
        self.title = title
        self.lines = lines
        self.ok = ok
        self.path = path  # the issue file it was about
        self.open_file = open_file  # a rendered file to open in the browser
