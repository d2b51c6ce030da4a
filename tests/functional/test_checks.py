"""`newsdesk check`: each pre-send check on the sample newsroom, links against a real server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from link_server import LinkServer
from mail_newsroom import ISSUE, write_ready_issue
from smtp_server import free_port

from newsdesk.config import FetchSettings
from newsdesk.issue import load_issue
from newsdesk.mail.checks import check_issue, html_links, placeholder_host, probe_links, text_links
from newsdesk.newsroom import Newsroom

OLDER_ITEM = "c0cb0e08b292"  # a sample item dated 2017-07-01, the week before ISSUE's
FEATURED_ITEM = "e5c62cc3a53e"  # featured in the 2017-07-03 sample issue


@pytest.fixture
def links():
    server = LinkServer(slow_seconds=1.0).start()
    yield server
    server.stop()


@pytest.fixture
def ready(fetched: Path, links: LinkServer, monkeypatch) -> Path:
    """The fetched sample newsroom with a complete issue whose links all work, set up as a
    real list is: its own domain (not the sample's reserved one), signed unsubscribe links."""
    write_ready_issue(fetched, links.url)
    config = fetched / "sources.toml"
    text = config.read_text(encoding="utf-8").replace("socialcredit.example", "weekly.news")
    config.write_text(text + '\n[web]\npublic_url = "https://weekly.news/list"\n', "utf-8")
    monkeypatch.setenv("NEWSDESK_SECRET", "a secret of the tests, long enough to sign with")
    return fetched


def issue_path(root: Path) -> Path:
    return root / "issues" / f"{ISSUE}.md"


def edit_issue(root: Path, old: str, new: str) -> None:
    path = issue_path(root)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def findings(root: Path, *, links: bool = False) -> list[str]:
    room = Newsroom.open(root)
    return [f.line() for f in check_issue(room, load_issue(issue_path(root)), links=links).findings]


@pytest.mark.slow
def test_a_complete_issue_passes_every_check(ready: Path, run, links: LinkServer) -> None:
    result = run("check", ISSUE)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{ISSUE}: all checks passed"
    # The link that refuses HEAD was confirmed with a GET; the redirect was followed.
    assert links.requests[("HEAD", "/nohead")] == 1 and links.requests[("GET", "/nohead")] == 1
    assert links.requests[("HEAD", "/ok/red-lists")] == 1


def test_missing_content_is_an_error(newsroom_dir: Path, run) -> None:
    result = run("check", "2017-07-10", "--offline")  # the sample's empty draft
    assert result.exit_code == 1
    assert "error: 3 developments still to pick (0 of 3)" in result.output
    assert (
        "warning: newsroom.sender_email, reply_to, unsubscribe_mailto, blog_url, unsubscribe_url at " in result.output
    )
    assert "warning: newsroom.unsubscribe_url carries the reader's address in the clear" in result.output
    assert result.output.strip().endswith("2017-07-10: 1 error, 2 warnings")


def test_incomplete_developments_are_errors(ready: Path, links: LinkServer) -> None:
    edit_issue(
        ready,
        "Most coverage is about punishment, but 守信联合激励 (joint incentives for keeping trust) "
        "matter as much to local governments.",
        "",
    )
    edit_issue(ready, links.url("/nohead"), "ftp://files.example/xiamen.pdf")
    found = findings(ready)
    assert "error: development 2: no annotation" in found
    assert "error: development 3: read-more link is not http(s): ftp://files.example/xiamen.pdf" in found


def test_a_development_featured_in_an_earlier_issue_is_an_error(ready: Path) -> None:
    edit_issue(ready, "<!-- item: 54512d6947cf -->", f"<!-- item: {FEATURED_ITEM} -->")
    # The same page as an earlier read-more link, dressed up with tracking parameters.
    edit_issue(
        ready,
        "<!-- item: f0932c856675 -->",
        "<!-- item: 0000aaaa1111 -->",
    )
    text = issue_path(ready).read_text(encoding="utf-8")
    read_more_3 = text.split("[Read more here](")[3].split(")")[0]
    edit_issue(
        ready,
        read_more_3,
        "https://asiabizwire.example/news/2017/06/30/counterfeit-supplements-cosmetics?utm_source=newsletter",
    )
    found = findings(ready)
    assert f"error: development 1 was already featured in the 2017-07-03 issue (item {FEATURED_ITEM})" in found
    assert "error: development 3 was already featured in the 2017-07-03 issue (the same read-more link)" in found


def test_items_dated_outside_the_week_are_warnings(ready: Path) -> None:
    edit_issue(ready, "<!-- item: 54512d6947cf -->", f"<!-- item: {OLDER_ITEM} -->")
    edit_issue(ready, "<!-- item: 9544e26fe339 -->", "<!-- item: 123456789abc -->")
    found = findings(ready)
    assert (
        "warning: development 1: the linked item is dated 2017-07-01, outside the week "
        "(3rd July to 9th July 2017)" in found
    )
    assert (
        "warning: development 2: item 123456789abc is not in the store (run `newsdesk fetch`), "
        "so its date is not checked" in found
    )
    assert not [line for line in found if line.startswith("error")]


def test_an_email_over_the_clip_size_is_an_error(ready: Path) -> None:
    edit_issue(ready, "The blacklist keeps growing", "The blacklist keeps growing. " + "Padding words here. " * 6000)
    found = findings(ready)
    assert any(
        line.startswith("error: email.html is ") and "Gmail clips messages over 102 KB" in line for line in found
    ), found


def test_parts_with_different_links_and_no_unsubscribe_link_are_errors(ready: Path, links: LinkServer) -> None:
    template = (ready / "templates" / "email.txt").read_text(encoding="utf-8")
    template = template.replace(
        '{{ (read_more_labels[loop.index0] ~ ": " ~ development.read_more) | wrap(flowed=flowed) }}',
        "(see the web version)",
    )
    template = template.replace('{{ ("Unsubscribe: " ~ unsubscribe_url) | wrap(flowed=flowed) }}', "")
    (ready / "templates" / "email.txt").write_text(template, encoding="utf-8")
    found = findings(ready)
    assert (
        f"error: the HTML part links to {links.url('/ok/courts-first-half')} but the plaintext part does not" in found
    )
    assert "error: the plaintext part has no unsubscribe link (templates/email.txt: {{ unsubscribe_url }})" in found
    assert not any("the HTML part has no unsubscribe link" in line for line in found)


def test_an_unsubscribe_page_without_the_address_is_a_warning(ready: Path) -> None:
    config = ready / "sources.toml"
    text = config.read_text(encoding="utf-8")
    text = text.partition("\n[web]\n")[0] + "\n"  # the newsroom's own unsubscribe page, not the service
    text = text.replace(
        'unsubscribe_url = "https://weekly.news/unsubscribe?email={email}"',
        'unsubscribe_url = "http://weekly.news/leave"',
    )
    text = text.replace('unsubscribe_mailto = "unsubscribe@weekly.news"\n', "")
    config.write_text(text, encoding="utf-8")
    found = findings(ready)
    assert "warning: newsroom.unsubscribe_url has no {email}, so one-click unsubscribe cannot tell who asked" in found
    assert "warning: the unsubscribe link is not https, so mail clients will not offer one-click unsubscribe" in found


def test_no_unsubscribe_page_and_no_blog_is_an_error(ready: Path) -> None:
    config = ready / "sources.toml"
    text = config.read_text(encoding="utf-8")
    text = text.partition("\n[web]\n")[0] + "\n"  # the newsroom's own unsubscribe page, not the service
    text = text.replace('unsubscribe_url = "https://weekly.news/unsubscribe?email={email}"\n', "")
    text = text.replace('blog_url = "https://weekly.news"\n', "")
    config.write_text(text, encoding="utf-8")
    assert (
        "error: neither newsroom.unsubscribe_url nor newsroom.blog_url is set: the unsubscribe link goes nowhere"
        in findings(ready)
    )


@pytest.mark.slow
def test_dead_and_doubtful_links_are_reported(ready: Path, links: LinkServer, run) -> None:
    closed = f"http://127.0.0.1:{free_port()}/nothing-listens"
    edit_issue(ready, links.url("/ok/courts-first-half"), links.url("/gone"))
    edit_issue(ready, links.url("/moved/red-lists"), closed)
    edit_issue(ready, links.url("/nohead"), links.url("/status/503"))
    result = run("check", ISSUE)
    assert result.exit_code == 1
    assert f"error: development 1: read-more link is dead: {links.url('/gone')}: HTTP 404" in result.output
    assert f"error: development 2: read-more link is dead: {closed}: connection refused" in result.output
    assert f"warning: development 3: read-more link may be down: {links.url('/status/503')}: HTTP 503" in result.output
    assert result.output.strip().endswith(f"{ISSUE}: 2 errors, 1 warning")


@pytest.mark.slow
def test_links_are_probed_concurrently_with_timeouts_and_redirects(links: LinkServer) -> None:
    urls = [links.url(f"/slow/{n}") for n in range(4)] + [links.url("/moved/x"), links.url("/slow-too-long")]
    links.slow_seconds = 0.6
    results = asyncio.run(probe_links(urls, FetchSettings(), timeout=2.0))
    # Probed one after another, no two slow answers would overlap.
    assert links.slow_peak >= 4, f"at most {links.slow_peak} slow links were probed at once: not concurrent"
    assert all(results[url].status == 200 for url in urls)
    assert results[links.url("/moved/x")].final_url == links.url("/ok/x")

    links.slow_seconds = 2.0
    slow = asyncio.run(probe_links([links.url("/slow")], FetchSettings(), timeout=0.3))[links.url("/slow")]
    assert slow.problem and "timed out" in slow.problem
    assert slow.doubtful and not slow.dead


def test_link_extraction() -> None:
    text = "Read more here: https://a.example/x?y=1.\nSee (https://b.example/z) and http://c.example/, done"
    assert text_links(text) == ["https://a.example/x?y=1", "https://b.example/z", "http://c.example/"]
    html = '<a href="https://a.example/x?y=1&amp;z=2">a</a><a href="mailto:x@y.example">m</a><a href="#top">t</a>'
    assert html_links(html) == ["https://a.example/x?y=1&z=2"]


def test_plaintext_links_keep_their_own_parentheses():
    text = "Read more here: https://en.wikipedia.org/wiki/Social_Credit_System_(China)\n(see https://x.example/a)."
    assert text_links(text) == ["https://en.wikipedia.org/wiki/Social_Credit_System_(China)", "https://x.example/a"]


def test_a_link_to_an_example_domain_is_an_error_without_asking_the_network(ready: Path, links: LinkServer) -> None:
    edit_issue(ready, links.url("/ok/courts-first-half"), "https://localcredit.example/hebei/5263.htm")
    edit_issue(ready, links.url("/moved/red-lists"), "http://www.example.com/story")
    # Online: the third link is probed as usual; the placeholders are not (no "unknown host").
    assert findings(ready, links=True) == [
        "error: development 1: read-more link points at localcredit.example, a name reserved for examples "
        "and tests that no reader can open: link the source itself",
        "error: development 2: read-more link points at www.example.com, a name reserved for examples "
        "and tests that no reader can open: link the source itself",
    ]
    assert [path for (_, path) in links.requests] == ["/nohead"] * 2  # HEAD, then GET: only the real link


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://News.EXAMPLE./a", "news.example"),
        ("http://user@www.example.org:8080/x", "www.example.org"),
        ("http://intranet.test/feed", "intranet.test"),
        ("http://localhost:8000/", "localhost"),
        ("https://socialcredit.example.com.cn/x", None),
        ("https://examples.com/x", None),
        ("http://[::1]:8080/x", None),
        ("https://www.gov.cn/xinwen/2017-06/29/content_5206658.htm", None),
    ],
)
def test_placeholder_hosts(url: str, host: str | None) -> None:
    assert placeholder_host(url) == host


def test_a_missing_postal_address_is_a_warning(ready: Path) -> None:
    config = ready / "sources.toml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    config.write_text("".join(line for line in lines if not line.startswith("postal_address")), encoding="utf-8")
    found = findings(ready)
    assert (
        "warning: newsroom.postal_address is not set: the email's footer gives no postal address "
        "(CAN-SPAM requires one in commercial email)" in found
    )
    assert not [line for line in found if line.startswith("error")]


def test_a_term_rendered_two_ways_is_a_warning(ready: Path, run) -> None:
    assert run("glossary", "add", "失信被执行人", "judgment defaulters", "--also", "discredited persons").exit_code == 0
    assert run("glossary", "add", "联合激励", "joint incentives", "--also", "joint rewards").exit_code == 0
    assert run("glossary", "add", "红名单", "red list").exit_code == 0
    edit_issue(ready, "The blacklist keeps growing", "Judgment defaulters, or discredited persons, keep growing")
    edit_issue(ready, "(joint incentives for keeping trust)", "(joint rewards for keeping trust)")
    edit_issue(ready, "with the benefits they may claim", "with the red lists' benefits")
    found = findings(ready)
    assert (
        "warning: development 1 renders 失信被执行人 2 ways: 'judgment defaulters', 'discredited persons' "
        "(glossary.toml: 'judgment defaulters')" in found
    )
    assert "warning: development 2: 'joint rewards' for 联合激励, where glossary.toml has 'joint incentives'" in found
    # The singular of a plural rendering is the same rendering.
    edit_issue(
        ready,
        "Judgment defaulters, or discredited persons, keep growing",
        "A judgment defaulter, or discredited person,",
    )
    assert (
        "warning: development 1 renders 失信被执行人 2 ways: 'judgment defaulters', 'discredited persons' "
        "(glossary.toml: 'judgment defaulters')" in findings(ready)
    )
    edit_issue(
        ready,
        "A judgment defaulter, or discredited person,",
        "Judgment defaulters, or discredited persons, keep growing",
    )
    # "Red lists" in the headline of 2 and "red lists'" in 3 are the glossary's own way.
    assert not [line for line in found if "红名单" in line]
    edit_issue(ready, "with the red lists' benefits", "with the white lists' benefits")
    run("glossary", "add", "红名单", "red list", "--also", "white list", "--replace")
    # 3's headline says "its first red list".
    assert (
        "warning: development 3 renders 红名单 2 ways: 'red list', 'white list' (glossary.toml: 'red list')"
        in findings(ready)
    )
    edit_issue(ready, "with the white lists' benefits", "with the red lists' benefits")
    edit_issue(ready, "with the red lists' benefits", "with the benefits of joint incentives")
    assert (
        "warning: 联合激励 is rendered 2 ways in this issue: 'joint rewards' in development 2; "
        "'joint incentives' in development 3 (glossary.toml: 'joint incentives')" in findings(ready)
    )


def test_settings_left_at_reserved_names_are_warnings(ready: Path) -> None:
    config = ready / "sources.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("[newsroom]\n", '[newsroom]\nmanage_url = "https://lists.example/manage?email={email}"\n', 1)
    config.write_text(text, encoding="utf-8")
    found = findings(ready)
    assert (
        "warning: newsroom.manage_url at lists.example, a name reserved for examples and tests: "
        "mail and readers sent there reach nobody"
    ) in found
    assert not [line for line in found if line.startswith("error")]


def test_a_sample_newsroom_warns_of_its_fictional_links(fetched, run):
    sources = fetched / "sources.toml"
    sources.write_text(
        sources.read_text(encoding="utf-8").replace("[newsroom]\n", "[newsroom]\nsample = true\n", 1), encoding="utf-8"
    )
    result = run("check", "2017-07-03", "--offline")
    assert result.exit_code == 0, result.output
    assert "error:" not in result.output
    assert result.output.count("a fictional outlet of this sample newsroom ([newsroom] sample = true)") == 3


def test_a_real_newsroom_refuses_links_at_reserved_names(fetched, run):
    result = run("check", "2017-07-03", "--offline")
    assert result.exit_code == 1
    assert result.output.count("a name reserved for examples and tests that no reader can open") == 3
