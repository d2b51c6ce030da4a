"""The blog's reader-facing parts in a real headless chromium (over the DevTools protocol, so
at any viewport width): the sign-up form, posted to a sign-up address on loopback, at a
phone's and a desktop's width with no sideways scrolling.

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

from newsdesk.issue import load_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.site import SiteBuilder, site_issues

pytestmark = pytest.mark.slow

POST = "2017/social-credit-weekly-news-summary-3rd-july-2017.html"
PAGES = ["index.html", POST, "archive/index.html", "archive/2017.html", "missing.html"]


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
    SiteBuilder(room, site).build(site_issues(room, load_issue(room.issue_path(date(2017, 7, 3)))))
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
