"""Feed bytes to newsdesk items: decode and defuse, parse with feedparser, normalize.

``parse_feed`` is a pure function of the bytes (and the URL they came from): no file is
opened and no request is made, whatever the feed asks for. feedparser's own sanitizer
is turned off: newsdesk keeps a summary as plain text only, made with nh3, which is both
stricter (an allow-list) and much faster.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import xml.sax
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from newsdesk.feeds import fastparse
from newsdesk.feeds.decode import NotAFeed, as_utf8_document, decode_feed, without_internal_subset
from newsdesk.items import Item, ParsedFeed, item_id
from newsdesk.text import clean_text, plain_title, untrusted_html_to_text
from newsdesk.urls import absolute_http_url, canonical_url, item_link

# An item dated further ahead than this is treated as undated (first seen instead).
FUTURE_SLACK = timedelta(days=1)
# Dates before this are a feed's placeholder (year 1, 1970), not a publication date.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
TITLE_LIMIT = 400
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")


def _content(entry: Any) -> str:
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


_TAG = re.compile(r"<[A-Za-z/!]")


def _title(entry: Any, typed: bool) -> str:
    """The entry's title as one line of plain text.

    Atom says whether a title is text or HTML (``typed``); RSS does not, and its titles
    are HTML by custom, so an RSS title with anything tag-like loses its tags.
    """
    detail = entry.get("title_detail") or {}
    value = clean_text(entry.get("title") or "")
    is_html = "html" in (detail.get("type") or "text/html")
    if is_html or (not typed and _TAG.search(value)):
        value = clean_text(plain_title(value))  # again: entities may have spelled controls
    else:
        value = " ".join(value.split())
    if len(value) > TITLE_LIMIT:
        value = value[:TITLE_LIMIT].rsplit(" ", 1)[0] + "…"
    return value


def _published(entry: Any, fetched_at: datetime) -> datetime | None:
    """The entry's date, or None when it has none that is believable."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)  # plain dict lookup: no feedparser key aliasing
        if parsed:
            try:
                year, month, day, hour, minute, second = parsed[:6]
                moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
            if EARLIEST <= moment <= fetched_at + FUTURE_SLACK:
                return moment
    return None


def normalize_entry(
    entry: Any,
    source: str,
    feed_url: str | None,
    fetched_at: datetime,
    *,
    typed: bool = False,
    refused: Counter[str] | None = None,
) -> Item:
    """One feedparser entry as an Item; ``typed`` when the format declares title types (Atom).
    A link refused as unsafe is left out, its reason counted in ``refused``."""
    link, refusal = item_link(clean_text(entry.get("link") or ""), feed_url)
    if refusal and refused is not None:
        refused[refusal] += 1
    summary_text = untrusted_html_to_text(_content(entry))
    title = _title(entry, typed)
    if not title:
        title = (summary_text[:80].rsplit(" ", 1)[0] + "…") if len(summary_text) > 80 else summary_text
        title = " ".join(title.split()) or "(untitled)"
    published = _published(entry, fetched_at)
    guid = clean_text(entry.get("id") or "").strip() or link or f"{title}\n{published}"
    categories = tuple(
        dict.fromkeys(clean_text(t.get("term", "")).strip() for t in entry.get("tags") or [] if t.get("term"))
    )
    digest = hashlib.sha1(
        "\x1f".join([title, link or "", summary_text, str(published), *categories]).encode()
    ).hexdigest()
    return Item(
        id=item_id(source, guid),
        source=source,
        guid=guid,
        title=title,
        url=link,
        canonical_url=canonical_url(link) if link else None,
        summary_text=summary_text,
        published=published,
        first_seen=fetched_at,
        categories=categories,
        content_hash=digest,
    )


def _is_empty(entry: Any) -> bool:
    """An entry with nothing to show: often the cut-off tail of a truncated feed."""
    return not (entry.get("title") or "").strip() and not entry.get("link") and not _content(entry)


class _FeedLinks(HTMLParser):
    """Collects the feeds an HTML page advertises with <link rel="alternate">."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name: value or "" for name, value in attrs}
        rel = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES and values.get("href"):
            self.hrefs.append(values["href"].strip())


def _what_else(body: bytes, text: str) -> str | None:
    """What a body that is neither a feed nor an HTML page is, when it says so itself: a
    parser's 'not well-formed' at line 2 would tell the editor nothing."""
    if body[:2] == b"\x1f\x8b":
        return "a gzip-compressed file (served without Content-Encoding: gzip), not RSS or Atom"
    start = text.lstrip("\ufeff \t\r\n")[:1]
    if start in ("{", "["):
        if "jsonfeed.org" in text[:2000]:
            return "a JSON Feed (jsonfeed.org), which newsdesk does not read: use the site's RSS or Atom feed"
        return "JSON, not RSS or Atom"
    return None


def feed_links_in_html(page: str, base: str) -> list[str]:
    """Feed URLs an HTML page advertises with <link rel="alternate">, made absolute."""
    finder = _FeedLinks()
    finder.feed(page[:200_000])
    found: list[str] = []
    for href in finder.hrefs:
        url = absolute_http_url(href, base)
        if url and url not in found:
            found.append(url)
    return found


def _looks_like_html(text: str) -> bool:
    head = text[:4096].lower()
    return "<html" in head or "<!doctype html" in head or "<body" in head


ENGINES = ("auto", "feedparser")


def parse_feed(
    body: bytes,
    *,
    source: str,
    url: str,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
    engine: str = "auto",
) -> ParsedFeed:
    """Parse feed bytes into normalized items; raise NotAFeed for anything else.

    ``engine`` "auto" reads well-formed feeds with feedparser-rs where it reads them as
    feedparser does (newsdesk.feeds.fastparse) and everything else with feedparser;
    "feedparser" always uses feedparser, the reference. Both give the same items.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    fetched_at = fetched_at or datetime.now(UTC).replace(microsecond=0)
    if not body.strip():
        raise NotAFeed("not a feed: the response is empty")
    decoded = decode_feed(body, content_type)
    web = url.startswith(("http://", "https://"))
    text = without_internal_subset(decoded.text)
    document = as_utf8_document(text, decoded.utf8_body if text is decoded.text else None)
    fast = fastparse.parse(document, text, url if web else "") if engine == "auto" else None
    if fast is not None:
        version, entries, feed, error = fast["version"], fast["entries"], fast["feed"], None
    else:
        import feedparser  # here: a run of plain feeds never needs it (see newsdesk.feeds.fastparse)

        headers = {"content-type": "application/xml; charset=utf-8"}
        if web:
            headers["content-location"] = url
        # A stream, never bytes: feedparser opens bytes that look like a path as a file.
        # Relative URIs in summaries are resolved by newsdesk, after sanitizing.
        parsed = feedparser.parse(
            io.BytesIO(document), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
        version, entries, feed = parsed.get("version"), parsed.entries, parsed.feed
        error = parsed.get("bozo_exception") if parsed.get("bozo") else None
        if not version and not entries:
            if _looks_like_html(decoded.text):
                links = feed_links_in_html(decoded.text, url if web else "")
                hint = f"; the page links a feed at {links[0]}" if links else ""
                raise NotAFeed(f"not a feed: an HTML page{hint}")
            if what := _what_else(body, decoded.text):
                raise NotAFeed(f"not a feed: {what}")
            reason = parsed.get("bozo_exception")
            raise NotAFeed(f"not a feed: {_describe(reason) if reason else 'no RSS or Atom found'}")
    notes: list[str] = []
    if decoded.note:
        notes.append(f"encoding {decoded.note}")
    # Relative item links resolve against xml:base and the feed's URL (feedparser does
    # both), or for a local file against the feed's site link.
    base = url if web else absolute_http_url(feed.get("link"), None)
    typed = str(version or "").startswith("atom")
    items: dict[str, Item] = {}
    empty = 0
    refused: Counter[str] = Counter()
    for entry in entries:
        if _is_empty(entry):
            empty += 1
            continue
        item = normalize_entry(entry, source, base, fetched_at, typed=typed, refused=refused)
        items.setdefault(item.id, item)
    if isinstance(error, xml.sax.SAXException):
        notes.append(f"malformed feed, kept {len(items)} items that parsed ({_describe(error)})")
    if empty:
        notes.append(f"skipped {empty} empty entries")
    duplicates = len(entries) - empty - len(items)
    if duplicates:
        notes.append(f"{duplicates} entries repeated an earlier id and were merged")
    if refused:
        reasons = ", ".join(
            f"{count} {reason}" for reason, count in sorted(refused.items(), key=lambda r: (-r[1], r[0]))
        )
        total = sum(refused.values())
        notes.append(f"dropped {total} item link{'' if total == 1 else 's'}: {reasons}")
    title = plain_title(clean_text(feed.get("title") or ""))
    return ParsedFeed(title=title, items=list(items.values()), notes=notes)


def _describe(error: BaseException | None) -> str:
    text = " ".join(str(error).split()) if error else ""
    return text[:160] or type(error).__name__
