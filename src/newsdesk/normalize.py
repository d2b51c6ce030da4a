"""Feed bytes to newsdesk items: parse with feedparser, then normalize every entry.

feedparser's own sanitizer is turned off: newsdesk sanitizes the fields it keeps with
nh3, which is both stricter (an allow-list) and much faster.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from newsdesk.items import Item, item_id
from newsdesk.text import html_to_text, plain_title, sanitize_html
from newsdesk.urls import absolute_http_url, canonical_url

# An item dated further ahead than this is treated as undated (first seen instead).
FUTURE_SLACK = timedelta(days=1)
_ALTERNATE = re.compile(
    r"<link\b[^>]*\brel=[\"']?alternate[\"']?[^>]*>", re.IGNORECASE
)
_TYPE = re.compile(r"\btype=[\"']?application/(?:rss|atom|rdf)\+xml", re.IGNORECASE)
_HREF = re.compile(r"\bhref=[\"']?([^\"' >]+)", re.IGNORECASE)


class NotAFeed(Exception):
    """The body is not a feed (perhaps an HTML page); the message says what it is."""


@dataclass
class ParsedFeed:
    title: str
    items: list[Item]
    notes: list[str] = field(default_factory=list)


def _content_html(entry: Any) -> str:
    """The richest body the entry has, as HTML (text bodies are escaped)."""
    candidates = list(entry.get("content") or [])
    if entry.get("summary_detail"):
        candidates.append(entry["summary_detail"])
    for detail in candidates:
        value = detail.get("value") or ""
        if not value.strip():
            continue
        if "html" in (detail.get("type") or "text/html"):
            return value
        return "".join(f"<p>{html.escape(p)}</p>" for p in value.split("\n\n") if p.strip())
    return ""


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime(*parsed[:6], tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def normalize_entry(entry: Any, source: str, feed_url: str | None, fetched_at: datetime) -> Item:
    link = absolute_http_url(entry.get("link"), feed_url)
    summary_html = sanitize_html(_content_html(entry))
    summary_text = html_to_text(summary_html)
    title = plain_title(entry.get("title") or "")
    if not title:
        title = (summary_text[:80].rsplit(" ", 1)[0] + "…") if len(summary_text) > 80 else summary_text
        title = title or "(untitled)"
    published = _published(entry)
    if published and published > fetched_at + FUTURE_SLACK:
        published = None
    guid = (entry.get("id") or "").strip() or link or f"{title}\n{published}"
    categories = tuple(
        dict.fromkeys(t.get("term", "").strip() for t in entry.get("tags") or [] if t.get("term"))
    )
    digest = hashlib.sha1(
        "\x1f".join([title, link or "", summary_html, str(published), *categories]).encode()
    ).hexdigest()
    return Item(
        id=item_id(source, guid),
        source=source,
        guid=guid,
        title=title,
        url=link,
        canonical_url=canonical_url(link) if link else None,
        summary_html=summary_html,
        summary_text=summary_text,
        published=published,
        first_seen=fetched_at,
        categories=categories,
        content_hash=digest,
    )


def feed_links_in_html(body: bytes, base: str) -> list[str]:
    """Feed URLs an HTML page advertises with <link rel="alternate">."""
    head = body[:200_000].decode("utf-8", "replace")
    found = []
    for tag in _ALTERNATE.findall(head):
        if _TYPE.search(tag) and (href := _HREF.search(tag)):
            url = absolute_http_url(html.unescape(href.group(1)), base)
            if url and url not in found:
                found.append(url)
    return found


def parse_feed(
    body: bytes,
    *,
    source: str,
    url: str,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
) -> ParsedFeed:
    """Parse feed bytes into normalized items; raise NotAFeed for anything else."""
    fetched_at = fetched_at or datetime.now(UTC).replace(microsecond=0)
    web = url.startswith(("http://", "https://"))
    headers = {"content-location": url} if web else {}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=False
    )
    notes: list[str] = []
    if not parsed.get("version") and not parsed.entries:
        looks_html = b"<html" in body[:4096].lower() or b"<!doctype html" in body[:4096].lower()
        if looks_html:
            links = feed_links_in_html(body, url)
            hint = f"; the page links a feed at {links[0]}" if links else ""
            raise NotAFeed(f"not a feed: an HTML page{hint}")
        if not body.strip():
            raise NotAFeed("not a feed: the response is empty")
        reason = parsed.get("bozo_exception")
        raise NotAFeed(f"not a feed: {_describe(reason) if reason else 'no RSS or Atom found'}")
    # Relative item links resolve against the feed's URL, or for a local file its site link.
    base = url if web else absolute_http_url(parsed.feed.get("link"), None)
    items: dict[str, Item] = {}
    for entry in parsed.entries:
        item = normalize_entry(entry, source, base, fetched_at)
        items.setdefault(item.id, item)
    if parsed.get("bozo") and parsed.entries:
        notes.append(f"malformed feed, kept {len(items)} items that parsed ({_describe(parsed.bozo_exception)})")
    duplicates = len(parsed.entries) - len(items)
    if duplicates:
        notes.append(f"{duplicates} entries repeated an earlier id and were merged")
    return ParsedFeed(title=plain_title(parsed.feed.get("title") or ""), items=list(items.values()), notes=notes)


def _describe(error: BaseException | None) -> str:
    text = " ".join(str(error).split()) if error else ""
    return text[:160] or type(error).__name__
