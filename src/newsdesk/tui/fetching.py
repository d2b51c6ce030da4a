"""Fetching every source in a worker, progress in the status line, and the report; a fetch
run in another terminal (`newsdesk fetch`, cron) noticed in the store and its items offered."""

from __future__ import annotations

from pathlib import Path

from textual import on, work

from newsdesk.errors import NewsdeskError
from newsdesk.feeds.fetch import FeedResult, FetchReport
from newsdesk.feeds.fetch import fetch as run_fetch
from newsdesk.tui.base import DeskBase
from newsdesk.tui.messages import FetchFailed, FetchFinished, FetchProgressed, LastFetchRead
from newsdesk.tui.screens import ReportScreen

FETCH_CHECK_SECONDS = 2.0  # how often the desk looks for a fetch run elsewhere (a stat, no read)


def _signature(path: Path) -> tuple[tuple[int, int], ...]:
    """The store's files as they stand (a write changes the -wal file)."""
    found = []
    for part in (path, path.with_name(path.name + "-wal")):
        try:
            stat = part.stat()
        except OSError:
            continue
        found.append((stat.st_mtime_ns, stat.st_size))
    return tuple(found)


class Fetching(DeskBase):
    def start_watching_fetches(self) -> None:
        self._store_signature = _signature(self.room.store_path)
        self.read_last_fetch()  # the report r shows before any fetch of this desk's
        self.status_line.set_interval(FETCH_CHECK_SECONDS, self.check_store)

    def check_store(self) -> None:
        """The store changed: perhaps a fetch ran in another terminal. Read its record (in a worker)."""
        signature = _signature(self.room.store_path)
        if signature == self._store_signature or self.fetching is not None:
            return
        self._store_signature = signature
        self.read_last_fetch()

    @work(thread=True, exclusive=True, group="last-fetch", exit_on_error=False)
    def read_last_fetch(self) -> None:
        try:
            with self.room.store() as store:
                record = store.last_fetch()
        except NewsdeskError:
            return  # the loading of candidates reports a broken store
        self.post_message(LastFetchRead(record))

    @on(LastFetchRead)
    def last_fetch_read(self, message: LastFetchRead) -> None:
        record = message.record
        first = not self._fetch_seen
        self._fetch_seen = True
        if record is None or self.fetching is not None:
            return
        try:
            report = FetchReport.from_record(record)
        except (TypeError, ValueError):
            return  # a record this version cannot read: r shows this desk's own fetches
        stamp = record.get("finished")
        if stamp == self.known_fetch:
            return
        self.known_fetch = stamp
        self.last_report, self.last_fetch_error = report, None
        if first:
            return  # fetched before the desk opened: its items are in the list already
        new = sum(r.new for r in report.results)
        when = report.finished.astimezone(self.room.config.newsroom.zone).strftime("%H:%M") if report.finished else ""
        if new:
            self.new_items_waiting = True
            self.toast(
                f"A fetch at {when} brought {new} new items: press n to list them, r for its report.",
                title="New items",
                severity="information",
                timeout=30,
            )
        else:
            self.note(f"A fetch at {when} brought nothing new (r: its report)")

    def action_load_new(self) -> None:
        if not self.new_items_waiting:
            self.note("No fetch has brought new items since the list was loaded")
            return
        self.new_items_waiting = False
        self.clear_notifications()
        self.note("Listing the new items")
        self.load_items()

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
        self.known_fetch = report.finished.isoformat() if report.finished else None
        self.new_items_waiting = False  # the list loads them now
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
        finished = self.last_report.finished if self.last_report is not None else None
        zone = self.room.config.newsroom.zone
        when = finished.astimezone(zone).strftime("%a %d %b %Y, %H:%M") if finished else ""
        self.push_screen(ReportScreen(self.last_report, self.last_fetch_error, when=when))
