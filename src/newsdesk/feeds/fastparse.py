"""The fast engine: feedparser-rs (Rust) read the way feedparser reads, or not at all.

feedparser stays the reference. feedparser-rs parses a feed about a hundred times
faster, but it differs from feedparser in places: Atom's default text type, entity
references in attributes, which alternate link wins, relative URIs, dates, and the
repairs feedparser makes to broken documents. So this module either produces entries
exactly as newsdesk reads them from feedparser, or declines (returns None) and the
caller parses with feedparser:

- it declines any document that is not plain, well-formed RSS 2.0, RSS 1.0 or Atom 1.0
  (feedparser-rs's bozo flag), that has xml:base, characters XML forbids or feedparser
  would re-decode (C1 controls, UTF-8 read as Latin-1), or an entry whose id or link
  feedparser would resolve or repair differently;
- it declines a document with an element feedparser reads and feedparser-rs does not
  (a body in <body> or <fullitem>, dc:title, dcterms:modified, RSS under a namespace
  prefix, Atom's elements in an RSS item, base64 text), or a Windows-1252 character by
  number (``_FEEDPARSER_ONLY`` and the patterns after it: feedparser's own test corpus
  holds each, tests/functional/test_feedparser_corpus.py);
- it declines a document with a value that feedparser reads by rules of its own: a date
  in any form but the two common ones (newsdesk.feeds.dates reads those), a link or id
  that feedparser's resolution against the feed's URL would rewrite, an RSS title that
  feedparser may take for HTML;
- where the two parse the same text but label it differently, the value is relabelled
  (RSS titles are text, Atom's default type is ``text``).

feedparser itself is never imported here, so a worker parsing plain feeds never loads it.
tests/unit/test_fastfeed.py compares the items of both engines over the benchmark farm,
the hostile corpus and generated feeds; tests/functional/test_feedparser_corpus.py
compares each with bare feedparser over feedparser's own test corpus.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urljoin

from newsdesk.feeds.dates import parse_date
from newsdesk.urls import is_plain_http_url

try:  # a speed-up: without it, feedparser parses all
    import feedparser_rs
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    feedparser_rs = None  # type: ignore[assignment]

AVAILABLE = feedparser_rs is not None
VERSIONS = ("rss20", "rss10", "atom10")
# XML 1.0 forbids C0 controls; feedparser maps C1 controls through cp1252 and re-decodes
# text that is UTF-8 read as Latin-1: documents with any of these go to feedparser.
_SUSPECT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x80-\x9f\xc2-\xf4]")  # one class: a fast scan
_QUIRKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x80-\x9f]|[\xc2-\xf4][\x80-\xbf]")
# The same, looked for in the UTF-8 document at C speed: C0 controls are bytes below
# 0x20, and U+0080 to U+00FF (C1 controls, Latin-1 letters) are written C2 xx or C3 xx.
_C0_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def _may_have_quirks(document: bytes) -> bool:
    """False when ``document`` certainly has nothing ``_SUSPECT`` matches."""
    return b"\xc2" in document or b"\xc3" in document or len(document.translate(None, _C0_BYTES)) != len(document)


# Atom title and summary start tags without a type attribute: Atom says "text",
# feedparser-rs says "html", so the type is written in before parsing.
_UNTYPED = re.compile(rb"<(title|summary)(?=[\s>])(?![^>]*\btype\s*=)([^>]*)>")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Shapes feedparser reads and feedparser-rs does not, or reads otherwise (feedparser's own
# test corpus has each: tests/functional/test_feedparser_corpus.py). A document with any
# of them is feedparser's. Each pattern starts with a literal, which re finds at C speed:
# the two scan the benchmark farm's 43 MB in about 0.06 s.
_FEEDPARSER_ONLY = re.compile(
    rb"<(?:"
    rb"(?:[\w.-]+:)?(?:body|fullitem)[\s/>]"  # an item's body in <body>, <xhtml:body>, <fullitem>
    # dc:title, media:title, dcterms:modified, RSS or Atom under a namespace prefix
    rb"|[\w.-]+:(?:title|description|summary|modified|created|issued|rss|channel|item|feed|entry)[\s/>]"
    rb"|category\b[^>]*(?<!/)>[^<]*<(?![/!])"  # a category with elements in it (an image and its link)
    # Atom text of another MIME type: base64 (RFC 4287, 3.1.1.3), or XML kept as it is
    rb"|(?:title|subtitle|summary|content|rights)\b[^>]*\btype\s*=\s*[\"']"
    rb"(?!(?:text|html|xhtml|text/plain|text/html|application/xhtml\+xml)[\"'])"
    rb")"
)
# Windows-1252's characters by number (&#146;): feedparser reads them as Windows-1252 does.
_CP1252_REFERENCE = re.compile(rb"&#0*(?:12[89]|1[34][0-9]|15[0-9]|[xX]0*[89][0-9A-Fa-f]);")
# An RSS item in an Atom feed: feedparser reads it as an entry, feedparser-rs leaves it out.
_ITEM = re.compile(rb"<item[\s/>]")
# An Atom link without an address: feedparser then takes no link, feedparser-rs the id.
_NO_HREF = re.compile(rb"<link\b(?![^>]*\bhref\s*=)[^>]*>")
# Atom's link, id and dates in an RSS item (atom:link): feedparser reads them. The channel's
# <atom:link rel="self">, before the first item, is common and harmless.
_PREFIXED_IN_ITEM = re.compile(rb"<[\w.-]+:(?:link|id|updated|published)[\s/>]")
_LOOSE_ENTITY = re.compile(r"&([A-Za-z0-9_]+);")


class Declined(Exception):
    """The document has something the two engines read differently."""


@functools.cache
def _limits() -> Any:
    # newsdesk caps the body's size before parsing; within it, every entry, tag and link
    # is kept, as feedparser keeps them.
    many = 1_000_000
    return feedparser_rs.ParserLimits(
        max_feed_size_bytes=1 << 31,
        max_entries=many,
        max_links_per_feed=many,
        max_links_per_entry=many,
        max_authors=many,
        max_contributors=many,
        max_tags=many,
        max_content_blocks=many,
        max_enclosures=many,
    )


def parse(document: bytes, text: str, base: str) -> dict[str, Any] | None:
    """The feed as ``{"version", "feed": {"title", "link"}, "entries": [...]}``, entries
    shaped like feedparser's, or None to parse with feedparser instead.

    ``document`` is the defused UTF-8 document and ``text`` the same as str; ``base`` is
    the feed's URL for a web feed, else "" (what feedparser resolves against).
    """
    if feedparser_rs is None or "xml:base" in text:
        return None
    if _may_have_quirks(document) and (suspect := _SUSPECT.search(text)) and _QUIRKS.search(text, suspect.start()):
        return None
    if not document.startswith(b"<?xml"):  # never a string feedparser-rs could take for a URL
        return None
    if _FEEDPARSER_ONLY.search(document) or _CP1252_REFERENCE.search(document):
        return None
    try:
        parsed = _parse(document)
        if parsed is None:
            return None
        if parsed.version == "atom10" and (_ITEM.search(document) or _NO_HREF.search(document)):
            return None
        if parsed.version != "atom10" and (first := document.find(b"<item")) != -1:
            if _PREFIXED_IN_ITEM.search(document, first):
                return None
        if parsed.version == "atom10" and _UNTYPED.search(document):
            parsed = _parse(_UNTYPED.sub(rb'<\1 type="text"\2>', document))
        return _shaped(parsed, base) if parsed is not None else None
    except Declined:
        return None


def _parse(document: bytes) -> Any:
    """feedparser-rs's reading of a plain, well-formed feed, or None."""
    parsed = feedparser_rs.parse_with_limits(
        document, limits=_limits(), sanitize_html=False, resolve_relative_uris=False
    )
    if parsed.bozo or parsed.version not in VERSIONS:
        return None
    return parsed


def _shaped(parsed: Any, base: str) -> dict[str, Any]:
    atom = parsed.version == "atom10"
    feed = parsed.feed
    dates: dict[str, Any] = {}  # struct_time is immutable: entries may share one
    return {
        "version": parsed.version,
        "feed": {
            "title": feed.get("title") or "",
            "link": (_alternate(feed.get("links")) if atom else feed.get("link")) or "",
        },
        "entries": [_entry(entry, atom, parsed.version == "rss20", base, dates) for entry in parsed.entries],
    }


def _detail(detail: Any, kind: str | None = None) -> dict[str, str]:
    return {"type": kind or detail.type, "value": detail.value}


_XML_REFERENCE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_XML_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _xml_reference(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _XML_NAMED[name]
    try:
        return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
    except (ValueError, OverflowError):
        raise Declined("a character reference XML does not allow") from None


def _xml_unescape(value: str) -> str:
    """An attribute value as XML reads it (one pass: "&#38;lt;" is "&lt;")."""
    return _XML_REFERENCE.sub(_xml_reference, value) if "&" in value else value


# feedparser-rs empties a link to loopback, a private network or a .local/.internal name
# (an empty element reads the same): feedparser keeps it, and so must newsdesk.
_BLANKED = "an empty link, or one feedparser-rs blanked"


def _alternate(links: Any) -> str | None:
    """The one alternate HTML link, as feedparser picks it (it keeps the last of several)."""
    alternates = [
        link
        for link in links or ()
        if (link.rel or "alternate") == "alternate"
        and (link.type or "text/html") in ("text/html", "application/xhtml+xml")
    ]
    if len(alternates) > 1:
        raise Declined("feedparser keeps the last alternate link")
    if not alternates:
        return None
    if alternates[0].href == "":
        raise Declined(_BLANKED)
    # feedparser-rs leaves entity references in attribute values.
    return _xml_unescape(alternates[0].href or "") or None


# feedparser resolves a link or id with urllib's urljoin, after collapsing any slashes
# past a "scheme://".
_EXTRA_SLASHES = re.compile(r"[A-Za-z][A-Za-z0-9+,.-]*:///")
# feedparser takes an RSS title for HTML only when it has a closing tag or an entity
# reference (its own lists of tags and entities then decide): one with neither is text.
_MAY_BE_HTML = re.compile(r"</\w+>|&#?\w+;")


def _kept(base: str, uri: str) -> str:
    """``uri``, when feedparser's resolution against ``base`` leaves it as it is."""
    if is_plain_http_url(uri):
        return uri
    try:
        joined = urljoin(base, uri)
    except ValueError:  # feedparser makes such a URI empty
        raise Declined("a URI urljoin refuses") from None
    if joined != uri or _EXTRA_SLASHES.match(uri):
        raise Declined("a URI feedparser would rewrite")
    return uri


def _link(entry: Any, atom: bool, rss2: bool, base: str) -> str | None:
    if atom:
        raw = _alternate(entry.links)
        if not raw:
            return None
        if not _SCHEME.match(raw):
            raise Declined("a relative link")
        return _kept(base, raw)
    raw = entry.get("link")
    if raw == "":
        raise Declined(_BLANKED)
    if not raw:
        return None
    if not _SCHEME.match(raw):
        raise Declined("a relative link")
    if rss2 and "&" in raw and raw == entry.get("id"):
        # Perhaps a guid standing in for a missing link, which feedparser does not repair.
        raise Declined("a link that may be the guid")
    # feedparser's repairs of RSS links, as it makes them.
    link = _kept(base, raw).replace("&amp;", "&")
    return _LOOSE_ENTITY.sub(r"&\g<1>", link)


def _entry(entry: Any, atom: bool, rss2: bool, base: str, dates: dict[str, Any]) -> dict[str, Any]:
    """One entry shaped as feedparser's; ``dates`` holds the dates read so far in the feed."""
    out: dict[str, Any] = {}
    title = entry.get("title_detail")
    if title is not None:
        kind = title.type
        if not atom:
            if _MAY_BE_HTML.search(title.value):
                raise Declined("an RSS title feedparser may take for HTML")
            kind = "text/plain"
        out["title"] = title.value
        out["title_detail"] = _detail(title, kind)
    link = _link(entry, atom, rss2, base)
    guid = entry.get("id")
    if guid:
        if not _SCHEME.match(guid):
            raise Declined("an id feedparser would resolve against the base")
        out["id"] = _kept(base, guid)
        if atom and link is None:
            link = guid  # feedparser takes an Atom id as the link when there is no other
    if link is not None:
        out["link"] = link
    content = [_detail(c) for c in entry.content or ()]
    if content:
        out["content"] = content
    summary = entry.get("summary_detail")
    # feedparser-rs copies an Atom entry's content into a missing summary; feedparser does not.
    if summary is not None and not (atom and content and summary.value == content[0]["value"]):
        out["summary_detail"] = _detail(summary)
    for key in ("published", "updated"):
        raw = entry.get(key)
        if raw:
            # An entry's published and updated dates are often the same text, and so are
            # the dates of entries a feed stamps in batches.
            if raw not in dates:
                reading = parse_date(raw)
                if reading is None:
                    raise Declined("a date feedparser reads by rules of its own")
                dates[raw] = reading
            out[f"{key}_parsed"] = dates[raw]
    # Atom's category term is an attribute: feedparser-rs leaves its entity references.
    tags = [{"term": _xml_unescape(t.term) if atom else t.term} for t in entry.tags or () if t.term]
    if tags:
        out["tags"] = tags
    return out
