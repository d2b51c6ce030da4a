"""The static site in a real headless browser: Debian's chromium against the site served on
loopback by a stdlib HTTP server (and opened from disk), at a desktop and a phone width.

Chromium comes from scripts/ci/chromium.sh. Without it these tests are skipped, except under
CI, where a missing browser is a failure. Screenshots are saved in the test's tmp folder.
"""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import struct
import threading
import urllib.error
import urllib.request
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import pytest
from browser import browse, find_chromium

from newsdesk.issue import load_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.site import SiteBuilder, site_issues

pytestmark = pytest.mark.slow

POST = "2017/social-credit-weekly-news-summary-3rd-july-2017.html"
HEADLINES = [
    "Hebei invites the public to a hearing on its draft credit information regulation",
    "More local governments keep integrity records on public officials",
    "Eight ministries take aim at fake health and beauty products",
]
# Measures the page once it is laid out and leaves the figures, hidden, in the DOM that
# --dump-dom prints. Injected by the test server only: the site's files never carry it.
MEASURE = rb"""<script>
(function () {
  var root = document.documentElement, main = document.querySelector("main");
  var headings = [].slice.call(document.querySelectorAll("h1, h2")).map(function (h) {
    var box = h.getBoundingClientRect(), style = getComputedStyle(h);
    return {text: h.textContent.trim(), left: box.left, right: box.right, width: box.width,
            height: box.height, shown: style.display !== "none" && style.visibility !== "hidden"};
  });
  var nav = [].slice.call(document.querySelectorAll(".issue-nav a")).map(function (a) {
    var box = a.getBoundingClientRect();
    return {rel: a.rel, href: a.href, text: a.textContent.replace(/\s+/g, " ").trim(),
            left: box.left, right: box.right, width: box.width, height: box.height};
  });
  var out = document.createElement("pre");
  out.id = "measure";
  out.hidden = true;
  out.textContent = JSON.stringify({scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
    innerWidth: window.innerWidth, mainWidth: main.getBoundingClientRect().width,
    bodyMargin: getComputedStyle(document.body).marginTop, headings: headings, nav: nav});
  document.body.appendChild(out);
})();
</script>
</body>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    return find_chromium()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from conftest import copy_sample_newsroom

    room = Newsroom.open(copy_sample_newsroom(tmp_path_factory.mktemp("browser") / "newsroom"))
    root = room.root / "site"
    SiteBuilder(room, root).build(site_issues(room, load_issue(room.issue_path(date(2017, 7, 3)))))
    return root


# Headless chromium will not make a window narrower than 500 px, so a page is measured at
# a phone's width inside an iframe of that width (its own viewport: media queries and
# layout follow the iframe), and the figures are copied out for --dump-dom.
FRAME = """<!doctype html><html><body style="margin:0">
<iframe src="/{page}?measure" style="border:0;width:{width}px;height:900px" onload="
var m = this.contentDocument.getElementById('measure'), o = document.createElement('pre');
o.id = 'measure'; o.hidden = true; o.textContent = m ? m.textContent : 'null';
document.body.appendChild(o);"></iframe></body></html>"""


class Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        if path == "/__frame":
            params = dict(part.split("=", 1) for part in query.split("&"))
            body = FRAME.format(page=params["page"], width=int(params["width"])).encode()
        elif not Path(self.translate_path(path)).exists():
            # As static hosts do: the site's 404 page, whatever the missing address.
            status = 404
            body = Path(self.directory, "404.html").read_bytes()
            if query == "measure":
                body = body.replace(b"</body>", MEASURE, 1)
        elif query == "measure":
            body = Path(self.translate_path(path)).read_bytes().replace(b"</body>", MEASURE, 1)
        else:
            return super().do_GET()
        self.send_response(locals().get("status", 200))
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(site):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def measure(chromium: str, tmp_path: Path, url: str, width: int) -> dict:
    dom = browse(chromium, tmp_path, url, max(width, 500) + 100, "--dump-dom")
    found = re.search(r'<pre id="measure" hidden="">(.*?)</pre>', dom, re.DOTALL)
    assert found, f"the measuring script did not run on {url}"
    return json.loads(html.unescape(found.group(1)))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("page", [POST, "archive/index.html"])
def test_screenshots_at_desktop_and_phone_width(chromium, served, tmp_path, page, width):
    shot = tmp_path / f"{page.replace('/', '_')}-{width}.png"
    browse(chromium, tmp_path, f"{served}/{page}", width, f"--screenshot={shot}", height=1400)
    assert png_size(shot) == (width, 1400)
    assert shot.stat().st_size > 20_000  # text and rules drawn, not a blank page


@pytest.mark.parametrize("width", [1280, 375])
def test_the_three_headlines_are_visible_and_nothing_scrolls_sideways(chromium, served, tmp_path, width):
    figures = measure(chromium, tmp_path, f"{served}/__frame?page={POST}&width={width}", width)
    assert figures["innerWidth"] == width
    assert figures["scrollWidth"] <= figures["clientWidth"], figures  # no horizontal scrolling
    shown = {h["text"]: h for h in figures["headings"]}
    for headline in HEADLINES:
        box = shown[headline]
        assert box["shown"] and box["width"] > 0 and box["height"] > 0, box
        assert 0 <= box["left"] and box["right"] <= width, box
    # The stylesheet file was found: the column is capped on a desktop, full width on a phone.
    assert figures["mainWidth"] == (672 if width == 1280 else 375)


def test_the_archive_fits_a_phone(chromium, served, tmp_path):
    figures = measure(chromium, tmp_path, f"{served}/__frame?page=archive/index.html&width=375", 375)
    assert figures["scrollWidth"] <= figures["clientWidth"], figures
    titles = [h["text"] for h in figures["headings"]]
    assert titles[:3] == [
        "Archive",
        "Social Credit Weekly News Summary – 3rd July 2017",
        "Social Credit Weekly News Summary – 26th June 2017",
    ]


def test_the_site_works_opened_from_disk(chromium, site, tmp_path):
    # A copy with the measuring script, loaded through file://: the relative links still
    # find the stylesheet (the column is capped) and the archive page.
    copy = tmp_path / "copy"
    shutil.copytree(site, copy)
    page = copy / POST
    page.write_bytes(page.read_bytes().replace(b"</body>", MEASURE, 1))
    figures = measure(chromium, tmp_path, page.as_uri(), 1280)
    assert figures["mainWidth"] == 672
    dom = browse(chromium, tmp_path, (copy / "archive" / "index.html").as_uri(), 1280, "--dump-dom")
    assert "Read more here</a>" in dom


def test_the_atom_feed_parses_back(served):
    with urllib.request.urlopen(f"{served}/archive/feed.xml", timeout=10) as response:
        assert response.headers["Content-Type"] in ("application/xml", "text/xml")
        feed = feedparser.parse(response.read())
    assert feed.bozo == 0 and feed.version == "atom10"
    assert feed.feed.title == "Social Credit Weekly News Summary"
    assert [e.id for e in feed.entries] == [
        "tag:socialcredit.example,2017-07-03:issue",
        "tag:socialcredit.example,2017-06-26:issue",
    ]
    first = feed.entries[0]
    assert first.link == f"https://socialcredit.example/{POST}"
    for headline in HEADLINES:
        assert headline in first.content[0].value


@pytest.mark.parametrize("width", [1280, 375])
def test_the_previous_issue_link_fits_and_leads_there(chromium, served, tmp_path, width):
    figures = measure(chromium, tmp_path, f"{served}/__frame?page={POST}&width={width}", width)
    assert figures["scrollWidth"] <= figures["clientWidth"], figures
    [link] = figures["nav"]  # the newest issue: no next one
    assert link["rel"] == "prev" and link["text"] == (
        "← Previous issue Social Credit Weekly News Summary – 26th June 2017"
    )
    assert link["href"] == f"{served}/2017/social-credit-weekly-news-summary-26th-june-2017.html"
    assert 0 <= link["left"] and link["right"] <= width and link["height"] > 0, link
    with urllib.request.urlopen(link["href"], timeout=10) as response:
        assert response.status == 200


@pytest.mark.parametrize("width", [1280, 375])
def test_a_missing_address_gets_the_styled_404_page(chromium, served, tmp_path, width):
    missing = "2017/an-issue-that-was-retitled.html"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{served}/{missing}", timeout=10)
    assert caught.value.code == 404
    figures = measure(chromium, tmp_path, f"{served}/__frame?page={missing}&width={width}", width)
    assert figures["scrollWidth"] <= figures["clientWidth"], figures
    assert [h["text"] for h in figures["headings"]] == ["Page not found"]
    # Its stylesheet was found from a folder the page is not in: the column is capped.
    assert figures["mainWidth"] == (672 if width == 1280 else 375)


def test_feeds_are_discovered_from_the_home_page_and_parse(chromium, served, tmp_path):
    import lxml.html
    from browser import dump_dom

    page = lxml.html.fromstring(dump_dom(chromium, tmp_path, f"{served}/index.html"))
    page.make_links_absolute(f"{served}/index.html")
    found = {link.get("type"): link.get("href") for link in page.xpath('//link[@rel="alternate"]')}
    assert set(found) == {"application/atom+xml", "application/rss+xml"}
    versions = {}
    for kind, url in found.items():
        with urllib.request.urlopen(url, timeout=10) as response:
            feed = feedparser.parse(response.read())
        assert feed.bozo == 0, (url, feed.get("bozo_exception"))
        versions[kind] = feed.version
        assert [e.title for e in feed.entries] == [
            "Social Credit Weekly News Summary – 3rd July 2017",
            "Social Credit Weekly News Summary – 26th June 2017",
        ]
    assert versions == {"application/atom+xml": "atom10", "application/rss+xml": "rss20"}
    assert page.xpath('//link[@rel="canonical"]/@href') == ["https://socialcredit.example/"]


def test_a_post_carries_its_structured_data(chromium, served, tmp_path):
    import lxml.html
    from browser import dump_dom

    page = lxml.html.fromstring(dump_dom(chromium, tmp_path, f"{served}/{POST}"))
    [data] = [json.loads(s.text) for s in page.xpath('//script[@type="application/ld+json"]')]
    assert data["@type"] == "BlogPosting" and data["headline"] == "Social Credit Weekly News Summary – 3rd July 2017"
    meta = {m.get("property") or m.get("name"): m.get("content") for m in page.xpath("//meta[@content]")}
    assert meta["og:url"] == data["url"] == f"https://socialcredit.example/{POST}"
    assert meta["og:type"] == "article" and meta["twitter:card"] == "summary"
