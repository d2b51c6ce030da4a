"""Messages the desk's workers post back to the screen."""

from __future__ import annotations

from textual.message import Message

from newsdesk.fetch import FeedResult, FetchReport
from newsdesk.render import Rendered
from newsdesk.session import SearchableItem


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
