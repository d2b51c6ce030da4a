"""Fetch every enabled source concurrently, store what is new, report each source.

Each feed is downloaded with conditional GET (an unchanged feed costs one 304 and no
parse), streamed with a size cap and an overall deadline, parsed off the event loop,
and stored in one transaction. A failing source never stops the others and never
removes what was stored before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.config import FetchSettings, Source
from newsdesk.feeds.compression import ACCEPT_ENCODING, BodyCorrupt, BodyTooLarge, codings, decoded_size_hint
from newsdesk.feeds.decode import NotAFeed
from newsdesk.feeds.workers import ParseWorkers
from newsdesk.items import utc_text
from newsdesk.newsroom import Newsroom
from newsdesk.store import FeedState, Store

if TYPE_CHECKING:
    import httpx

    from newsdesk.http import Lanes
    from newsdesk.items import ParsedFeed


@dataclass
class FeedResult:
    """What happened to one source in one run."""

    source: str
    url: str
    status: str  # "new", "updated", "unchanged", "failed"
    new: int = 0
    updated: int = 0
    items: int = 0
    error: str | None = None
    moved_to: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def line(self) -> str:
        """One line of the fetch report."""
        if self.failed:
            text = f"{self.source}: failed: {self.error}"
        elif self.status == "unchanged":
            text = f"{self.source}: unchanged"
        else:
            text = f"{self.source}: {self.new} new, {self.updated} updated ({self.items} items)"
        if self.moved_to:
            text += f"; moved permanently to {self.moved_to} (update sources.toml)"
        for note in self.notes:
            text += f"; {note}"
        return text


@dataclass
class FetchReport:
    results: list[FeedResult]
    seconds: float
    finished: datetime | None = None  # when the run ended (UTC), once fetch() has it

    @property
    def failed(self) -> list[FeedResult]:
        return [r for r in self.results if r.failed]

    @property
    def all_failed(self) -> bool:
        return bool(self.results) and len(self.failed) == len(self.results)

    def as_json(self) -> dict[str, object]:
        return {
            "seconds": round(self.seconds, 3),
            "new": sum(r.new for r in self.results),
            "updated": sum(r.updated for r in self.results),
            "failed": len(self.failed),
            "sources": [asdict(r) for r in self.results],
        }

    def record(self) -> dict[str, object]:
        """What the store keeps of the run (Store.save_last_fetch): the JSON report and when."""
        return {"finished": self.finished.isoformat() if self.finished else None, **self.as_json()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> FetchReport:
        finished = record.get("finished")
        known = {f.name for f in fields(FeedResult)}  # a record from another version keeps what it can
        return cls(
            results=[
                FeedResult(**{k: v for k, v in source.items() if k in known}) for source in record.get("sources", [])
            ],
            seconds=float(record.get("seconds", 0.0)),
            finished=datetime.fromisoformat(finished) if finished else None,
        )


class FeedFailure(Exception):
    """One feed failed; the message is the reason shown in the report."""


@dataclass
class Download:
    body: bytes | None  # as received (perhaps compressed); None when the server said 304
    content_encoding: str | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None
    digest: str | None = None  # SHA-256 of the decoded body, taken by the parser


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def _moved_to(response: httpx.Response) -> str | None:
    """The new URL when every redirect on the way was permanent (301 or 308)."""
    if response.history and all(hop.status_code in (301, 308) for hop in response.history):
        return str(response.url)
    return None


def _http_failure(response: httpx.Response) -> str:
    from newsdesk.http import describe_status

    reason = describe_status(response)
    if response.status_code == 410:
        reason += " (the feed is gone for good: remove it from sources.toml)"
    return reason


async def _download_http(lanes: Lanes, url: str, state: FeedState | None, settings: FetchSettings) -> Download:
    from newsdesk.http import ERRORS

    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    if state and state.etag:
        headers["If-None-Match"] = state.etag
    if state and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    try:
        async with lanes.get(url, headers) as response:
            moved_to = _moved_to(response)
            if response.status_code == 304:
                async for _ in response.aiter_raw():  # to its end (none), so its connection is kept
                    pass
                return Download(body=None, moved_to=moved_to)
            if response.status_code >= 400:
                raise FeedFailure(_http_failure(response))
            if response.status_code != 200:
                raise FeedFailure(f"unexpected HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > settings.max_bytes:
                raise FeedFailure(
                    f"too large: {int(declared):,} bytes declared, the limit is {_megabytes(settings.max_bytes)}"
                )
            # Kept as received: the parser decodes it (under the same cap, so a compression
            # bomb never passes it), which spares this process the work and the memory.
            content_encoding = response.headers.get("content-encoding")
            codings(content_encoding)  # one newsdesk cannot undo fails now, not in a parser
            raw = bytearray()
            async for chunk in response.aiter_raw():
                raw += chunk
                if len(raw) > settings.max_bytes:
                    raise BodyTooLarge(settings.max_bytes)
            return Download(
                body=bytes(raw),
                content_encoding=content_encoding,
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                moved_to=moved_to,
            )
    except BodyTooLarge:
        raise FeedFailure(f"too large: over {_megabytes(settings.max_bytes)}") from None
    except BodyCorrupt as error:
        raise FeedFailure(str(error)) from None
    except ERRORS as error:
        raise FeedFailure(lanes.http.reason(error)) from None


def _short(error: BaseException | str, limit: int = 120) -> str:
    """An error's message as one short line: servers choose some of its words."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_local(path: str, settings: FetchSettings) -> Download:
    file = Path(path)
    try:
        if not file.is_file():  # a folder, a device or a pipe could be read forever
            if file.is_dir():
                raise FeedFailure(f"is a folder, not a feed: {path}")
            raise FeedFailure(f"not a regular file: {path}" if file.exists() else f"no such file: {path}")
        with file.open("rb") as handle:
            body = handle.read(settings.max_bytes + 1)
        if len(body) > settings.max_bytes:
            raise FeedFailure(f"too large: over {_megabytes(settings.max_bytes)}")
        return Download(body=body)
    except OSError as error:
        raise FeedFailure(f"cannot read {path}: {error.strerror}") from None


# Feeds downloaded but not yet parsed and stored are held in memory up to about this many
# bytes of feed (counted decoded): past it, a feed keeps its download slot until the
# parsers and the store catch up, and the network slows to their pace.
BACKLOG_BYTES = 48_000_000
TICK_SECONDS = 0.25


class Backlog:
    """Bytes waiting for a parser, under a limit. One body is always let in, however
    large, so that a body over the limit cannot wait forever."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._freed = asyncio.Event()

    async def reserve(self, size: int) -> None:
        while size and self.used and self.used + size > self.limit:  # a 304 brings nothing to wait for
            self._freed.clear()
            await self._freed.wait()
        self.used += size

    def release(self, size: int) -> None:
        """Synchronous, so that a cancelled feed always gives its bytes back."""
        self.used -= size
        self._freed.set()


class Fetcher:
    """One fetch run over a newsroom's sources."""

    def __init__(
        self,
        newsroom: Newsroom,
        store: Store,
        *,
        on_result: Callable[[FeedResult], None] | None = None,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        """``on_result`` is called with each feed's result as it comes in, and ``on_tick``
        every quarter of a second while the run lasts (a display's clock), both from the
        run's event loop."""
        self.newsroom = newsroom
        self.store = store
        self.settings = newsroom.config.fetch
        self.on_result = on_result
        self.on_tick = on_tick

    async def run(self, sources: list[Source] | None = None) -> FetchReport:
        sources = self.newsroom.config.enabled_sources if sources is None else sources
        started = time.monotonic()
        settings = self.settings
        # Download slots: a feed holds one while it downloads, not while it waits for a
        # parser or the store, so the network stays busy while the parsers catch up.
        self._download_slots = asyncio.Semaphore(settings.concurrency)
        self._backlog = Backlog(BACKLOG_BYTES)
        self._workers = ParseWorkers()
        # States of feeds that brought nothing new are written together at the end:
        # a warm run is then one transaction, not one per feed. A run killed before
        # that loses only their check times; their validators have not changed.
        self._unchanged: list[FeedState] = []
        ticking = asyncio.ensure_future(self._tick(self.on_tick)) if self.on_tick else None
        try:
            return await self._run(sources, started)
        finally:
            if ticking:
                ticking.cancel()
            self._workers.close()
            if self._unchanged:
                await asyncio.to_thread(self.store.save_feed_states, self._unchanged)

    @staticmethod
    async def _tick(on_tick: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            on_tick()

    async def _run(
        self,
        sources: list[Source],
        started: float,
    ) -> FetchReport:
        settings = self.settings
        # Read before any download: a read on the event loop would wait for the store's
        # lock while a thread writes a large feed.
        self._states = {s.url: self.store.feed_state(s.url) for s in sources}
        self._workers.expect_new_feeds(sum(1 for state in self._states.values() if state is None))
        # Imported once the parse workers may have been forked from this process: they never
        # send a request, and httpx's modules (and those it imports) would only add to each.
        from newsdesk.http import Http, Lanes

        async with Lanes(Http.fetching(settings), settings.concurrency, headers={"Accept": _ACCEPT}) as lanes:

            async def one(source: Source) -> FeedResult:
                result = await self._fetch_one(lanes, source)
                if self.on_result:
                    self.on_result(result)
                return result

            tasks = [asyncio.ensure_future(one(s)) for s in sources]
            done, pending = await asyncio.wait(tasks, timeout=settings.run_deadline) if tasks else (set(), set())
            for task in pending:
                task.cancel()
            # Let cancelled feeds unwind (close their connections) before their clients close.
            await asyncio.gather(*pending, return_exceptions=True)
            results = []
            for source, task in zip(sources, tasks, strict=True):
                if task in done and not task.cancelled():
                    results.append(task.result())
                else:
                    results.append(
                        FeedResult(
                            source.name,
                            source.url,
                            "failed",
                            error=f"the run's deadline ({settings.run_deadline:g} s) passed first",
                        )
                    )
        return FetchReport(results=results, seconds=time.monotonic() - started)

    async def _fetch_one(self, lanes: Lanes, source: Source) -> FeedResult:
        """Download, parse and store one feed; any failure becomes the result's reason.

        The per-feed deadline covers downloading and parsing (not the wait for a parse
        slot). Storing is outside it: a transaction running in a thread cannot be
        stopped half way, so the report must not call a feed failed that was stored.
        """
        started = time.monotonic()
        location = self.newsroom.source_location(source.url)
        state = self._states[source.url] if source.url in self._states else self.store.feed_state(source.url)
        now = datetime.now(UTC).replace(microsecond=0)
        try:
            async with self._download_slots:
                started = time.monotonic()  # the wait for a slot is not the feed's time
                now = datetime.now(UTC).replace(microsecond=0)
                async with asyncio.timeout(self.settings.feed_deadline):
                    if location.startswith(("http://", "https://")):
                        download = await _download_http(lanes, location, state, self.settings)
                    else:
                        download = await asyncio.to_thread(_read_local, location, self.settings)
                spent = time.monotonic() - started
                # Counted at its decoded size: that is what the parse and the store hold.
                waiting = 0
                if download.body:
                    waiting = min(decoded_size_hint(download.body, download.content_encoding), self.settings.max_bytes)
                await self._backlog.reserve(waiting)
            try:
                parsed = await self._parse(source, location, state, download, now, spent)
                result = await self._store(source, state, download, parsed, now)
            finally:
                self._backlog.release(waiting)
        except TimeoutError:
            result = FeedResult(
                source.name,
                source.url,
                "failed",
                error=f"took longer than the per-feed deadline ({self.settings.feed_deadline:g} s)",
            )
        except (FeedFailure, NotAFeed) as error:
            result = FeedResult(source.name, source.url, "failed", error=str(error))
        except Exception as error:  # a bug in a parser must not stop the other feeds
            result = FeedResult(source.name, source.url, "failed", error=f"{type(error).__name__}: {_short(error)}")
        if result.failed:
            # Only the feed's state changes: the items stored before are all kept.
            failed_state = state or FeedState(url=source.url, source=source.name)
            failed_state.status, failed_state.error = "failed", result.error
            failed_state.checked_at = utc_text(now)
            await asyncio.to_thread(self.store.save_feed_state, failed_state)
        result.seconds = time.monotonic() - started
        return result

    async def _parse(
        self,
        source: Source,
        location: str,
        state: FeedState | None,
        download: Download,
        now: datetime,
        spent: float = 0.0,
    ) -> ParsedFeed | None:
        """The parsed feed, or None when there is nothing new to parse.

        ``spent`` is the part of the per-feed deadline the download used.
        """
        if download.body is None:  # 304 Not Modified
            return None
        # The parser skips the parse when the decoded body is the same as last time.
        known = state.body_hash if state and state.status != "failed" else None
        try:
            download.digest, parsed = await self._workers.parse(
                download.body,
                content_encoding=download.content_encoding,
                limit=self.settings.max_bytes,
                known_digest=known,
                source=source.name,
                url=location,
                content_type=download.content_type,
                fetched_at=now,
                deadline=max(self.settings.feed_deadline - spent, 0.0),
            )
        except TimeoutError:
            raise FeedFailure(
                f"took longer than the per-feed deadline ({self.settings.feed_deadline:g} s) to parse"
            ) from None
        except BodyTooLarge:
            raise FeedFailure(f"too large: over {_megabytes(self.settings.max_bytes)}") from None
        except BodyCorrupt as error:
            raise FeedFailure(str(error)) from None
        return parsed

    async def _store(
        self,
        source: Source,
        state: FeedState | None,
        download: Download,
        parsed: ParsedFeed | None,
        now: datetime,
    ) -> FeedResult:
        new_state = FeedState(
            url=source.url,
            source=source.name,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
            body_hash=state.body_hash if state else None,
            status="unchanged",
            checked_at=utc_text(now),
            moved_to=download.moved_to,
        )
        result = FeedResult(source.name, source.url, "unchanged", moved_to=download.moved_to)
        if download.body is not None:
            new_state.etag, new_state.last_modified = download.etag, download.last_modified
        if parsed is None:
            self._unchanged.append(new_state)
            return result
        new_state.body_hash = download.digest
        new, updated = await asyncio.to_thread(self.store.save_feed_state, new_state, parsed.items)
        result.status = new_state.status or result.status  # as the store set it from the items
        result.new, result.updated, result.items = new, updated, len(parsed.items)
        result.notes = list(parsed.notes)
        if not parsed.items:
            result.notes.append("the feed has no items")
        return result


_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)


def fetch(
    newsroom: Newsroom,
    *,
    on_result: Callable[[FeedResult], None] | None = None,
    on_tick: Callable[[], None] | None = None,
    sources: list[Source] | None = None,
) -> FetchReport:
    """Run a fetch to the end, holding the newsroom's fetch lock."""
    with newsroom.exclusive("fetch"), newsroom.store() as store:
        report = asyncio.run(Fetcher(newsroom, store, on_result=on_result, on_tick=on_tick).run(sources))
        report.finished = datetime.now(UTC)
        store.save_last_fetch(report.record())  # for the desk, whichever terminal fetched
        return report
