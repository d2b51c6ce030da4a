"""Sources that do not vanish: picks' pages saved with the issue from a real loopback
server, named by the check when the link dies, linked by the post as an archived copy."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from article_pages import CHINESE, chinese_route, english_route
from feedserver import FeedServer
from mail_newsroom import ISSUE, write_ready_issue

WAYBACK = "https://web.archive.org/web/20170707000000/http://red-lists.example/"


@pytest.fixture
def server():
    server = FeedServer().start()
    server.routes["/ok/courts-first-half"] = english_route()
    server.routes["/moved/red-lists"] = chinese_route()
    yield server
    server.stop()


@pytest.fixture
def ready(fetched: Path, server: FeedServer) -> Path:
    write_ready_issue(fetched, server.url)
    return fetched


@pytest.mark.slow
def test_pages_saved_named_when_dead_and_linked_as_archived(ready: Path, server: FeedServer, run) -> None:
    saved = run("save-sources", ISSUE)
    assert saved.exit_code == 1  # /nohead is not served: nothing to save there
    lines = saved.output.splitlines()
    folder = ready / "issues" / ISSUE / "sources"
    assert lines[0].startswith(f"development 1: saved {folder / '54512d6947cf.html'} (sha256 ")
    assert lines[2].startswith("development 3: not saved: HTTP 404")
    manifest = json.loads((folder / "sources.json").read_text(encoding="utf-8"))
    by_key = {entry["key"]: entry for entry in manifest["sources"]}
    chinese = by_key["9544e26fe339"]
    html = (folder / "9544e26fe339.html").read_bytes()
    assert html == CHINESE.encode("gbk")  # the page exactly as the server sent it
    assert chinese["html_sha256"] == hashlib.sha256(html).hexdigest()
    text = (folder / "9544e26fe339.txt").read_text(encoding="utf-8")
    assert "215家企业和38名个人入选" in text and "首页" not in text
    assert chinese["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert chinese["url"] == server.url("/moved/red-lists") and chinese["saved_at"]

    # Saved before: not fetched again unless asked.
    requests = server.requests["/ok/courts-first-half"]
    run("save-sources", ISSUE, "1")
    assert server.requests["/ok/courts-first-half"] == requests
    run("save-sources", ISSUE, "1", "--again")
    assert server.requests["/ok/courts-first-half"] == requests + 1

    assert run("save-sources", ISSUE, "2", "--wayback", WAYBACK).exit_code == 0
    assert run("save-sources", ISSUE, "2", "--wayback", "ftp://x").exit_code == 2
    assert run("save-sources", ISSUE, "7").exit_code == 2

    # The pages die.
    del server.routes["/ok/courts-first-half"]
    del server.routes["/moved/red-lists"]
    checked = run("check", ISSUE)
    found = checked.output.splitlines()
    one = next(line for line in found if line.startswith("error: development 1: read-more link is dead"))
    assert f"saved copy: issues/{ISSUE}/sources/54512d6947cf.html (saved " in one
    two = next(line for line in found if line.startswith("error: development 2: read-more link is dead"))
    assert f"archived copy: {WAYBACK} (the post links it)" in two and "saved copy:" in two
    three = next(line for line in found if line.startswith("error: development 3: read-more link is dead"))
    assert "no saved copy" in three

    # A saved copy changed afterwards is said to be.
    (folder / "54512d6947cf.txt").write_text("edited", encoding="utf-8")
    assert "54512d6947cf.txt was changed after it was saved" in run("check", ISSUE).output

    rendered = run("render", ISSUE)
    assert rendered.exit_code == 0, rendered.output
    body = (ready / "build" / ISSUE / "post_body.html").read_text(encoding="utf-8")
    assert f'(<a href="{WAYBACK}">archived copy</a>)' in body
    assert body.count("archived copy") == 1
    assert f"([archived copy]({WAYBACK}))" in (ready / "build" / ISSUE / "post.md").read_text(encoding="utf-8")
