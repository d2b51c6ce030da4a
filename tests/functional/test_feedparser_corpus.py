"""feedparser's own test corpus read by newsdesk as feedparser reads it (issue 26).

Every feed file of the tests/ folder of the installed feedparser's sdist (downloaded with
pip, cached under .cache/: tests/support/feedparser_corpus.py) goes through the job a
parse worker of `newsdesk fetch` runs (``decode_and_parse``: the body decoded, then
``parse_feed``), with each engine, and its items are compared with what bare
``feedparser.parse`` finds in the same bytes sent with the same headers: the number of
entries, and each one's title as text, link, date (UTC) and id.

newsdesk differs from feedparser on purpose in a few ways. Each is one row of
``INTENDED``, with its reason; a difference no row explains fails the test, and so does
storing fewer than 99% of feedparser's non-empty entries.
"""

from __future__ import annotations

import functools
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser
import pytest
from feedparser_corpus import CorpusFeed, feeds

from newsdesk.feeds import fastparse
from newsdesk.feeds.compression import BodyCorrupt, decode_body
from newsdesk.feeds.decode import NotAFeed, as_utf8_document, decode_feed, without_internal_subset
from newsdesk.feeds.jobs import decode_and_parse
from newsdesk.items import Item

NOW = datetime(2026, 1, 5, tzinfo=UTC)
LIMIT = 50_000_000
ENGINES = ["auto", "feedparser"] if fastparse.AVAILABLE else ["feedparser"]


@functools.cache
def corpus() -> list[CorpusFeed]:
    return feeds()


# What a browser does not show as text: newsdesk leaves it out of titles and summaries.
HIDDEN = ("script", "style", "head", "title", "noscript", "template", "iframe", "object")


class _Text(HTMLParser):
    """HTML as the text a reader sees: the character data, what is ``HIDDEN`` left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.hidden += tag in HIDDEN

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in HIDDEN and self.hidden > 0

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def text_of(value: str, kind: str) -> str:
    """A feedparser value of content type ``kind`` as one line of text."""
    if "html" in kind:
        parser = _Text()
        parser.feed(value)
        parser.close()
        value = "".join(parser.parts)
    return " ".join(value.split())


@dataclass
class Expected:
    """One entry as feedparser reads it, its fields as newsdesk stores them."""

    raw_title: str  # as feedparser gives it
    title: str  # as text
    link: str | None
    published: datetime | None
    guid: str | None
    content: str  # the entry's richest body as text
    raw_content: str  # and as feedparser gives it


def _date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)
        if parsed:
            return datetime(*parsed[:6], tzinfo=UTC)
    return None


def _content(entry: Any) -> tuple[str, str]:
    """The entry's richest body, as feedparser gives it and as text."""
    for detail in [*entry.get("content", []), entry.get("summary_detail") or {}]:
        if (detail.get("value") or "").strip():
            return detail["value"], text_of(detail["value"], detail.get("type") or "text/html")
    return "", ""


def feedparser_reading(feed: CorpusFeed) -> list[Expected] | None:
    """feedparser's non-empty entries, or None when it finds no feed at all."""
    try:
        body = decode_body(feed.body, feed.content_encoding, LIMIT)
    except BodyCorrupt:
        return None
    headers = {"content-type": feed.content_type, "content-location": feed.url}
    # Unsanitized: what is hidden is left out of the text by ``text_of``, as a browser leaves it
    # out; the URIs in summaries are not resolved (feedparser writes the HTML anew to do it).
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not parsed.get("version") and not parsed.entries:
        return None
    found = []
    for entry in parsed.entries:
        raw = entry.get("title") or ""
        title = text_of(raw, (entry.get("title_detail") or {}).get("type") or "text/plain")
        link = (entry.get("link") or "").strip() or None
        raw_content, content = _content(entry)
        if not raw.strip() and not link and not raw_content:
            continue
        guid = (entry.get("id") or "").strip() or None
        found.append(Expected(raw, title, link, _date(entry), guid, content, raw_content))
    return found


def newsdesk_reading(feed: CorpusFeed, engine: str) -> list[Item] | str:
    """The items `newsdesk fetch` stores from this file, or why it stores none."""
    try:
        _, parsed = decode_and_parse(
            feed.body,
            feed.content_encoding,
            LIMIT,
            None,
            source="corpus",
            url=feed.url,
            content_type=feed.content_type,
            fetched_at=NOW,
            engine=engine,
        )
    except (NotAFeed, BodyCorrupt) as error:
        return str(error)
    assert parsed is not None
    return parsed.items


# newsdesk's differences from feedparser, on purpose: a name, the reason, and the test that
# tells whether a difference in one field is that one (it takes the field, feedparser's
# reading of the entry and what newsdesk stored). The first is about entries, not fields:
# ``differences`` merges feedparser's entries as the store does before comparing.
_HTTP = re.compile(r"https?://[^/@\s]+(/\S*)?")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uff00-\uffef]")


INTENDED: dict[str, tuple[str, Any]] = {
    "repeated id merged": (
        "entries with the same id (else link, else title and date) are one item: the store keeps one per id",
        None,
    ),
    "fallback title": (
        "an entry whose title has no text is listed under the start of its summary (newsdesk's own text of "
        "it: paragraphs, list bullets), or '(untitled)': the desk needs a line to show",
        lambda field, expected, item: field == "title" and not expected.title and bool(item.title),
    ),
    "not an http link": (
        "newsdesk stores only http(s) links with a host, no user name and no space: javascript:, data:, "
        "file: and relative links with no address to resolve them against are dropped",
        lambda field, expected, item: field == "link" and item.url is None and not _HTTP.fullmatch(expected.link or ""),
    ),
    "id from link": (
        "an entry without an id is known by its link, else by its title and date: an item needs an id to be "
        "merged with itself on the next fetch",
        lambda field, expected, item: (
            field == "guid" and expected.guid is None and item.guid in {item.url, f"{item.title}\n{item.published}"}
        ),
    ),
    "east asian encoding": (
        "a Chinese, Japanese or Korean feed that does not say its encoding is read in the one its bytes "
        "have (newsdesk.feeds.decode); feedparser reads it as Windows-1252",
        lambda field, expected, item: (
            field == "title" and bool(_CJK.search(item.title)) and not _CJK.search(expected.title)
        ),
    ),
    "mathml and svg": (
        "a summary's text is HTML's: MathML and SVG are left out with what is inside them (nh3 keeps HTML "
        "elements only), so a summary that is only a formula or a drawing has no text",
        lambda field, expected, item: (
            field == "summary" and not item.summary_text and bool(re.search(r"<(math|svg)\b", expected.raw_content))
        ),
    ),
    "bogus comment": (
        "an HTML parser reads '<!' not followed by a declaration as a comment, as browsers do; Python's "
        "HTMLParser, which the comparison's text uses, shows it",
        lambda field, expected, item: field == "summary" and not item.summary_text and "<!" in expected.raw_content,
    ),
    "list bullet": (
        "a list item's line starts with '- ' in newsdesk's text, so an empty one is a summary of '-'",
        lambda field, expected, item: field == "summary" and item.summary_text == "-" and not expected.content,
    ),
}


def _key(entry: Expected) -> tuple[str, ...]:
    """What newsdesk knows an entry by: its id, else its link, else its title (or its
    summary's start) and date."""
    if entry.guid or entry.link:
        return ("id", entry.guid or entry.link or "")
    return ("title", entry.title or entry.content[:80], str(entry.published))


def differences(feed: CorpusFeed, engine: str) -> tuple[list[str], Counter[str], int, int]:
    """What newsdesk reads differently from feedparser in ``feed``, beyond ``INTENDED``;
    the intended differences seen; feedparser's non-empty entries, and how many were stored."""
    expected = feedparser_reading(feed)
    got = newsdesk_reading(feed, engine)
    seen: Counter[str] = Counter()
    if expected is None:
        return (
            ([] if isinstance(got, str) or not got else [f"{len(got)} items where feedparser finds no feed"]),
            seen,
            0,
            0,
        )
    # Entries that repeat an id are merged into the first, as the store keeps one item per id.
    merged, ids = [], set()
    for entry in expected:
        if _key(entry) not in ids:
            merged.append(entry)
            ids.add(_key(entry))
    if isinstance(got, str):
        return [f"rejected ({got}); feedparser finds a feed of {len(expected)} entries"], seen, len(merged), 0
    if len(merged) != len(expected):
        seen["repeated id merged"] += len(expected) - len(merged)
    found = []
    if len(got) != len(merged):
        found.append(f"{len(got)} items, feedparser {len(merged)} entries")
    for number, (entry, item) in enumerate(zip(merged, got, strict=False)):
        want = {"title": entry.title, "link": entry.link, "published": entry.published, "guid": entry.guid}
        have = {"title": item.title, "link": item.url, "published": item.published, "guid": item.guid}
        # The summary's text is newsdesk's own (nh3, paragraphs): only whether there is one is compared.
        want["summary"], have["summary"] = bool(entry.content), bool(item.summary_text)
        for field in want:
            if want[field] == have[field]:
                continue
            why = next((name for name, (_, test) in INTENDED.items() if test and test(field, entry, item)), None)
            if why:
                seen[why] += 1
            else:
                found.append(f"entry {number} {field}: {have[field]!r}, feedparser {want[field]!r}")
    return found, seen, len(merged), min(len(got), len(merged))


@pytest.mark.parametrize("engine", ENGINES)
def test_the_corpus_reads_as_feedparser_reads_it(engine):
    wrong: dict[str, list[str]] = {}
    seen: Counter[str] = Counter()
    entries = stored = 0
    for feed in corpus():
        found, intended, count, kept = differences(feed, engine)
        if found:
            wrong[feed.name] = found
        seen.update(intended)
        entries += count
        stored += kept
    report = "\n".join(f"{name}: {'; '.join(found)}" for name, found in sorted(wrong.items()))
    assert not wrong, f"{len(wrong)} files read differently:\n{report}"
    assert stored >= 0.99 * entries, f"stored {stored} of feedparser's {entries} non-empty entries"
    assert len(corpus()) > 2000  # the whole corpus was read
    assert set(seen) >= set(INTENDED), f"rows of INTENDED no file needs: {sorted(set(INTENDED) - set(seen))}"


def _taken(feed: CorpusFeed) -> bool:
    """Whether the fast engine reads the file itself (rather than leaving it to feedparser)."""
    try:
        body = decode_body(feed.body, feed.content_encoding, LIMIT)
    except BodyCorrupt:
        return False
    text = without_internal_subset(decode_feed(body, feed.content_type).text)
    return fastparse.parse(as_utf8_document(text), text, feed.url) is not None


@pytest.mark.skipif(not fastparse.AVAILABLE, reason="feedparser-rs is not installed")
def test_the_fast_engine_reads_much_of_the_corpus_itself():
    """So that the comparison above holds the fast engine's reading, not only feedparser's
    (923 of the 2,248 files with feedparser-rs 0.7.1)."""
    assert sum(map(_taken, corpus())) > len(corpus()) / 3
