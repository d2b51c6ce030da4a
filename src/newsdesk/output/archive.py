"""An issue's archive entry: the same title, date, excerpt and link everywhere it appears."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from newsdesk.config import NewsroomSettings
from newsdesk.dates import publication_instant
from newsdesk.issue import Issue
from newsdesk.output.markdown import markdown_html, markdown_text, slugify
from newsdesk.text import html_to_text

EXCERPT_LIMIT = 480
FEED_SIZE = 20  # issues in the newsletter's Atom feed, newest first


@dataclass(frozen=True)
class ArchiveEntry:
    title: str
    date: date
    excerpt: str
    path: str  # the post's path under the blog, e.g. "2017/social-credit-...-2017.html"
    url: str  # the post's public URL
    entry_id: str  # the Atom entry id, stable for the life of the issue
    published: datetime  # when the issue appears: on its day in the newsroom's timezone
    updated: datetime  # when its content last changed (revisions.Revisions), else published
    tags: tuple[str, ...] = ()  # the issue's own tags, as its front matter lists them


def post_path(issue: Issue | Listed) -> str:
    return f"{issue.date:%Y}/{issue_slug(issue)}.html"


def issue_slug(issue: Issue | Listed) -> str:
    """The post's slug, from its title; a title with no latin letters (a Chinese newsletter
    name) falls back to the date, so two issues never share one."""
    slug = slugify(issue.title)
    return slug if slug != "issue" else f"issue-{issue.date.isoformat()}"


def blog_root(settings: NewsroomSettings) -> str:
    return (settings.blog_url or "https://blog.invalid").rstrip("/")


def favicon_path(settings: NewsroomSettings) -> str | None:
    """The icon's path in the site, or None when it is elsewhere (an http(s) URL) or unset."""
    value = settings.favicon_url
    if not value or "://" in value:
        return None
    return value.lstrip("/")


def favicon_address(settings: NewsroomSettings) -> str:
    """The icon's public URL ("" when there is none)."""
    path = favicon_path(settings)
    return settings.favicon_url if path is None else f"{blog_root(settings)}/{path}"


def unsubscribe_template(settings: NewsroomSettings) -> str:
    """The unsubscribe URL template; without one, the blog's /unsubscribe page."""
    return settings.unsubscribe_url or f"{blog_root(settings)}/unsubscribe"


def excerpt(issue: Issue) -> str:
    """The intro's first sentence, then the headlines: what a reader sees in a list."""
    intro = " ".join(markdown_text(issue.intro).split())
    first = intro.split(". ")[0].rstrip(".") + "." if intro else ""
    headlines = "; ".join(d.headline for d in issue.developments)
    text = f"{first} This week: {headlines}." if headlines else first
    if len(text) > EXCERPT_LIMIT:
        text = text[: EXCERPT_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    return text.strip()


def search_text(issue: Issue) -> str:
    """What search finds an issue by besides its title and excerpt: the intro, the
    headlines and the annotations as plain text, one paragraph a line."""
    parts = [issue.intro, *(f"{d.headline}\n\n{d.annotation}" for d in issue.developments)]
    text = "\n".join(html_to_text(markdown_html(part), links=False) for part in parts if part.strip())
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


# Memoized: a site of 500 issues makes 500 entries at every build.
@functools.lru_cache(maxsize=64)
def _host(root: str) -> str:
    return urlsplit(root).hostname or "newsdesk.invalid"


@functools.lru_cache(maxsize=8192)
def _published(day: date, timezone: str) -> datetime:
    published = publication_instant(day, ZoneInfo(timezone))
    assert published is not None  # one timezone always has the day
    return published


class Listed(Protocol):
    """What an entry is made of: an Issue, or the site's listing of one (output.catalog)."""

    @property
    def title(self) -> str: ...
    @property
    def date(self) -> date: ...
    @property
    def post_url(self) -> str | None: ...
    @property
    def excerpt(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...


def post_address(recorded: str | None, path: str, settings: NewsroomSettings) -> str:
    """A post's public URL: the recorded ``post_url`` when that is another blog's (the
    primary blog is WordPress), else its page on the static site under the current
    blog_url, so that an address recorded before blog_url changed follows the change."""
    own = f"{blog_root(settings)}/{path}"
    if not recorded:
        return own
    if settings.blog_url and urlsplit(recorded).path.endswith(f"/{path}"):
        return own  # the static site's page, recorded under this or an earlier blog_url
    return recorded


def archive_entry(issue: Issue | Listed, settings: NewsroomSettings) -> ArchiveEntry:
    """The issue's entry; a listing brings its excerpt, an issue's is made from it."""
    root = blog_root(settings)
    path = post_path(issue)
    host = _host(root)
    published = _published(issue.date, settings.timezone)
    return ArchiveEntry(
        title=issue.title,
        date=issue.date,
        excerpt=excerpt(issue) if isinstance(issue, Issue) else issue.excerpt,
        path=path,
        url=post_address(issue.post_url, path, settings),
        entry_id=f"tag:{host},{issue.date.isoformat()}:issue",
        published=published,
        updated=published,
        tags=tuple(issue.tags),
    )
