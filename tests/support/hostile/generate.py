"""Hostile feeds too big to commit, made at test time (and cached for the session)."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

CORPUS = Path(__file__).parent / "corpus"
BOMB_CHUNK = 64 * 1024
BOMB_DECODED = 200 * 1024 * 1024  # 200 MB of feed, twenty times the default cap
_HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Bomb</title>\n'


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def rss(items: list[dict[str, str]], *, title: str = "Hostile", link: str = "https://hostile.example/") -> bytes:
    """A small RSS 2.0 feed; item values are escaped, keys become elements."""
    parts = [
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{escape(title)}</title><link>{link}</link>\n'
    ]
    for item in items:
        fields = "".join(f"<{key}>{escape(value)}</{key}>" for key, value in item.items())
        parts.append(f"<item>{fields}</item>\n")
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def good_feed(name: str, count: int = 2) -> bytes:
    """A well-formed feed whose items are unique to ``name``."""
    return rss(
        [
            {
                "title": f"{name} story {n}",
                "link": f"https://{name}.example/story/{n}",
                "guid": f"{name}-{n}",
                "pubDate": "Tue, 27 Jun 2017 08:00:00 +0000",
                "description": f"Story {n} from {name}.",
            }
            for n in range(1, count + 1)
        ],
        title=f"Feed {name}",
        link=f"https://{name}.example/",
    )


def many_items(count: int, name: str = "many") -> bytes:
    return good_feed(name, count)


def _zeros(total: int) -> Iterator[bytes]:
    block = b" " * (1 << 20)  # spaces: still a well-formed start of a feed
    for _ in range(total // len(block)):
        yield block


@functools.cache
def gzip_bomb() -> bytes:
    """A gzip body of ~200 KB that decodes to ~200 MB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    out = [packer.compress(_HEAD)]
    out.extend(packer.compress(block) for block in _zeros(BOMB_DECODED))
    out.append(packer.flush())
    return b"".join(out)


@functools.cache
def deflate_bomb(raw: bool = False) -> bytes:
    """A deflate body (zlib-wrapped, or raw as some servers send) of the same ratio."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    out = [packer.compress(_HEAD)]
    out.extend(packer.compress(block) for block in _zeros(BOMB_DECODED))
    out.append(packer.flush())
    return b"".join(out)


def endless_items(limit: int) -> Iterator[bytes]:
    """A feed that goes on: item after item, until ``limit`` bytes were made."""
    yield _HEAD
    sent, number = len(_HEAD), 0
    while sent < limit:
        number += 1
        chunk = "".join(
            f"<item><title>Endless {n}</title><link>https://endless.example/{n}</link></item>\n"
            for n in range(number * 500, number * 500 + 500)
        ).encode()
        sent += len(chunk)
        yield chunk


def billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)]
    top = f"&lol{levels - 1};"
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(entities) + "\n]>\n"
        '<rss version="2.0"><channel><title>Laughs</title>'
        f"<item><title>Laugh {top}</title><link>https://laughs.example/1</link>"
        f"<description>{top}</description></item>"
        "<item><title>Plain</title><link>https://laughs.example/2</link></item>"
        "</channel></rss>"
    ).encode()


def quadratic_blowup(size: int = 200_000, uses: int = 200_000) -> bytes:
    """One big entity used many times: no nesting, so expat's nesting checks miss it."""
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "' + "B" * size + '">\n]>\n'
        '<rss version="2.0"><channel><title>Quadratic</title>'
        "<item><title>Blowup</title><link>https://quadratic.example/1</link>"
        "<description>" + "&big;" * uses + "</description></item></channel></rss>"
    ).encode()


def external_entities(secret_path: Path, entity_url: str, *, one_line: bool = False) -> bytes:
    """A feed that asks for a local file and a URL through external entities."""
    declarations = [
        f'<!ENTITY secret SYSTEM "file://{secret_path}">',
        f'<!ENTITY remote SYSTEM "{entity_url}">',
        f'<!ENTITY % dtd SYSTEM "{entity_url}-dtd">',
        "%dtd;",
    ]
    joiner = "" if one_line else "\n"
    doctype = f"<!DOCTYPE rss [{joiner}{joiner.join(declarations)}{joiner}]>"
    return (
        f'<?xml version="1.0"?>{joiner}{doctype}{joiner}'
        '<rss version="2.0"><channel><title>XXE &secret;</title>'
        "<item><title>Leak &secret; &remote;</title><link>https://xxe.example/1</link>"
        "<description>&secret; and &remote;</description></item></channel></rss>"
    ).encode()
