"""The bounded decoder on its own: the compressed shapes a hostile server can send."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hostile.fixtures import fetch_one, server  # noqa: F401
from hostile.generate import good_feed

from newsdesk.feeds.compression import BodyCorrupt, BodyTooLarge, BoundedDecoder, decode_body


def decode_all(data: bytes, coding: str, limit: int, chunk: int = 1000) -> bytes:
    decoder = BoundedDecoder(coding, limit)
    out = b"".join(decoder.feed(data[i : i + chunk]) for i in range(0, len(data), chunk))
    decoder.finish()
    return out


def test_concatenated_gzip_members_are_all_decoded():
    body = gzip.compress(b"first ") + gzip.compress(b"second")
    assert decode_all(body, "gzip", 100, chunk=7) == b"first second"


def test_chained_codings_are_undone_in_reverse():
    body = zlib.compress(gzip.compress(b"twice packed"))
    assert decode_all(body, "gzip, deflate", 100) == b"twice packed"


def test_decoded_size_never_passes_the_cap_even_within_one_chunk():
    body = zlib.compress(bytes(5_000_000), 9)  # ~5 KB: one chunk, 5 MB out
    decoder = BoundedDecoder("deflate", 1000)
    with pytest.raises(BodyTooLarge):
        decoder.feed(body)
    assert decoder.decoded <= 1000


def test_endless_stream_that_decodes_to_nothing_is_capped_by_raw_size():
    empty_members = gzip.compress(b"") * 100_000  # ~2 MB that decode to zero bytes
    with pytest.raises(BodyTooLarge):
        decode_all(empty_members, "gzip", 1_000_000, chunk=65536)


def test_gzip_that_ends_early_is_corrupt():
    with pytest.raises(BodyCorrupt, match="ends early"):
        decode_all(gzip.compress(b"x" * 1000)[:-20], "gzip", 10_000)


def test_unsupported_coding_from_the_server_is_reported(tmp_path, server):
    url = server.serve("br", good_feed("br"), headers=(("Content-Encoding", "br"),))
    result = fetch_one(tmp_path, url)
    assert result.failed and result.error == "unsupported Content-Encoding 'br'"


def test_an_empty_body_decodes_to_nothing_whatever_its_coding():
    # Not "the gzip body ends early": the parser then says the response is empty.
    assert decode_body(b"", "gzip", 100) == b"" and decode_body(b"", "deflate", 100) == b""
