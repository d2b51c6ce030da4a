"""Render an issue: the email (MJML to HTML, and plaintext), the blog post, the archive.

Templates come from the newsroom's templates/ first and newsdesk's defaults behind them,
so an editor overrides one file at a time. Autoescape is on for HTML, XML and MJML.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import html
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import jinja2
from markupsafe import Markup, escape

from newsdesk import chinese
from newsdesk.config import NewsroomSettings, RomanizationSettings
from newsdesk.dates import date_range, long_date, publication_instant
from newsdesk.errors import IssueFileError, TemplateProblem
from newsdesk.files import write_atomic
from newsdesk.issue import Issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.archive import (
    FEED_SIZE,
    ArchiveEntry,
    archive_entry,
    blog_root,
    favicon_address,
    unsubscribe_template,
)
from newsdesk.output.catalog import Listing, catalog, issue_key
from newsdesk.output.markdown import mark_chinese, markdown_html, markdown_source_safe, markdown_text, typeset
from newsdesk.output.revisions import Revision, Revisions, content_digest
from newsdesk.output.theme import make_theme
from newsdesk.schema import StoreError
from newsdesk.text import display_width, mostly_chinese, wrap
from newsdesk.urls import canonical_url, is_http_url

GMAIL_CLIP_BYTES = 102 * 1024
PREHEADER_LIMIT = 150  # characters: more than any inbox shows after the subject
DEFAULT_TEMPLATES = Path(__file__).parent / "templates"


# What XML 1.0 cannot carry, even escaped: C0 controls but tab, newline and carriage
# return; U+FFFE and U+FFFF; lone surrogates.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML cannot carry (a control character pasted into an
    annotation would make the whole feed unreadable)."""
    return _NOT_XML.sub("", text)


def yaml_string(value: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def unsubscribe_link(template: str, email: str | None) -> str:
    """The unsubscribe URL for one subscriber; without one, the page that asks for the address."""
    if email:
        return template.replace("{email}", quote(email, safe="@"))
    parts = urlsplit(template)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if "{email}" not in v]
    return urlunsplit(parts._replace(query=urlencode(query))).replace("{email}", "")


# newsdesk's modules whose code shapes an output, by their files (importing site here would
# make a circle: site imports this module).
_SHAPING_CODE = (
    "config.py",
    "dates.py",
    "issue.py",
    "text.py",
    "urls.py",
    "output/archive.py",
    "output/catalog.py",
    "output/markdown.py",
    "output/render.py",
    "output/revisions.py",
    "output/site.py",
)


@functools.cache
def code_digest() -> str:
    """A digest of newsdesk's own code that shapes the outputs: a site built by other code
    (an upgrade, an edit) is rendered anew rather than trusted."""
    import newsdesk

    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(newsdesk.__version__.encode())
    for name in _SHAPING_CODE:
        digest.update(name.encode())
        digest.update((package / name).read_bytes())
    return digest.hexdigest()


# Ends of a sentence: the Latin ones before a space, the Chinese ones (full width) anywhere.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


def first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()


def preheader(issue: Issue, settings: NewsroomSettings) -> str:
    """The line an inbox shows after the subject: the intro's point, or the headlines.

    The intro's first sentence when it says something of its own; when it names the
    newsletter or repeats the title ("Welcome to this week's edition of ..."), it only says
    what the From and Subject lines already do, and the headlines, first one first, come
    instead. In the issue's language: headlines in Chinese are joined with "；".
    """
    intro = first_sentence(" ".join(markdown_text(issue.intro).split()))
    headlines = [typeset(" ".join(d.headline.split())) for d in issue.developments if d.headline.strip()]
    repeats = [name.casefold() for name in (settings.name, issue.title, settings.sender_name) if name]
    if intro and not any(name in intro.casefold() for name in repeats):
        text = intro
    elif headlines:
        text = ("；" if mostly_chinese("".join(headlines)) else "; ").join(headlines)
    else:
        text = intro or typeset(issue.title)
    if len(text) > PREHEADER_LIMIT:
        cut = text[: PREHEADER_LIMIT - 1]
        if not mostly_chinese(cut) and " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        text = cut.rstrip(" ;；,，") + "…"
    return text


_NOT_A_TITLE = re.compile(r"[\W\d_年月日号]+")


def title_says_more(title: str, name: str, day: date) -> bool:
    """Whether an issue's title says more than the newsletter's name and the issue's date
    ("Social Credit Weekly – 3rd July 2017" does not): the masthead's brand line already
    says those, and a title that only repeats them is not shown again as a headline."""
    rest = title.casefold()
    for said in (name, long_date(day), day.isoformat()):
        if said:
            rest = rest.replace(said.casefold(), " ")
    return bool(_NOT_A_TITLE.sub("", rest))


def space_stuffed(text: str) -> str:
    """Text for format=flowed: a space before each line that starts with a space, ">" or
    "From " (RFC 3676, 4.4), so none is read as quoted or loses its first space."""
    lines = []
    for line in text.split("\n"):
        if line.startswith((" ", ">", "From ")):
            line = " " + line
        lines.append(line)
    return "\n".join(lines)


class _Posts(Sequence[tuple[ArchiveEntry, str]]):
    """(entry, post body) pairs, each body rendered the first time a template asks for it.

    The archive page lists entries only; the feed wants bodies. Nobody pays for what no
    template reads.
    """

    def __init__(self, renderer: Renderer, issues: Sequence[Issue | Listing], entries: list[ArchiveEntry]) -> None:
        self.renderer, self.issues, self.entries = renderer, issues, entries
        self.bodies: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.issues)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if index not in self.bodies:
            issue = self.issues[index]
            self.bodies[index] = self.renderer.post_body(issue.load() if isinstance(issue, Listing) else issue)
        return self.entries[index], self.bodies[index]


def linkable(issue: Issue) -> Issue:
    """The issue as templates see it: a read-more link that is not http(s) is no link at all.

    Issue.problems() reports it; no template, the editor's own included, can emit it.
    """
    if all(not d.read_more or is_http_url(d.read_more) for d in issue.developments):
        return issue
    safe = copy.copy(issue)
    safe.developments = [
        d if not d.read_more or is_http_url(d.read_more) else dataclasses.replace(d, read_more="")
        for d in issue.developments
    ]
    return safe


def lang_runs(value: str, language: str, romanization: RomanizationSettings | None = None) -> Markup:
    """Text (escaped) or safe HTML with its Chinese runs marked lang="zh", unless the whole
    email is in Chinese already; a short term and the romanization after it kept together."""
    safe = value if isinstance(value, Markup) else escape(value)
    if language.lower().startswith("zh"):
        return Markup(safe)
    return Markup(mark_chinese(str(safe), romanization))


def source_host(url: str) -> str:
    """'https://www.xinhuanet.example/x' -> 'xinhuanet.example'."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _instant(value: date | datetime, zone: tzinfo) -> datetime:
    """A time in UTC; a date is the moment its issue appears, on that day in ``zone``."""
    if not isinstance(value, datetime):
        instant = publication_instant(value, zone)
        assert instant is not None  # one zone always has its own day
        value = instant
    return value.astimezone(UTC)


def atom_time(value: date | datetime, zone: tzinfo = UTC) -> str:
    """An RFC 3339 UTC time, as Atom and sitemaps write it."""
    return _instant(value, zone).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc822_time(value: date | datetime, zone: tzinfo = UTC) -> str:
    """An RSS time (RFC 822, in GMT)."""
    return format_datetime(_instant(value, zone), usegmt=True)


def json_ld(value: Any) -> Markup:
    """JSON for a <script type="application/ld+json">: no "<", ">" or "&" in it, so no text
    can close the script or be read as markup."""
    text = json.dumps(value, ensure_ascii=False, indent=None)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def archived_copies(issue: Issue) -> list[str]:
    """Each development's archived copy (an address the editor gave, saved with the issue's
    sources), or "": what the post's "archived copy" links point at."""
    if issue.path is None or not (issue.path.parent / issue.name / "sources").is_dir():
        return [""] * len(issue.developments)
    from newsdesk.curation.saved import load_saved

    saved = load_saved(issue)
    return [source.archived if (source := saved.get(canonical_url(d.read_more))) else "" for d in issue.developments]


def make_environment(
    templates_dir: Path | None,
    zone: tzinfo = UTC,
    cache_dir: Path | None = None,
    romanization: RomanizationSettings | None = None,
) -> jinja2.Environment:
    """The templates' environment; with ``cache_dir``, compiled templates are kept there
    (Jinja checks each against its source), so a command does not compile them again."""
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir and templates_dir.is_dir():
        loaders.append(jinja2.FileSystemLoader(templates_dir))
    loaders.append(jinja2.FileSystemLoader(DEFAULT_TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "xml", "mjml"), default_for_string=True, default=False
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_bytecode_cache(cache_dir),
    )
    env.filters.update(
        markdown=lambda s: Markup(markdown_html(s)),
        markdown_text=markdown_text,
        typeset=typeset,
        long_date=long_date,
        wrap=wrap,
        display_width=display_width,
        lang_runs=lambda value, language: lang_runs(value, language, romanization or chinese.DEFAULT),
        yaml=yaml_string,
        markdown_safe=markdown_source_safe,
        isodate=lambda d: d.isoformat(),
        atom_time=lambda value: atom_time(value, zone),
        rfc822=lambda value: rfc822_time(value, zone),
        json_ld=json_ld,
        html_of_text=html.escape,  # text as HTML, for where a feed reader reads HTML
        pinyin=lambda text: chinese.romanize(text, romanization or chinese.DEFAULT),
        romanized=lambda text: chinese.annotate_runs(text, romanization or chinese.DEFAULT),
    )
    return env


def _bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a newsroom that cannot be written to: compiled each time
    return jinja2.FileSystemBytecodeCache(str(folder))


@functools.lru_cache(maxsize=8)
def _inliner(css: str) -> Any:
    import css_inline  # imported here: only rendering the email needs it

    # Only the theme is inlined: the <style> blocks (mjml's responsive rules, dark mode)
    # stay where they are, and nothing is fetched from anywhere.
    return css_inline.CSSInliner(
        inline_style_tags=False,
        keep_style_tags=True,
        keep_link_tags=True,
        load_remote_stylesheets=False,
        extra_css=css,
    )


def inline_theme(html: str, css: str) -> str:
    """``html`` with the rules of ``css`` written into the style attributes of the elements
    they select; a style the element already has wins.

    The editor's Markdown reaches the email sanitised, without style attributes (nh3 removes
    them), and mjml-python does not inline ``<mj-style inline="inline">``: this is how a
    link in an annotation gets the theme's colour in clients that ignore <style> blocks.
    """
    import css_inline

    if not css.strip():
        return html
    try:
        return _inliner(css).inline(html)
    except (css_inline.InlineError, ValueError) as error:
        raise TemplateProblem(f"email.css: the theme's CSS cannot be inlined: {error}") from None


@dataclass
class Rendered:
    """What a render wrote, and what the editor should know about it."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Renderer:
    def __init__(self, newsroom: Newsroom, *, clock: Callable[[], datetime] | None = None) -> None:
        self.newsroom = newsroom
        # What time it is, for the feed entries a render finds changed.
        self.clock = clock or (lambda: datetime.now(UTC))
        self._fingerprint: str | None = None
        self.settings: NewsroomSettings = newsroom.config.newsroom
        self.theme = make_theme(self.settings.brand_colour, self.settings.theme)
        self.env = make_environment(
            newsroom.templates_dir,
            self.settings.zone,
            newsroom.state_dir / "templates",
            newsroom.config.romanization,
        )
        self._source_names: dict[str, str] = {}  # item id -> its feed's name, as read from the store
        self._numbers: dict[date, int | None] = {}  # issue date -> its number

    # Templates ---------------------------------------------------------

    def template(self, name: str, **context: Any) -> str:
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as error:
            where = f"{error.filename or error.name}:{error.lineno}"
            raise TemplateProblem(f"{where}: template syntax error: {error.message}") from None
        except jinja2.TemplateNotFound as error:
            raise TemplateProblem(f"template not found: {error.name}") from None
        except jinja2.TemplateError as error:
            raise TemplateProblem(f"{self._where(name)}: template error: {error}") from None

    def _where(self, name: str) -> str:
        """The template file and line a render error came from, from the traceback."""
        tb = sys.exc_info()[2]
        found = name
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.endswith((".html", ".mjml", ".txt", ".md", ".xml")):
                found = f"{filename}:{tb.tb_lineno}"
            tb = tb.tb_next
        return found

    def source_names(self, issue: Issue) -> dict[str, str]:
        """The feed name of each development's item, for the items the store has.

        No store (nothing fetched yet) or one that cannot be read leaves the names out: a
        read-more label then names the link's host instead.
        """
        wanted = [d.item_id for d in issue.developments if d.item_id and d.item_id not in self._source_names]
        if wanted and self.newsroom.store_path.exists():
            try:
                with self.newsroom.store() as store:
                    for item_id in wanted:
                        item = store.item(item_id)
                        self._source_names[item_id] = item.source if item else ""
            except StoreError:
                self._source_names.update((item_id, "") for item_id in wanted)
        return self._source_names

    def issue_number(self, issue: Issue) -> int | None:
        """The issue's number: ``first_issue_number`` + the issues before it that went out
        (drafts do not count).

        None when issues/ cannot be listed (a broken issue file, an unreadable store): the
        masthead then gives the date alone, and ``render`` and ``check`` report the file.
        """
        if issue.date not in self._numbers:
            try:
                earlier = [i for i in catalog(self.newsroom) if i.date < issue.date and i.status != "draft"]
                self._numbers[issue.date] = self.settings.first_issue_number + len(earlier)
            except (IssueFileError, StoreError, OSError):
                self._numbers[issue.date] = None
        return self._numbers[issue.date]

    def read_more_labels(self, issue: Issue) -> list[str]:
        """Each development's read-more text, naming its source ("Read more at Xinhua")."""
        names = self.source_names(issue)
        labels = []
        for development in issue.developments:
            source = names.get(development.item_id or "") or source_host(development.read_more)
            labels.append(self.settings.read_more_label.replace("{source}", source).strip() or "Read more")
        return labels

    def context(self, issue: Issue, **extra: Any) -> dict[str, Any]:
        issue = linkable(issue)
        root = blog_root(self.settings)
        entry = archive_entry(issue, self.settings)
        home = self.settings.blog_url.rstrip("/")
        unsubscribe = unsubscribe_link(unsubscribe_template(self.settings), extra.get("recipient"))
        manage = unsubscribe_link(self.settings.manage_url, extra.get("recipient")) if self.settings.manage_url else ""
        return {
            "newsroom": self.settings,
            "issue": issue,
            "entry": entry,
            "week_range": date_range(issue.week_start, issue.week_end),
            "publication_date": long_date(issue.date),
            "blog_url": root,
            "archive_url": f"{root}/archive/",
            "unsubscribe_url": unsubscribe,
            "manage_url": manage,
            "theme": self.theme,
            "preheader": preheader(issue, self.settings),
            "title_says_more": title_says_more(issue.title, self.settings.name, issue.date),
            "read_more_labels": self.read_more_labels(issue),
            "archived_copies": archived_copies(issue),
            # The list's home and the issue's page there, when there is a blog to point at.
            "home_url": home,
            "home_name": source_host(home) if home else "",
            "view_url": entry.url if issue.post_url or home else "",
            "favicon_href": favicon_address(self.settings),
            "recipient": None,
            "recipient_name": None,  # the subscriber's name, set by `newsdesk send`
            "flowed": False,  # the plaintext part's soft line breaks: `newsdesk send` turns them on
            **extra,
        }

    # Outputs -----------------------------------------------------------

    def email_html(self, issue: Issue, **extra: Any) -> str:
        import mjml  # imported here: only rendering the email needs it

        # The masthead's brand line numbers the issue: asked for here, as only the email shows it.
        context = self.context(issue, **{"issue_number": self.issue_number(issue), **extra})
        source = self.template("email.mjml", **context)
        try:
            compiled = mjml.mjml2html(source, fonts={})
        except ValueError as error:
            raise TemplateProblem(f"email.mjml: the MJML does not compile: {error}") from None
        return inline_theme(compiled, self.template("email.css", **context))

    def email_text(
        self, issue: Issue, *, flowed: bool = False, base: dict[str, Any] | None = None, **extra: Any
    ) -> str:
        """The plaintext part; with ``flowed``, as format=flowed (RFC 3676, DelSp=yes) has
        it: soft line breaks end in a space, and lines that start with a space, ">" or
        "From " are space-stuffed. ``base`` is ``context(issue)`` made once for many copies
        (``extra`` then gives every reader's value: recipient, names and links)."""
        context = (
            {**base, "flowed": flowed, **extra} if base is not None else self.context(issue, flowed=flowed, **extra)
        )
        text = self.template("email.txt", **context)
        return space_stuffed(text) if flowed else text

    def post_body(self, issue: Issue) -> str:
        return self.template("post_body.html", **self.context(issue))

    def post_page(self, issue: Issue, **extra: Any) -> str:
        return self.template("post.html", **self.context(issue, **extra))

    def post_markdown(self, issue: Issue) -> str:
        return self.template("post.md", **self.context(issue))

    def archive_issues(self, issue: Issue) -> list[Issue | Listing]:
        """The archive as of this issue, newest first: this one, and the earlier issues that
        went out, listed through the store's index (only changed files are parsed)."""
        earlier = [item for item in catalog(self.newsroom) if item.date < issue.date and item.status != "draft"]
        return sorted([issue, *earlier], key=lambda i: i.date, reverse=True)

    def archive_page(self, issues: Sequence[Issue | Listing]) -> str:
        entries = [archive_entry(i, self.settings) for i in issues]
        return self.template("archive.html", **self._archive_context(list(issues), entries))

    def atom_feed(self, issues: list[Issue]) -> str:
        return self.feed_xml(issues, *self.feed_entries(issues))

    def feed_entries(self, issues: list[Issue]) -> tuple[list[ArchiveEntry], list[str]]:
        """The issues' entries, with the time each one's content last changed, and their
        post bodies."""
        entries = [archive_entry(i, self.settings) for i in issues]
        bodies = [self.post_body(issue) for issue in issues]
        with self.newsroom.store() as store:
            entries = self.revised(
                Revisions(store, self.clock),
                entries,
                [content_digest(e.title, e.excerpt, body) for e, body in zip(entries, bodies, strict=True)],
                [self.source(issue_key(issue)) for issue in issues],
            )
        return entries, bodies

    def feed_xml(self, issues: list[Issue], entries: list[ArchiveEntry], bodies: list[str]) -> str:
        """The Atom feed of these issues' entries, each with its post body."""
        return xml_text(self.template("feed.xml", **self._archive_context(issues, entries, bodies)))

    def rss_xml(self, issues: list[Issue], entries: list[ArchiveEntry], bodies: list[str]) -> str:
        """The RSS 2.0 feed of the same entries."""
        return xml_text(self.template("rss.xml", **self._archive_context(issues, entries, bodies)))

    @staticmethod
    def revised(
        revisions: Revisions,
        entries: list[ArchiveEntry],
        digests: list[str],
        sources: list[str],
        known: dict[str, Revision] | None = None,
    ) -> list[ArchiveEntry]:
        """The entries with the time their content (title, summary, body) last changed."""
        times = revisions.updated(
            [
                (e.entry_id, digest, e.published, source)
                for e, digest, source in zip(entries, digests, sources, strict=True)
            ],
            known,
        )
        return [e if e.updated == t else dataclasses.replace(e, updated=t) for e, t in zip(entries, times, strict=True)]

    def source(self, key: str) -> str:
        """A digest of an output's inputs: ``key`` (what it shows) and the fingerprint."""
        return hashlib.sha256(f"{self.fingerprint()}\0{key}".encode()).hexdigest()

    def fingerprint(self) -> str:
        """A digest of what shapes every output besides the issues: the templates (the
        newsroom's and newsdesk's), the settings, and the code that renders."""
        if self._fingerprint is None:
            digest = hashlib.sha256(repr(self.settings).encode("utf-8"))
            digest.update(code_digest().encode())
            for folder in (self.newsroom.templates_dir, DEFAULT_TEMPLATES):
                digest.update(f"\0{folder}\0".encode())
                if folder.is_dir():
                    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                        digest.update(f"\0{path.relative_to(folder)}\0".encode())
                        digest.update(path.read_bytes())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def _archive_context(
        self, issues: Sequence[Issue | Listing], entries: list[ArchiveEntry], bodies: list[str] | None = None
    ) -> dict[str, Any]:
        root = blog_root(self.settings)
        posts = _Posts(self, issues, entries)
        if bodies is not None:
            posts.bodies.update(enumerate(bodies))
        return {
            "newsroom": self.settings,
            "entries": entries,
            "posts": posts,
            "blog_url": root,
            "archive_url": f"{root}/archive/",
            "canonical_url": f"{root}/archive/",
            "home_url": f"{root}/",
            "feed_url": f"{root}/archive/feed.xml",
            "rss_url": f"{root}/archive/rss.xml",
            "favicon_href": favicon_address(self.settings),
            "updated": max((e.updated for e in entries), default=None),
        }

    def render_all(self, issue: Issue, out_dir: Path, *, strict: bool = False) -> Rendered:
        """Render every output of ``issue`` into ``out_dir``; nothing is written on error."""
        result = Rendered(out_dir=out_dir)
        problems = issue.problems(self.settings.developments)
        if problems and strict:
            raise TemplateProblem(f"{issue.path}: not ready to render (--strict): {'; '.join(problems)}", exit_code=3)
        result.warnings.extend(f"{issue.name}: {p}" for p in problems)
        archive = self.archive_issues(issue)
        # The archive is this issue and the earlier ones that went out: the masthead's number.
        self._numbers[issue.date] = self.settings.first_issue_number + len(archive) - 1
        in_feed = [i.load() if isinstance(i, Listing) else i for i in archive[:FEED_SIZE]]
        entries, bodies = self.feed_entries(in_feed)
        # The post says when its content last changed, as its feed entry does.
        own = next(e for e, i in zip(entries, in_feed, strict=True) if i is issue)
        # Render everything first, write after: a template error leaves old files alone.
        outputs = {
            "email.html": self.email_html(issue),
            "email.txt": self.email_text(issue),
            "post.html": self.post_page(issue, entry=own),
            "post_body.html": self.post_body(issue),
            "post.md": self.post_markdown(issue),
            "archive/index.html": self.archive_page(archive),
            "archive/feed.xml": self.feed_xml(in_feed, entries, bodies),
        }
        size = len(outputs["email.html"].encode())
        if size > GMAIL_CLIP_BYTES:
            result.warnings.append(f"email.html is {size / 1024:.0f} KB: Gmail clips messages over 102 KB")
        for name, text in outputs.items():
            path = out_dir / name
            write_atomic(path, text)
            result.files.append(path)
        return result
