"""Pre-send checks: what must be right before an issue goes to every subscriber.

Each finding is one line, an error or a warning. Errors stop `newsdesk send` (unless
--force); warnings are worth a look but may be intended (a story dated a day outside
the week, a site that refuses robots).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx

from newsdesk.config import FetchSettings, NewsroomSettings
from newsdesk.curation.ranking import featured_before
from newsdesk.curation.saved import SavedSource, load_saved, sources_dir, verify
from newsdesk.dates import date_range
from newsdesk.errors import InvalidInput
from newsdesk.glossary import Glossary, load_glossary, renderings_used
from newsdesk.http import ERRORS, Http
from newsdesk.issue import Issue
from newsdesk.mail.subscribers import address_problem
from newsdesk.mail.tokens import secret_from_env, unsubscribe_url
from newsdesk.newsroom import Newsroom
from newsdesk.output.archive import unsubscribe_template
from newsdesk.output.render import GMAIL_CLIP_BYTES, Renderer, unsubscribe_link
from newsdesk.output.site import blog_warnings, site_folder
from newsdesk.urls import canonical_url, is_http_url, placeholder_host

# The address the check renders the email for: any address shows how links are built.
SAMPLE_RECIPIENT = "subscriber@example.org"
LINK_TIMEOUT = 10.0  # seconds for each step of a link check
LINK_DEADLINE = 20.0  # seconds for one link in all
LINK_CONCURRENCY = 8
DEAD_STATUSES = (404, 410)
_TEXT_URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Finding:
    level: str  # error | warning
    message: str

    def line(self) -> str:
        return f"{self.level}: {self.message}"


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)

    def error(self, message: str) -> None:
        self.findings.append(Finding("error", message))

    def warning(self, message: str) -> None:
        self.findings.append(Finding("warning", message))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def summary(self) -> str:
        if not self.findings:
            return "all checks passed"
        errors, warnings = len(self.errors), len(self.warnings)
        return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


# Content ---------------------------------------------------------------


def check_content(issue: Issue, expected: int, report: CheckReport) -> None:
    """The configured number of developments, each complete, and an intro."""
    for problem in issue.problems(expected):
        report.error(problem)


def check_sender(settings: NewsroomSettings, report: CheckReport, *, signed_links: bool = False) -> None:
    if problem := address_problem(settings.sender_email):
        report.error(f"newsroom.sender_email: {problem}")
    # Left from the sample or a template: mail and pages there reach nobody. One line for
    # them all, as a sample newsroom has every one of them.
    reserved: dict[str, list[str]] = {}
    for key in ("sender_email", "reply_to", "unsubscribe_mailto"):
        if (address := getattr(settings, key)) and (host := placeholder_host("https://" + address.rpartition("@")[2])):
            reserved.setdefault(host, []).append(key)
    pages: tuple[str, ...] = ("blog_url", "manage_url", "logo_url", "signup_url")
    if not signed_links:  # [web] public_url: the service's signed links replace the page
        pages = (*pages[:1], "unsubscribe_url", *pages[1:])
    for key in pages:
        if (url := getattr(settings, key) or "") and (host := placeholder_host(url)):
            reserved.setdefault(host, []).append(key)
    for host, keys in reserved.items():
        report.warning(
            f"newsroom.{', '.join(keys)} at {host}, a name reserved for examples and tests: "
            "mail and readers sent there reach nobody"
        )
    if not settings.postal_address.strip():
        report.warning(
            "newsroom.postal_address is not set: the email's footer gives no postal address "
            "(CAN-SPAM requires one in commercial email)"
        )


def check_blog(newsroom: Newsroom, report: CheckReport) -> None:
    """The blog's addresses: the icon in each static site's folder, a sign-up form over https."""
    sites = [site_folder(newsroom, blog) for blog in newsroom.config.blog_targets if blog.kind == "static"]
    for warning in blog_warnings(newsroom.config.newsroom, sites):
        report.warning(warning)


def check_dates(issue: Issue, newsroom: Newsroom, report: CheckReport) -> None:
    """Each linked item was published within the issue's week (in the newsroom's timezone)."""
    zone = newsroom.config.newsroom.zone
    week = date_range(issue.week_start, issue.week_end)
    with newsroom.store() as store:
        for number, development in enumerate(issue.developments, start=1):
            if not development.item_id:
                continue
            item = store.item(development.item_id)
            if item is None:
                report.warning(
                    f"development {number}: item {development.item_id} is not in the store "
                    "(run `newsdesk fetch`), so its date is not checked"
                )
                continue
            day = item.when.astimezone(zone).date()
            if not issue.week_start <= day <= issue.week_end:
                report.warning(f"development {number}: the linked item is dated {day}, outside the week ({week})")


def check_repeats(issue: Issue, newsroom: Newsroom, report: CheckReport) -> None:
    """No development was featured in an earlier issue (same item, or the same page)."""
    featured = featured_before(newsroom, issue.date)
    for problem in featured.problems:
        report.warning(f"cannot compare with an earlier issue: {problem}")
    for number, development in enumerate(issue.developments, start=1):
        found = None
        for item in (development.item_id, *development.also):
            if item and item in featured.ids:
                found = (featured.ids[item], f"item {item}")
                break
        if found is None and development.read_more:
            day = featured.urls.get(canonical_url(development.read_more))
            if day is not None:
                found = (day, "the same read-more link")
        if found:
            report.error(f"development {number} was already featured in the {found[0].isoformat()} issue ({found[1]})")


def check_glossary(issue: Issue, glossary: Glossary, report: CheckReport) -> None:
    """Each glossary term given one way: not two ways in one development, nor different
    ways in two, nor a way the glossary lists under ``also`` (renderings it does not use)."""
    if not len(glossary):
        return
    texts = [f"{d.headline}\n{d.annotation}" for d in issue.developments]
    for term in glossary.terms:
        ways: dict[str, list[int]] = {}  # rendering -> the developments that use it
        doubled = False
        for number, text in enumerate(texts, start=1):
            used = renderings_used(term, text)
            if len(used) > 1:
                doubled = True
                listed = ", ".join(repr(u) for u in used)
                report.warning(
                    f"development {number} renders {term.zh} {len(used)} ways: {listed} (glossary.toml: {term.en!r})"
                )
            for rendering in used:
                ways.setdefault(rendering, []).append(number)
        if len(ways) > 1 and not doubled:
            listed = "; ".join(
                f"{rendering!r} in development{'s' * (len(numbers) > 1)} {', '.join(map(str, numbers))}"
                for rendering, numbers in ways.items()
            )
            report.warning(
                f"{term.zh} is rendered {len(ways)} ways in this issue: {listed} (glossary.toml: {term.en!r})"
            )
        elif len(ways) == 1 and term.en not in ways:
            rendering, numbers = next(iter(ways.items()))
            where = f"development{'s' * (len(numbers) > 1)} {', '.join(map(str, numbers))}"
            report.warning(f"{where}: {rendering!r} for {term.zh}, where glossary.toml has {term.en!r}")


# The rendered email ----------------------------------------------------


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href and is_http_url(href.strip()):
                self.links.append(href.strip())


def html_links(html: str) -> list[str]:
    parser = _Hrefs()
    parser.feed(html)
    parser.close()
    return parser.links


def text_links(text: str) -> list[str]:
    return [_trim_url(match) for match in _TEXT_URL.findall(text)]


def _trim_url(url: str) -> str:
    """Drop the punctuation that ends a sentence, not a ")" the URL itself opened."""
    while True:
        trimmed = url.rstrip(".,;:!?]}")
        if trimmed.endswith(")") and trimmed.count(")") > trimmed.count("("):
            trimmed = trimmed[:-1]
        if trimmed == url:
            return url
        url = trimmed


def check_email(issue: Issue, newsroom: Newsroom, report: CheckReport) -> None:
    """Size under Gmail's clip, the same links in both parts, the unsubscribe link in both."""
    settings = newsroom.config.newsroom
    renderer = Renderer(newsroom)
    context: dict[str, Any] = {"recipient": SAMPLE_RECIPIENT, "recipient_name": "Sample Subscriber"}
    web = newsroom.config.web
    if web.public_url:
        # The web service's signed link, with a sample token (the real ones are signed per reader).
        context["unsubscribe_url"] = unsubscribe_url(web.public_url, "sample-token")
    text = renderer.email_text(issue, **context)
    html = renderer.email_html(issue, **context)

    size = len(html.encode())
    if size > GMAIL_CLIP_BYTES:
        report.error(
            f"email.html is {size / 1024:.0f} KB: Gmail clips messages over "
            f"{GMAIL_CLIP_BYTES // 1024} KB, hiding the end (and the unsubscribe link)"
        )

    in_text, in_html = text_links(text), html_links(html)
    for link in sorted(set(in_html) - set(in_text)):
        report.error(f"the HTML part links to {link} but the plaintext part does not")
    for link in sorted(set(in_text) - set(in_html)):
        report.error(f"the plaintext part links to {link} but the HTML part does not")

    if web.public_url:
        expected = context["unsubscribe_url"]
        if expected not in in_text:
            report.error("the plaintext part has no unsubscribe link (templates/email.txt: {{ unsubscribe_url }})")
        if expected not in in_html:
            report.error("the HTML part has no unsubscribe link (templates/email.mjml: {{ unsubscribe_url }})")
        if not expected.startswith("https://"):
            report.warning("web.public_url is not https, so mail clients will not offer one-click unsubscribe")
        try:
            secret_from_env()
        except InvalidInput as problem:
            report.error(problem.message)
        return
    template = unsubscribe_template(settings)
    expected = unsubscribe_link(template, SAMPLE_RECIPIENT)
    if not is_http_url(expected):
        report.error(f"the unsubscribe link {expected!r} is not an http(s) URL (newsroom.unsubscribe_url)")
    else:
        if expected not in in_text:
            report.error("the plaintext part has no unsubscribe link (templates/email.txt: {{ unsubscribe_url }})")
        if expected not in in_html:
            report.error("the HTML part has no unsubscribe link (templates/email.mjml: {{ unsubscribe_url }})")
        if not settings.unsubscribe_url and not settings.blog_url:
            report.error(
                "neither newsroom.unsubscribe_url nor newsroom.blog_url is set: the unsubscribe link goes nowhere"
            )
        elif not settings.unsubscribe_url:
            report.warning(f"newsroom.unsubscribe_url is not set; the unsubscribe link goes to {expected}")
        elif "{email}" not in template and not settings.unsubscribe_mailto:
            report.warning("newsroom.unsubscribe_url has no {email}, so one-click unsubscribe cannot tell who asked")
        elif "{email}" in template:
            report.warning(
                "newsroom.unsubscribe_url carries the reader's address in the clear, so anyone who knows an "
                "address can unsubscribe it: run `newsdesk serve` and set [web] public_url for signed links"
            )
        if not expected.startswith("https://"):
            report.warning("the unsubscribe link is not https, so mail clients will not offer one-click unsubscribe")


# Links -----------------------------------------------------------------


@dataclass(frozen=True)
class LinkResult:
    url: str
    status: int | None = None
    final_url: str | None = None
    problem: str | None = None  # why it could not be fetched
    unreachable: bool = False  # no such host, or nothing listening

    @property
    def dead(self) -> bool:
        """Certainly broken: the page is gone, or there is no server to ask."""
        return self.status in DEAD_STATUSES or self.unreachable

    @property
    def doubtful(self) -> bool:
        """Not known to work: a timeout, a refusal (403, 429), a server error."""
        return not self.dead and (self.problem is not None or (self.status or 0) >= 400)

    def describe(self) -> str:
        if self.problem:
            return self.problem
        moved = f" (redirected to {self.final_url})" if self.final_url and self.final_url != self.url else ""
        return f"HTTP {self.status}{moved}"


async def _probe(http: Http, client: httpx.AsyncClient, url: str) -> LinkResult:
    try:
        response = await client.head(url)
        if response.status_code >= 400:
            # Some servers answer HEAD badly (405, 403, even 404); a GET has the last word.
            async with client.stream("GET", url) as streamed:
                response = streamed
        return LinkResult(url, response.status_code, str(response.url))
    except ERRORS as error:
        return LinkResult(url, problem=http.reason(error), unreachable=http.unreachable(error))


async def probe_links(
    urls: Iterable[str], fetch: FetchSettings, *, timeout: float = LINK_TIMEOUT
) -> dict[str, LinkResult]:
    """Check links concurrently (HEAD, then GET if needed), following redirects."""
    unique = list(dict.fromkeys(urls))
    limit = asyncio.Semaphore(LINK_CONCURRENCY)
    http = Http(fetch.user_agent, connect_timeout=timeout, read_timeout=timeout, max_redirects=fetch.max_redirects)
    async with http.async_client(max_connections=LINK_CONCURRENCY, follow_redirects=True) as client:

        async def one(url: str) -> LinkResult:
            async with limit:
                try:
                    return await asyncio.wait_for(_probe(http, client, url), LINK_DEADLINE)
                except TimeoutError:
                    return LinkResult(url, problem=f"timed out after {LINK_DEADLINE:.0f} s")

        results = await asyncio.gather(*(one(url) for url in unique))
    return {result.url: result for result in results}


def check_placeholder_links(issue: Issue, report: CheckReport, *, sample: bool = False) -> None:
    """Links to example and test domains: left from a template or a sample, never real. In a
    newsroom that says it is a sample ([newsroom] sample), they are its fictional outlets."""
    for number, development in enumerate(issue.developments, start=1):
        if is_http_url(development.read_more) and (host := placeholder_host(development.read_more)):
            if sample:
                report.warning(
                    f"development {number}: read-more link points at {host}, a fictional outlet of "
                    "this sample newsroom ([newsroom] sample = true): no reader can open it"
                )
                continue
            report.error(
                f"development {number}: read-more link points at {host}, a name reserved for "
                "examples and tests that no reader can open: link the source itself"
            )


def check_links(issue: Issue, newsroom: Newsroom, report: CheckReport) -> None:
    links = {
        number: d.read_more
        for number, d in enumerate(issue.developments, start=1)
        if is_http_url(d.read_more) and not placeholder_host(d.read_more)
    }
    if not links:
        return
    results = asyncio.run(probe_links(links.values(), newsroom.config.fetch))
    saved = load_saved(issue) if issue.path is not None else {}
    for number, url in links.items():
        result = results[url]
        if result.dead:
            note = _copy_note(issue, saved.get(canonical_url(url)), newsroom)
            report.error(f"development {number}: read-more link is dead: {url}: {result.describe()}{note}")
        elif result.doubtful:
            report.warning(f"development {number}: read-more link may be down: {url}: {result.describe()}")


def _copy_note(issue: Issue, source: SavedSource | None, newsroom: Newsroom) -> str:
    """Where the page of a dead link can still be read: an archive's copy, the saved one."""
    notes = []
    if source is not None and source.archived:
        notes.append(f"archived copy: {source.archived} (the post links it)")
    if source is not None and source.saved:
        copy = sources_dir(issue) / source.html
        shown = copy.relative_to(newsroom.root) if copy.is_relative_to(newsroom.root) else copy
        problem = verify(issue, source)
        state = f"; {problem}" if problem else f", sha256 {source.html_sha256[:12]}…"
        notes.append(f"saved copy: {shown} (saved {source.saved_at[:10]}{state})")
    if not notes:
        notes.append(f"no saved copy (`newsdesk save-sources {issue.name} --wayback URL` records an archive's copy)")
    return "; " + "; ".join(notes)


def check_issue(newsroom: Newsroom, issue: Issue, *, links: bool = True) -> CheckReport:
    """Every pre-send check of ``issue``; ``links=False`` skips the network."""
    report = CheckReport()
    check_content(issue, newsroom.config.newsroom.developments, report)
    check_sender(newsroom.config.newsroom, report, signed_links=bool(newsroom.config.web.public_url))
    check_blog(newsroom, report)
    check_repeats(issue, newsroom, report)
    check_dates(issue, newsroom, report)
    check_glossary(issue, load_glossary(newsroom.root), report)
    check_email(issue, newsroom, report)
    check_placeholder_links(issue, report, sample=newsroom.config.newsroom.sample)
    if links:
        check_links(issue, newsroom, report)
    return report
