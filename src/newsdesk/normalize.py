"""Feed bytes to newsdesk items: decode and defuse, parse with feedparser, normalize.

``parse_feed`` is a pure function of the bytes (and the URL they came from): no file is
opened and no request is made, whatever the feed asks for. feedparser's own sanitizer
is turned off: newsdesk sanitizes the fields it keeps with nh3, which is both stricter
(an allow-list) and much faster.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import xml.sax
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from newsdesk import fastfeed
from newsdesk.feedtext import NotAFeed, as_utf8_document, decode_feed, without_internal_subset
from newsdesk.items import Item, ParsedFeed, item_id
from newsdesk.text import _BLOCKS, collapse_paragraphs, html_to_text, plain_title, sanitize_html
from newsdesk.urls import absolute_http_url, canonical_url

# An item dated further ahead than this is treated as undated (first seen instead).
FUTURE_SLACK = timedelta(days=1)
# Dates before this are a feed's placeholder (year 1, 1970), not a publication date.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
TITLE_LIMIT = 400
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
# Control characters would reach terminals and the desk; tab and newline are kept.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


_ASCII_CONTROLS = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def clean_text(value: str) -> str:
    # Most text is ASCII, and most has no controls: bytes.translate tells at C speed.
    if value.isascii():
        raw = value.encode("ascii")
        if len(raw.translate(None, _ASCII_CONTROLS)) == len(raw):
            return value
    return _CONTROLS.sub("", value)


def _content(entry: Any) -> tuple[str, str | None]:
    """The richest body the entry has, as HTML (text bodies are escaped), and the base
    its relative URLs resolve against when the feed gave one (xml:base)."""
    candidates = list(entry.get("content") or [])
    if entry.get("summary_detail"):
        candidates.append(entry["summary_detail"])
    for detail in candidates:
        value = detail.get("value") or ""
        if not value.strip():
            continue
        base = detail.get("base") or None
        if "html" in (detail.get("type") or "text/html"):
            return value, base
        return "".join(f"<p>{html.escape(p)}</p>" for p in value.split("\n\n") if p.strip()), base
    return "", None


def _content_html(entry: Any) -> str:
    return _content(entry)[0]


# Links and images in sanitized HTML (nh3 writes every attribute value in double quotes).
_URL_TAG = re.compile(r'<(?:a|img)\s(?:[^>"]|"[^"]*")*>')
_URL_ATTRIBUTE = re.compile(r'(\s(?:href|src)=")([^"]*)(")')
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# A value that may be relative (most feeds link absolutely: one search, and done). It
# starts with a literal, which the regex engine finds fast; the look-behind checks the name.
_MAYBE_RELATIVE = re.compile(r'="(?:(?<=\shref=")|(?<=\ssrc="))(?!https?://)')


def absolute_urls(fragment: str, base: str | None) -> str:
    """Sanitized HTML with relative href and src values resolved against ``base``."""
    if not base or not _MAYBE_RELATIVE.search(fragment):
        return fragment
    return _resolve_each_url(fragment, base)


def _resolve_each_url(fragment: str, base: str) -> str:
    def attribute(match: re.Match[str]) -> str:
        value = html.unescape(match.group(2))
        if _HAS_SCHEME.match(value):
            return match.group(0)
        resolved = absolute_http_url(value, base)
        return f"{match.group(1)}{html.escape(resolved) if resolved else ''}{match.group(3)}"

    return _URL_TAG.sub(lambda tag: _URL_ATTRIBUTE.sub(attribute, tag.group(0)), fragment)


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
                moment = datetime(*parsed[:6], tzinfo=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
            if EARLIEST <= moment <= fetched_at + FUTURE_SLACK:
                return moment
    return None


def normalize_entry(
    entry: Any, source: str, feed_url: str | None, fetched_at: datetime, *, typed: bool = False
) -> Item:
    """One feedparser entry as an Item; ``typed`` when the format declares title types (Atom)."""
    link = absolute_http_url(clean_text(entry.get("link") or ""), feed_url)
    body, body_base = _content(entry)
    # Controls are removed after sanitizing: nh3 turns references such as "&#1;" into the
    # characters, so one pass over its output catches both spellings.
    summary_html = clean_text(absolute_urls(sanitize_html(body), body_base or feed_url))
    summary_text = sanitized_html_to_text(summary_html)
    title = _title(entry, typed)
    if not title:
        title = (summary_text[:80].rsplit(" ", 1)[0] + "…") if len(summary_text) > 80 else summary_text
        title = " ".join(title.split()) or "(untitled)"
    published = _published(entry, fetched_at)
    guid = clean_text(entry.get("id") or "").strip() or link or f"{title}\n{published}"
    categories = tuple(
        dict.fromkeys(
            clean_text(t.get("term", "")).strip() for t in entry.get("tags") or [] if t.get("term")
        )
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


# nh3's output, as sanitize_html configures it: tags are lower case, block tags carry no
# attributes, every "<" in text is written "&lt;" and attribute values are double-quoted.
_LINE_BLOCKS = ("br", "li", "tr")
_PARAGRAPH_TAGS = re.compile("</?(?:" + "|".join(sorted(_BLOCKS - set(_LINE_BLOCKS))) + ")>|</br>")
_LINE_TAGS = re.compile(r"</li>|</?tr>|<br>")
_ANY_TAG = re.compile(r'<(?:[^>"]|"[^"]*")*>')
# Anything else html_to_text would treat as a block goes the slow way.
_UNUSUAL_BLOCK = re.compile("<(?:" + "|".join(sorted(_BLOCKS)) + r")[^a-z0-9>]|<[a-z0-9]*[A-Z]")


def sanitized_html_to_text(fragment: str) -> str:
    """``text.html_to_text`` for HTML that ``sanitize_html`` wrote and ``clean_text``
    cleaned, several times faster: a few substitutions in C instead of a Python call per
    tag. A property test checks that both agree; unusual markup is left to html_to_text.
    The text has no control characters: nh3 writes none as references."""
    if "<" not in fragment and "&" not in fragment:
        return collapse_paragraphs(fragment)
    if _UNUSUAL_BLOCK.search(fragment):
        return clean_text(html_to_text(fragment))
    text = fragment.replace("<li>", "\n- ")
    text = _LINE_TAGS.sub("\n", text)
    text = _PARAGRAPH_TAGS.sub("\n\n", text)
    text = _ANY_TAG.sub("", text)
    text = html.unescape(text)
    return collapse_paragraphs(clean_text(text) if "&#" in fragment else text)


def _is_empty(entry: Any) -> bool:
    """An entry with nothing to show: often the cut-off tail of a truncated feed."""
    return not (entry.get("title") or "").strip() and not entry.get("link") and not _content_html(entry)


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
    feedparser does (newsdesk.fastfeed) and everything else with feedparser;
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
    fast = fastfeed.parse(document, text, url if web else "") if engine == "auto" else None
    if fast is not None:
        version, entries, feed, error = fast["version"], fast["entries"], fast["feed"], None
    else:
        import feedparser  # here: a run of plain feeds never needs it (see newsdesk.fastfeed)

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
    for entry in entries:
        if _is_empty(entry):
            empty += 1
            continue
        item = normalize_entry(entry, source, base, fetched_at, typed=typed)
        items.setdefault(item.id, item)
    if isinstance(error, xml.sax.SAXException):
        notes.append(f"malformed feed, kept {len(items)} items that parsed ({_describe(error)})")
    if empty:
        notes.append(f"skipped {empty} empty entries")
    duplicates = len(entries) - empty - len(items)
    if duplicates:
        notes.append(f"{duplicates} entries repeated an earlier id and were merged")
    title = plain_title(clean_text(feed.get("title") or ""))
    return ParsedFeed(title=title, items=list(items.values()), notes=notes)


def _describe(error: BaseException | None) -> str:
    text = " ".join(str(error).split()) if error else ""
    return text[:160] or type(error).__name__
