"""A page found outside the feeds made a candidate, as Curated's bookmarklet does: its
title, date and main text read from the page, stored as an item of its site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

from newsdesk.curation.articles import Article, ArticleCache, PageProblem, download, extract_page, lead_paragraph
from newsdesk.dates import chinese_date
from newsdesk.errors import InvalidInput, NewsdeskError
from newsdesk.items import Item, item_id, utc_text
from newsdesk.newsroom import Newsroom
from newsdesk.text import plain_title
from newsdesk.urls import canonical_url, is_http_url

SUMMARY_CHARACTERS = 4000  # of the main text, kept as the item's summary


@dataclass(frozen=True)
class Added:
    item: Item
    new: bool  # false when the page was added before (it is updated)
    dating: (
        str  # where the date is from: "given" (--date), "page", "guess" (a guess of the extractor's) or "none" (today)
    )

    @property
    def dated(self) -> bool:
        """Whether the item has a date of its own (given or read from the page)."""
        return self.dating in ("given", "page")


def page_date(data: bytes, page_text: str, extracted: str) -> tuple[date | None, str]:
    """The date of a page and where it is from: its markup's date (meta tags, structured
    data, <time>), else a date it writes in the Chinese way in its text (发布日期：2017年7月4日,
    2017年07月04日, 2017.07.04); else the extractor's ``extracted`` date is only a guess (from a
    year somewhere, say: 2017年 gives 2017-01-01)."""
    import htmldate
    import lxml.html
    from lxml import etree

    try:
        marked = htmldate.find_date(data, extensive_search=False, original_date=True)
    except ValueError:  # a document htmldate cannot read
        marked = None
    if marked:
        return date.fromisoformat(marked[:10]), "page"
    try:
        whole_text = lxml.html.document_fromstring(data).text_content()
    except (ValueError, etree.ParserError):
        whole_text = page_text
    written = chinese_date(whole_text) or chinese_date(page_text)
    if written is not None:
        return written, "page"
    try:
        return date.fromisoformat(extracted[:10]), "guess"
    except ValueError:
        return None, "none"


def add_page(newsroom: Newsroom, url: str, *, source: str | None = None, day: date | None = None) -> Added:
    """Fetch ``url``, read its article and store it as a candidate. The source is ``source``,
    else the site's host; the date is ``day``, else the page's, else now."""
    if not is_http_url(url):
        raise InvalidInput(f"not an http(s) link: {url}")
    try:
        data, final_url = download(url, newsroom.config.fetch)
        page = extract_page(data, final_url)
    except PageProblem as problem:
        raise NewsdeskError(f"{url}: {problem}") from None
    # The host, not the site name trafilatura guesses (often a piece of the title).
    host = (urlsplit(final_url).hostname or "web").removeprefix("www.")
    name = (source or host).strip()
    published = None
    given, dating = (day, "given") if day is not None else page_date(data, page.text, page.date)
    if given is not None:
        # Noon in the newsroom's timezone: the day stays the day whatever the zone.
        published = datetime.combine(given, time(12), newsroom.config.newsroom.zone).astimezone(UTC)
    now = datetime.now(UTC)
    title = plain_title(page.title) or final_url
    summary = page.text[:SUMMARY_CHARACTERS]
    key = canonical_url(url)
    # The date is part of what is stored: adding again with another --date updates it.
    stamp = utc_text(published) if published else ""
    item = Item(
        id=item_id(name, key),
        source=name,
        guid=key,
        title=title,
        url=url,
        canonical_url=key,
        summary_text=summary,
        published=published,
        first_seen=now,
        content_hash=item_id(title, f"{summary}\n{stamp}"),
    )
    with newsroom.store() as store:
        known = store.item(item.id)
        store.save_items([item])
        lead = lead_paragraph(page.text, page.title)
        ArticleCache(store).put(Article(url, "ok", page.title, page.text, lead, fetched_at=utc_text(now)))
        item = store.item(item.id) or item
    return Added(item, new=known is None, dating=dating)
