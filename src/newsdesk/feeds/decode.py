"""Feed bytes made into text that is safe to hand to an XML parser.

Two jobs before feedparser sees a feed:

- Decode it. Feeds lie about their encoding (a GBK feed declared as UTF-8, a Big5 feed
  that declares nothing); the bytes decide: a BOM, then valid UTF-8, then what the
  server or the XML declaration says, then a detector for Chinese, Japanese and Korean
  encodings, then Windows-1252.
- Defuse it. A feed has no use for a DTD's internal subset, and it is where entity bombs
  (billion laughs, quadratic blowup) and external entities live. feedparser's fallback
  parser expands the entities it finds there without limit, so the subset is removed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml\b[^>]{0,200}?\bencoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
_CHARSET = re.compile(r"\bcharset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)
_DECLARATION_TEXT = re.compile(r"^\s*<\?xml\b[^>]{0,300}?\?>")
# The same, at the very start of UTF-8 bytes. bytes' \b knows only ASCII letters: a
# non-ASCII byte after "xml" is left to the text pattern (where it may be a letter).
_DECLARATION_BYTES = re.compile(rb"<\?xml(?![A-Za-z0-9_\x80-\xff])[^>]{0,300}?\?>")
_ASCII_SPACE = re.compile(rb"\s*")
_UTF8_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Multi-byte encodings a detector may propose; single-byte guesses are too unreliable.
_EAST_ASIAN = {
    "gb18030",
    "gbk",
    "gb2312",
    "hz",
    "big5",
    "big5hkscs",
    "cp950",
    "euc_jp",
    "shift_jis",
    "cp932",
    "iso2022_jp",
    "euc_kr",
    "cp949",
    "johab",
    "iso2022_kr",
}
# Encodings whose superset decodes more of what servers actually send.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "windows-1252",
    "latin-1": "windows-1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
DETECT_SAMPLE = 1_000_000


class NotAFeed(Exception):
    """The body is not a feed (perhaps an HTML page); the message says what it is.

    Defined here, with no parser imported, so that a fetch whose feeds all answer 304
    never imports one."""


@dataclass
class FeedText:
    text: str
    encoding: str
    note: str | None = None  # set when the feed's own claim about its encoding was wrong
    # The body itself when ``text`` is exactly its UTF-8 reading (no BOM, nothing replaced).
    utf8_body: bytes | None = field(default=None, repr=False)


def _codec(name: str | None) -> str | None:
    """The Python codec for an encoding label, or None when it is unknown."""
    if not name:
        return None
    label = _SUPERSETS.get(name.strip().lower(), name.strip().lower())
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _detect_east_asian(body: bytes) -> str | None:
    from charset_normalizer import from_bytes  # imported here: only mislabelled feeds need it

    sample = body
    if len(body) > DETECT_SAMPLE:
        # Cut before a '<': it is never the second byte of a GBK, Big5 or Shift_JIS
        # character, so the sample ends on a whole character.
        cut = body.rfind(b"<", 0, DETECT_SAMPLE)
        sample = body[: cut if cut > 0 else DETECT_SAMPLE]
    best = from_bytes(sample).best()
    if best is None:
        return None
    name = _codec(best.encoding)
    return name if name and name.replace("-", "_") in _EAST_ASIAN else None


def _single_byte(codec: str) -> bool:
    return codec.startswith(("cp12", "iso8859", "latin", "mac"))


_EBCDIC_DECLARATION = "<?xm".encode("cp037")  # the same in every EBCDIC code page


def _decode_ebcdic(body: bytes) -> FeedText:
    """A document in an EBCDIC code page: the one its declaration names, if that is one."""
    head = body[:300].decode("cp037").encode("ascii", "replace")
    name = _codec(match.group(1).decode("ascii")) if (match := _XML_DECLARATION.match(head)) else None
    if not name or body[:4].decode(name, "replace") != "<?xm":
        name = "cp037"
    return FeedText(body.decode(name, "replace"), name)


def _unmarked(body: bytes, name: str) -> FeedText:
    """UTF-32 or UTF-16 told by its first character, with no byte-order mark: noted when
    its declaration is missing or names another encoding, as for any other feed."""
    text = body.decode(name, "replace")
    match = _XML_DECLARATION.match(text[:300].encode("ascii", "replace"))
    claim = match.group(1).decode("ascii") if match else None
    if claim and (_codec(claim) or "").startswith(name[:6]):
        return FeedText(text, name)
    said = f"declared as {claim}" if claim else "no encoding declared"
    return FeedText(text, name, f"{said}, read as {name}")


def decode_feed(body: bytes, content_type: str | None = None) -> FeedText:
    """Decode feed bytes; the note says when the declared encoding was wrong or missing."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return FeedText(body[len(bom) :].decode(name, "replace"), name)
    # Without a BOM, the first character, "<", tells UTF-32 and UTF-16 and their byte order
    # (XML 1.0, appendix F); UTF-32 first, as its little-endian "<" starts like UTF-16's.
    if body[:4] == b"\x00\x00\x00<":
        return _unmarked(body, "utf-32-be")
    if body[:4] == b"<\x00\x00\x00":
        return _unmarked(body, "utf-32-le")
    if body[:4] == _EBCDIC_DECLARATION:
        return _decode_ebcdic(body)
    if body[:2] == b"<\x00":
        return _unmarked(body, "utf-16-le")
    if body[:2] == b"\x00<":
        return _unmarked(body, "utf-16-be")
    # The XML declaration first: servers often add a generic default charset.
    claims = []
    if match := _XML_DECLARATION.match(body[:300]):
        claims.append(match.group(1).decode("ascii"))
    if charset := _CHARSET.search(content_type or ""):
        claims.append(charset.group(1))
    codecs_claimed = [c for c in map(_codec, claims) if c and not c.startswith(("utf-16", "utf-32"))]

    def read_as(name: str, text: str) -> FeedText:
        # UTF-8 is XML's default: a feed without a declaration may rightly be UTF-8.
        if name in codecs_claimed or body.isascii() or (name == "utf-8" and not codecs_claimed):
            return FeedText(text, name)
        said = f"declared as {claims[0]}" if claims else "no encoding declared"
        return FeedText(text, name, f"{said}, read as {name}")

    # Valid UTF-8 with non-ASCII text is almost never another encoding by chance.
    try:
        decoded = read_as("utf-8", body.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    else:
        decoded.utf8_body = body
        return decoded
    for name in codecs_claimed:
        try:
            text = body.decode(name)
        except UnicodeDecodeError:
            continue
        # A single-byte encoding decodes anything, even a mislabelled Chinese feed.
        if not _single_byte(name) or not (detected := _detect_east_asian(body)):
            return read_as(name, text)
        return read_as(detected, body.decode(detected, "replace"))
    if detected := _detect_east_asian(body):
        return read_as(detected, body.decode(detected, "replace"))
    return read_as("cp1252", body.decode("cp1252", "replace"))


def as_utf8_document(text: str, utf8_body: bytes | None = None) -> bytes:
    """The document as UTF-8 bytes with a declaration that says so.

    ``utf8_body``, when given, is ``text`` as UTF-8 bytes: a body that starts with its
    declaration is then cut to the document as it is, instead of encoded again (most
    feeds are UTF-8; the copies cost about as much as decoding them).
    """
    if utf8_body is not None and (declaration := _DECLARATION_BYTES.match(utf8_body)):
        spaces = _ASCII_SPACE.match(utf8_body, declaration.end())  # always matches, perhaps empty
        start = spaces.end() if spaces else declaration.end()
        # Only ASCII whitespace was skipped: past any other, go the general way.
        if utf8_body[start : start + 1] == b"<":
            return b"".join((_UTF8_DECLARATION.encode(), memoryview(utf8_body)[start:]))  # one copy
    text = _DECLARATION_TEXT.sub("", text, count=1)
    return (_UTF8_DECLARATION + text.lstrip()).encode("utf-8", "replace")


def _skip_quoted_or_comment(text: str, i: int) -> int:
    """Index after the quoted string or comment starting at ``i``, or -1 if it never ends."""
    if text.startswith("<!--", i):
        end = text.find("-->", i + 4)
        return -1 if end == -1 else end + 3
    end = text.find(text[i], i + 1)
    return -1 if end == -1 else end + 1


_ROOT = re.compile(r"<[A-Za-z_:]")


def _doctype_start(text: str) -> int:
    """Where the DOCTYPE before the root element starts, or -1. A comment before it may
    mention "<!DOCTYPE": that is not one."""
    i = 0
    while (start := text.find("<!DOCTYPE", i)) != -1:
        root = _ROOT.search(text, i, start)
        comment = text.find("<!--", i, start)
        if root is not None and (comment == -1 or root.start() < comment):
            return -1
        if comment == -1:
            return start
        end = text.find("-->", comment + 4)
        if end == -1:  # a comment that never ends: defused all the same
            return start
        i = end + 3
    return -1


def without_internal_subset(text: str) -> str:
    """The document with its DOCTYPE's internal subset ``[ ... ]`` removed.

    A DOCTYPE whose subset never ends swallows the document, so the document is cut
    there: what is left has no entity declarations to expand.
    """
    start = _doctype_start(text)
    if start == -1:
        return text
    i, n = start + len("<!DOCTYPE"), len(text)
    while i < n:
        char = text[i]
        if char in "\"'":
            i = _skip_quoted_or_comment(text, i)
            if i == -1:
                return text[:start]
        elif char == ">":
            return text  # no internal subset
        elif char == "[":
            open_at = i
            i += 1
            while i < n and text[i] != "]":
                if text[i] in "\"'" or text.startswith("<!--", i):
                    i = _skip_quoted_or_comment(text, i)
                    if i == -1:
                        return text[:start]
                else:
                    i += 1
            if i >= n:
                return text[:start]
            return text[:open_at] + text[i + 1 :]
        else:
            i += 1
    return text[:start]
