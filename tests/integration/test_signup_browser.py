"""The service's sign-up as a reader goes through it, in Debian's headless chromium (over the
DevTools protocol): the form filled and sent at a phone's width, the confirmation email
received by a real SMTP server (aiosmtpd), its link opened in the browser and its button
pressed; then the unsubscribe page's one button.

Chromium comes from scripts/ci/chromium.sh. Without it these tests are skipped, except under
CI, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from devtools import Browser, find_chromium
from mail_newsroom import configure_smtp
from smtp_server import SmtpServer, free_port
from web_service import SECRET, RunningService, configure_web, confirmation_link

from newsdesk.mail.roster import Roster
from newsdesk.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if not find_chromium():
        reason = "Debian's chromium is not installed: run scripts/ci/chromium.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with Browser(find_chromium() or "chromium") as opened:
        yield opened


def state(room: Path, address: str) -> str | None:
    with Store(room / ".newsdesk" / "store.sqlite3") as store:
        member = Roster(store).get(address)
    return member.state if member else None


def click_and_wait(browser: Browser, selector: str) -> None:
    browser.evaluate(f'document.querySelector("{selector}").click()')
    browser.wait_for("Page.loadEventFired")


def test_a_reader_signs_up_confirms_and_unsubscribes_in_the_browser(browser, newsroom_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSDESK_SECRET", SECRET)
    port = free_port()
    configure_web(newsroom_dir, port)
    with SmtpServer() as smtp:
        configure_smtp(newsroom_dir, smtp.port)
        with RunningService(newsroom_dir, port) as service:
            browser.open(service.url("/subscribe"), width=375)
            layout = browser.evaluate(
                """(() => ({scroll: document.documentElement.scrollWidth,
                            honeypot: document.getElementById("website").getBoundingClientRect().right,
                            button: document.querySelector("button").getBoundingClientRect().height}))()"""
            )
            assert layout["scroll"] <= 375 and layout["honeypot"] <= 0 and layout["button"] >= 44
            # The button's font is the page's, in bold (an invalid `font` shorthand is dropped whole).
            look = browser.evaluate(
                """(() => { const button = getComputedStyle(document.querySelector("button"));
                            const body = getComputedStyle(document.body);
                            return {weight: button.fontWeight, family: button.fontFamily, body: body.fontFamily,
                                    title: document.title}; })()"""
            )
            assert look["weight"] == "600" and look["family"] == look["body"], look
            assert look["title"] == "Subscribe to Social Credit Weekly News Summary"  # the name once
            browser.evaluate(
                """(() => {
                  document.getElementById("email").value = "browser.reader@readers.example";
                  document.getElementById("name").value = "Lǐ Míng 李明";
                })()"""
            )
            click_and_wait(browser, "button[type=submit]")
            assert browser.evaluate("document.querySelector('h1').textContent") == "Check your inbox"

            deadline = time.monotonic() + 30
            while not smtp.recorder.messages and time.monotonic() < deadline:
                time.sleep(0.05)
            [message] = smtp.recorder.messages
            assert state(newsroom_dir, "browser.reader@readers.example") == "pending"

            browser.open(confirmation_link(message), width=375)
            assert state(newsroom_dir, "browser.reader@readers.example") == "pending"  # opening it is not enough
            click_and_wait(browser, "button[type=submit]")
            assert browser.evaluate("document.querySelector('h1').textContent") == "You are subscribed"
            assert state(newsroom_dir, "browser.reader@readers.example") == "subscribed"

            with Store(newsroom_dir / ".newsdesk" / "store.sqlite3") as store:
                member = Roster(store).get("browser.reader@readers.example")
                assert member.name == "Lǐ Míng 李明"
            token = service.service.signer.unsubscribe_token(member.id)
            browser.open(service.url(f"/unsubscribe/{token}"), width=375)
            assert state(newsroom_dir, "browser.reader@readers.example") == "subscribed"
            click_and_wait(browser, "button[type=submit]")
            assert browser.evaluate("document.querySelector('h1').textContent") == "You are unsubscribed"
            assert state(newsroom_dir, "browser.reader@readers.example") == "unsubscribed"


def test_the_static_sites_form_signs_up_with_the_service(browser, newsroom_dir: Path, monkeypatch) -> None:
    """The blog's own form (newsroom.signup_url pointing at the service's /subscribe),
    filled on a page of the built static site, served from another origin."""
    import functools
    import threading
    from datetime import date
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    import tomlkit

    from newsdesk.issue import load_issue
    from newsdesk.newsroom import Newsroom
    from newsdesk.output.site import SiteBuilder, site_issues

    monkeypatch.setenv("NEWSDESK_SECRET", SECRET)
    port = free_port()
    configure_web(newsroom_dir, port)
    config = newsroom_dir / "sources.toml"
    document = tomlkit.parse(config.read_text(encoding="utf-8"))
    document["newsroom"]["signup_url"] = f"http://127.0.0.1:{port}/subscribe"  # type: ignore[index]
    config.write_text(tomlkit.dumps(document), encoding="utf-8")
    site = newsroom_dir / "site"
    site.mkdir()
    room = Newsroom.open(newsroom_dir)
    SiteBuilder(room, site).build(site_issues(room, load_issue(room.issue_path(date(2017, 7, 3)))))

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    pages = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    try:
        with SmtpServer() as smtp:
            configure_smtp(newsroom_dir, smtp.port)
            with RunningService(newsroom_dir, port):
                browser.open(f"http://127.0.0.1:{pages.server_address[1]}/index.html", width=1280)
                # The same limit as the service's own form.
                assert browser.evaluate('document.getElementById("signup-name").maxLength') == 100
                browser.evaluate(
                    """(() => {
                      document.getElementById("signup-email").value = "blog.reader@readers.example";
                      document.getElementById("signup-name").value = "Blog Reader";
                    })()"""
                )
                click_and_wait(browser, "aside.signup button[type=submit]")
                assert browser.evaluate("document.querySelector('h1').textContent") == "Check your inbox"
                deadline = time.monotonic() + 30
                while not smtp.recorder.messages and time.monotonic() < deadline:
                    time.sleep(0.05)
                [message] = smtp.recorder.messages
                assert message.recipient == "blog.reader@readers.example"
                assert state(newsroom_dir, "blog.reader@readers.example") == "pending"
                browser.open(confirmation_link(message), width=1280)
                click_and_wait(browser, "button[type=submit]")
                assert state(newsroom_dir, "blog.reader@readers.example") == "subscribed"
    finally:
        pages.shutdown()
        pages.server_close()
