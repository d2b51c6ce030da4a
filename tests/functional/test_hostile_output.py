"""Output safety: nothing a feed supplies reaches the email, the post, the archive or
the Atom feed as active content. Property tests for the sanitizer and for canonical
URLs, and one run from a hostile feed to every rendered file.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit
from xml.sax.saxutils import quoteattr

import feedparser
import pytest
from hostile.fixtures import make_newsroom, server  # noqa: F401
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsdesk.curation.editing import create_issue, pick
from newsdesk.feeds.fetch import fetch
from newsdesk.issue import load_issue, save_issue
from newsdesk.output.render import Renderer
from newsdesk.text import sanitize_html
from newsdesk.urls import _canonical_split, canonical_url, is_http_url, is_plain_http_url, is_tracking

# The checker --------------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "srcset", "data", "cite"}
ACTIVE_TAGS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "base",
    "svg",
    "math",
    "link",
    "meta",
    "template",
    "noscript",
    "input",
    "button",
    "textarea",
    "select",
}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see: controls and spaces trimmed, tabs and newlines dropped."""
    value = value.strip("".join(chr(c) for c in range(33)))
    value = re.sub(r"[\t\n\r]", "", value)
    match = _SCHEME.match(value)
    return match.group(1).lower() if match else None


class ActiveContent(HTMLParser):
    """Finds what a browser would run: active elements, handlers, script-capable URLs."""

    def __init__(self, *, allowed: set[str] = frozenset(), markers: tuple[str, ...] = ()) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed  # elements the page's own template may use (style, meta)
        self.markers = markers  # strings only a feed supplies: none may appear inside them
        self.found: list[str] = []
        self.inside: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and dict(attrs).get("type") == "application/ld+json":
            # Data, not code (browsers run no script of that type): checked for what could
            # end it early, once its text is complete.
            self.inside.append("ld+json")
            self.data = ""
            return
        if tag in ("script", "style") or (tag in ACTIVE_TAGS and tag not in self.allowed):
            if tag not in self.allowed:
                self.found.append(f"<{tag}> element")
        if tag in ("script", "style"):
            self.inside.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name} attribute on <{tag}>")
            if name == "style" and any(m in (value or "") for m in self.markers):
                self.found.append(f"feed text in a style attribute on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                for part in value.split(",") if name == "srcset" else [value]:
                    scheme = url_scheme(part)
                    if scheme not in (None, "http", "https", "mailto"):
                        self.found.append(f"{scheme}: URL in {name} of <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.inside and self.inside[-1] == "ld+json":
            self.inside.pop()
            if "<" in self.data:
                self.found.append("a < inside JSON-LD")
            try:
                json.loads(self.data)
            except ValueError:
                self.found.append("JSON-LD that does not parse (ended early?)")
            return
        if self.inside and self.inside[-1] == tag:
            self.inside.pop()

    def handle_data(self, data: str) -> None:
        if self.inside and self.inside[-1] == "ld+json":
            self.data += data
            return
        if self.inside and any(marker in data for marker in self.markers):
            self.found.append(f"feed text inside <{self.inside[-1]}>")


def active_content(html: str, **options) -> list[str]:
    checker = ActiveContent(**options)
    checker.feed(html)
    checker.close()
    return checker.found


# Sanitizer property -------------------------------------------------------------------

DANGEROUS_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "\x01javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "DATA:image/svg+xml,<svg onload=alert(1)>",
    "livescript:x",
    "jav&#x09;ascript:alert(1)",
    "https://ok.example/",
    "/relative/path",
    "//cdn.example/x.js",
    "mailto:a@b.example",
    "file:///etc/passwd",
]
TAGS = [
    "a",
    "img",
    "p",
    "b",
    "div",
    "span",
    "script",
    "style",
    "iframe",
    "svg",
    "math",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "base",
    "meta",
    "link",
    "template",
    "noscript",
    "table",
    "td",
    "video",
    "audio",
    "source",
    "frame",
    "textarea",
    "select",
    "option",
    "details",
    "marquee",
    "xmp",
    "plaintext",
    "title",
    "body",
    "html",
    "head",
    "annotation-xml",
    "foreignObject",
    "use",
    "animate",
    "set",
]
ATTRIBUTES = [
    "href",
    "src",
    "onclick",
    "onerror",
    "onload",
    "ONMOUSEOVER",
    "style",
    "xlink:href",
    "formaction",
    "action",
    "srcset",
    "background",
    "poster",
    "data",
    "title",
    "alt",
    "class",
    "id",
    "width",
    "attributeName",
    "values",
    "to",
    "from",
    "dynsrc",
    "lowsrc",
    "cite",
]
attribute_values = st.one_of(st.sampled_from(DANGEROUS_URLS), st.text(max_size=20))


@st.composite
def start_tag(draw) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = draw(st.lists(st.tuples(st.sampled_from(ATTRIBUTES), attribute_values), max_size=4))
    quote = draw(st.sampled_from(['"', "'", ""]))
    rendered = "".join(
        f" {name}={quote}{value.replace(quote, '') if quote else value.replace(' ', '')}{quote}"
        for name, value in attrs
    )
    return f"<{tag}{rendered}{draw(st.sampled_from(['>', ' />', '/>', '']))}"


fragments = st.recursive(
    st.one_of(
        st.text(max_size=30),
        start_tag(),
        st.sampled_from(
            ["</script>", "</style>", "<!--", "-->", "<![CDATA[", "]]>", "</a>", "</svg>", "&lt;", "<", ">"]
        ),
        st.just("<script>alert(1)</script>"),
        st.just("<style>body{background:url(javascript:alert(1))}</style>"),
    ),
    lambda children: st.lists(children, max_size=6).map("".join),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments)
@example('<a href="javascript:alert(1)" onclick="x()">x</a><script>alert(1)</script>')
@example('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>')
@example("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>")
@example('<noscript><p title="</noscript><img src=x onerror=alert(1)>">')
@example('<img srcset="https://a.example/x.png 1x, javascript:alert(1) 2x">')
def test_sanitized_html_has_no_active_content(fragment):
    cleaned = sanitize_html(fragment)
    assert active_content(cleaned) == [], cleaned
    # What is safe stays safe when sanitized again.
    assert active_content(sanitize_html(cleaned)) == []


# canonical_url properties --------------------------------------------------------------

TRACKERS = ["utm_source", "utm_medium", "UTM_Campaign", "fbclid", "gclid", "mc_cid", "_hsenc", "spm", "pk_campaign"]
url_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def web_urls(draw) -> tuple[str, list[tuple[str, str]]]:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    host = draw(st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9\-]{0,10}[a-zA-Z0-9])?(\.[a-zA-Z]{2,6}){1,2}\.?", fullmatch=True))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = draw(st.lists(st.from_regex(r"[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,8}", fullmatch=True), max_size=3))
    kept = draw(
        st.lists(
            st.tuples(
                st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True), st.from_regex(r"[A-Za-z0-9]{0,5}", fullmatch=True)
            ),
            max_size=3,
        )
    )
    kept = [(k, v) for k, v in kept if not is_tracking(k)]
    tracking = draw(
        st.lists(st.tuples(st.sampled_from(TRACKERS), st.from_regex(r"[a-z0-9]{1,5}", fullmatch=True)), max_size=3)
    )
    params = draw(st.permutations(kept + tracking))
    query = "&".join(f"{k}={v}" for k, v in params)
    fragment = draw(st.sampled_from(["", "#top", "#"]))
    url = f"{scheme}://{host}{port}/{'/'.join(path)}" + (f"?{query}" if query else "") + fragment
    return url, kept


@settings(max_examples=300, deadline=None)
@given(st.one_of(url_text, st.text(max_size=60), st.from_regex(r"https?://[^\s]{0,40}", fullmatch=True)))
def test_canonical_url_never_raises_and_is_idempotent(value):
    once = canonical_url(value)
    assert isinstance(once, str)
    assert canonical_url(once) == once


@settings(max_examples=300, deadline=None)
@given(web_urls())
@example(("https://a.example/story?utm_source=rss&id=7#comments", [("id", "7")]))
def test_canonical_url_drops_tracking_and_keeps_the_rest(case):
    url, kept = case
    result = canonical_url(url)
    parts = urlsplit(result)
    assert parts.scheme in ("http", "https") and parts.fragment == ""
    assert parts.hostname == parts.hostname.lower()
    params = parse_qsl(parts.query, keep_blank_values=True)
    assert not any(is_tracking(k) for k, _ in params)
    assert sorted(params) == sorted(kept)
    assert canonical_url(result) == result


# The plain-URL shortcut ----------------------------------------------------------------

BASES = ["", "http://base.example/dir/feed.xml", "https://base.example/a/b?x=1", "https://other.example"]
almost_plain = st.one_of(
    st.from_regex(
        r"https?://[A-Za-z0-9.-]{1,12}(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&'()*+,=:@/-]{0,12})?(\?[A-Za-z0-9._~%!$&'()*+,;=:@/?-]{1,12})?",
        fullmatch=True,
    ),
    st.from_regex(r"[hH][tT]{2}[pP][sS]?:/{1,3}[^#]{0,20}#?.{0,4}", fullmatch=True),
    st.text(max_size=30),
)


def feedparser_link(base: str, value: str) -> str | None:
    """The link feedparser gives an Atom entry linking ``value``, in a feed served from ``base``."""
    document = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        f'<entry><title>e</title><id>urn:e</id><link rel="alternate" type="text/html" href={quoteattr(value)}/></entry></feed>'
    )
    headers = {"content-type": "application/atom+xml; charset=utf-8"} | ({"content-location": base} if base else {})
    (entry,) = feedparser.parse(io.BytesIO(document.encode()), response_headers=headers).entries
    return entry.get("link")


@settings(max_examples=500, deadline=None)
@given(almost_plain, st.sampled_from(BASES))
@example("http://a.example/p;", "http://b.example/")
@example("http://a.example/p?", "http://b.example/")
@example("HTTP://a.example/", "http://b.example/")
def test_a_plain_url_is_what_joining_and_splitting_make_of_it(value, base):
    """``is_plain_http_url`` lets newsdesk skip urljoin: only where that changes nothing."""
    if not is_plain_http_url(value):
        return
    assert urljoin(base, value) == value
    assert feedparser_link(base, value) == value
    assert urlunsplit(urlsplit(value)) == value
    assert is_http_url(value)


# Plain URLs whose query is name=value pairs, some of them tracking, some repeated.
simple_pair = st.tuples(
    st.one_of(
        st.sampled_from(TRACKERS + ["id", "a", "a.b", "A", "p-1"]),
        st.from_regex(r"[A-Za-z0-9._~-]{1,6}", fullmatch=True),
    ),
    st.from_regex(r"[A-Za-z0-9._~-]{0,6}", fullmatch=True),
)
plain_with_query = st.builds(
    lambda scheme, host, path, pairs: f"{scheme}://{host}{path}?" + "&".join(f"{k}={v}" for k, v in pairs),
    st.sampled_from(["http", "https"]),
    st.sampled_from(["a.example", "Example.COM.", "a.example:80", "a.example:8443", "a.example:99999"]),
    st.sampled_from(["", "/", "/story", "/2017/07/03/x.html"]),
    st.lists(simple_pair, min_size=1, max_size=5),
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(almost_plain, plain_with_query))
@example("https://a.example/story?utm_source=rss&id=7")
@example("https://a.example/s?a=b&a.b=")
@example("https://a.example/s?utm_source=rss")
@example("http://Example.COM.:80")
@example("https://a.example:0443/x")
@example("http://a.example:99999/x")
@example("http://a.example:00/")
@example("http://.//evil.example/x")
def test_a_plain_url_is_canonical_the_short_way_as_the_long_way(value):
    assert canonical_url(value) == _canonical_split(value.strip())


# A hostile feed, picked and rendered ------------------------------------------------------

MARK = "alert(666)"
HOSTILE_ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Hostile &lt;script&gt;{MARK}&lt;/script&gt;</title><id>urn:hostile</id>
<updated>2017-06-28T08:00:00Z</updated>
<entry><title type="text">"&gt;&lt;img src=x onerror={MARK}&gt;&lt;script&gt;{MARK}&lt;/script&gt;&lt;style&gt;*{{x:expression({MARK})}}&lt;/style&gt; Quoted</title>
<id>urn:1</id><link href="javascript:{MARK}"/><updated>2017-06-28T08:00:00Z</updated>
<content type="html">&lt;p onclick="{MARK}"&gt;Body&lt;script&gt;{MARK}&lt;/script&gt;&lt;a href="javascript:{MARK}"&gt;x&lt;/a&gt;&lt;/p&gt;</content></entry>
<entry><title type="html">&lt;b onmouseover="{MARK}"&gt;Bold&lt;/b&gt; &amp;lt;script&amp;gt;{MARK}&amp;lt;/script&amp;gt;</title>
<id>urn:2</id><link href="data:text/html,&lt;script&gt;{MARK}&lt;/script&gt;"/><updated>2017-06-28T08:00:00Z</updated></entry>
<entry><title>{{{{ 7*7 }}}} {{% raw %}} ]]&gt; &lt;/title&gt;&lt;/entry&gt; Template and XML breakers</title>
<id>urn:3</id><link href="https://safe.example/story?utm_source=x&amp;id=3"/><updated>2017-06-28T08:00:00Z</updated></entry>
</feed>
"""


EDITOR_MARK = "alert(777)"


def hostile_annotation() -> str:
    """What an editor might paste into an annotation: raw HTML and script links."""
    return (
        f'Pasted from the feed: <script>{EDITOR_MARK}</script> <img src=x onerror="{EDITOR_MARK}"> '
        f"[click](javascript:{EDITOR_MARK}) [data](data:text/html,{EDITOR_MARK}) "
        f'<a href="vbscript:{EDITOR_MARK}">vb</a>'
    )


@pytest.fixture
def rendered(tmp_path, server):
    room = make_newsroom(
        tmp_path / "room", [("Hostile", server.serve("hostile", HOSTILE_ATOM.encode(), "application/atom+xml"))]
    )
    report = fetch(room)
    assert not report.results[0].failed, report.results[0].line()
    issue = create_issue(room, date(2017, 7, 3))
    with room.store() as store:
        items = sorted(store.items(), key=lambda item: item.guid)
    assert len(items) == 3
    pick(issue, items, room.config.newsroom)
    for development in issue.developments:
        development.annotation = hostile_annotation()
    save_issue(issue)
    issue = load_issue(issue.path)
    out = tmp_path / "out"
    Renderer(room).render_all(issue, out)
    return issue, out


def test_feed_links_that_are_not_http_never_become_read_more_links(rendered):
    issue, _ = rendered
    links = [d.read_more for d in issue.developments]
    assert links == ["", "", "https://safe.example/story?id=3"]  # tracking dropped when picked


@pytest.mark.parametrize("name", ["email.html", "post.html", "post_body.html", "archive/index.html"])
def test_rendered_html_has_no_active_content(rendered, name):
    _, out = rendered
    html = (out / name).read_text(encoding="utf-8")
    # The templates' own <style> and <meta> are theirs; no feed text may be inside them.
    problems = active_content(html, allowed={"style", "meta", "link"}, markers=(MARK, EDITOR_MARK))
    assert problems == []
    # The only script is the post's JSON-LD (data, checked above).
    assert html.lower().count("<script") == html.count('<script type="application/ld+json">')
    # The hostile headline is there, as text.
    assert "Quoted" in html and "&lt;script&gt;" in html


def test_atom_feed_is_well_formed_and_its_html_is_inert(rendered):
    _, out = rendered
    tree = ET.parse(out / "archive" / "feed.xml")  # well-formed despite the XML breakers
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for link in tree.getroot().iterfind(".//a:link", ns):
        assert url_scheme(link.get("href", "")) in ("http", "https")
    bodies = [content.text or "" for content in tree.getroot().iterfind(".//a:content", ns)]
    assert bodies and "Quoted" in bodies[0]
    for body in bodies:
        assert active_content(body, markers=(MARK,)) == []


def test_plain_text_outputs_carry_no_feed_script_urls(rendered):
    _, out = rendered
    for name in ("email.txt", "post.md"):
        text = (out / name).read_text(encoding="utf-8")
        # The feed's script links are gone; the editor's own text stays as inert text.
        assert f"javascript:{MARK}" not in text and f"data:text/html,<script>{MARK}" not in text, name
        read_more = re.findall(r"Read more (?:here|at [^:\]]+)(?::\s+|\]\()(\S+?)\)?$", text, re.MULTILINE)
        assert read_more == ["https://safe.example/story?id=3"], name
