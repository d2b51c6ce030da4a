"""The static site: a folder of plain files that works from any web server or from disk.

    index.html                 the newest issues (the archive's first page, at the root)
    style.css                  one small responsive stylesheet
    YYYY/<slug>.html           one page per issue (archive.post_path)
    archive/index.html         the archive, newest first, 20 issues a page
    archive/page-N.html        its older pages
    archive/YYYY.html          every issue of one year
    archive/feed.xml           the Atom feed: the newest issues, in full
    archive/rss.xml            the same as RSS 2.0
    tags/index.html            every tag the issues carry, with how many issues each
    tags/<tag>.html            the issues of one tag, newest first (archive.tag_path)
    search.html, search.json   search across every issue in the browser: the page and its index
    sitemap.xml, robots.txt    every page's address, for search engines (robots.txt only for a
                               blog at its host's root: crawlers read no other)
    404.html                   what hosts serve for a missing address
    .newsdesk-site.json        the files newsdesk wrote, so stale ones can be removed

A build renders only what changed. Each file has a digest of its inputs (the entries and
issues it shows, the templates, the settings, newsdesk's code: Renderer.source); the store
keeps, for each site folder, the digest each file was last rendered from and its size and
time once written (table ``site_files``). A file whose inputs and stat are unchanged is left
alone without rendering it; any other is rendered, and written only if its bytes change.
So a build after one edit renders that issue's page and the few pages listing it, and any
build gives the same bytes as a build from nothing. Links between pages are relative; the
feed's links are absolute (feed readers need them).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from newsdesk.chinese import fold, fold_table
from newsdesk.config import Blog, NewsroomSettings
from newsdesk.dates import long_date
from newsdesk.errors import InvalidInput
from newsdesk.files import write_atomic
from newsdesk.issue import Issue, tag_slug
from newsdesk.newsroom import Newsroom
from newsdesk.output.archive import FEED_SIZE, ArchiveEntry, archive_entry, blog_root, favicon_address, favicon_path
from newsdesk.output.catalog import Listing, catalog, listing
from newsdesk.output.render import Renderer
from newsdesk.output.revisions import Revisions, content_digest

PAGE_SIZE = 20  # issues on each archive page
TAGS_INDEX = "tags/index.html"
SEARCH_PAGE = "search.html"
SEARCH_INDEX = "search.json"
MANIFEST = ".newsdesk-site.json"
ON_SITE = ("ready", "sent", "published")  # drafts stay off the site


@dataclass
class SiteResult:
    """What a build changed, as paths relative to the site folder."""

    root: Path
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    rendered: list[str] = field(default_factory=list)  # the files whose inputs changed

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


@dataclass(frozen=True)
class _File:
    """One file of the site: the digest of its inputs, and how to render it."""

    path: str
    inputs: str
    render: Callable[[], str]


def site_issues(newsroom: Newsroom, publishing: Issue | None = None) -> list[Listing]:
    """The issues the site shows, newest first: those that went out or are ready, and the
    one being published whatever its status (as it is in memory). A broken issue file stops
    the build: leaving it out would remove its page."""
    found = {item.name: item for item in catalog(newsroom) if item.status in ON_SITE}
    if publishing is not None:
        found[publishing.name] = listing(publishing)
    return sorted(found.values(), key=lambda i: i.date, reverse=True)


def site_folder(newsroom: Newsroom, blog: Blog) -> Path:
    """The folder of a static target, from the newsroom when relative."""
    folder = Path(blog.path).expanduser()
    return folder if folder.is_absolute() else newsroom.root / folder


def blog_warnings(settings: NewsroomSettings, sites: Iterable[Path]) -> list[str]:
    """What is likely wrong with the blog's addresses, one line each: an icon named by its
    path that is not in a site folder, a sign-up form sent in the clear from an https blog."""
    found = []
    icon = favicon_path(settings)
    for folder in sites:
        if icon is not None and not (folder / icon).is_file():
            found.append(
                f"newsroom.favicon_url: {icon} is not in the site folder {folder}: "
                "put the file there, or every page links to a missing icon"
            )
    if settings.signup_url.lower().startswith("http://") and settings.blog_url.lower().startswith("https://"):
        found.append(
            f"newsroom.signup_url {settings.signup_url!r} is http on an https blog: readers' addresses "
            "would be sent unencrypted, and browsers warn on the form; use https"
        )
    return found


def check_paths(issues: Sequence[Issue | Listing], entries: list[ArchiveEntry]) -> None:
    """Refuse two issues that would be published at one address (the same title)."""
    seen: dict[str, Issue | Listing] = {}
    for issue, entry in zip(issues, entries, strict=True):
        if entry.path in seen:
            other = seen[entry.path]
            raise InvalidInput(
                f"{issue.path} and {other.path} would both be published at {entry.path}: "
                "give one of them a different title"
            )
        seen[entry.path] = issue


def relative(target: str, page: str) -> str:
    """The link from ``page`` to ``target``, both paths from the site's root (plain paths,
    no "." or ".." in them: the site's own)."""
    folder = page.split("/")[:-1]
    parts = target.split("/")
    common = 0
    while common < len(folder) and common < len(parts) - 1 and folder[common] == parts[common]:
        common += 1
    return "/".join([".."] * (len(folder) - common) + parts[common:])


class SiteBuilder:
    def __init__(self, newsroom: Newsroom, root: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.newsroom = newsroom
        self.root = root
        self.renderer = Renderer(newsroom, clock=clock)
        self.settings = newsroom.config.newsroom
        self.nav: dict[str, bool] = {"tags": False}  # which site-wide pages there are

    # What the site holds ------------------------------------------------

    def plan(self, issues: Iterable[Issue | Listing], revisions: Revisions) -> list[_File]:
        """Every file of the site for these issues, each with the digest of its inputs;
        nothing is rendered yet, except the post bodies whose digest the store lacks (it
        says whether an entry was updated, and when)."""
        listings = sorted(
            (i if isinstance(i, Listing) else listing(i) for i in issues), key=lambda i: i.date, reverse=True
        )
        entries = [archive_entry(item, self.settings) for item in listings]
        check_paths(listings, entries)
        entries, digests, bodies = self._revised(listings, entries, revisions)
        tags = _tags(entries)
        # What every page's navigation links to; a page is rendered again when it changes.
        self.nav = {"tags": bool(tags)}
        nav = json.dumps(self.nav, sort_keys=True)

        def source(key: str) -> str:
            return self.renderer.source(f"{nav}\0{key}")

        root = blog_root(self.settings)
        # Each entry written out once (most appear on three pages), as plain strings: JSON's
        # C encoder then needs no help.
        marks = {
            e.entry_id: json.dumps(
                [
                    e.title,
                    e.excerpt,
                    e.path,
                    e.url,
                    e.entry_id,
                    str(e.date),
                    str(e.published),
                    str(e.updated),
                    e.tags,
                ],
                ensure_ascii=False,
            )
            for e in entries
        }
        files = [
            _File("style.css", source("style.css"), functools.partial(self.renderer.template, "style.css")),
            _File("404.html", source(_key("404", root)), self._not_found),
        ]
        if not urlsplit(root).path.strip("/"):
            # Crawlers read only the host's /robots.txt: a blog under a path gets none (the
            # host's own robots.txt names the sitemap, as the README says).
            files.append(
                _File(
                    "robots.txt",
                    source(_key("robots", root)),
                    functools.partial(self.renderer.template, "robots.txt", sitemap_url=f"{root}/sitemap.xml"),
                )
            )
        for n, (item, entry) in enumerate(zip(listings, entries, strict=True)):
            # Newest first: the next issue is the one before in the list.
            newer = entries[n - 1] if n > 0 else None
            older = entries[n + 1] if n + 1 < len(entries) else None
            neighbours = {
                "newer": {"href": relative(newer.path, entry.path), "title": newer.title} if newer else None,
                "older": {"href": relative(older.path, entry.path), "title": older.title} if older else None,
            }
            shows = json.dumps(
                [
                    "post",
                    item.key,
                    marks[entry.entry_id],
                    newer and (newer.path, newer.title),
                    older and (older.path, older.title),
                ],
                ensure_ascii=False,
            )
            files.append(_File(entry.path, source(shows), functools.partial(self._post_file, item, entry, neighbours)))

        pages = [entries[i : i + PAGE_SIZE] for i in range(0, len(entries), PAGE_SIZE)] or [[]]
        years = sorted({e.date.year for e in entries}, reverse=True)
        counts = {y: sum(1 for e in entries if e.date.year == y) for y in years}
        page_paths = ["archive/index.html"] + [f"archive/page-{n}.html" for n in range(2, len(pages) + 1)]
        archive: list[tuple[str, list[ArchiveEntry], dict[str, Any]]] = []
        for number, (chunk, path) in enumerate(zip(pages, page_paths, strict=True), start=1):
            pagination = {
                "number": number,
                "count": len(pages),
                "newer": relative(page_paths[number - 2], path) if number > 1 else None,
                "older": relative(page_paths[number], path) if number < len(pages) else None,
            }
            heading = "Archive" if number == 1 else f"Archive, page {number}"
            archive.append((path, chunk, {"heading": heading, "pagination": pagination}))
        # The home page is the archive's first page, its links made relative to the root.
        archive.append(
            (
                "index.html",
                pages[0],
                {
                    "heading": "Latest issues",
                    "pagination": {
                        "number": 1,
                        "count": len(pages),
                        "newer": None,
                        "older": relative(page_paths[1], "index.html") if len(pages) > 1 else None,
                    },
                },
            )
        )
        for year in years:
            chunk = [e for e in entries if e.date.year == year]
            archive.append((f"archive/{year}.html", chunk, {"heading": f"Issues of {year}", "year": year}))
        for slug, (name, chunk) in tags.items():
            options: dict[str, Any] = {
                "heading": f"Issues tagged {name}",
                "description": f"Every issue of {self.settings.name} tagged {name}, newest first.",
            }
            archive.append((tag_path(slug), chunk, options))
        newest = max((e.date for e in entries), default=None)
        for path, chunk, options in archive:
            shown = [marks[e.entry_id] for e in chunk]
            files.append(
                _File(
                    path,
                    source(_key("archive", path, shown, counts, newest, options)),
                    functools.partial(self.archive_page, path, chunk, counts, newest, **options),
                )
            )

        if tags:
            shown_tags = [(name, len(chunk), slug) for slug, (name, chunk) in tags.items()]
            files.append(
                _File(
                    TAGS_INDEX,
                    source(_key("tags", shown_tags)),
                    functools.partial(self.tags_page, shown_tags),
                )
            )
        # The sitemap: every page whose address is here (a post published on another blog
        # as the primary one is that blog's to list), posts with when they last changed.
        sitemap: list[dict[str, Any]] = [{"loc": self.address(path), "lastmod": None} for path, _, _ in archive]
        if tags:
            sitemap.append({"loc": self.address(TAGS_INDEX), "lastmod": None})
        sitemap += [{"loc": e.url, "lastmod": e.updated} for e in entries if e.url == self.address(e.path)]
        sitemap.sort(key=lambda page: page["loc"])
        files.append(
            _File(
                "sitemap.xml",
                source(_key("sitemap", sitemap)),
                functools.partial(self.renderer.template, "sitemap.xml", pages=sitemap),
            )
        )
        files.extend(self._feeds(listings[:FEED_SIZE], entries[:FEED_SIZE], digests[:FEED_SIZE], bodies))
        files.append(
            _File(
                SEARCH_INDEX,
                source(_key("search", [item.key for item in listings])),
                functools.partial(_search_index, listings, entries),
            )
        )
        files.append(_File(SEARCH_PAGE, source(_key("search-page", root)), self.search_page))
        return files

    def address(self, path: str) -> str:
        """The public address of a file of the site (an index.html by its folder's); a
        tag's name in any script is percent-encoded."""
        return f"{blog_root(self.settings)}/{quote(path.removesuffix('index.html'))}"

    def _revised(
        self, listings: list[Listing], entries: list[ArchiveEntry], revisions: Revisions
    ) -> tuple[list[ArchiveEntry], list[str], dict[int, str]]:
        """The entries with the time their content last changed, from the store, by their
        content's digest; an entry whose inputs are those its digest was recorded from keeps
        it without its body being rendered again. Also the digests, and the bodies rendered."""
        sources = [self.renderer.source(item.key) for item in listings]
        known = revisions.known([e.entry_id for e in entries])
        bodies: dict[int, str] = {}
        digests = []
        for n, (item, entry, source) in enumerate(zip(listings, entries, sources, strict=True)):
            row = known.get(entry.entry_id)
            if row is not None and row.source == source:
                digests.append(row.digest)
                continue
            bodies[n] = self.renderer.post_body(item.load())
            digests.append(content_digest(entry.title, entry.excerpt, bodies[n]))
        if not entries:
            return entries, digests, bodies
        return self.renderer.revised(revisions, entries, digests, sources, known), digests, bodies

    def _feeds(
        self, listings: list[Listing], entries: list[ArchiveEntry], digests: list[str], bodies: dict[int, str]
    ) -> list[_File]:
        """The Atom feed and the RSS one: the same entries, the same bodies."""

        @functools.cache
        def parts() -> tuple[list[Issue], list[ArchiveEntry], list[str]]:
            issues = [item.load() for item in listings]
            texts = [bodies[n] if n in bodies else self.renderer.post_body(issue) for n, issue in enumerate(issues)]
            return issues, entries, texts

        key = _key("feeds", digests, entries)
        return [
            _File("archive/feed.xml", self.renderer.source(f"atom{key}"), lambda: self.renderer.feed_xml(*parts())),
            _File("archive/rss.xml", self.renderer.source(f"rss{key}"), lambda: self.renderer.rss_xml(*parts())),
        ]

    def _post_file(self, item: Listing, entry: ArchiveEntry, neighbours: dict[str, Any]) -> str:
        tags = [{"name": tag, "href": link(tag_path(tag_slug(tag)), entry.path)} for tag in entry.tags]
        return self.post_page(item.load(), entry.path, entry=entry, neighbours=neighbours, tag_links=tags)

    def tags_page(self, shown: list[tuple[str, int, str]]) -> str:
        """tags/index.html: every tag by name, with how many issues carry it."""
        listed = sorted(shown, key=lambda tag: (tag[0].casefold(), tag[0]))
        return self.renderer.template(
            "tags.html",
            newsroom=self.settings,
            blog_url=blog_root(self.settings),
            canonical_url=self.address(TAGS_INDEX),
            tags=[
                {"name": name, "count": count, "href": link(tag_path(slug), TAGS_INDEX)} for name, count, slug in listed
            ],
            **self._links(TAGS_INDEX),
        )

    def search_page(self) -> str:
        return self.renderer.template(
            "search.html",
            newsroom=self.settings,
            blog_url=blog_root(self.settings),
            canonical_url=self.address(SEARCH_PAGE),
            index_url=link(SEARCH_INDEX, SEARCH_PAGE),
            **self._links(SEARCH_PAGE),
        )

    def post_page(self, issue: Issue, path: str, **extra: Any) -> str:
        context = self.renderer.context(issue, **extra)
        context.update(self._links(path))
        return self.renderer.template("post.html", **context)

    def _not_found(self) -> str:
        """The page a host serves for any missing address: its links start from the root."""
        base = urlsplit(blog_root(self.settings)).path.rstrip("/")
        return self.renderer.template(
            "404.html",
            newsroom=self.settings,
            blog_url=blog_root(self.settings),
            home_url=f"{base}/index.html",
            archive_url=f"{base}/archive/index.html",
            feed_url=f"{base}/archive/feed.xml",
            rss_url=f"{base}/archive/rss.xml",
            stylesheet_url=f"{base}/style.css",
            favicon_href=self._favicon(lambda path: f"{base}/{path}"),
            tags_url=f"{base}/{TAGS_INDEX}" if self.nav["tags"] else "",
            search_url=f"{base}/{SEARCH_PAGE}",
        )

    def archive_page(
        self,
        path: str,
        chunk: list[ArchiveEntry],
        counts: dict[int, int],
        newest: Any,
        *,
        heading: str = "Archive",
        pagination: dict[str, Any] | None = None,
        year: int | None = None,
        description: str | None = None,
    ) -> str:
        root = blog_root(self.settings)
        context: dict[str, Any] = {
            "newsroom": self.settings,
            # The same entry as in the feed and the email, linked to this site's own page.
            "entries": [dataclasses.replace(e, url=relative(e.path, path)) for e in chunk],
            "blog_url": root,
            "updated": newest,
            "heading": heading,
            "pagination": pagination,
            "years": [
                {"year": y, "count": n, "href": relative(f"archive/{y}.html", path), "current": y == year}
                for y, n in counts.items()
            ],
            "canonical_url": self.address(path),
            **self._links(path),
        }
        if description:
            context["description"] = description
        return self.renderer.template("archive.html", **context)

    def _links(self, page: str) -> dict[str, str]:
        """The site-wide links as seen from ``page``; explicit index.html so that the
        folder also works opened from disk, where a folder link shows a file listing."""
        return {
            "archive_url": relative("archive/index.html", page),
            "feed_url": relative("archive/feed.xml", page),
            "rss_url": relative("archive/rss.xml", page),
            "stylesheet_url": relative("style.css", page),
            "favicon_href": self._favicon(lambda path: relative(path, page)),
            "tags_url": link(TAGS_INDEX, page) if self.nav["tags"] else "",
            "search_url": link(SEARCH_PAGE, page),
        }

    def _favicon(self, link: Callable[[str], str]) -> str:
        """The icon's link: ``link`` of its path when it is in the site, else its URL."""
        path = favicon_path(self.settings)
        return favicon_address(self.settings) if path is None else link(path)

    # Writing -------------------------------------------------------------

    def build(self, issues: Iterable[Issue | Listing]) -> SiteResult:
        """Write what changed; remove what an earlier build wrote and this one does not."""
        site = str(self.root.resolve())
        result = SiteResult(root=self.root)
        with self.newsroom.store() as store:
            files = self.plan(issues, Revisions(store, self.renderer.clock))
            with store.reading() as db:
                built = {
                    row[0]: row[1:]
                    for row in db.execute("SELECT path, inputs, size, mtime_ns FROM site_files WHERE site = ?", (site,))
                }
            # Everything is rendered before anything is written: a template error leaves
            # the site as it was.
            wanted: dict[str, tuple[str, bytes | None]] = {}
            folder = str(self.root)
            for file in sorted(files, key=lambda f: f.path):
                if built.get(file.path) == (file.inputs, *_stat(os.path.join(folder, file.path))):
                    wanted[file.path] = (file.inputs, None)
                    continue
                wanted[file.path] = (file.inputs, file.render().encode("utf-8"))
                result.rendered.append(file.path)
            records = []
            for path, (inputs, data) in sorted(wanted.items()):
                target = self.root / path
                if data is None:
                    result.unchanged += 1
                    continue
                if _read(target) == data:
                    result.unchanged += 1
                else:
                    write_atomic(target, data)
                    result.written.append(path)
                records.append((site, path, inputs, *_stat(target)))
            for path in sorted(self._previous() - set(wanted)):
                target = self.root / path
                if target.is_file():
                    target.unlink()
                    result.removed.append(path)
                    _remove_empty_parents(target.parent, self.root)
            manifest = (json.dumps(sorted(wanted), indent=1) + "\n").encode("utf-8")
            if _read(self.root / MANIFEST) != manifest:
                write_atomic(self.root / MANIFEST, manifest)
            with store.transaction() as db:
                db.executemany(
                    "INSERT INTO site_files (site, path, inputs, size, mtime_ns) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (site, path) DO UPDATE SET inputs = excluded.inputs, size = excluded.size, "
                    "mtime_ns = excluded.mtime_ns",
                    records,
                )
                db.executemany(
                    "DELETE FROM site_files WHERE site = ? AND path = ?",
                    [(site, path) for path in set(built) - set(wanted)],
                )
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
        return {p for p in listed if isinstance(p, str) and ".." not in p.split("/") and not p.startswith("/")}


def _search_index(listings: list[Listing], entries: list[ArchiveEntry]) -> str:
    """search.json: every issue on the site, newest first, with what search finds it by,
    and the table that folds what the reader types from traditional to simplified.

    ``issues``: keys are short (the file holds every issue): t title, u the page (from the
    site's root), d the date as shown, x the excerpt, g the tags, b the text, as written;
    s, only for an issue with traditional characters, its searched text (title, excerpt,
    tags, text) folded to simplified by OpenCC (newsdesk.chinese.fold). ``fold``: pairs of
    characters, a traditional one and its simplified form, for each simplified character
    the index holds (a typed character whose form is not in the index finds nothing anyway)."""
    rows = []
    held: set[str] = set()
    for item, e in zip(listings, entries, strict=True):
        row: dict[str, Any] = {
            "t": e.title,
            "u": e.path,
            "d": long_date(e.date),
            "x": e.excerpt,
            "g": list(e.tags),
            "b": item.text,
        }
        text = "\n".join([e.title, e.excerpt, " ".join(e.tags), item.text])  # as the page joins them
        folded = fold(text)
        if folded != text:
            row["s"] = folded
        held.update(folded)
        rows.append(row)
    pairs = "".join(t + s for t, s in sorted(fold_table().items()) if s in held)
    index = {"fold": pairs, "issues": rows}
    return json.dumps(index, ensure_ascii=False, separators=(",", ":")) + "\n"


def tag_path(slug: str) -> str:
    return f"tags/{slug}.html"


def link(target: str, page: str) -> str:
    """A link from ``page`` to ``target`` as an href: relative, percent-encoded (a tag's
    page may be named in any script)."""
    return quote(relative(target, page))


def _tags(entries: list[ArchiveEntry]) -> dict[str, tuple[str, list[ArchiveEntry]]]:
    """Each tag's slug: its name (as the newest issue spells it) and its entries, newest
    first; ordered by slug, so that the plan is the same whatever order tags appear in."""
    found: dict[str, tuple[str, list[ArchiveEntry]]] = {}
    for entry in entries:
        for tag in entry.tags:
            found.setdefault(tag_slug(tag), (tag, []))[1].append(entry)
    return dict(sorted(found.items()))


def _key(*parts: Any) -> str:
    """What an output shows, as one string for Renderer.source (dates and entries included)."""
    return json.dumps(parts, default=_plain, ensure_ascii=False, sort_keys=True)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return vars(value)  # ArchiveEntry's fields are plain values: no deep copy needed
    return str(value)


def _stat(path: str | Path) -> tuple[int, int]:
    """A written file's size and time; (-1, -1) for one that is not there."""
    try:
        stat = os.stat(path)
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


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
