"""Fetch every enabled source concurrently, store what is new, report each source.

Each feed is downloaded with conditional GET (an unchanged feed costs one 304 and no
parse), streamed with a size cap and an overall deadline, parsed off the event loop,
and stored in one transaction. A failing source never stops the others and never
removes what was stored before.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from newsdesk.config import FetchSettings, Source
from newsdesk.items import utc_text
from newsdesk.newsroom import Newsroom
from newsdesk.normalize import NotAFeed, ParsedFeed, parse_feed
from newsdesk.store import FeedState, Store


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


class FeedFailure(Exception):
    """One feed failed; the message is the reason shown in the report."""


@dataclass
class Download:
    body: bytes | None  # None when the server said 304
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


async def _download_http(
    client: httpx.AsyncClient, url: str, state: FeedState | None, settings: FetchSettings
) -> Download:
    headers = {}
    if state and state.etag:
        headers["If-None-Match"] = state.etag
    if state and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    try:
        async with client.stream("GET", url, headers=headers) as response:
            permanent = [r for r in response.history if r.status_code in (301, 308)]
            moved_to = (
                str(response.url)
                if permanent and len(permanent) == len(response.history)
                else None
            )
            if response.status_code == 304:
                return Download(body=None, moved_to=moved_to)
            if response.status_code >= 400:
                phrase = response.reason_phrase or ""
                raise FeedFailure(f"HTTP {response.status_code} {phrase}".strip())
            if response.status_code != 200:
                raise FeedFailure(f"unexpected HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > settings.max_bytes * 20:
                raise FeedFailure(f"too large: {declared} bytes declared")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > settings.max_bytes:
                    raise FeedFailure(f"too large: over {_megabytes(settings.max_bytes)}")
                chunks.append(chunk)
            return Download(
                body=b"".join(chunks),
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                moved_to=moved_to,
            )
    except httpx.TooManyRedirects:
        raise FeedFailure(f"too many redirects (more than {settings.max_redirects})") from None
    except httpx.ConnectTimeout:
        raise FeedFailure("timed out connecting") from None
    except httpx.ReadTimeout:
        raise FeedFailure(f"timed out: no data for {settings.read_timeout:g} s") from None
    except httpx.ConnectError as error:
        raise FeedFailure(_connect_reason(error)) from None
    except httpx.DecodingError:
        raise FeedFailure("the compressed body is corrupt") from None
    except (httpx.RemoteProtocolError, httpx.ReadError) as error:
        raise FeedFailure(f"connection broken: {error or type(error).__name__}") from None
    except httpx.HTTPError as error:
        raise FeedFailure(f"{type(error).__name__}: {error}") from None


def _connect_reason(error: Exception) -> str:
    text = str(error)
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "unknown host"
    if "refused" in text.lower():
        return "connection refused"
    return f"cannot connect: {text or type(error).__name__}"


def _read_local(path: str, settings: FetchSettings) -> Download:
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > settings.max_bytes:
            raise FeedFailure(f"too large: over {_megabytes(settings.max_bytes)}")
        return Download(body=file.read_bytes())
    except FileNotFoundError:
        raise FeedFailure(f"no such file: {path}") from None
    except IsADirectoryError:
        raise FeedFailure(f"is a folder, not a feed: {path}") from None
    except OSError as error:
        raise FeedFailure(f"cannot read {path}: {error.strerror}") from None


class Fetcher:
    """One fetch run over a newsroom's sources."""

    def __init__(
        self,
        newsroom: Newsroom,
        store: Store,
        *,
        on_result: Callable[[FeedResult], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.newsroom = newsroom
        self.store = store
        self.settings = newsroom.config.fetch
        self.on_result = on_result
        self.transport = transport

    async def run(self, sources: list[Source] | None = None) -> FetchReport:
        sources = self.newsroom.config.enabled_sources if sources is None else sources
        started = time.monotonic()
        settings = self.settings
        limits = httpx.Limits(
            max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
        )
        timeout = httpx.Timeout(
            connect=settings.connect_timeout, read=settings.read_timeout, write=10.0, pool=None
        )
        semaphore = asyncio.Semaphore(settings.concurrency)
        async with httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            timeout=timeout,
            limits=limits,
            headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT},
            transport=self.transport,
            trust_env=False,
        ) as client:

            async def one(source: Source) -> FeedResult:
                async with semaphore:
                    result = await self._fetch_one(client, source)
                if self.on_result:
                    self.on_result(result)
                return result

            tasks = [asyncio.ensure_future(one(s)) for s in sources]
            done, pending = await asyncio.wait(tasks, timeout=settings.run_deadline) if tasks else (set(), set())
            for task in pending:
                task.cancel()
            results = []
            for source, task in zip(sources, tasks, strict=True):
                if task in done and not task.cancelled():
                    results.append(task.result())
                else:
                    results.append(
                        FeedResult(
                            source.name, source.url, "failed",
                            error=f"the run's deadline ({settings.run_deadline:g} s) passed first",
                        )
                    )
        return FetchReport(results=results, seconds=time.monotonic() - started)

    async def _fetch_one(self, client: httpx.AsyncClient, source: Source) -> FeedResult:
        started = time.monotonic()
        location = self.newsroom.source_location(source.url)
        state = self.store.feed_state(source.url)
        now = datetime.now(UTC).replace(microsecond=0)
        try:
            async with asyncio.timeout(self.settings.feed_deadline):
                if location.startswith(("http://", "https://")):
                    download = await _download_http(client, location, state, self.settings)
                else:
                    download = await asyncio.to_thread(_read_local, location, self.settings)
                result = await self._store(source, location, state, download, now)
        except TimeoutError:
            result = FeedResult(
                source.name, source.url, "failed",
                error=f"took longer than the per-feed deadline ({self.settings.feed_deadline:g} s)",
            )
        except (FeedFailure, NotAFeed) as error:
            result = FeedResult(source.name, source.url, "failed", error=str(error))
        except Exception as error:  # a bug in a parser must not stop the other feeds
            result = FeedResult(
                source.name, source.url, "failed", error=f"{type(error).__name__}: {error}"
            )
        if result.failed:
            failed_state = state or FeedState(url=source.url, source=source.name)
            failed_state.status, failed_state.error = "failed", result.error
            failed_state.checked_at = utc_text(now)
            await asyncio.to_thread(self.store.save_feed_state, failed_state)
        result.seconds = time.monotonic() - started
        return result

    async def _store(
        self,
        source: Source,
        location: str,
        state: FeedState | None,
        download: Download,
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
        if download.body is None:  # 304 Not Modified
            await asyncio.to_thread(self.store.save_feed_state, new_state)
            return result
        body_hash = hashlib.sha256(download.body).hexdigest()
        new_state.etag, new_state.last_modified = download.etag, download.last_modified
        if state and state.body_hash == body_hash and state.status != "failed":
            # Same bytes as last time: nothing to parse.
            await asyncio.to_thread(self.store.save_feed_state, new_state)
            return result
        parsed: ParsedFeed = await asyncio.to_thread(
            parse_feed,
            download.body,
            source=source.name,
            url=location,
            content_type=download.content_type,
            fetched_at=now,
        )
        new_state.body_hash = body_hash
        new, updated = await asyncio.to_thread(self.store.save_feed_state, new_state, parsed.items)
        new_state.status = "new" if new else ("updated" if updated else "unchanged")
        result.status = new_state.status
        result.new, result.updated, result.items = new, updated, len(parsed.items)
        result.notes = parsed.notes
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
    sources: list[Source] | None = None,
) -> FetchReport:
    """Run a fetch to the end, holding the newsroom's fetch lock."""
    with newsroom.exclusive("fetch"), newsroom.store() as store:
        return asyncio.run(Fetcher(newsroom, store, on_result=on_result).run(sources))
