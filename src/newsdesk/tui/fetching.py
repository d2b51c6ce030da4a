"""Fetching every source in a worker, progress in the status line, and the report."""

from __future__ import annotations

from textual import on, work

from newsdesk.errors import NewsdeskError
from newsdesk.feeds.fetch import FeedResult
from newsdesk.feeds.fetch import fetch as run_fetch
from newsdesk.tui.base import DeskBase
from newsdesk.tui.messages import FetchFailed, FetchFinished, FetchProgressed
from newsdesk.tui.screens import ReportScreen


class Fetching(DeskBase):
    def action_fetch(self) -> None:
        if self.fetching is not None:
            self.note("A fetch is already running.")
            return
        total = len(self.room.config.enabled_sources)
        if not total:
            self.toast("sources.toml has no enabled sources.", severity="warning")
            return
        self.fetching = f"fetching 0/{total}"
        self.refresh_status()
        self.fetch_worker(total)

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False)
    def fetch_worker(self, total: int) -> None:
        done = 0

        def progressed(result: FeedResult) -> None:
            nonlocal done
            done += 1
            self.post_message(FetchProgressed(result, done, total))

        try:
            report = run_fetch(self.room, on_result=progressed)
        except NewsdeskError as error:
            self.post_message(FetchFailed(error.message))
            return
        except Exception as error:  # the desk must survive anything a fetch throws
            self.post_message(FetchFailed(f"{type(error).__name__}: {error}"))
            return
        self.post_message(FetchFinished(report))

    @on(FetchProgressed)
    def fetch_progressed(self, message: FetchProgressed) -> None:
        self.fetching = f"fetching {message.done}/{message.total}: {message.result.source}"
        self.refresh_status()

    @on(FetchFinished)
    def fetch_finished(self, message: FetchFinished) -> None:
        report = message.report
        self.fetching = None
        self.last_report, self.last_fetch_error = report, None
        new = sum(r.new for r in report.results)
        failed = len(report.failed)
        note = f"{new} new items from {len(report.results) - failed} sources"
        if failed:
            note += f"; {failed} failed (press r for the report)"
        self.note(f"Fetched: {note}")
        if failed:
            self.toast(note, title="Fetch finished", severity="warning")
        self.refresh_status()
        self.load_items()

    @on(FetchFailed)
    def fetch_failed(self, message: FetchFailed) -> None:
        self.fetching = None
        self.last_fetch_error = message.error
        self.toast(message.error, title="Fetch failed", severity="error", timeout=10)
        self.refresh_status()

    def action_report(self) -> None:
        self.push_screen(ReportScreen(self.last_report, self.last_fetch_error))
