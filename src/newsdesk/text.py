"""Feed HTML made safe (nh3 with an allow-list) and made readable (plain text)."""

from __future__ import annotations

import functools
import html
import re
import textwrap
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "cite",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https"}


@functools.cache
def _cleaner() -> nh3.Cleaner:
    # Built once: nh3.clean converts its options on every call, which costs more than
    # cleaning a short summary.
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """HTML with no active content: no scripts, styles, handlers or non-http(s) URLs."""
    if not fragment:
        return ""
    return _cleaner().clean(fragment).strip()


_BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "hr",
    "dt",
    "dd",
}
_SKIP = {"script", "style", "head", "title", "noscript", "template", "iframe", "object"}

# Control characters would reach terminals and the desk; tab and newline are kept.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ASCII_CONTROLS = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def clean_text(value: str) -> str:
    """The text without control characters or bidirectional overrides."""
    # Most text is ASCII, and most has no controls: bytes.translate tells at C speed.
    if value.isascii():
        raw = value.encode("ascii")
        if len(raw.translate(None, _ASCII_CONTROLS)) == len(raw):
            return value
    return _CONTROLS.sub("", value)


class _TextExtractor(HTMLParser):
    def __init__(self, links: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.links = links
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag not in ("br", "li", "tr") else "\n")
            if tag == "li":
                self.parts.append("- ")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag not in ("li", "tr") else "\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if self.links and href and href.startswith(("http://", "https://")):
                self.parts.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(fragment: str, *, links: bool = False) -> str:
    """Readable plain text from HTML: paragraphs kept, tags and entities gone.

    With ``links``, each link's URL follows its text in angle brackets.
    """
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return collapse_paragraphs(fragment)
    extractor = _TextExtractor(links)
    extractor.feed(fragment)
    extractor.close()
    return collapse_paragraphs("".join(extractor.parts))


@functools.cache
def _text_cleaner() -> nh3.Cleaner:
    # Only the tags that break lines are kept, without attributes; scripts, styles and
    # the like go with their content.
    return nh3.Cleaner(
        # "*": no attribute on any tag (an empty map would keep nh3's generic lang and title).
        tags=_BLOCKS,
        attributes={"*": set()},
        clean_content_tags=_SKIP,
        strip_comments=True,
        link_rel=None,
    )


# nh3's output, as _text_cleaner configures it: only the tags of _BLOCKS, in lower case and
# without attributes; "<" in text is written "&lt;", and the only references are &amp;,
# &lt;, &gt; and &nbsp; (nh3 writes every other character as itself).
_LINE_BLOCKS = ("br", "li", "tr")
_PARAGRAPH_TAGS = re.compile("</?(?:" + "|".join(sorted(_BLOCKS - set(_LINE_BLOCKS))) + ")>|</br>")
_LINE_TAGS = re.compile(r"</li>|</?tr>|<br>")


def untrusted_html_to_text(fragment: str) -> str:
    """Plain text of untrusted HTML, such as a feed's summary: ``html_to_text`` of what nh3
    keeps of it, without control characters. Scripts and styles are dropped with their
    content, whatever the markup's mistakes.

    nh3 keeps only the tags that break lines, and a few substitutions in C make the text,
    instead of a Python call per tag (tests/unit/test_text.py checks both ways agree).
    """
    if not fragment:
        return ""
    text = clean_text(_text_cleaner().clean(fragment))
    if "<" in text:
        text = text.replace("<li>", "\n- ")
        text = _LINE_TAGS.sub("\n", text)
        text = _PARAGRAPH_TAGS.sub("\n\n", text)
    return collapse_paragraphs(html.unescape(text))  # unescape returns text without "&" as it is


_BLANK_LINES = re.compile(r"\n(?:[ ]*\n)+")  # one or more lines, empty or of spaces only
_ASCII_SPACES_BUT_SPACE_AND_NEWLINE = "\t\r\x0b\x0c\x1c\x1d\x1e\x1f"  # str.isspace's others


def collapse_paragraphs(text: str) -> str:
    """Runs of spaces become one; blank-line-separated paragraphs are kept."""
    # Lines with no whitespace but " " (no tabs, no other line breaks) are each kept as
    # they are unless they have spaces to collapse, which saves splitting every line into
    # words. ASCII text is told by a few searches in C, other text by printable lines
    # (the only whitespace printable is " "). tests/unit/test_text.py checks both ways agree.
    if text.isascii():
        if any(space in text for space in _ASCII_SPACES_BUT_SPACE_AND_NEWLINE):
            return _collapse_any_whitespace(text)
    elif not all(map(str.isprintable, text.split("\n"))):
        return _collapse_any_whitespace(text)
    # Blank lines first, in C: HTML made into text has several between paragraphs.
    text = _BLANK_LINES.sub("\n\n", text)
    text = "\n".join(
        [
            line if line[:1] != " " and line[-1:] != " " and "  " not in line else " ".join(line.split())
            for line in text.split("\n")
        ]
    )
    return text.strip("\n")


def _collapse_any_whitespace(text: str) -> str:
    paragraphs = re.split(r"\n\s*\n", text)
    cleaned = []
    for paragraph in paragraphs:
        lines = [" ".join(line.split()) for line in paragraph.splitlines()]
        joined = "\n".join(line for line in lines if line)
        if joined:
            cleaned.append(joined)
    return "\n\n".join(cleaned)


def plain_title(value: str) -> str:
    """A title as one line of plain text (titles may arrive with HTML or entities)."""
    return " ".join(html_to_text(value).split())


# Characters two columns wide (CJK, full-width forms), as a regular expression class's contents.
WIDE_CHARACTERS = "\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
_WIDE = WIDE_CHARACTERS
_HAS_WIDE = re.compile(f"[{_WIDE}]")
# A Chinese term set in English text, between spaces and perhaps in brackets: "(河北省社会
# 信用信息条例)". It moves to the next line whole, as a word would, when it fits there.
_TERM = f"(?:^|(?<=\\s))[(\\[]?[{_WIDE}]+[)\\]]?(?=[\\s,.;:!?]|$)"
_TOKENS = re.compile(f"{_TERM}|[{_WIDE}]|[^\\s{_WIDE}]+|\\s+")
_NO_LINE_START = set("，。、；：！？）」』》〉】”’,.;:!?)")
_NO_LINE_END = set("（「『《〈【“‘(")


_LATIN_LETTERS = re.compile(r"[A-Za-z\u00c0-\u024f]")


def mostly_chinese(text: str) -> bool:
    """More CJK characters in ``text`` than Latin letters: a Chinese text, perhaps with a
    name or figure in Latin script."""
    wide = len(_HAS_WIDE.findall(text))
    return wide > 0 and wide >= len(_LATIN_LETTERS.findall(text))


def _wrap_wide(line: str, width: int) -> list[tuple[str, bool]]:
    """Wrap by display columns: CJK characters take two and may break anywhere, except
    inside a short Chinese term set off by spaces in English text.

    Each line comes with whether a space followed it in ``line`` (False for a break between
    two Chinese characters, and for the last line)."""
    from rich.cells import cell_len  # imported where used: see display_width

    lines: list[tuple[str, bool]] = []
    current = ""
    tokens: list[str] = []
    for token in _TOKENS.findall(line):
        if len(token) > 1 and _HAS_WIDE.search(token) and cell_len(token) > width // 2:
            tokens.extend(token)  # a long run is text, not a term: it breaks between characters
        else:
            tokens.append(token)
    for token in tokens:
        if token.isspace():
            if current:
                current += " "
            continue
        if current and cell_len(current + token) > width and token not in _NO_LINE_START:
            kept = current.rstrip()
            spaced = len(kept) < len(current)
            carried = ""
            while kept and kept[-1] in _NO_LINE_END:  # an opening bracket goes with what it opens
                kept, carried = kept[:-1], kept[-1] + carried
            if carried:
                spaced = kept != kept.rstrip()
            if kept:
                lines.append((kept.rstrip(), spaced))
            current = carried
        current += token
    if current.strip():
        lines.append((current.rstrip(), False))
    return lines


def _wrap_line(line: str, width: int) -> list[tuple[str, bool]]:
    if _HAS_WIDE.search(line):
        return _wrap_wide(line, width)
    # textwrap breaks only at spaces here (never inside a word or at a hyphen).
    parts = textwrap.wrap(line, width=width, break_long_words=False, break_on_hyphens=False) or [""]
    return [(part, n < len(parts) - 1) for n, part in enumerate(parts)]


def display_width(text: str) -> int:
    """The widest line of ``text`` in display columns (a Chinese character counts two)."""
    # Imported where used: rich's width tables cost 2 MB and 10 ms, and the fetch's parse
    # workers, which import this module for its HTML-to-text, never measure a width.
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.split("\n")), default=0)


def wrap(text: str, width: int = 72, prefix: str = "", flowed: bool = False) -> str:
    """Wrap each paragraph of plain text at ``width`` columns, never splitting URLs.

    Columns are display columns: a Chinese character counts two. ``prefix`` ("1. ") starts
    the first line and every other line is indented by its width, a hanging indent; a
    list item's lines ("- ") hang the same way.

    With ``flowed``, each line broken here ends in a space, a soft line break of
    format=flowed with DelSp=yes (RFC 3676), which a client deletes as it joins the lines
    again to fit its own width: after the space the text had there (two then), or alone
    where the break fell between two Chinese characters. Lines that hang under a prefix or
    a bullet stay as they are: joined again, their indent would be spaces in the text.
    """
    from rich.cells import cell_len  # imported where used: see display_width

    indent = " " * cell_len(prefix)
    if prefix:
        text = text.strip("\n")
    out = []
    for paragraph in text.split("\n\n"):
        lines = []
        for line in paragraph.splitlines():
            if not line:
                lines.append("")
                continue
            bullet = "- " if line.startswith("- ") else ""
            inner = width - len(indent) - len(bullet)
            wrapped = _wrap_line(line[len(bullet) :], inner)
            hang = " " * len(bullet)
            soft = flowed and not indent and not bullet
            for n, (part, spaced) in enumerate(wrapped):
                end = (" " if spaced else "") + " " if soft and n < len(wrapped) - 1 else ""
                lines.append(indent + (bullet if n == 0 else hang) + part + end)
        out.append("\n".join(lines))
    result = "\n\n".join(out)
    return prefix + result[len(indent) :] if prefix else result
