"""The fast engine (feedparser-rs, newsdesk.feeds.fastparse) against the reference (feedparser).

``parse_feed(engine="auto")`` must give exactly the items ``engine="feedparser"`` gives:
over the benchmark's feed farm, the hostile corpus and generated feeds. Where the fast
engine cannot promise that, it declines and feedparser parses; these tests also check
that it declines what it should and takes the ordinary feeds it is there for.
"""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

import pytest
from farm import make_farm  # noqa: E402
from hostile.generate import CORPUS
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsdesk.feeds import fastparse as fastfeed
from newsdesk.feeds.decode import as_utf8_document, decode_feed, without_internal_subset
from newsdesk.feeds.parse import NotAFeed, parse_feed

NOW = datetime(2026, 1, 5, tzinfo=UTC)
WEB = "https://feeds.example/dir/feed.xml"

pytestmark = pytest.mark.skipif(not fastfeed.AVAILABLE, reason="feedparser-rs is not installed")


def both(body: bytes, url: str = WEB, content_type: str | None = None):
    """What each engine makes of ``body``: a ParsedFeed, or the NotAFeed message."""
    out = []
    for engine in ("auto", "feedparser"):
        try:
            out.append(parse_feed(body, source="s", url=url, content_type=content_type, fetched_at=NOW, engine=engine))
        except NotAFeed as error:
            out.append(f"NotAFeed: {error}")
    return out


def taken(body: bytes, url: str = WEB, content_type: str | None = None) -> bool:
    """Whether the fast engine reads this feed itself (rather than declining)."""
    text = without_internal_subset(decode_feed(body, content_type).text)
    return fastfeed.parse(as_utf8_document(text), text, url if url.startswith("http") else "") is not None


@pytest.fixture(scope="module")
def farm():
    return make_farm(60, seed=7)


def test_the_farm_reads_the_same_and_fast(farm):
    fast = 0
    for feed in farm:
        url = f"http://127.0.0.1:8000{feed.path}"
        auto, reference = both(feed.body, url, feed.content_type)
        assert auto == reference, feed.path
        assert len(auto.items) == feed.items
        fast += taken(feed.body, url, feed.content_type)
    # Ordinary feeds, Chinese in GB2312 and GBK among them, are what the fast engine is for.
    assert fast == len(farm)
    assert {f.encoding for f in farm} == {"utf-8", "gb2312", "gbk"}
    assert {f.kind for f in farm} == {"rss2-wordpress", "atom-html", "atom-xhtml", "rss1"}


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir()))
@pytest.mark.parametrize("url", [WEB, "/srv/feeds/local.xml"])
def test_the_hostile_corpus_reads_the_same(name, url):
    auto, reference = both((CORPUS / name).read_bytes(), url)
    assert auto == reference


@pytest.mark.parametrize(
    "why, document",
    [
        (
            "malformed",
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</item></channel></rss>',
        ),
        (
            "xml:base",
            b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://b.example/"><title>x</title><entry><title>a</title><id>urn:1</id><link href="a"/></entry></feed>',
        ),
        (
            "relative id",
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</title><guid>17</guid></item></channel></rss>',
        ),
        (
            "relative link",
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</title><link>/a</link></item></channel></rss>',
        ),
        (
            "C1 control",
            '<?xml version="1.0"?><rss version="2.0"><channel><title>x\x85</title></channel></rss>'.encode(),
        ),
        (
            "UTF-8 read as Latin-1",
            '<?xml version="1.0"?><rss version="2.0"><channel><title>cafÃ©</title></channel></rss>'.encode(),
        ),
        (
            "two alternate links",
            b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><entry><title>a</title><id>urn:1</id><link href="https://a.example/1"/><link href="https://a.example/2"/></entry></feed>',
        ),
        (
            "RSS 0.91",
            b'<?xml version="1.0"?><rss version="0.91"><channel><title>x</title><item><title>a</title><link>https://a.example/</link></item></channel></rss>',
        ),
        ("not a feed", b'<?xml version="1.0"?><html><body>hello</body></html>'),
        (
            "a date in another form",
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</title><link>https://a.example/1</link><pubDate>26 June 2017 08:00 EST</pubDate></item></channel></rss>',
        ),
        (
            "a date out of range",
            b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><entry><title>a</title><id>urn:1</id><updated>2017-02-31T08:00:00Z</updated></entry></feed>',
        ),
        (
            "a title that may be HTML",
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a &amp;amp; <![CDATA[<i>b</i>]]></title><link>https://a.example/1</link></item></channel></rss>',
        ),
        (
            "a link resolution rewrites",
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</title><link>HTTPS://a.example/1</link></item></channel></rss>',
        ),
        (
            "extra slashes",
            b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><entry><title>a</title><id>urn:1</id><link href="https:///a.example/1"/></entry></feed>',
        ),
    ],
)
def test_the_fast_engine_declines_what_it_would_read_differently(why, document):
    assert not taken(document)
    auto, reference = both(document)
    assert auto == reference


RSS = '<?xml version="1.0"?><rss version="2.0"{ns}><channel><title>x</title><item>{item}</item></channel></rss>'
ATOM = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><entry>{entry}</entry></feed>'
DC = ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
XHTML = ' xmlns:xhtml="http://www.w3.org/1999/xhtml"'


@pytest.mark.parametrize(
    "why, document, field, value",
    [
        (
            "Windows-1252 by number",
            RSS.format(ns="", item="<title>Don&#146;t stop &#147;now&#148;</title><link>https://a.example/1</link>"),
            "title",
            "Don\u2019t stop \u201cnow\u201d",
        ),
        (
            "Windows-1252 by number in a summary",
            RSS.format(
                ns="", item="<title>t</title><description>don&#x92;t</description><link>https://a.example/1</link>"
            ),
            "summary_text",
            "don\u2019t",
        ),
        (
            "an xhtml:body",
            RSS.format(ns=XHTML, item="<xhtml:body><p>Only here</p></xhtml:body><link>https://a.example/1</link>"),
            "summary_text",
            "Only here",
        ),
        ("a body", RSS.format(ns="", item="<body>Only here</body><guid>urn:1</guid>"), "summary_text", "Only here"),
        (
            "a fullitem",
            RSS.format(ns="", item="<fullitem>Only here</fullitem><guid>urn:1</guid>"),
            "summary_text",
            "Only here",
        ),
        (
            "dc:title",
            RSS.format(ns=DC, item="<dc:title>Example title</dc:title><guid>urn:1</guid>"),
            "title",
            "Example title",
        ),
        (
            "dc:description",
            RSS.format(ns=DC, item="<title>t</title><dc:description>Example</dc:description><guid>urn:1</guid>"),
            "summary_text",
            "Example",
        ),
        (
            "dcterms:modified",
            RSS.format(
                ns=' xmlns:dcterms="http://purl.org/dc/terms/"',
                item="<title>t</title><guid>urn:1</guid><dcterms:modified>2017-06-26T08:00:00Z</dcterms:modified>",
            ),
            "published",
            datetime(2017, 6, 26, 8, tzinfo=UTC),
        ),
        (
            "RSS in a namespace prefix",
            '<?xml version="1.0"?><r:rss version="2.0" xmlns:r="http://backend.userland.com/rss2"><r:channel>'
            "<r:title>x</r:title><r:item><r:title>In a prefix</r:title><r:link>https://a.example/1</r:link></r:item>"
            "</r:channel></r:rss>",
            "title",
            "In a prefix",
        ),
        (
            "a link in a category's image",
            RSS.format(
                ns="",
                item="<title>t</title><guid>urn:1</guid><category>c<image><link>https://img.example/</link></image></category>",
            ),
            "url",
            None,
        ),
        (
            "Atom in an RSS item",
            RSS.format(
                ns=' xmlns:atom="http://www.w3.org/2005/Atom"',
                item='<title>t</title><atom:link href="https://a.example/1"/><atom:id>urn:2</atom:id>',
            ),
            "guid",
            "urn:2",
        ),
        (
            "base64 by mode",
            '<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>x</title><entry>'
            '<title mode="base64">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</title><id>urn:1</id></entry></feed>',
            "title",
            "Example <b>Atom</b>",
        ),
        (
            "base64 by type",
            ATOM.format(entry='<title type="application/octet-stream">RXhhbXBsZQ==</title><id>urn:1</id>'),
            "title",
            "Example",
        ),
        (
            "an RSS item in Atom",
            ATOM.format(entry="").replace("<entry></entry>", "<item><title>an item</title></item>"),
            "title",
            "an item",
        ),
    ],
)
def test_shapes_only_feedparser_reads_are_left_to_it(why, document, field, value):
    """Issue 26: shapes of feedparser's own test corpus that feedparser-rs reads otherwise or
    not at all. The fast engine declines them, and the item is feedparser's."""
    body = document.encode()
    assert not taken(body)
    auto, reference = both(body)
    assert auto == reference
    assert getattr(auto.items[0], field) == value


def test_an_atom_link_without_href_does_not_lose_the_entry():
    body = ATOM.format(entry='<title>kept</title><id>https://a.example/1</id><link rel="alternate"/>').encode()
    auto, reference = both(body)
    assert auto == reference
    assert [item.title for item in auto.items] == ["kept"]


# Generated feeds ----------------------------------------------------------------------

words = st.sampled_from(
    [
        "credit",
        "AT&T",
        "<b>bold</b>",
        "a < b",
        "&amp;",
        "&lt;i&gt;",
        "中文",
        "信用体系",
        "é",
        "©",
        "  ",
        "\n",
        "&#169;",
        "Q&A",
        "x > y",
        "<br/>",
        "</p>",
        '"quoted"',
        "'single'",
        "&nbsp;",
        "<script>alert(1)</script>",
    ]
)
texts = st.lists(words, min_size=0, max_size=6).map(" ".join)
links = st.builds(
    lambda host, path, query: f"https://{host}.example/{path}" + (f"?{query}" if query else ""),
    st.sampled_from(["a", "news", "xn--fiq228c"]),
    st.sampled_from(["", "story/1", "2017/06/a-b", "中文", "p?x=1"]),
    st.sampled_from(["", "utm_source=rss&id=3", "a=1&b=2&amp=3", "q=%E4%B8%AD", "x=&lt;&#38;y", "a=&quot;b&apos;"]),
)
ids = st.one_of(links, st.sampled_from(["urn:uuid:1234", "tag:a.example,2017:1", "17", "https://a.example/?p=1"]))
dates = st.sampled_from(
    [
        "Tue, 27 Jun 2017 08:00:00 +0000",
        "Tue, 27 Jun 2017 08:00:00 GMT",
        "27 Jun 2017 08:00 +0800",
        "2017-06-27T08:00:00Z",
        "2017-06-27T08:00:00+08:00",
        "2017-06-27",
        "not a date",
        "",
        "2099-01-01T00:00:00Z",
        "Mon, 31 Feb 2017 00:00:00 +0000",
        "1970-01-01T00:00:00Z",
    ]
)
bodies = st.lists(
    st.one_of(
        texts,
        st.sampled_from(
            [
                '<p>para <a href="/rel?a=1&amp;b=2">rel</a></p>',
                '<img src="x.jpg" onerror="alert(1)"/>',
                "<ul><li>one</li><li>two</li></ul>",
                '<a href="javascript:alert(1)">js</a>',
                "<p>中文段落。</p>",
            ]
        ),
    ),
    max_size=5,
).map("".join)


@st.composite
def entries(draw) -> dict[str, str | list[str] | None]:
    return {
        "title": draw(st.one_of(st.none(), texts)),
        "title_type": draw(st.sampled_from([None, "text", "html"])),
        "link": draw(st.one_of(st.none(), links)),
        "id": draw(st.one_of(st.none(), ids)),
        "permalink": draw(st.sampled_from([None, "true", "false"])),
        "date": draw(dates),
        "summary": draw(st.one_of(st.none(), bodies)),
        "content": draw(st.one_of(st.none(), bodies)),
        "cdata": draw(st.booleans()),
        "tags": draw(st.lists(st.sampled_from(["Credit", "政策", "a&b"]), max_size=3)),
    }


def _text(value: str, cdata: bool) -> str:
    return f"<![CDATA[{value}]]>" if cdata and "]]>" not in value else escape(value)


def rss(items: list[dict]) -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        "<channel><title>Generated</title><link>https://site.example/</link>",
    ]
    for e in items:
        out.append("<item>")
        if e["title"] is not None:
            out.append(f"<title>{_text(e['title'], e['cdata'])}</title>")
        if e["link"]:
            out.append(f"<link>{escape(e['link'])}</link>")
        if e["id"]:
            attr = f' isPermaLink="{e["permalink"]}"' if e["permalink"] else ""
            out.append(f"<guid{attr}>{escape(e['id'])}</guid>")
        if e["date"]:
            out.append(f"<pubDate>{escape(e['date'])}</pubDate>")
        if e["summary"] is not None:
            out.append(f"<description>{_text(e['summary'], e['cdata'])}</description>")
        if e["content"] is not None:
            out.append(f"<content:encoded>{_text(e['content'], e['cdata'])}</content:encoded>")
        out += [f"<category>{escape(t)}</category>" for t in e["tags"]]
        out.append("</item>")
    out.append("</channel></rss>")
    return "".join(out)


def atom(items: list[dict]) -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">',
        '<title>Generated</title><id>urn:generated</id><link href="https://site.example/"/>',
    ]
    for e in items:
        out.append("<entry>")
        if e["title"] is not None:
            kind = f' type="{e["title_type"]}"' if e["title_type"] else ""
            out.append(f"<title{kind}>{escape(e['title'])}</title>")
        if e["link"]:
            out.append(f'<link rel="alternate" href={quoteattr(e["link"])}/>')
            if e["permalink"] == "true":  # a second alternate link: feedparser keeps the last
                out.append(f"<link href={quoteattr(e['link'] + '2')}/>")
        if e["id"]:
            out.append(f"<id>{escape(e['id'])}</id>")
        if e["date"]:
            out.append(f"<updated>{escape(e['date'])}</updated>")
        if e["summary"] is not None:
            out.append(f'<summary type="html">{escape(e["summary"])}</summary>')
        if e["content"] is not None:
            out.append(f'<content type="html">{_text(e["content"], e["cdata"])}</content>')
        out += [f"<category term={quoteattr(t)}/>" for t in e["tags"]]
        out.append("</entry>")
    out.append("</feed>")
    return "".join(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([rss, atom]),
    st.lists(entries(), min_size=1, max_size=4),
    st.sampled_from([WEB, "/srv/f.xml"]),
    st.sampled_from(["utf-8", "gb18030"]),
)
def test_generated_feeds_read_the_same(make, items, url, encoding):
    document = make(items)
    if encoding != "utf-8":
        document = document.replace('encoding="utf-8"', f'encoding="{encoding}"', 1)
    auto, reference = both(document.encode(encoding), url)
    assert auto == reference


# The pieces the fast path added --------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x3000, blacklist_categories=("Cs",)), max_size=40))
@example("caf\u00e9")
@example("line\x0bbreak")
@example("\u0085")
def test_the_byte_prescan_misses_nothing_the_text_scan_finds(text):
    if fastfeed._SUSPECT.search(text):
        assert fastfeed._may_have_quirks(text.encode("utf-8"))


_declarations = st.sampled_from(
    [
        "",
        '<?xml version="1.0"?>',
        "<?xml version='1.0' encoding='gbk'?>",
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>',
        "<?xml 版本?>",
        "<?xml版本?>",
        "<?xmlé?>",
        "<?xml²?>",
        "<?xml‹?>",
        "<?xml" + "x" * 299 + "?>",
        "<?xml?",
        "<?xml-stylesheet href='a.xsl'?>",
    ]
)
_spaces = st.text(alphabet=" \t\r\n\x0b\x0c\x1c\x85\xa0\u3000", max_size=4)


@settings(max_examples=500, deadline=None)
@given(_spaces, _declarations, _spaces, st.sampled_from(["<rss>", "rss>", "<", "", "é<"]), st.text(max_size=20))
@example("", '<?xml version="1.0"?>', "\n\u3000", "<rss>", "")
def test_a_utf8_document_cut_from_the_body_is_the_one_encoded_again(before, declaration, after, root, rest):
    text = before + declaration + after + root + rest
    assert as_utf8_document(text, text.encode("utf-8")) == as_utf8_document(text)


def test_only_an_exact_utf8_reading_keeps_the_body():
    body = '<?xml version="1.0"?><rss><channel><title>信用</title></channel></rss>'.encode()
    assert decode_feed(body).utf8_body is body
    assert decode_feed(codecs.BOM_UTF8 + body).utf8_body is None  # the text lacks the BOM
    assert decode_feed(body.decode().encode("gb18030"), "text/xml; charset=gbk").utf8_body is None
    assert decode_feed(b"<rss>\xff</rss>").utf8_body is None  # not UTF-8: read another way
