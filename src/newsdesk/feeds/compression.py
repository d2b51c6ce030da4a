"""Response bodies decoded (gzip, deflate) chunk by chunk under a hard size cap.

httpx decodes each network chunk in one go, so a 64 KB chunk of a gzip bomb becomes
64 MB in memory before any size check can run. Decoding here asks zlib for at most
the bytes still allowed, so memory stays bounded by the cap whatever the ratio.
"""

from __future__ import annotations

import zlib
from typing import Protocol

# The codings newsdesk asks for, and so the only ones it must be able to undo.
ACCEPT_ENCODING = "gzip, deflate"


class BodyTooLarge(Exception):
    """The body (raw or decoded) passed the cap."""


class BodyCorrupt(Exception):
    """The body is not valid for its Content-Encoding."""


class _Decompressor(Protocol):
    """What ``zlib.decompressobj()`` returns: zlib names its type only privately."""

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = 0, /) -> bytes: ...


class _Inflater:
    """One zlib stage (gzip or deflate), restarted for concatenated gzip members."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.zlib: _Decompressor | None = None
        self.pending = b""  # deflate: wait for two bytes to tell zlib-wrapped from raw

    def _start(self, head: bytes) -> _Decompressor:
        if self.coding == "gzip":
            return zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        # "deflate" should be zlib-wrapped, but some servers send raw deflate.
        wrapped = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.decompressobj(wbits=zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def decode(self, data: bytes, room: int) -> bytes:
        """Decode ``data``, returning more than ``room`` bytes only to signal the cap."""
        if self.zlib is None:
            data = self.pending + data
            if self.coding == "deflate" and len(data) < 2:
                self.pending = data
                return b""
            self.pending = b""
            self.zlib = self._start(data)
        out = bytearray()
        try:
            while data:
                out += self.zlib.decompress(data, room - len(out) + 1)
                if len(out) > room:
                    return bytes(out)
                rest = self.zlib.unused_data if self.zlib.eof else b""
                if self.coding == "gzip" and rest.startswith(b"\x1f\x8b"):
                    data = rest  # another gzip member follows
                    self.zlib = self._start(data)
                else:
                    # Under the limit, zlib took all the input; bytes after the end are ignored.
                    data = b""
        except zlib.error as error:
            raise BodyCorrupt(f"the {self.coding} body is corrupt ({error})") from None
        return bytes(out)

    def finish(self) -> None:
        if self.zlib is not None and not self.zlib.eof and self.coding == "gzip":
            raise BodyCorrupt("the gzip body ends early")


def codings(content_encoding: str | None) -> list[str]:
    """The zlib codings a Content-Encoding header lists, in the order applied; raises
    BodyCorrupt for one newsdesk cannot undo."""
    found = []
    for coding in (c.strip().lower() for c in (content_encoding or "").split(",")):
        if coding in ("", "identity"):
            continue
        if coding in ("gzip", "x-gzip"):
            found.append("gzip")
        elif coding == "deflate":
            found.append("deflate")
        else:
            raise BodyCorrupt(f"unsupported Content-Encoding {coding!r}")
    return found


def decode_body(raw: bytes, content_encoding: str | None, limit: int) -> bytes:
    """A whole body as received, decoded under the cap: a bomb still stops at ``limit``."""
    if not raw:
        return raw  # an empty response is not a corrupt one: the parser says "empty"
    decoder = BoundedDecoder(content_encoding, limit)
    body = decoder.feed(raw)
    decoder.finish()
    return body


def decoded_size_hint(raw: bytes, content_encoding: str | None) -> int:
    """About how large ``raw`` is once decoded, without decoding it: gzip's trailer says
    (modulo 4 GiB, and a server may lie: this is only a hint), deflate does not."""
    applied = codings(content_encoding)
    if not applied:
        return len(raw)
    if applied == ["gzip"] and len(raw) >= 18:
        return max(int.from_bytes(raw[-4:], "little"), len(raw))
    return len(raw) * 4  # feeds compress about four to six times


class BoundedDecoder:
    """Undo a Content-Encoding chain, refusing raw or decoded bodies over ``limit`` bytes."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        self.limit = limit
        self.raw = 0
        self.decoded = 0
        # Codings are listed in the order applied, so they are undone in reverse.
        self.stages = [_Inflater(coding) for coding in reversed(codings(content_encoding))]

    def feed(self, chunk: bytes) -> bytes:
        self.raw += len(chunk)
        # Compressed data never needs more room than the cap: this stops endless
        # streams that decode to nothing (empty deflate blocks, empty gzip members).
        if self.raw > self.limit:
            raise BodyTooLarge(self.limit)
        data = chunk
        for stage in self.stages:
            data = stage.decode(data, self.limit - self.decoded)
            if len(data) > self.limit - self.decoded:
                raise BodyTooLarge(self.limit)
        self.decoded += len(data)
        if self.decoded > self.limit:
            raise BodyTooLarge(self.limit)
        return data

    def finish(self) -> None:
        for stage in self.stages:
            stage.finish()
