"""The static site: a folder of plain files that works from any web server or from disk.

    index.html                 the newest issues (the archive's first page, at the root)
    style.css                  one small responsive stylesheet
    YYYY/<slug>.html           one page per issue (archive.post_path)
    archive/index.html         the archive, newest first, 20 issues a page
    archive/page-N.html        its older pages
    archive/YYYY.html          every issue of one year
    archive/feed.xml           the Atom feed: the newest issues, in full
    .newsdesk-site.json        the files newsdesk wrote, so stale ones can be removed

Every page is rendered in memory and compared with what is on disk: only files whose
bytes change are written, and a build from nothing gives the same bytes. Links between
pages are relative; the feed's links are absolute (feed readers need them).
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from newsdesk.output.archive import FEED_SIZE, ArchiveEntry, archive_entry, blog_root
from newsdesk.errors import InvalidInput
from newsdesk.files import write_atomic
from newsdesk.issue import Issue, load_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.render import Renderer

PAGE_SIZE = 20  # issues on each archive page
MANIFEST = ".newsdesk-site.json"
ON_SITE = ("ready", "sent", "published")  # drafts stay off the site


@dataclass
class SiteResult:
    """What a build changed, as paths relative to the site folder."""

    root: Path
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def site_issues(newsroom: Newsroom, publishing: Issue | None = None) -> list[Issue]:
    """The issues the site shows, newest first: those that went out or are ready, and the
    one being published whatever its status. A broken issue file stops the build: leaving
    it out would remove its page."""
    found: dict[str, Issue] = {}
    for day in newsroom.issue_dates():
        issue = load_issue(newsroom.issue_path(day))
        if issue.status in ON_SITE:
            found[issue.name] = issue
    if publishing is not None:
        found[publishing.name] = publishing
    return sorted(found.values(), key=lambda i: i.date, reverse=True)


def check_paths(issues: list[Issue], entries: list[ArchiveEntry]) -> None:
    """Refuse two issues that would be published at one address (the same title)."""
    seen: dict[str, Issue] = {}
    for issue, entry in zip(issues, entries, strict=True):
        if entry.path in seen:
            other = seen[entry.path]
            raise InvalidInput(
                f"{issue.path} and {other.path} would both be published at {entry.path}: "
                "give one of them a different title"
            )
        seen[entry.path] = issue


def relative(target: str, page: str) -> str:
    """The link from ``page`` to ``target``, both paths from the site's root."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


class SiteBuilder:
    def __init__(self, newsroom: Newsroom, root: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.newsroom = newsroom
        self.root = root
        self.renderer = Renderer(newsroom, clock=clock)
        self.settings = newsroom.config.newsroom

    # What the site holds ------------------------------------------------

    def files(self, issues: Iterable[Issue]) -> dict[str, bytes]:
        """Every file of the site for these issues, by path from the root."""
        issues = sorted(issues, key=lambda i: i.date, reverse=True)
        entries = [archive_entry(issue, self.settings) for issue in issues]
        check_paths(issues, entries)
        out: dict[str, str] = {"style.css": self.renderer.template("style.css")}
        for issue, entry in zip(issues, entries, strict=True):
            out[entry.path] = self.post_page(issue, entry.path)

        pages = [entries[i : i + PAGE_SIZE] for i in range(0, len(entries), PAGE_SIZE)] or [[]]
        years = sorted({e.date.year for e in entries}, reverse=True)
        page_paths = ["archive/index.html"] + [f"archive/page-{n}.html" for n in range(2, len(pages) + 1)]
        for number, (chunk, path) in enumerate(zip(pages, page_paths, strict=True), start=1):
            pagination = {
                "number": number,
                "count": len(pages),
                "newer": relative(page_paths[number - 2], path) if number > 1 else None,
                "older": relative(page_paths[number], path) if number < len(pages) else None,
            }
            heading = "Archive" if number == 1 else f"Archive, page {number}"
            out[path] = self.archive_page(path, chunk, entries, years, heading=heading, pagination=pagination)
        # The home page is the archive's first page, its links made relative to the root.
        out["index.html"] = self.archive_page(
            "index.html", pages[0], entries, years, heading="Latest issues", pagination={
                "number": 1,
                "count": len(pages),
                "newer": None,
                "older": relative(page_paths[1], "index.html") if len(pages) > 1 else None,
            }
        )
        for year in years:
            chunk = [e for e in entries if e.date.year == year]
            out[f"archive/{year}.html"] = self.archive_page(
                f"archive/{year}.html", chunk, entries, years, heading=f"Issues of {year}", year=year
            )
        out["archive/feed.xml"] = self.renderer.atom_feed(issues[:FEED_SIZE])
        return {path: text.encode("utf-8") for path, text in sorted(out.items())}

    def post_page(self, issue: Issue, path: str) -> str:
        context = self.renderer.context(issue)
        context.update(self._links(path))
        return self.renderer.template("post.html", **context)

    def archive_page(
        self,
        path: str,
        chunk: list[ArchiveEntry],
        entries: list[ArchiveEntry],
        years: list[int],
        *,
        heading: str = "Archive",
        pagination: dict[str, Any] | None = None,
        year: int | None = None,
    ) -> str:
        root = blog_root(self.settings)
        counts = {y: sum(1 for e in entries if e.date.year == y) for y in years}
        context: dict[str, Any] = {
            "newsroom": self.settings,
            # The same entry as in the feed and the email, linked to this site's own page.
            "entries": [dataclasses.replace(e, url=relative(e.path, path)) for e in chunk],
            "blog_url": root,
            "updated": max((e.date for e in entries), default=None),
            "heading": heading,
            "pagination": pagination,
            "years": [
                {"year": y, "count": counts[y], "href": relative(f"archive/{y}.html", path), "current": y == year}
                for y in years
            ],
            **self._links(path),
        }
        return self.renderer.template("archive.html", **context)

    def _links(self, page: str) -> dict[str, str]:
        """The site-wide links as seen from ``page``; explicit index.html so that the
        folder also works opened from disk, where a folder link shows a file listing."""
        return {
            "archive_url": relative("archive/index.html", page),
            "feed_url": relative("archive/feed.xml", page),
            "stylesheet_url": relative("style.css", page),
        }

    # Writing -------------------------------------------------------------

    def build(self, issues: Iterable[Issue]) -> SiteResult:
        """Write what changed; remove what an earlier build wrote and this one does not."""
        wanted = self.files(issues)  # everything rendered before anything is written
        result = SiteResult(root=self.root)
        for path, data in wanted.items():
            target = self.root / path
            if _read(target) == data:
                result.unchanged += 1
                continue
            write_atomic(target, data)
            result.written.append(path)
        for path in sorted(self._previous() - set(wanted)):
            target = self.root / path
            if target.is_file():
                target.unlink()
                result.removed.append(path)
                _remove_empty_parents(target.parent, self.root)
        manifest = (json.dumps(sorted(wanted), indent=1) + "\n").encode("utf-8")
        if _read(self.root / MANIFEST) != manifest:
            write_atomic(self.root / MANIFEST, manifest)
        return result

    def _previous(self) -> set[str]:
        """The files the last build wrote (only those are ever removed)."""
        try:
            listed = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        if not isinstance(listed, list):
            return set()
        # Never follow a tampered list out of the site folder.
        return {p for p in listed if isinstance(p, str) and ".." not in PurePosixPath(p).parts
                and not PurePosixPath(p).is_absolute()}


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _remove_empty_parents(folder: Path, root: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
