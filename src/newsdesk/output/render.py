"""Render an issue: the email (MJML to HTML, and plaintext), the blog post, the archive.

Templates come from the newsroom's templates/ first and newsdesk's defaults behind them,
so an editor overrides one file at a time. Autoescape is on for HTML, XML and MJML.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import jinja2
from markupsafe import Markup, escape

from newsdesk.config import NewsroomSettings
from newsdesk.dates import date_range, long_date
from newsdesk.errors import TemplateProblem
from newsdesk.files import write_atomic
from newsdesk.issue import Issue, load_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.archive import FEED_SIZE, ArchiveEntry, archive_entry, blog_root, unsubscribe_template
from newsdesk.output.markdown import mark_chinese, markdown_html, markdown_source_safe, markdown_text, typeset
from newsdesk.output.theme import DEFAULT_THEME
from newsdesk.schema import StoreError
from newsdesk.text import display_width, mostly_chinese, wrap
from newsdesk.urls import is_http_url

GMAIL_CLIP_BYTES = 102 * 1024
PREHEADER_LIMIT = 150  # characters: more than any inbox shows after the subject
DEFAULT_TEMPLATES = Path(__file__).parent / "templates"


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


class _Posts(Sequence[tuple[ArchiveEntry, str]]):
    """(entry, post body) pairs, each body rendered the first time a template asks for it.

    The archive page lists entries only; the feed wants bodies. Nobody pays for what no
    template reads.
    """

    def __init__(self, renderer: Renderer, issues: list[Issue], entries: list[ArchiveEntry]) -> None:
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
            self.bodies[index] = self.renderer.post_body(self.issues[index])
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


def lang_runs(value: str, language: str) -> Markup:
    """Text (escaped) or safe HTML with its Chinese runs marked lang="zh", unless the whole
    email is in Chinese already."""
    safe = value if isinstance(value, Markup) else escape(value)
    if language.lower().startswith("zh"):
        return Markup(safe)
    return Markup(mark_chinese(str(safe)))


def source_host(url: str) -> str:
    """'https://www.xinhuanet.example/x' -> 'xinhuanet.example'."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def make_environment(templates_dir: Path | None) -> jinja2.Environment:
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
    )
    env.filters.update(
        markdown=lambda s: Markup(markdown_html(s)),
        markdown_text=markdown_text,
        typeset=typeset,
        long_date=long_date,
        wrap=wrap,
        display_width=display_width,
        lang_runs=lang_runs,
        yaml=yaml_string,
        markdown_safe=markdown_source_safe,
        isodate=lambda d: d.isoformat(),
        atom_time=lambda d: datetime.combine(d, time(6, 0), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return env


@functools.lru_cache(maxsize=8)
def _inliner(css: str) -> Any:
    import css_inline  # imported here: only rendering the email needs it

    # Only the theme is inlined: the <style> blocks (mjml's responsive rules, dark mode)
    # stay where they are, and nothing is fetched from anywhere.
    return css_inline.CSSInliner(
        inline_style_tags=False, keep_style_tags=True, keep_link_tags=True,
        load_remote_stylesheets=False, extra_css=css,
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
    def __init__(self, newsroom: Newsroom) -> None:
        self.newsroom = newsroom
        self.settings: NewsroomSettings = newsroom.config.newsroom
        self.env = make_environment(newsroom.templates_dir)
        self._source_names: dict[str, str] = {}  # item id -> its feed's name, as read from the store

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
        return {
            "newsroom": self.settings,
            "issue": issue,
            "entry": entry,
            "week_range": date_range(issue.week_start, issue.week_end),
            "publication_date": long_date(issue.date),
            "blog_url": root,
            "archive_url": f"{root}/archive/",
            "unsubscribe_url": unsubscribe,
            "theme": DEFAULT_THEME,
            "preheader": preheader(issue, self.settings),
            "read_more_labels": self.read_more_labels(issue),
            # The list's home and the issue's page there, when there is a blog to point at.
            "home_url": home,
            "home_name": source_host(home) if home else "",
            "view_url": issue.post_url or (entry.url if home else ""),
            "recipient": None,
            "recipient_name": None,  # the subscriber's name, set by `newsdesk send`
            **extra,
        }

    # Outputs -----------------------------------------------------------

    def email_html(self, issue: Issue, **extra: Any) -> str:
        import mjml  # imported here: only rendering the email needs it

        context = self.context(issue, **extra)
        source = self.template("email.mjml", **context)
        try:
            compiled = mjml.mjml2html(source, fonts={})
        except ValueError as error:
            raise TemplateProblem(f"email.mjml: the MJML does not compile: {error}") from None
        return inline_theme(compiled, self.template("email.css", **context))

    def email_text(self, issue: Issue, **extra: Any) -> str:
        return self.template("email.txt", **self.context(issue, **extra))

    def post_body(self, issue: Issue) -> str:
        return self.template("post_body.html", **self.context(issue))

    def post_page(self, issue: Issue) -> str:
        return self.template("post.html", **self.context(issue))

    def post_markdown(self, issue: Issue) -> str:
        return self.template("post.md", **self.context(issue))

    def archive_issues(self, issue: Issue) -> list[Issue]:
        """The archive as of this issue: earlier issues that went out, and this one."""
        issues = [issue]
        for day in self.newsroom.issue_dates():
            if day >= issue.date:
                continue
            other = load_issue(self.newsroom.issue_path(day))
            if other.status != "draft":
                issues.append(other)
        return sorted(issues, key=lambda i: i.date, reverse=True)

    def archive_page(self, issues: list[Issue]) -> str:
        entries = [archive_entry(i, self.settings) for i in issues]
        return self.template("archive.html", **self._archive_context(issues, entries))

    def atom_feed(self, issues: list[Issue]) -> str:
        entries = [archive_entry(i, self.settings) for i in issues]
        return self.template("feed.xml", **self._archive_context(issues, entries))

    def _archive_context(self, issues: list[Issue], entries: list[ArchiveEntry]) -> dict[str, Any]:
        root = blog_root(self.settings)
        posts = _Posts(self, issues, entries)
        return {
            "newsroom": self.settings,
            "entries": entries,
            "posts": posts,
            "blog_url": root,
            "archive_url": f"{root}/archive/",
            "feed_url": f"{root}/archive/feed.xml",
            "updated": max((e.date for e in entries), default=None),
        }

    def render_all(self, issue: Issue, out_dir: Path, *, strict: bool = False) -> Rendered:
        """Render every output of ``issue`` into ``out_dir``; nothing is written on error."""
        result = Rendered(out_dir=out_dir)
        problems = issue.problems(self.settings.developments)
        if problems and strict:
            raise TemplateProblem(
                f"{issue.path}: not ready to render (--strict): {'; '.join(problems)}", exit_code=3
            )
        result.warnings.extend(f"{issue.name}: {p}" for p in problems)
        archive = self.archive_issues(issue)
        # Render everything first, write after: a template error leaves old files alone.
        outputs = {
            "email.html": self.email_html(issue),
            "email.txt": self.email_text(issue),
            "post.html": self.post_page(issue),
            "post_body.html": self.post_body(issue),
            "post.md": self.post_markdown(issue),
            "archive/index.html": self.archive_page(archive),
            "archive/feed.xml": self.atom_feed(archive[:FEED_SIZE]),
        }
        size = len(outputs["email.html"].encode())
        if size > GMAIL_CLIP_BYTES:
            result.warnings.append(
                f"email.html is {size / 1024:.0f} KB: Gmail clips messages over 102 KB"
            )
        for name, text in outputs.items():
            path = out_dir / name
            write_atomic(path, text)
            result.files.append(path)
        return result
