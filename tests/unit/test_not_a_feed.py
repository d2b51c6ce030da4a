"""A body that is not a feed says what it is instead, in words an editor can act on."""

import gzip
import json

import pytest

from newsdesk.feeds.parse import NotAFeed, parse_feed

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            gzip.compress(RSS, mtime=0),
            "not a feed: a gzip-compressed file (served without Content-Encoding: gzip), not RSS or Atom",
        ),
        (
            json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": []}).encode(),
            "not a feed: a JSON Feed (jsonfeed.org), which newsdesk does not read: use the site's RSS or Atom feed",
        ),
        (b'[{"title": "a"}]', "not a feed: JSON, not RSS or Atom"),
    ],
    ids=["gzip", "json-feed", "json"],  # ids, not the bodies: every xdist worker must name them alike
)
@pytest.mark.parametrize("engine", ["auto", "feedparser"])
def test_a_body_that_is_not_a_feed_says_what_it_is(body, expected, engine):
    with pytest.raises(NotAFeed) as error:
        parse_feed(
            body, source="Odd", url="https://odd.example/feed", content_type="application/octet-stream", engine=engine
        )
    assert str(error.value) == expected


@pytest.mark.parametrize("codec", ["utf-32-be", "utf-32-le", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(
    ("declaration", "note"),
    [
        ("", "no encoding declared, read as {codec}"),
        (' encoding="utf-8"', "declared as utf-8, read as {codec}"),
        (' encoding="{family}"', None),
    ],
)
def test_an_unmarked_wide_encoding_is_noted_unless_declared(codec, declaration, note):
    from newsdesk.feeds.decode import decode_feed

    family = codec[:6].upper()
    body = f'<?xml version="1.0"{declaration.format(family=family)}?><rss version="2.0"/>'.encode(codec)
    decoded = decode_feed(body)
    assert decoded.text.startswith("<?xml") and decoded.note == (note.format(codec=codec) if note else None)
