"""The editor's Markdown made into safe HTML or plain text, and values made into slugs."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

from newsdesk.config import RomanizationSettings
from newsdesk.text import WIDE_CHARACTERS, html_to_text, sanitize_html

QUOTES = "“”‘’"  # English double and single; Chinese 「」 and “” are never made from these
_EM_DASH = re.compile(r"(^|[^-])---(?=[^-]|$)", re.MULTILINE)
_SPACED_EN_DASH = re.compile(r"(^|\s)--(?=\s|$)", re.MULTILINE)
_EN_DASH = re.compile(r"(^|[^-\s])--(?=[^-\s]|$)", re.MULTILINE)
_ELLIPSIS = re.compile(r"(?<!\.)\.\.\.(?!\.)")


def _dashes_and_ellipses(state: StateCore) -> None:
    """ "---" an em dash, "--" an en dash, "..." an ellipsis, in text only (never in code or
    a URL). markdown-it's own replacements rule does these but also makes "(c)" a ©, which
    would turn a list's "(a), (b) and (c)" into "(a), (b) and ©"."""
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        in_autolink = 0
        for child in token.children:
            if child.type == "link_open" and child.markup == "autolink":
                in_autolink += 1
            elif child.type == "link_close" and child.markup == "autolink":
                in_autolink -= 1
            elif child.type == "text" and not in_autolink and ("--" in child.content or "..." in child.content):
                text = _EM_DASH.sub("\\1\u2014", child.content)
                text = _SPACED_EN_DASH.sub("\\1\u2013", text)
                text = _EN_DASH.sub("\\1\u2013", text)
                child.content = _ELLIPSIS.sub("\u2026", text)


def _typographer(md: MarkdownIt) -> MarkdownIt:
    """Curly quotes and apostrophes (markdown-it's smartquotes), dashes and ellipses."""
    md.enable("smartquotes")
    md.core.ruler.after("smartquotes", "dashes_and_ellipses", _dashes_and_ellipses)
    return md


# Raw HTML in an annotation is shown as text, never passed through.
_markdown = _typographer(
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True, "quotes": QUOTES})
)
# Plain text (a headline, a title) typeset the same way and nothing else: the "zero" preset
# reads no Markdown at all, so "*" and "&amp;" stay as typed.
_plain = _typographer(MarkdownIt("zero", {"typographer": True, "quotes": QUOTES}))


def typeset(text: str) -> str:
    """Plain text with curly quotes, apostrophes, dashes and ellipses."""
    if not any(c in text for c in "'\"-."):
        return text
    tokens = _plain.parseInline(text)
    return "".join(child.content for child in tokens[0].children or [])


def markdown_html(source: str) -> str:
    """Markdown to sanitized HTML."""
    return sanitize_html(_markdown.render(source or ""))


def markdown_text(source: str) -> str:
    """Markdown to plain text, links written out after their text."""
    return html_to_text(markdown_html(source), links=True)


# Link schemes that run code or read files. Autolinks (<javascript:…>) need no rule: their
# "<" is escaped first, which unmakes them.
_ACTIVE_SCHEME = r"(?:javascript|vbscript|data|file)\s*:"


def markdown_source_safe(source: str) -> str:
    """Markdown for other renderers (Hugo, Jekyll): no raw HTML, no active link schemes.

    HTML characters become entities (Markdown shows them as typed) and a link to
    javascript:, vbscript:, data: or file: loses its scheme, so no renderer makes it live.
    """
    text = source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(rf"(\]\(\s*)({_ACTIVE_SCHEME})", r"\1#blocked-", text, flags=re.IGNORECASE)
    return re.sub(rf"(^\s*\[[^\]]+\]:\s*)({_ACTIVE_SCHEME})", r"\1#blocked-", text, flags=re.IGNORECASE | re.MULTILINE)


def slugify(value: str) -> str:
    """'Social Credit Weekly – 3rd July 2017' -> 'social-credit-weekly-3rd-july-2017'."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "issue"


# A run of Chinese text: CJK characters with the figures and punctuation between
# them ("新增146万人次"), but no Latin word.
_CHINESE_RUN = re.compile(f"[{WIDE_CHARACTERS}](?:[{WIDE_CHARACTERS}\\d.,:;%-]*[{WIDE_CHARACTERS}])?")


# A term this short stays on one line (it fits a phone's) rather than break mid-word in
# English text; a longer run is prose, and wraps as Chinese does.
SHORT_TERM = 12


# A term and its romanization ("政务诚信 Zhengwu chengxin") stay on one line when together
# they take no more than this many columns (a Chinese character counts two): a phone's line.
TERM_AND_ROMANIZATION = 30


def _mark_runs(text: str, romanization: RomanizationSettings | None) -> str:
    """Escaped ``text`` with each Chinese run in <span lang="zh">: a short term kept on one
    line, with its romanization after it when that follows (as ``[romanization]`` writes it)."""
    out: list[str] = []
    position = 0
    for match in _CHINESE_RUN.finditer(text):
        if match.start() < position:
            continue
        run = match.group(0)
        out.append(text[position : match.start()])
        position = match.end()
        if len(run) > SHORT_TERM:
            out.append(f'<span lang="zh">{run}</span>')
            continue
        tail = _romanization_after(text, match, romanization)
        if tail and 2 * len(run) + len(tail) <= TERM_AND_ROMANIZATION:
            out.append(f'<span style="white-space:nowrap"><span lang="zh">{run}</span>{tail}</span>')
            position += len(tail)
        else:
            out.append(f'<span lang="zh" style="white-space:nowrap">{run}</span>')
    out.append(text[position:])
    return "".join(out)


def _romanization_after(text: str, match: re.Match[str], romanization: RomanizationSettings | None) -> str:
    """The romanization of the run ``match`` found, as the text has it right after the run
    ("Zhengwu chengxin" after 政务诚信, its space included), or ""."""
    after = text[match.end() : match.end() + 2]
    if romanization is None or len(after) < 2 or not after[0].isspace() or not after[1].isalpha():
        return ""  # only then is the pinyin worked out (it loads jieba's dictionary)
    from newsdesk import chinese

    run = match.group(0)
    written = romanization.format.format(hanzi=run, pinyin=chinese.romanize(run, romanization))
    if not written.startswith(run):
        return ""
    tail = html.escape(written[len(run) :], quote=False)
    found = text[match.end() : match.end() + len(tail)]
    following = text[match.end() + len(tail) : match.end() + len(tail) + 1]
    if found.casefold() != tail.casefold() or (following and following.isalnum()):
        return ""
    return found


class _LanguageMarker(HTMLParser):
    """Copies HTML as it is, with each run of Chinese in its text wrapped in
    <span lang="zh">; tags, attributes and references pass through untouched."""

    def __init__(self, romanization: RomanizationSettings | None = None) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.romanization = romanization

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(_mark_runs(html.escape(data, quote=False), self.romanization))

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")


def mark_chinese(fragment: str, romanization: RomanizationSettings | None = None) -> str:
    """Safe HTML with its Chinese runs marked ``lang="zh"``, so that mail clients pick a
    Chinese font and Chinese line breaking for them in an email in another language. With
    ``romanization``, a short term followed by its pinyin is kept on one line with it."""
    if not fragment or not _CHINESE_RUN.search(fragment):
        return fragment
    marker = _LanguageMarker(romanization)
    marker.feed(fragment)
    marker.close()
    return "".join(marker.out)
