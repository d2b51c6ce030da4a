"""Hostile feeds at the content level: broken XML, lying encodings, entity bombs, XXE,
odd dates and links. Parsing is a pure function of the bytes, so most cases call
``parse_feed`` directly; the cases about requests and files go through a real server.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from hostile.fixtures import fetch_all, fetch_one, server  # noqa: F401
from hostile.generate import billion_laughs, corpus, external_entities, good_feed, many_items, quadratic_blowup

from newsdesk.feeds.parse import NotAFeed, parse_feed

FEED_URL = "https://feeds.example/dir/feed.xml"
NOW = datetime(2017, 7, 1, tzinfo=UTC)


def parse(name_or_body: str | bytes, content_type: str | None = "application/rss+xml", url: str = FEED_URL):
    body = corpus(name_or_body) if isinstance(name_or_body, str) else name_or_body
    return parse_feed(body, source="hostile", url=url, content_type=content_type, fetched_at=NOW)


def titles(parsed) -> list[str]:
    return [item.title for item in parsed.items]


def store_bytes(root) -> bytes:
    """Every byte the store holds on disk, the WAL included."""
    state = root / ".newsdesk"
    return b"".join(path.read_bytes() for path in sorted(state.glob("store.sqlite3*")))


# Broken XML -----------------------------------------------------------------------


def test_truncated_feed_keeps_the_whole_items_and_says_so():
    parsed = parse("truncated.xml")
    assert titles(parsed) == ["First whole item", "Second whole item"]
    assert any(note.startswith("malformed feed, kept 2 items that parsed") for note in parsed.notes)
    assert "skipped 1 empty entries" in parsed.notes


def test_malformed_middle_keeps_items_on_both_sides():
    parsed = parse("malformed-middle.xml")
    assert titles(parsed)[0] == "Before the break" and titles(parsed)[-1] == "After the break"
    assert any(note.startswith("malformed feed") for note in parsed.notes)


def test_xml_that_is_not_a_feed():
    with pytest.raises(NotAFeed, match="not a feed: no RSS or Atom found"):
        parse("svg-not-a-feed.xml")


def test_binary_junk_is_not_a_feed():
    with pytest.raises(NotAFeed, match="^not a feed"):
        parse(bytes(range(256)) * 40)


# Encodings --------------------------------------------------------------------------

CHINESE = "社会信用体系建设规划纲要发布"


@pytest.mark.parametrize(
    ("name", "content_type", "note"),
    [
        ("gb2312-declared.xml", "application/rss+xml", None),
        ("gbk-undeclared.xml", "application/rss+xml", "encoding no encoding declared, read as gb18030"),
        ("gbk-declared-as-utf8.xml", "application/rss+xml", "encoding declared as utf-8, read as gb18030"),
        ("utf8-declared-as-gbk.xml", "application/rss+xml", "encoding declared as gbk, read as utf-8"),
        ("utf8-bom.xml", "application/rss+xml", None),
        ("utf16-bom.xml", "application/rss+xml", None),
        ("gbk-undeclared.xml", "application/rss+xml; charset=GBK", None),
        ("gbk-undeclared.xml", "text/xml; charset=ISO-8859-1", "encoding declared as ISO-8859-1, read as gb18030"),
        ("utf8-bom.xml", "text/xml; charset=gbk", None),
    ],
)
def test_chinese_feed_is_read_whatever_it_claims(name, content_type, note):
    parsed = parse(name, content_type)
    assert titles(parsed) == [CHINESE]
    assert parsed.items[0].summary_text == "各地陆续出台实施方案，推进诚信建设。"
    assert parsed.title == "信用中国"
    assert [n for n in parsed.notes if n.startswith("encoding")] == ([note] if note else [])


def test_big5_feed():
    parsed = parse("big5-declared.xml")
    assert titles(parsed) == ["社會信用體系建設規劃綱要發布"]


def test_latin1_feed_without_declaration():
    parsed = parse("latin1-undeclared.xml")
    assert titles(parsed) == ["Crème brûlée à la française"]
    assert "encoding no encoding declared, read as cp1252" in parsed.notes


@pytest.mark.parametrize("codec", ["utf-32-be", "utf-32-le", "cp037", "cp500"])
def test_utf32_and_ebcdic_without_a_bom_are_read(codec):
    """Issue 26: the first characters tell these encodings (XML 1.0, appendix F)."""
    text = good_feed("label").decode("utf-8").replace('encoding="utf-8"', f'encoding="{codec}"', 1)
    parsed = parse(text.encode(codec), "application/xml")
    assert titles(parsed) == ["label story 1", "label story 2"]


def test_unknown_charset_label_is_ignored():
    parsed = parse(good_feed("label"), "application/rss+xml; charset=klingon")
    assert len(parsed.items) == 2 and not parsed.notes


# Entities ---------------------------------------------------------------------------


def text_bytes(parsed) -> int:
    """The bytes of text a parse produced: what an expanded entity would multiply."""
    return sum(len(item.title.encode()) + len(item.summary_text.encode()) for item in parsed.items)


def test_billion_laughs_does_not_expand():
    parsed = parse("billion-laughs.xml")
    assert titles(parsed) == ["Laugh &lol9;", "Plain"]
    assert all(len(item.summary_text) < 100 for item in parsed.items)


@pytest.mark.parametrize("one_line", [False, True], ids=["lines", "one-line"])
def test_billion_laughs_text_does_not_grow_with_the_levels(one_line):
    """Each level multiplies the expansion by ten (10 levels: 3 GB); the text parsed out
    of the feed stays the same size, level after level."""
    sizes = set()
    for levels in (3, 6, 10):
        body = billion_laughs(levels)
        parsed = parse(body.replace(b"\n", b"") if one_line else body)
        assert len(parsed.items) == 2
        sizes.add(text_bytes(parsed))  # the title names the top entity, &lol2; to &lol9;
    assert len(sizes) == 1 and sizes.pop() < 100


def test_quadratic_blowup_does_not_expand():
    """200 KB used 200,000 times would be 40 GB (feedparser's fallback parser expands it).
    The text out grows with the references in the feed, by the five bytes of "&big;",
    and not by a byte with the entity's size: the entity is never expanded."""

    def text_out(size: int, uses: int) -> int:
        parsed = parse(quadratic_blowup(size, uses))
        assert titles(parsed) == ["Blowup"]
        assert "BBBB" not in parsed.items[0].summary_text
        return text_bytes(parsed)

    base = text_out(1_000, 2_000)
    assert text_out(200_000, 2_000) == base  # an entity 200 times as large
    assert text_out(1_000, 4_000) == base + 2_000 * len("&big;")  # twice the references


def test_a_doctype_mentioned_in_a_comment_is_not_one():
    """Issue 26: the comment before the root spoke of "<!DOCTYPE", and the defusing cut the
    document there ("unclosed token")."""
    body = good_feed("comment").replace(b"?>\n", b"?>\n<!-- <!DOCTYPE isn't used -->\n", 1)
    assert len(parse(body).items) == 2


def test_a_doctype_after_a_comment_is_still_defused():
    body = billion_laughs(10).replace(b"<!DOCTYPE", b"<!-- a note -->\n<!DOCTYPE", 1)
    parsed = parse(body)
    assert len(parsed.items) == 2 and text_bytes(parsed) < 100


def test_unterminated_internal_subset_is_not_a_feed():
    body = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"x" * 1000 + b'"><rss version="2.0"><channel>'
    with pytest.raises(NotAFeed):
        parse(body)


@pytest.mark.parametrize("one_line", [False, True])
def test_external_entities_read_no_file_and_make_no_request(tmp_path, server, one_line):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a", encoding="utf-8")
    body = external_entities(secret, server.url("/entity/xxe"), one_line=one_line)
    result = fetch_one(tmp_path / "room", server.serve("xxe", body))
    assert not result.failed, result.line()
    assert result.items == 1
    assert server.requested("/entity/") == []
    stored = store_bytes(tmp_path / "room")
    assert b"TOP-SECRET" not in stored and b"LEAKED" not in stored


def test_body_that_is_a_local_path_is_not_opened(tmp_path, server):
    # feedparser opens bytes that name a file; newsdesk must treat them as content.
    secret = tmp_path / "private-feed.xml"
    secret.write_bytes(good_feed("private"))
    result = fetch_one(tmp_path / "room", server.serve("path", str(secret).encode(), content_type="text/plain"))
    assert result.failed and "not a feed" in result.line()
    assert b"private" not in store_bytes(tmp_path / "room")


def test_body_that_is_a_url_is_not_fetched(tmp_path, server):
    result = fetch_one(tmp_path / "room", server.serve("url", server.url("/entity/by-url").encode()))
    assert result.failed and "not a feed" in result.line()
    assert server.requested("/entity/") == []


# Sizes ------------------------------------------------------------------------------


def test_empty_rss_channel_is_fine_and_noted(tmp_path, server):
    result = fetch_one(tmp_path, server.serve("empty", corpus("empty-channel.xml")))
    assert not result.failed and result.items == 0
    assert "the feed has no items" in result.line()


def test_empty_atom_feed():
    parsed = parse("empty-atom.xml", "application/atom+xml")
    assert parsed.items == [] and parsed.title == "Nothing yet"


def test_thousands_of_items(tmp_path, server):
    # A deadline far from what 5,000 items cost even on a loaded machine: the count is checked.
    result = fetch_one(
        tmp_path, server.serve("many", many_items(5000)), read_timeout=30, feed_deadline=120, run_deadline=180
    )
    assert result.status == "new" and result.new == 5000, result.line()
    with sqlite3.connect(tmp_path / ".newsdesk" / "store.sqlite3") as db:
        assert db.execute("SELECT count(DISTINCT id) FROM items").fetchone()[0] == 5000


def test_very_long_title_is_cut():
    parsed = parse(good_feed("x").replace(b"x story 1", b"word " * 5000))
    assert len(parsed.items[0].title) <= 401 and parsed.items[0].title.endswith("…")


# Items ------------------------------------------------------------------------------


def test_dates_missing_future_or_unparseable_leave_the_item_undated():
    parsed = parse("dates.xml")
    published = {item.title: item.published for item in parsed.items}
    assert published.pop("Fine") == datetime(2017, 6, 27, 0, 0, tzinfo=UTC)
    assert set(published) == {
        "No date at all",
        "From the future",
        "Unparseable",
        "Year one",
        "Epoch zero",
        "Impossible day",
    }
    assert all(value is None for value in published.values()), published
    # Undated items sort by when they were first seen.
    assert all(item.when == NOW for item in parsed.items if item.title != "Fine")


def test_undated_items_survive_the_store(tmp_path, server):
    result = fetch_one(tmp_path, server.serve("dates", corpus("dates.xml")))
    assert result.new == 7
    from newsdesk.store import Store

    with Store(tmp_path / ".newsdesk" / "store.sqlite3") as store:
        assert len(store.items()) == 7


def test_items_without_links():
    parsed = parse("no-links.xml")
    assert [item.url for item in parsed.items] == [None, None, None]
    assert parsed.items[1].title.startswith("Only a description") and parsed.items[1].title.endswith("…")
    assert len({item.id for item in parsed.items}) == 3


def test_relative_links_resolve_against_xml_base():
    parsed = parse("relative-links.atom", "application/atom+xml")
    assert [item.url for item in parsed.items] == [
        "https://base.example/news/2017/story-1",
        "https://other.example/story-2",
        "https://base.example/story-3",
        "https://cdn.example/story-4",
    ]


def test_relative_links_resolve_against_the_feed_url():
    parsed = parse("relative-links.rss")
    assert [item.url for item in parsed.items] == [
        "https://feeds.example/dir/story-1.html",
        "https://feeds.example/2017/story-2.html",
    ]


def test_relative_links_of_a_local_feed_resolve_against_its_site():
    parsed = parse("relative-links.rss", url="/srv/feeds/relative.xml")
    assert parsed.items[0].url == "https://site.example/story-1.html"


def test_duplicate_guids_are_merged_first_wins():
    parsed = parse("duplicate-guids.xml")
    assert titles(parsed) == ["First telling", "Different"]
    assert "2 entries repeated an earlier id and were merged" in parsed.notes


def test_titles_with_html_and_entities_become_plain_text():
    parsed = parse("html-titles.xml")
    assert titles(parsed) == [
        "Scripted bold title",
        "Image title & more",
        "Double-escaped & entities © <i>",
        "Numeric © 中文 and named é",
        "Line breaks and spaces",
    ]
    assert parsed.title == "Titles & tags"


def test_atom_text_titles_keep_their_angle_brackets():
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>'
        b'<entry><title type="text">AT&amp;T &lt;3 &lt;b&gt; tags</title><id>1</id><link href="https://a.example/1"/></entry>'
        b"</feed>"
    )
    assert titles(parse(body, "application/atom+xml")) == ["AT&T <3 <b> tags"]


def test_links_that_are_not_http_are_dropped():
    parsed = parse("hostile-links.xml")
    urls = {item.title: item.url for item in parsed.items}
    assert urls == {
        "Script link": None,
        "Data link": None,
        "VBScript link": None,
        "Whitespace-hidden scheme": None,
        "File link": None,
        "Fine link": "https://links.example/fine",
    }
    # The summary keeps the links' words, never their targets or handlers.
    assert parsed.items[0].summary_text == "click two vb fine"
    assert parsed.notes == ["dropped 5 item links: 5 not http(s)"]


LOCAL_HOSTS = ["127.0.0.1:8000", "localhost", "[::1]", "10.0.0.1", "192.168.1.20", "printer.local", "news.internal"]


@pytest.mark.parametrize("engine", ["auto", "feedparser"])
@pytest.mark.parametrize("host", LOCAL_HOSTS)
def test_links_to_local_hosts_are_kept_by_either_engine(host, engine):
    """One link a feed, so that nothing else in it sends the fast engine's reading back."""
    link = f"http://{host}/story"
    rss = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>L</title><link>https://l.example/</link>'
        f"<item><title>R</title><link>{link}</link><guid>r</guid></item></channel></rss>"
    ).encode()
    atom = (
        f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>L</title><id>urn:l</id>'
        f'<entry><title>A</title><id>urn:a</id><link href="{link}"/></entry></feed>'
    ).encode()
    for body, kind in ((rss, "application/rss+xml"), (atom, "application/atom+xml")):
        parsed = parse_feed(body, source="local", url=FEED_URL, content_type=kind, fetched_at=NOW, engine=engine)
        assert [item.url for item in parsed.items] == [link] and parsed.notes == []


def test_a_relative_link_with_nothing_to_resolve_it_against_is_reported():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>L</title><item><title>R</title><link>/story</link></item></channel></rss>'
    parsed = parse(body, url="/srv/feeds/local.xml")
    assert parsed.items[0].url is None
    assert parsed.notes == ["dropped 1 item link: 1 relative, with no address to resolve them against"]


def test_control_characters_are_removed_from_titles():
    parsed = parse("control-chars.xml")
    assert titles(parsed)[0] == "Terminal [31mred[0m and bell and right-to-left evil"
    for item in parsed.items:
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in item.title)


def test_entity_url_in_a_local_feed_is_safe_too(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LOCAL", encoding="utf-8")
    body = external_entities(secret, "http://127.0.0.1:9/" + quote("entity"))
    parsed = parse(body, None, url=str(tmp_path / "feed.xml"))
    assert "TOP-SECRET" not in repr(parsed)


def test_a_parse_past_the_deadline_is_reported(tmp_path, server):
    # Deep nesting is slow for feedparser: a feed can cost time without costing bytes
    # (40,000 levels: about ten times the deadline in CPU time on a fast machine).
    deep = good_feed("deep").replace(b"</channel>", b"<x>" * 40_000 + b"</x>" * 40_000 + b"</channel>")
    report = fetch_all(
        tmp_path,
        [("deep", server.serve("deep", deep)), ("good", server.serve("good", good_feed("good")))],
        feed_deadline=0.3,
    )
    deep_result, good_result = report.results
    assert deep_result.failed and deep_result.error == "took longer than the per-feed deadline (0.3 s) to parse"
    assert good_result.new == 2, good_result.line()  # the other feed was not held up


def test_utf8_without_a_declaration_needs_no_note():
    body = good_feed("plain").replace(b' encoding="utf-8"', b"").replace(b"story 1", "故事 1".encode())
    parsed = parse(body, "application/rss+xml")
    assert parsed.items[0].title == "plain 故事 1" and parsed.notes == []


def test_a_large_undeclared_gbk_feed_is_detected():
    # Few items with long summaries: the bytes pass the detector's sample at a tenth of
    # the parse that as many short items would cost.
    summary = "社会信用体系建设" * 60
    item = "<item><title>社会信用体系建设第{n}号</title><link>https://cn.example/{n}</link><guid>g{n}</guid>"
    item += f"<description>{summary}</description></item>\n"
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>信用</title>'
        + "".join(item.format(n=n) for n in range(1_200))
        + "</channel></rss>"
    ).encode("gbk")
    assert len(body) > 1_000_000  # past the detector's sample
    parsed = parse(body, "text/xml")
    assert parsed.items[-1].title == "社会信用体系建设第1199号"
    assert parsed.items[-1].summary_text == summary
    assert parsed.notes == ["encoding no encoding declared, read as gb18030"]


def test_controls_spelled_as_entities_never_reach_titles_or_summaries():
    from newsdesk.feeds.parse import parse_feed

    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        b"<title>Evil &amp;#x202e;reversed &lt;b&gt;bold&lt;/b&gt; &amp;#x1b;]52;c;eA==&amp;#x07;</title>"
        b"<link>https://x.example/1</link><guid>1</guid>"
        b"<description>&lt;p&gt;clip &amp;#x1b;]52;c;eA==&amp;#x07; board&lt;/p&gt;</description>"
        b"</item></channel></rss>"
    )
    (item,) = parse_feed(body, source="s", url="https://x.example/feed").items
    for text in (item.title, item.summary_text):
        assert not any(c in text for c in "\x1b\x07\u202e"), repr(text)
