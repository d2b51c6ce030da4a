"""Progress on a terminal (rich), silence elsewhere."""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from newsdesk.fetch import FeedResult


# Each redraw costs the fetch's own thread about 0.4 ms, the thread that also downloads:
# ten a second are enough to watch (a first fetch of 200 feeds: 200 redraws, 0.07 s).
REDRAW_SECONDS = 0.1


class FetchProgress:
    """A bar that moves as the feeds' results come in.

    It redraws on results, at most every ``redraw_seconds``, and on the fetch's ticks,
    rather than from a thread of its own: a fetch with no other thread forks its parse
    workers from itself (see newsdesk.parsepool), which saves processes and memory.
    """

    def __init__(
        self, total: int, *, enabled: bool, console: Console | None = None, redraw_seconds: float = REDRAW_SECONDS
    ) -> None:
        # rich is imported only for a terminal: a scripted fetch does not wait for it.
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        self.progress = (
            Progress(
                TextColumn("fetching"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=console or Console(stderr=True),
                transient=True,
                auto_refresh=False,
            )
            if enabled
            else None
        )
        self.task = self.progress.add_task("", total=total) if self.progress else None
        self.redraw_seconds = redraw_seconds
        self.drawn_at = float("-inf")

    def advance(self, result: FeedResult) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, description=result.source)
            if time.monotonic() - self.drawn_at >= self.redraw_seconds:
                self.tick()

    def tick(self) -> None:
        """Redraw, so the elapsed time moves while a slow feed keeps the count still."""
        if self.progress is not None:
            self.progress.refresh()
            self.drawn_at = time.monotonic()

    def __enter__(self) -> FetchProgress:
        if self.progress:
            self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.progress:
            self.progress.stop()
