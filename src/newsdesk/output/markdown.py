"""The editor's Markdown made into safe HTML or plain text, and values made into slugs."""

from __future__ import annotations

import re
import unicodedata

from markdown_it import MarkdownIt

from newsdesk.text import html_to_text, sanitize_html

# Raw HTML in an annotation is shown as text, never passed through.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


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
