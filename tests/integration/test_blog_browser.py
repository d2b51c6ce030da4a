"""The blog's reader-facing parts in a real headless chromium (over the DevTools protocol, so
at any viewport width): every kind of page at a phone's and a desktop's width with no
sideways scrolling, the sign-up form posted to a sign-up address on loopback and to the real
subscriber service, the search page over its index, the tag pages.

Chromium comes from scripts/ci/chromium.sh. Without it these tests are skipped, except under
CI, where a missing browser is a failure.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import tomlkit
from devtools import Browser, find_chromium

from newsdesk.issue import load_issue, save_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.site import SiteBuilder, site_issues

pytestmark = pytest.mark.slow

POST = "2017/social-credit-weekly-news-summary-3rd-july-2017.html"
# Every kind of page: home, post, archive, year, tags, a tag (named in Chinese), search, 404.
PAGES = [
    "index.html",
    POST,
    "archive/index.html",
    "archive/2017.html",
    "tags/index.html",
    "tags/social-credit-system.html",
    "tags/%E4%BF%A1%E7%94%A8%E4%BD%93%E7%B3%BB.html",
    "search.html",
    "missing.html",
]


class Handler(SimpleHTTPRequestHandler):
    """The site's files, its 404 page for a missing address, and a sign-up endpoint that
    records what it is sent."""

    posts: list[tuple[str, dict[str, list[str]]]]

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.partition("?")[0]
        if not Path(self.translate_path(path)).exists():
            body = Path(self.directory, "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8"), keep_blank_values=True)
        self.posts.append((self.headers.get("Content-Type", ""), form))
        body = b"<!doctype html><title>Thanks</title><p>Check your inbox.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The sample site with a sign-up address, served on loopback: (base URL, posts)."""
    from conftest import copy_sample_newsroom

    folder = copy_sample_newsroom(tmp_path_factory.mktemp("blog-browser") / "newsroom")
    site = folder / "site"
    site.mkdir()
    posts: list[tuple[str, dict[str, list[str]]]] = []
    handler = type("Recording", (Handler,), {"posts": posts})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    config = folder / "sources.toml"
    document = tomlkit.parse(config.read_text(encoding="utf-8"))
    document["newsroom"]["signup_url"] = f"{base}/signup"  # type: ignore[index]
    config.write_text(tomlkit.dumps(document), encoding="utf-8")
    room = Newsroom.open(folder)
    for day, tags in (
        (date(2017, 7, 3), ["Social credit system", "信用体系", "Hebei"]),
        (date(2017, 6, 26), ["信用体系"]),
    ):
        issue = load_issue(room.issue_path(day))
        issue.tags = tags
        save_issue(issue)
    SiteBuilder(room, site).build(site_issues(room))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, posts
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not find_chromium():
        reason = "Debian's chromium is not installed: run scripts/ci/chromium.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with Browser(find_chromium() or "chromium") as opened:
        yield opened


LAYOUT = """(() => {
  const root = document.documentElement, box = (el) => el ? el.getBoundingClientRect().toJSON() : null;
  const form = document.querySelector("aside.signup form");
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
          form: box(form), email: box(document.getElementById("signup-email")),
          button: box(form && form.querySelector("button")),
          honeypot: box(document.getElementById("signup-website"))};
})()"""


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("page", PAGES)
def test_the_signup_form_fits_every_page_and_its_honeypot_is_out_of_sight(browser, served, page, width):
    base, _ = served
    browser.open(f"{base}/{page}", width=width)
    layout = browser.evaluate(LAYOUT)
    assert layout["scrollWidth"] <= layout["clientWidth"] == width, layout  # no sideways scrolling
    for part in ("form", "email", "button"):
        box = layout[part]
        assert box and box["width"] > 0 and 0 <= box["left"] and box["right"] <= width, (part, box)
    assert layout["email"]["height"] >= 44 and layout["button"]["height"] >= 44  # a finger's target
    assert layout["honeypot"]["right"] <= 0  # off the page: people never see it


def test_the_form_posts_email_name_and_an_empty_honeypot_to_the_signup_address(browser, served):
    base, posts = served
    browser.open(f"{base}/{POST}", width=375)
    before = len(posts)
    browser.evaluate(
        """(() => {
          document.getElementById("signup-email").value = "reader@example.org";
          document.getElementById("signup-name").value = "Lǐ Míng 李明";
          document.querySelector("aside.signup button[type=submit]").click();
        })()"""
    )
    browser.wait_for("Page.loadEventFired")
    deadline = time.monotonic() + 30
    while len(posts) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    kind, form = posts[-1]
    assert kind == "application/x-www-form-urlencoded"
    assert form == {"email": ["reader@example.org"], "name": ["Lǐ Míng 李明"], "website": [""]}
    assert browser.evaluate("document.body.textContent") == "Check your inbox."


def test_the_blogs_form_signs_a_reader_up_with_the_real_subscriber_service(browser, tmp_path, monkeypatch):
    """The static site's form, filled in chromium, posted to `newsdesk serve` (uvicorn on
    loopback): the service sends the confirmation email to a real SMTP server."""
    from conftest import copy_sample_newsroom
    from mail_newsroom import configure_smtp
    from smtp_server import SmtpServer, free_port
    from web_service import SECRET, RunningService, configure_web

    folder = copy_sample_newsroom(tmp_path / "newsroom")
    monkeypatch.setenv("NEWSDESK_SECRET", SECRET)
    with SmtpServer() as smtp:
        configure_smtp(folder, smtp.port)
        port = free_port()
        configure_web(folder, port)
        config = folder / "sources.toml"
        document = tomlkit.parse(config.read_text(encoding="utf-8"))
        document["newsroom"]["signup_url"] = f"http://127.0.0.1:{port}/subscribe"  # type: ignore[index]
        config.write_text(tomlkit.dumps(document), encoding="utf-8")
        room = Newsroom.open(folder)
        site = folder / "site"
        SiteBuilder(room, site).build(site_issues(room))
        handler = type("Recording", (Handler,), {"posts": []})
        static = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
        threading.Thread(target=static.serve_forever, daemon=True).start()
        try:
            with RunningService(folder, port):
                browser.open(f"http://127.0.0.1:{static.server_address[1]}/{POST}", width=375)
                browser.evaluate(
                    """(() => {
                      document.getElementById("signup-email").value = "blog.reader@readers.example";
                      document.getElementById("signup-name").value = "李明";
                      document.querySelector("aside.signup button[type=submit]").click();
                    })()"""
                )
                browser.wait_for("Page.loadEventFired")
                assert "Check your inbox" in browser.evaluate("document.body.textContent")
                deadline = time.monotonic() + 30
                while not smtp.recorder.messages and time.monotonic() < deadline:
                    time.sleep(0.05)
        finally:
            static.shutdown()
            static.server_close()
        [message] = smtp.recorder.messages
        assert message.recipient == "blog.reader@readers.example"
        assert message.parsed()["Subject"].startswith("Confirm your subscription")


# Search: the page fetches search.json and lists what matches, as text --------------------

RESULTS = """new Promise((done) => {
  const ready = () => !document.getElementById("search-status").textContent.startsWith("Loading");
  const report = () => done({
    status: document.getElementById("search-status").textContent,
    titles: [...document.querySelectorAll("#search-results h2 a")].map((a) => a.textContent),
    hrefs: [...document.querySelectorAll("#search-results h2 a")].map((a) => a.href),
    snippets: [...document.querySelectorAll("#search-results li > p:last-child")].map((p) => p.textContent),
    images: document.querySelectorAll("#search-results img").length,
    scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
    input: document.getElementById("search-query").getBoundingClientRect().toJSON(),
  });
  const wait = () => (ready() ? report() : setTimeout(wait, 20));
  wait();
})"""

JULY = "Social Credit Weekly News Summary – 3rd July 2017"
JUNE = "Social Credit Weekly News Summary – 26th June 2017"


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("宿迁", [JULY]),  # Chinese, found inside a longer run of characters
        ("宿遷", [JULY]),  # typed in traditional characters, found in simplified text
        ("社會信用", [JULY, JUNE]),
        ("社会信用", [JULY, JUNE]),
        ("DEFAULTER Shanghai", [JUNE]),  # every word, in any case
        ("integrity", [JULY, JUNE]),
        ("nowhere-to-be-found", []),
    ],
)
def test_search_finds_issues_by_their_words_at_a_phone_and_a_desktop_width(browser, served, query, titles, width):
    from urllib.parse import quote

    base, _ = served
    browser.open(f"{base}/search.html?q={quote(query)}", width=width)
    found = browser.evaluate(RESULTS)
    assert found["titles"] == titles, found
    assert found["status"] == ("1 issue found" if len(titles) == 1 else f"{len(titles)} issues found")
    assert all(href.startswith(f"{base}/2017/") for href in found["hrefs"])
    assert found["scrollWidth"] <= found["clientWidth"] == width, found
    assert 0 <= found["input"]["left"] and found["input"]["right"] <= width and found["input"]["height"] >= 44


def test_typing_in_the_search_box_updates_the_results_and_the_address(browser, served):
    base, _ = served
    browser.open(f"{base}/index.html", width=375)
    search = browser.evaluate('document.querySelector(".site-nav a[href=\\"search.html\\"]").href')
    browser.open(search, width=375)
    assert browser.evaluate(RESULTS)["titles"] == []
    browser.page("Runtime.evaluate", expression='document.getElementById("search-query").focus()')
    browser.page("Input.insertText", text="河北")
    found = browser.evaluate(RESULTS)
    assert found["titles"] == [JULY] and "河北" in found["snippets"][0]
    assert browser.evaluate("location.search") == "?q=%E6%B2%B3%E5%8C%97"


def test_a_title_with_markup_is_found_and_shown_as_text(browser, tmp_path):
    from conftest import copy_sample_newsroom

    folder = copy_sample_newsroom(tmp_path / "newsroom")
    room = Newsroom.open(folder)
    issue = load_issue(room.issue_path(date(2017, 7, 3)))
    issue.title = 'Code <img src=x onerror="document.title=1"> sample'
    save_issue(issue)
    site = folder / "site"
    SiteBuilder(room, site).build(site_issues(room))
    handler = type("Recording", (Handler,), {"posts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.open(f"http://127.0.0.1:{server.server_address[1]}/search.html?q=onerror", width=1280)
        found = browser.evaluate(RESULTS)
    finally:
        server.shutdown()
        server.server_close()
    assert found["titles"] == [issue.title] and found["images"] == 0
    assert browser.evaluate("document.title") == "Social Credit Weekly News Summary – Search"


def test_an_issue_written_in_traditional_characters_is_found_typed_either_way(browser, tmp_path):
    from conftest import copy_sample_newsroom

    folder = copy_sample_newsroom(tmp_path / "newsroom")
    room = Newsroom.open(folder)
    issue = load_issue(room.issue_path(date(2017, 6, 26)))
    issue.developments[0].annotation += "\n\n臺灣的資訊公開條例於週一公佈。"
    save_issue(issue)
    site = folder / "site"
    SiteBuilder(room, site).build(site_issues(room))
    handler = type("Recording", (Handler,), {"posts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    found = {}
    try:
        for query in ("资讯公开", "資訊公開", "台湾 资讯", "公布", "資訊公开"):
            browser.open(f"{base}/search.html?q={query}", width=375)
            found[query] = browser.evaluate(RESULTS)
    finally:
        server.shutdown()
        server.server_close()
    for query, result in found.items():
        assert result["titles"] == [JUNE], (query, result)
    # The snippet shows the text as written, around the word found.
    assert "臺灣的資訊公開條例" in found["资讯公开"]["snippets"][0]


@pytest.mark.parametrize("width", [375, 1280])
def test_a_tag_page_lists_its_issues_and_is_reached_from_the_post(browser, served, width):
    base, _ = served
    browser.open(f"{base}/{POST}", width=width)
    tags = browser.evaluate('[...document.querySelectorAll("a[rel=tag]")].map((a) => [a.textContent, a.href])')
    assert [name for name, _ in tags] == ["Social credit system", "信用体系", "Hebei"]
    browser.open(tags[1][1], width=width)
    page = browser.evaluate(
        """({h1: document.querySelector("h1").textContent,
            issues: [...document.querySelectorAll(".archive-list h2 a")].map((a) => a.textContent),
            scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth})"""
    )
    assert page["h1"] == "Issues tagged 信用体系" and page["issues"] == [JULY, JUNE]
    assert page["scrollWidth"] <= page["clientWidth"] == width
