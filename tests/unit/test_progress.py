"""The fetch's progress bar on a terminal."""

from __future__ import annotations

import io
import threading
import time

from rich.console import Console

from newsdesk.cli.progress import REDRAW_SECONDS, FetchProgress
from newsdesk.feeds.fetch import FeedResult


def test_the_bar_moves_with_each_result_and_starts_no_thread():
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    before = set(threading.enumerate())
    with FetchProgress(3, enabled=True, console=console, redraw_seconds=0) as progress:
        assert screen.getvalue() == ""  # nothing until the first result or tick: rich loads then
        progress.advance(FeedResult("Credit Policy Daily", "https://cpd.example/feed", "new"))
        assert not set(threading.enumerate()) - before  # no thread of its own: a fetch may still fork
        assert "1/3" in screen.getvalue() and "Credit Policy Daily" in screen.getvalue()
        progress.advance(FeedResult("新华信用观察", "https://xh.example/feed", "unchanged"))
        assert "2/3" in screen.getvalue() and "新华信用观察" in screen.getvalue()
        drawn = len(screen.getvalue())
        progress.tick()  # a slow feed holds the count: the clock still moves
        assert len(screen.getvalue()) > drawn


def test_results_that_come_together_are_drawn_together():
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with FetchProgress(200, enabled=True, console=console) as progress:
        progress.advance(FeedResult("first", "https://s.example/feed", "new"))
        assert "1/200" in console.file.getvalue()  # the first result shows at once
        drawn = []
        progress.progress.refresh = lambda: drawn.append(progress.progress.tasks[0].completed)
        for n in range(100):
            progress.advance(FeedResult(f"feed {n}", "https://s.example/feed", "new"))
        assert len(drawn) < 10  # not a redraw for each of the hundred (0.1 s between redraws)
        time.sleep(REDRAW_SECONDS)
        progress.advance(FeedResult("late", "https://s.example/feed", "new"))
        assert drawn[-1] == 102  # a result after a quiet spell shows at once


def test_off_a_terminal_there_is_no_bar():
    with FetchProgress(3, enabled=False) as progress:
        progress.advance(FeedResult("s", "https://s.example/feed", "new"))
    assert progress.progress is None
