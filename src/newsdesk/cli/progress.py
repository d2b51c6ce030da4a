"""Progress on a terminal (rich), silence elsewhere."""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from newsdesk.feeds.fetch import FeedResult


# A redraw runs on the fetch's own thread, the one that also downloads: ten a second are
# enough to watch (docs/benchmarks.md, "On a terminal").
REDRAW_SECONDS = 0.1


class FetchProgress:
    """A bar that moves as the feeds' results come in.

    It redraws on results, at most every ``redraw_seconds``, and on the fetch's ticks,
    rather than from a thread of its own: the fetch's event loop already wakes for both.
    """

    def __init__(
        self, total: int, *, enabled: bool, console: Console | None = None, redraw_seconds: float = REDRAW_SECONDS
    ) -> None:
        self.total = total
        self.enabled = enabled
        self.console = console
        self.redraw_seconds = redraw_seconds
        self.drawn_at = float("-inf")
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def _bar(self) -> Progress | None:
        """The bar, started on the first result or tick: rich is imported while the first
        requests are out, not before they leave, and only on a terminal."""
        if self.progress is None and self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("fetching"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self.console or Console(stderr=True),
                transient=True,
                auto_refresh=False,
            )
            self.task = self.progress.add_task("", total=self.total)
            self.progress.start()
        return self.progress

    def advance(self, result: FeedResult) -> None:
        bar = self._bar()
        if bar is not None and self.task is not None:
            bar.update(self.task, advance=1, description=result.source)
            if time.monotonic() - self.drawn_at >= self.redraw_seconds:
                self.tick()

    def tick(self) -> None:
        """Redraw, so the elapsed time moves while a slow feed keeps the count still."""
        bar = self._bar()
        if bar is not None:
            bar.refresh()
            self.drawn_at = time.monotonic()

    def __enter__(self) -> FetchProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.progress:
            self.progress.stop()
