"""Progress on a terminal (rich), silence elsewhere."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from newsdesk.fetch import FeedResult


class FetchProgress:
    """A bar that moves as each feed's result comes in.

    It redraws on each result and on the fetch's ticks rather than from a thread of its
    own: a fetch with no other thread forks its parse workers from itself (see
    newsdesk.parsepool), which saves processes and memory.
    """

    def __init__(self, total: int, *, enabled: bool, console: Console | None = None) -> None:
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

    def advance(self, result: FeedResult) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, description=result.source, refresh=True)

    def tick(self) -> None:
        """Redraw, so the elapsed time moves while a slow feed keeps the count still."""
        if self.progress is not None:
            self.progress.refresh()

    def __enter__(self) -> FetchProgress:
        if self.progress:
            self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.progress:
            self.progress.stop()
