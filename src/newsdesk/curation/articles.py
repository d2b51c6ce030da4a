"""Read before you write: a candidate's article, fetched on demand, its main text extracted,
cached in the store, and its lead paragraph offered as a starting annotation.

Fetching is bounded like feed fetching (the [fetch] timeouts, redirects and user agent,
a size cap and an overall deadline) and only follows http(s). Extraction is trafilatura's,
which drops navigation, footers and comments. Every outcome is an ``Article``: a page
that is not an article (a PDF, an index page, too little text) or a fetch that failed says
so in ``message`` rather than raising, so the desk never blocks on it. Articles and
not-articles are cached by canonical URL; failures are not, so the next try fetches again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from newsdesk.config import FetchSettings
from newsdesk.http import ERRORS, Http, describe_status
from newsdesk.items import utc_text
from newsdesk.store import Store
from newsdesk.urls import canonical_url, is_http_url

MAX_ARTICLE_BYTES = 5_000_000  # a news page with its markup; more is not an article
DEADLINE_SECONDS = 30.0
MIN_ARTICLE_CELLS = 200  # less main text than this (a CJK character counts two) is no article
MIN_LEAD_CELLS = 60
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Article:
    url: str
    status: str  # "ok", "not_article" or "failed"
    title: str = ""
    text: str = ""
    lead: str = ""
    message: str = ""
    fetched_at: str = ""
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class PageProblem(Exception):
    """The page could not be had, or is not an article; the message says which."""

    def __init__(self, message: str, status: str = "failed") -> None:
        super().__init__(message)
        self.status = status


def cells(text: str) -> int:
    """Display width, roughly: CJK characters count two, so lengths compare across scripts."""
    return sum(2 if "\u2e80" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" else 1 for c in text)


def lead_paragraph(text: str, title: str = "") -> str:
    """The first paragraph long enough to be prose (not the headline, a dateline or a byline)."""
    folded_title = " ".join(title.casefold().split())
    paragraphs = [" ".join(p.split()) for p in text.split("\n")]
    for paragraph in paragraphs:
        if cells(paragraph) >= MIN_LEAD_CELLS and paragraph.casefold() != folded_title:
            return paragraph
    return next((p for p in paragraphs if p), "")


def download(url: str, settings: FetchSettings, *, max_bytes: int = MAX_ARTICLE_BYTES) -> tuple[bytes, str]:
    """The page's bytes and final URL; raises PageProblem with one line on any failure."""
    if not is_http_url(url):
        raise PageProblem(f"not an http(s) link: {url}")
    limit = min(max_bytes, settings.max_bytes)
    http = Http.fetching(settings)
    started = time.monotonic()
    try:
        with (
            http.client(headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise PageProblem(describe_status(response))
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind and kind not in HTML_TYPES:
                raise PageProblem(f"not an article: the link is {kind}, not a web page", "not_article")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise PageProblem(f"the page is larger than {limit // 1_000_000} MB")
            body = bytearray()
            for chunk in response.iter_bytes():  # decoded: the cap holds for gzip bombs too
                body.extend(chunk)
                if len(body) > limit:
                    raise PageProblem(f"the page is larger than {limit // 1_000_000} MB")
                if time.monotonic() - started > DEADLINE_SECONDS:
                    raise PageProblem(f"the page took longer than {DEADLINE_SECONDS:.0f} s")
            return bytes(body), str(response.url)
    except ERRORS as error:
        raise PageProblem(f"cannot fetch: {http.reason(error)}") from None


@dataclass(frozen=True)
class Page:
    """What trafilatura reads in an article page."""

    title: str
    text: str
    date: str = ""  # the publication date the page gives (YYYY-MM-DD), or ""


def extract_page(data: bytes, url: str) -> Page:
    """The article in an HTML page, with its date; raises PageProblem when
    it holds no article."""
    import trafilatura  # imported here: it is slow to import and only this needs it

    document = trafilatura.bare_extraction(
        data, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    text = (getattr(document, "text", None) or "").strip()
    if cells(text) < MIN_ARTICLE_CELLS:
        raise PageProblem("not an article: the page has too little text of its own", "not_article")
    return Page(
        title=(getattr(document, "title", None) or "").strip(),
        text=text,
        date=(getattr(document, "date", None) or "").strip(),
    )


def extract(data: bytes, url: str) -> tuple[str, str]:
    """(title, main text) of an HTML page; raises PageProblem when it holds no article."""
    page = extract_page(data, url)
    return page.title, page.text


class ArticleCache:
    """Fetched articles in the store's own table (``articles``, made by newsdesk.schema
    with the others), by canonical URL."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, url: str) -> Article | None:
        with self.store.reading() as db:
            row = db.execute(
                "SELECT url, status, title, text, lead, message, fetched_at FROM articles WHERE url = ?",
                (canonical_url(url),),
            ).fetchone()
        if row is None:
            return None
        url, status, title, text, lead, message, fetched_at = row
        return Article(url, status, title, text, lead, message, fetched_at, cached=True)

    def put(self, article: Article) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO articles (url, status, title, text, lead, message, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    canonical_url(article.url),
                    article.status,
                    article.title,
                    article.text,
                    article.lead,
                    article.message,
                    article.fetched_at,
                ),
            )


def cached_texts(store: Store, limit: int) -> dict[str, str]:
    """The start (``limit`` characters) of each article fetched and cached, by canonical URL:
    what clustering reads beside an item's summary."""
    with store.reading() as db:
        rows = db.execute("SELECT url, substr(text, 1, ?) FROM articles WHERE status = 'ok'", (limit,)).fetchall()
    return {url: text for url, text in rows}


def read_article(store: Store, url: str, settings: FetchSettings, *, refresh: bool = False) -> Article:
    """The article at ``url``: from the cache, or fetched and extracted now."""
    cache = ArticleCache(store)
    if not refresh and (known := cache.get(url)) is not None:
        return known
    now = utc_text(datetime.now(UTC))
    try:
        data, final_url = download(url, settings)
        title, text = extract(data, final_url)
    except PageProblem as problem:
        article = Article(url, problem.status, message=str(problem), fetched_at=now)
        if problem.status == "not_article":
            cache.put(article)
        return article
    article = Article(url, "ok", title=title, text=text, lead=lead_paragraph(text, title), fetched_at=now)
    cache.put(article)
    return article
