"""Articles fetched from a real HTTP server on loopback, extracted, cached, and refused when
they are not articles."""

from __future__ import annotations

from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from loopback import LoopbackServer

from newsdesk.config import FetchSettings
from newsdesk.curation.articles import ArticleCache, lead_paragraph, read_article
from newsdesk.store import Store

ENGLISH = """<!doctype html><html><head><meta charset="utf-8"><title>Hebei hearing | Credit Policy Daily</title></head>
<body><nav><a href="/">Home</a> | <a href="/policy">Policy</a> | <a href="/courts">Courts</a></nav>
<article><h1>Hebei Invites Public to Hearing on Draft Credit Information Rules</h1>
<p class="byline">By Staff</p>
<p>Hebei's provincial legislature will hold a public hearing on the draft Hebei Regulations on Social
Credit Information on 6 July, and members of the public who wish to take part have until 2 July to apply.</p>
<p>The draft defines what counts as credit information, who may collect it and how it may be shared
between departments, and it gives citizens a way to object to records they believe are wrong.</p>
<p>Coming days after Shanghai adopted its own comprehensive regulation, the hearing shows provincial
legislatures moving quickly to put the credit system on a statutory footing.</p></article>
<footer>Copyright 2017 Credit Policy Daily. All rights reserved. Contact us. Subscribe.</footer></body></html>"""

CHINESE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>厦门发布首批守信红名单_新华信用观察</title></head><body>
<div class="nav">首页 | 要闻 | 地方</div>
<div class="article"><h1>厦门发布首批守信“红名单” 215家企业38名个人上榜</h1>
<p>厦门市日前公布首批守信联合激励“红名单”，215家企业和38名个人入选。列入名单的主体在办理行政审批时可享受“绿色通道”等便利，名单每半年动态调整一次。</p>
<p>厦门市社会信用体系建设领导小组办公室表示，红名单的认定以信用信息共享平台的记录为依据，出现严重失信行为的主体将被及时移出名单。</p>
<p>据介绍，这是厦门市首次发布守信联合激励对象名单，今后还将在更多领域推出守信激励措施。</p></div>
<div class="footer">版权所有 新华信用观察</div></body></html>"""

INDEX = """<html><head><title>Courts</title></head><body><ul>
<li><a href="/a">Story one</a></li><li><a href="/b">Story two</a></li><li><a href="/c">Story three</a></li>
</ul></body></html>"""


class Server(LoopbackServer):
    """Routes: path -> (status, headers, body). Counts requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: Counter[str] = Counter()
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                state.requests[self.path] += 1
                status, headers, body = state.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.serve(Handler)

    def page(self, path: str, html: str | bytes, content_type: str = "text/html; charset=utf-8") -> str:
        body = html.encode("utf-8") if isinstance(html, str) else html
        self.routes[path] = (200, {"Content-Type": content_type}, body)
        return self.url(path)


@pytest.fixture
def server():
    running = Server()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite3") as opened:
        yield opened


SETTINGS = FetchSettings(connect_timeout=2, read_timeout=2, max_redirects=3)


def test_an_article_is_extracted_without_navigation_and_its_lead_offered(server, store):
    url = server.page("/hebei", ENGLISH)
    article = read_article(store, url, SETTINGS)
    assert article.ok, article.message
    assert "public hearing on the draft Hebei Regulations" in article.text
    assert "Home" not in article.text and "All rights reserved" not in article.text
    assert article.lead.startswith("Hebei's provincial legislature will hold a public hearing")
    assert "Hebei" in article.title


def test_a_chinese_page_in_gbk_is_decoded_and_extracted(server, store):
    url = server.page("/xiamen", CHINESE.encode("gbk"), "text/html")
    article = read_article(store, url, SETTINGS)
    assert article.ok, article.message
    assert article.lead.startswith("厦门市日前公布首批守信联合激励“红名单”")
    assert "首页" not in article.text


def test_articles_are_cached_by_canonical_url(server, store):
    url = server.page("/hebei", ENGLISH)
    first = read_article(store, url, SETTINGS)
    again = read_article(store, url + "?utm_source=newsletter", SETTINGS)
    assert server.requests["/hebei"] == 1
    assert again.cached and again.text == first.text and not first.cached
    assert read_article(store, url, SETTINGS, refresh=True).text == first.text
    assert server.requests["/hebei"] == 2


def test_a_page_that_is_not_an_article_says_so(server, store):
    pdf = server.page("/report.pdf", b"%PDF-1.4 ...", "application/pdf")
    index = server.page("/courts", INDEX)
    for url, expected in ((pdf, "application/pdf"), (index, "too little text")):
        article = read_article(store, url, SETTINGS)
        assert article.status == "not_article" and expected in article.message
        assert not article.lead


def test_failures_say_why_and_are_not_cached(server, store):
    missing = server.url("/gone")
    article = read_article(store, missing, SETTINGS)
    assert article.status == "failed" and "HTTP 404" in article.message
    assert ArticleCache(store).get(missing) is None
    server.page("/gone", ENGLISH)  # it comes back: the next try fetches it
    assert read_article(store, missing, SETTINGS).ok


def test_redirects_are_followed_within_the_limit(server, store):
    target = server.page("/story", ENGLISH)
    server.routes["/short"] = (301, {"Location": target}, b"")
    assert read_article(store, server.url("/short"), SETTINGS).ok
    server.routes["/loop"] = (302, {"Location": server.url("/loop")}, b"")
    looped = read_article(store, server.url("/loop"), SETTINGS)
    assert looped.status == "failed" and "redirects" in looped.message


def test_a_huge_page_and_a_non_http_link_are_refused(server, store):
    url = server.page("/huge", "<html><body>" + "<p>words " * 700_000 + "</body></html>")
    article = read_article(store, url, SETTINGS)
    assert article.status == "failed" and "larger than" in article.message
    local = read_article(store, "file:///etc/passwd", SETTINGS)
    assert local.status == "failed" and "not an http(s) link" in local.message


def test_a_server_that_is_down_is_a_failure_not_a_crash(store):
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()  # nothing listens there now
    article = read_article(store, f"http://127.0.0.1:{port}/x", SETTINGS)
    assert article.status == "failed" and article.message.startswith("cannot fetch")


def test_the_lead_skips_headlines_and_bylines():
    text = "Short headline\nBy Staff\n" + "A real first paragraph that says what happened, at length. " * 2
    assert lead_paragraph(text, "Short headline").startswith("A real first paragraph")
    assert lead_paragraph("Only short lines\nhere") == "Only short lines"
