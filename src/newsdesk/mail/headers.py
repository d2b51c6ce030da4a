"""Header lines built from data (names, titles, settings), safe on the wire.

Every value is checked for control characters first: a carriage return or line feed in a
header value would end the line early and let the rest read as a header of its own
(``Eve\\rBcc: victim@…``), and NUL, VT, FF and the like are not allowed in a header at all.
Callers decide what a control character means: a subscriber's name with one is dropped
(the message goes to the bare address), a title or a setting with one is refused.

Lines are folded at 78 characters. Text that cannot be folded at its spaces (non-ASCII,
a word longer than a line, something that looks like an encoded word) becomes RFC 2047
encoded words, each at most 75 characters and each holding whole characters, so any
name, however long or in whatever script, gives short lines that every parser reads back.
"""

from __future__ import annotations

import base64
import re
import unicodedata

LINE = 78  # RFC 5322's recommended line length, CRLF not counted
WORD = 75  # RFC 2047's limit on one encoded word
_PREFIX = "=?utf-8?b?"
_SUFFIX = "?="
# Characters that end a line for some parser: every Cc character, and Unicode's own breaks.
_LINE_BREAKS = {"\u2028", "\u2029"}
# A phrase (a display name) that needs no quoting: atext and spaces.
_ATOMS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$")


def control_character(value: str) -> str | None:
    """The first control character in ``value``, described (``U+000D``), or None."""
    for char in value:
        if unicodedata.category(char) == "Cc" or char in _LINE_BREAKS:
            name = unicodedata.name(char, "")
            return f"U+{ord(char):04X}" + (f" {name}" if name else "")
    return None


def _words(text: str, first_room: int) -> list[str]:
    """``text`` as base64 encoded words of whole characters, none over WORD characters; the
    first fits in ``first_room`` characters when it can."""
    words: list[str] = []
    chunk = b""
    room = max(first_room, len(_PREFIX) + len(_SUFFIX) + 8)
    for char in text:
        piece = char.encode("utf-8")
        budget = min(room, WORD) - len(_PREFIX) - len(_SUFFIX)
        if chunk and (len(chunk) + len(piece) + 2) // 3 * 4 > budget:
            words.append(_PREFIX + base64.b64encode(chunk).decode("ascii") + _SUFFIX)
            chunk = b""
            room = LINE - 1
        chunk += piece
    if chunk or not words:
        words.append(_PREFIX + base64.b64encode(chunk).decode("ascii") + _SUFFIX)
    return words


def _fold(name: str, tokens: list[str]) -> bytes:
    """``Name: token token…`` folded before a token wherever the line would pass LINE."""
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > LINE and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + token
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def _plain_tokens(text: str) -> list[str] | None:
    """``text``'s words when it can stand as it is: printable ASCII, single spaces, short
    words, nothing a reader would take for an encoded word."""
    if not text.isascii() or "=?" in text or text != " ".join(text.split()):
        return None
    tokens = text.split(" ")
    if any(len(token) > LINE - 20 for token in tokens):
        return None
    return tokens


def unstructured(name: str, text: str) -> bytes:
    """An unstructured header (Subject): as it is when it can be, else encoded words."""
    tokens = _plain_tokens(text)
    if tokens is None:
        tokens = _words(text, LINE - len(name) - 2)
    return _fold(name, tokens)


def _phrase(text: str, room: int) -> list[str]:
    """A display name's tokens: atoms as they are, anything else encoded."""
    tokens = _plain_tokens(text)
    if tokens is not None and _ATOMS.match(text):
        return tokens
    if tokens is not None and '"' not in text and "\\" not in text and len(text) + 2 <= room:
        return [f'"{text}"']
    return _words(text, room)


def mailbox(name: str, display: str, address: str) -> bytes:
    """``Name: display <address>`` (the bare address without a display name)."""
    if not display:
        return _fold(name, [address])
    return _fold(name, [*_phrase(display, LINE - len(name) - 2), f"<{address}>"])


def phrase_and_id(name: str, display: str, ident: str) -> bytes:
    """``List-Id: display <id>``."""
    tokens = _phrase(display, LINE - len(name) - 2) if display else []
    return _fold(name, [*tokens, f"<{ident}>"])
