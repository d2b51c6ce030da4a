"""Publishing to a real WordPress on loopback, set up by scripts/ci/wordpress.sh.

The script writes the site's URL and application passwords to /tmp/newsdesk-wp/env
(or $NEWSDESK_WP_ENV). Without that file these tests are skipped, except under CI, where
a missing WordPress is a failure; a WordPress set up but not answering always fails.
"""

from __future__ import annotations

import html
import os
import secrets
import socket
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import lxml.html
import pytest

from newsdesk.issue import load_issue, save_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.archive import excerpt
from newsdesk.output.render import Renderer
from newsdesk.publish.wordpress import WordPress, WordPressError

ENV_FILE = Path(os.environ.get("NEWSDESK_WP_ENV", "/tmp/newsdesk-wp/env"))
ISSUE = date(2017, 6, 26)


def read_env(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip().strip("'\"")
    return values


@pytest.fixture(scope="module")
def wp_env() -> dict[str, str]:
    if not ENV_FILE.exists():
        reason = f"no WordPress on loopback ({ENV_FILE} missing): run scripts/ci/wordpress.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    env = read_env(ENV_FILE)
    try:
        httpx.get(f"{env['NEWSDESK_WP_URL']}/?rest_route=/", timeout=10).raise_for_status()
    except httpx.HTTPError as error:
        # Set up once but not running now (a restarted machine): say how to bring it back.
        pytest.fail(f"WordPress at {env['NEWSDESK_WP_URL']} does not answer ({error}): run scripts/ci/wordpress.sh")
    return env


@pytest.fixture
def api(wp_env):
    """The REST API as the editor, for reading back and cleaning up."""
    with httpx.Client(auth=(wp_env["NEWSDESK_WP_USER"], wp_env["NEWSDESK_WP_PASSWORD"]), timeout=30) as client:

        def call(method: str, route: str, **params):
            response = client.request(method, f"{wp_env['NEWSDESK_WP_URL']}/", params={"rest_route": route, **params})
            response.raise_for_status()
            return response.json()

        yield call


@pytest.fixture
def wp_room(newsroom_dir: Path, wp_env, api, monkeypatch):
    """The sample newsroom publishing to the static site and to WordPress, with an issue
    whose title is unique to this test, so runs never meet each other's posts."""
    token = secrets.token_hex(4)
    config = newsroom_dir / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f"""
[[blogs]]
name = "blog"
kind = "wordpress"
url = "{wp_env["NEWSDESK_WP_URL"]}"
user = "{wp_env["NEWSDESK_WP_USER"]}"
password_env = "TEST_WP_PASSWORD"
categories = ["Weekly summary {token}"]
tags = ["social credit", "China {token}"]

[[blogs]]
name = "site"
kind = "static"
path = "public"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("TEST_WP_PASSWORD", wp_env["NEWSDESK_WP_PASSWORD"])
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issue_path(ISSUE))
    issue.title = f"{issue.title} ({token})"
    save_issue(issue)
    yield room
    # Leave the shared WordPress as it was: every post whose slug carries the token, trashed
    # ones included.
    for post in api(
        "GET",
        "/wp/v2/posts",
        search=token,
        per_page=100,
        status="publish,future,draft,pending,private,trash",
        context="edit",
    ):
        if token in post["slug"]:
            api("DELETE", f"/wp/v2/posts/{post['id']}", force="true")
    for taxonomy in ("categories", "tags"):
        for term in api("GET", f"/wp/v2/{taxonomy}", search=token, per_page=100):
            api("DELETE", f"/wp/v2/{taxonomy}/{term['id']}", force="true")


def set_wordpress_option(name: str, value: str) -> str:
    """Set one of the test WordPress's options through PHP (an editor may not change the
    site's settings over the REST API); the value it had."""
    url = read_env(ENV_FILE)["NEWSDESK_WP_URL"]
    script = (
        "$_SERVER['HTTP_HOST'] = getenv('WP_HOST'); $_SERVER['REQUEST_URI'] = '/';"
        "require '/usr/share/wordpress/wp-load.php';"
        "$old = get_option(getenv('WP_OPTION')); update_option(getenv('WP_OPTION'), getenv('WP_VALUE'));"
        "echo $old;"
    )
    done = subprocess.run(
        ["php", "-r", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "WP_HOST": url.split("://", 1)[1], "WP_OPTION": name, "WP_VALUE": value},
    )
    return done.stdout


@pytest.fixture
def blog_in_los_angeles(wp_env):
    """The test WordPress set to America/Los_Angeles for one test, then as it was."""
    before = set_wordpress_option("timezone_string", "America/Los_Angeles")
    try:
        yield
    finally:
        set_wordpress_option("timezone_string", before)


def plain(text: str) -> str:
    """WordPress's typography undone: entities decoded, curly quotes straight."""
    return html.unescape(text).replace("\u2019", "'").replace("\u2018", "'")


@pytest.mark.slow
def test_publish_creates_the_post_then_updates_it(wp_room, run, api, wp_env):
    first = run("publish", "2017-06-26")
    assert first.exit_code == 0, first.output
    assert "✓ blog (wordpress): created post" in first.output
    assert "✓ site (static): wrote" in first.output
    issue = load_issue(wp_room.issue_path(ISSUE))
    post_id = issue.wordpress_id
    assert post_id and issue.status == "published"

    post = api("GET", f"/wp/v2/posts/{post_id}", context="edit")
    # Title and excerpt are text, sent as the HTML that shows them (WordPress reads HTML there).
    assert post["title"]["raw"] == html.escape(issue.title)
    assert post["content"]["raw"] == Renderer(wp_room).post_body(issue)
    assert post["excerpt"]["raw"] == html.escape(excerpt(issue))
    # Dated on its day where the newsroom is (Shanghai) and where the blog is.
    assert post["status"] == "publish" and post["date"].startswith("2017-06-26")
    assert datetime.fromisoformat(post["date_gmt"] + "+00:00").astimezone(ZoneInfo("Asia/Shanghai")).date() == ISSUE
    assert post["slug"] == "social-credit-weekly-news-summary-26th-june-2017-" + issue.title[-9:-1]
    categories = {c["id"]: plain(c["name"]) for c in api("GET", "/wp/v2/categories", per_page=100)}
    tags = {t["id"]: plain(t["name"]) for t in api("GET", "/wp/v2/tags", per_page=100)}
    assert [categories[i] for i in post["categories"]] == [f"Weekly summary {issue.title[-9:-1]}"]
    assert sorted(tags[i] for i in post["tags"]) == sorted(["social credit", f"China {issue.title[-9:-1]}"])

    # The primary blog is WordPress (listed first): its public URL is recorded, and serves the post.
    assert issue.post_url == post["link"]
    page = httpx.get(post["link"], timeout=30)
    assert page.status_code == 200
    for development in issue.developments:
        assert development.headline in plain(page.text)
    # The static site built in the same run links its canonical address to that URL.
    static_page = (wp_room.root / "public" / "2017").glob("social-credit-*26th-june*.html")
    assert f'<link rel="canonical" href="{post["link"]}">' in next(static_page).read_text(encoding="utf-8")

    # Edit and publish again: the same post changes, no second one appears.
    issue.developments[0].annotation = "An annotation corrected after publication."
    save_issue(issue)
    second = run("publish", "2017-06-26", "--target", "blog")
    assert second.exit_code == 0, second.output
    assert f"updated post {post_id}" in second.output
    assert "site (static)" not in second.output  # --target: only that blog
    again = api("GET", f"/wp/v2/posts/{post_id}", context="edit")
    assert "An annotation corrected after publication." in again["content"]["raw"]
    same_slug = api("GET", "/wp/v2/posts", slug=post["slug"], status="publish,future,draft,pending,private")
    assert [p["id"] for p in same_slug] == [post_id]
    assert load_issue(wp_room.issue_path(ISSUE)).wordpress_id == post_id


@pytest.mark.slow
def test_a_lost_post_id_still_updates_the_same_post(wp_room, run, api):
    assert run("publish", "2017-06-26", "-t", "blog").exit_code == 0
    issue = load_issue(wp_room.issue_path(ISSUE))
    post_id = issue.wordpress_id
    issue.wordpress_id = None  # as if the issue file came back from an old backup
    save_issue(issue)
    result = run("publish", "2017-06-26", "-t", "blog")
    assert result.exit_code == 0, result.output
    assert f"updated post {post_id}" in result.output and "found post" in result.output
    assert load_issue(wp_room.issue_path(ISSUE)).wordpress_id == post_id


@pytest.mark.slow
def test_a_wrong_password_is_one_clear_line_and_changes_nothing(wp_room, run, monkeypatch):
    path = wp_room.issue_path(ISSUE)
    before = path.read_bytes()
    monkeypatch.setenv("TEST_WP_PASSWORD", "abcd efgh ijkl mnop qrst uvwx")
    result = run("publish", "2017-06-26", "--target", "blog")
    assert result.exit_code == 1
    assert "wrong user or application password (read from $TEST_WP_PASSWORD) (401" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == before


@pytest.mark.slow
def test_a_missing_password_stops_before_any_target_is_touched(wp_room, run, monkeypatch):
    monkeypatch.delenv("TEST_WP_PASSWORD")
    result = run("publish", "2017-06-26")
    assert result.exit_code == 2
    assert "set the environment variable TEST_WP_PASSWORD" in result.output
    assert not (wp_room.root / "public").exists()  # the static target did not run either


@pytest.mark.slow
def test_an_unreachable_site_fails_that_target_and_the_others_still_publish(wp_room, run):
    with socket.socket() as probe:  # a port on loopback that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = wp_room.root / "sources.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(wp_room.config.blogs[0].url, f"http://127.0.0.1:{port}"), encoding="utf-8")
    result = run("publish", "2017-06-26")
    assert result.exit_code == 1
    assert f"✗ blog (wordpress): cannot reach http://127.0.0.1:{port}" in result.output
    assert "✓ site (static): wrote" in result.output
    assert "not published to blog (1 of 2 targets done)" in result.output
    issue = load_issue(wp_room.issue_path(ISSUE))
    assert issue.wordpress_id is None and issue.status == "published"  # the site has it


@pytest.mark.slow
def test_a_post_wordpress_refuses_is_reported(wp_room, wp_env, run, monkeypatch):
    # A contributor may not publish: WordPress itself refuses the post.
    config = wp_room.root / "sources.toml"
    text = config.read_text(encoding="utf-8").replace(
        f'user = "{wp_env["NEWSDESK_WP_USER"]}"', f'user = "{wp_env["NEWSDESK_WP_CONTRIBUTOR"]}"'
    )
    text = text.replace("categories = [", "# categories = [").replace("tags = [", "# tags = [")
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("TEST_WP_PASSWORD", wp_env["NEWSDESK_WP_CONTRIBUTOR_PASSWORD"])
    result = run("publish", "2017-06-26", "-t", "blog")
    assert result.exit_code == 1
    assert "is not allowed to create the post (403 rest_cannot_publish" in result.output
    assert load_issue(wp_room.issue_path(ISSUE)).wordpress_id is None


@pytest.mark.slow
def test_a_draft_target_keeps_the_post_private(wp_room, run, api):
    config = wp_room.root / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'password_env = "TEST_WP_PASSWORD"', 'password_env = "TEST_WP_PASSWORD"\nstatus = "draft"'
        ),
        encoding="utf-8",
    )
    issue = load_issue(wp_room.issue_path(ISSUE))
    issue.status = "ready"
    save_issue(issue)
    result = run("publish", "2017-06-26", "-t", "blog")
    assert result.exit_code == 0, result.output
    assert "saved as a draft" in result.output
    issue = load_issue(wp_room.issue_path(ISSUE))
    assert api("GET", f"/wp/v2/posts/{issue.wordpress_id}", context="edit")["status"] == "draft"
    assert issue.status == "ready" and issue.post_url is None  # nothing public yet


def test_rejections_name_the_reasons_wordpress_gives():
    """Unit test of the error line alone, from WordPress's 400 answer as it words it."""
    body = {
        "code": "rest_invalid_param",
        "message": "Invalid parameter(s): status",
        "data": {"status": 400, "params": {"status": "status is not one of publish, future, draft."}},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[])  # no earlier post with this slug
        return httpx.Response(400, json=body)

    with WordPress(
        "https://blog.example.org", "editor", "pw", name="blog", transport=httpx.MockTransport(answer)
    ) as wp:
        with pytest.raises(WordPressError) as caught:
            wp.save_post({"slug": "x", "title": "x", "status": "live"})
    assert caught.value.message == (
        "blog: WordPress rejected the post (400 rest_invalid_param): "
        "Invalid parameter(s): status (status is not one of publish, future, draft.)"
    )
    assert caught.value.exit_code == 1


# Text that is HTML when it is not escaped: each piece, if it ran, would mark the page's body
# (data-xss-...), and the unclosed tags would swallow what follows them.
HOSTILE_TITLE = "Code <script>document.body.dataset.xssTitle=1</script> sample <b>bold"
HOSTILE_HEADLINES = [
    "Double &lt;img src=x onerror=document.body.dataset.xssEscaped=1&gt; escaped",
    "An <img src=x onerror=document.body.dataset.xssHeadline=1> image and a [gallery] shortcode",
    "Code <script> sample",
]
HOSTILE_INTRO = "Welcome <iframe src=x onload=document.body.dataset.xssIntro=1></iframe> to this week. More."


def text_of(element) -> str:
    """The text a reader sees in an element, spaces collapsed."""
    return " ".join("".join(element.itertext()).split())


def straight(text: str) -> str:
    """WordPress's curly quotes made straight again (the text is already decoded)."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


@pytest.mark.slow
def test_hostile_text_reaches_wordpress_as_text_and_no_script_runs(wp_room, run, api, wp_env, tmp_path):
    from xml.etree import ElementTree

    import lxml.html
    from browser import dump_dom, find_chromium

    chromium = find_chromium()
    path = wp_room.issue_path(ISSUE)
    issue = load_issue(path)
    token = issue.title[-9:-1]
    issue.title = f"{HOSTILE_TITLE} ({token})"
    issue.intro = HOSTILE_INTRO
    for development, headline in zip(issue.developments, HOSTILE_HEADLINES, strict=True):
        development.headline = headline
    save_issue(issue)
    config = wp_room.root / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(f'"China {token}"', f'"China <i>{token}</i>"'), encoding="utf-8"
    )
    result = run("publish", "2017-06-26", "-t", "blog")
    assert result.exit_code == 0, result.output
    issue = load_issue(path)
    post = api("GET", f"/wp/v2/posts/{issue.wordpress_id}", context="edit")

    # The terms: named as written.
    names = {plain(t["name"]) for t in api("GET", "/wp/v2/tags", search=token, per_page=100)}
    assert names == {f"China <i>{token}</i>"}

    def check(dom: str, where: str) -> lxml.html.HtmlElement:
        page = lxml.html.fromstring(dom)
        marks = {k: v for k, v in page.body.attrib.items() if k.startswith("data-xss")}
        assert not marks, f"script ran on {where}: {marks}"
        return page

    # The home page: the post's title as written, in one link, and its excerpt with the
    # headlines as written; no script ran.
    home = check(dump_dom(chromium, tmp_path, f"{wp_env['NEWSDESK_WP_URL']}/"), "the home page")
    titles = [text_of(a) for a in home.xpath("//a[@href]") if token in text_of(a)]
    assert titles and all(straight(t) == issue.title for t in titles), titles
    shown = straight(text_of(home))
    for headline in HOSTILE_HEADLINES:
        assert headline in shown
    assert "Welcome <iframe src=x onload=document.body.dataset.xssIntro=1></iframe> to this week." in shown

    # The post's own page: its title, the headlines, the tag, as written.
    page = check(dump_dom(chromium, tmp_path, post["link"]), "the post page")
    assert straight(text_of(page.xpath("//h1")[0])) == issue.title
    assert straight(page.findtext(".//title")).startswith(issue.title)
    headings = [straight(text_of(h)) for h in page.xpath("//h2")]
    assert [h for h in headings if h in HOSTILE_HEADLINES] == HOSTILE_HEADLINES
    assert f"China <i>{token}</i>" in straight(text_of(page))

    # WordPress's RSS feed: the title is the text as written; the excerpt and the content are
    # HTML that a feed reader shows, in chromium, as written and without running anything.
    feed = httpx.get(f"{wp_env['NEWSDESK_WP_URL']}/?feed=rss2", timeout=30)
    assert feed.status_code == 200
    items = [i for i in ElementTree.fromstring(feed.content).iter("item") if i.findtext("link") == post["link"]]
    assert len(items) == 1
    assert straight(items[0].findtext("title")) == issue.title
    encoded = "{http://purl.org/rss/1.0/modules/content/}encoded"
    for tag in ("description", encoded):
        reader = tmp_path / f"reader-{len(list(tmp_path.iterdir()))}.html"
        reader.write_text(f"<!doctype html><meta charset=utf-8><body>{items[0].findtext(tag)}</body>", encoding="utf-8")
        shown = straight(text_of(check(dump_dom(chromium, tmp_path, reader.as_uri()), f"the feed's {tag}")))
        for headline in HOSTILE_HEADLINES:
            assert headline in shown, (tag, shown)


@pytest.mark.slow
def test_a_blog_west_of_utc_dates_the_post_on_its_publication_day(wp_room, run, api, blog_in_los_angeles):
    result = run("publish", "2017-06-26", "-t", "blog")
    assert result.exit_code == 0, result.output
    post = api("GET", f"/wp/v2/posts/{load_issue(wp_room.issue_path(ISSUE)).wordpress_id}", context="edit")
    published = datetime.fromisoformat(post["date_gmt"] + "+00:00")
    # The day in the blog's timezone (as WordPress shows it) and in the newsroom's.
    assert post["date"].startswith("2017-06-26"), post["date"]
    assert published.astimezone(ZoneInfo("America/Los_Angeles")).date() == ISSUE
    assert published.astimezone(ZoneInfo("Asia/Shanghai")).date() == ISSUE
    page = httpx.get(post["link"], timeout=30)
    assert "June 26, 2017" in page.text


def posts_of(api, token: str) -> list[dict]:
    """Every post of this test's issue on the blog, whatever its status, trash included."""
    found = api(
        "GET",
        "/wp/v2/posts",
        search=token,
        per_page=100,
        context="edit",
        status="publish,future,draft,pending,private,trash",
    )
    return [p for p in found if token in p["slug"]]


@pytest.mark.slow
@pytest.mark.parametrize("id_recorded", [True, False], ids=["id-recorded", "id-lost"])
def test_a_trashed_post_is_neither_restored_nor_duplicated(wp_room, run, api, id_recorded):
    assert run("publish", "2017-06-26", "-t", "blog").exit_code == 0
    issue = load_issue(wp_room.issue_path(ISSUE))
    token, post_id = issue.title[-9:-1], issue.wordpress_id
    api("DELETE", f"/wp/v2/posts/{post_id}")  # to the trash, as the editor's colleague did
    if not id_recorded:
        issue.wordpress_id = None  # as if the issue file came back from an old backup
        save_issue(issue)
    before = wp_room.issue_path(ISSUE).read_bytes()
    result = run("publish", "2017-06-26", "-t", "blog")
    assert result.exit_code == 1, result.output
    assert f"post {post_id} is in WordPress's trash" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 2
    assert [(p["id"], p["status"]) for p in posts_of(api, token)] == [(post_id, "trash")]
    assert wp_room.issue_path(ISSUE).read_bytes() == before

    # Restored by hand on the blog: publishing updates that post again.
    api("POST", f"/wp/v2/posts/{post_id}", status="draft")
    again = run("publish", "2017-06-26", "-t", "blog")
    assert again.exit_code == 0, again.output
    assert f"updated post {post_id}" in again.output
    assert [(p["id"], p["status"]) for p in posts_of(api, token)] == [(post_id, "publish")]


@pytest.fixture
def wordpress_without_its_database(wp_env):
    """The test WordPress under another name (localhost), with a configuration whose
    database password is wrong: every answer is WordPress's "Error establishing a database
    connection". Debian's WordPress picks its configuration by the request's host name."""
    config = Path("/etc/wordpress/config-localhost.php")
    if config.exists():
        pytest.skip(f"{config} exists: not ours to replace")
    socket_path = ENV_FILE.parent / "mysql" / "mysqld.sock"
    try:
        config.write_text(
            "<?php\n// Written by newsdesk's tests/integration/test_wordpress.py for one test, then removed.\n"
            "define('DB_NAME', 'newsdesk_wp');\ndefine('DB_USER', 'newsdesk_wp');\n"
            "define('DB_PASSWORD', 'not-the-password');\n"
            f"define('DB_HOST', 'localhost:{socket_path}');\n"
            "define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');\n",
            encoding="utf-8",
        )
    except OSError as error:
        if os.environ.get("CI"):
            pytest.fail(f"cannot write {config}: {error}")
        pytest.skip(f"cannot write {config}: {error}")
    try:
        yield wp_env["NEWSDESK_WP_URL"].replace("127.0.0.1", "localhost")
    finally:
        config.unlink()


@pytest.mark.slow
def test_an_error_page_from_wordpress_is_one_line_of_text(wp_room, run, wordpress_without_its_database):
    config = wp_room.root / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            f'url = "{wp_room.config.blogs[0].url}"', f'url = "{wordpress_without_its_database}"'
        ),
        encoding="utf-8",
    )
    result = run("publish", "2017-06-26", "-t", "blog")
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert (
        first == "✗ blog (wordpress): WordPress would not answer (500 wp_die): Error establishing a database connection"
    )


def test_error_messages_are_one_line_of_text_whatever_the_body_holds():
    """WordPress's messages may carry HTML, entities and line breaks."""
    bodies = {
        "/": {
            "code": "wp_die",
            "message": "<h1>Error establishing a database connection</h1>",
            "data": {"status": 500},
        },
        "/wp/v2/tags": {
            "code": "internal_server_error",
            "data": {"status": 500},
            "message": "<p>There has been a critical error on this website.</p>\n"
            '<p><a href="https://wordpress.org/documentation/article/faq-troubleshooting/">'
            "Learn more about troubleshooting WordPress.</a></p>",
        },
        "/wp/v2/posts": {
            "code": "rest_invalid_param",
            "message": "Invalid parameter(s): <b>title</b>",
            "data": {"status": 400, "params": {"title": "Not &lt;allowed&gt;\r\n<script>x()</script>"}},
        },
    }

    def answer(request: httpx.Request) -> httpx.Response:
        body = bodies[request.url.params["rest_route"]]
        return httpx.Response(body["data"]["status"], json=body)

    with WordPress(
        "https://blog.example.org", "editor", "pw", name="blog", transport=httpx.MockTransport(answer)
    ) as wp:
        messages = []
        for call in (
            wp.timezone,
            lambda: wp.term_ids("tags", ["x"]),
            lambda: wp.request("POST", "/wp/v2/posts", body={}, doing="create the post"),
        ):
            with pytest.raises(WordPressError) as caught:
                call()
            messages.append(caught.value.message)
    assert messages == [
        "blog: WordPress would not answer (500 wp_die): Error establishing a database connection",
        "blog: WordPress would not read tags (500 internal_server_error): There has been a critical error on "
        "this website. Learn more about troubleshooting WordPress.",
        "blog: WordPress rejected the post (400 rest_invalid_param): Invalid parameter(s): title (Not <allowed>)",
    ]


@pytest.mark.slow
def test_the_post_gets_the_issues_own_tags_besides_the_blogs(wp_room, run, api):
    issue = load_issue(wp_room.issue_path(ISSUE))
    token = issue.title[-9:-1]
    issue.tags = [f"Hebei {token}", "Social Credit", f"信用 {token}", f"<b>bold</b> & [gallery] {token}"]
    save_issue(issue)
    done = run("publish", "2017-06-26", "--target", "blog")
    assert done.exit_code == 0, done.output
    post = api("GET", f"/wp/v2/posts/{load_issue(wp_room.issue_path(ISSUE)).wordpress_id}", context="edit")
    names = sorted(plain(api("GET", f"/wp/v2/tags/{i}")["name"]) for i in post["tags"])
    # The blog's fixed tags, then the issue's; "Social Credit" is the blog's "social credit".
    assert names == sorted(
        ["social credit", f"China {token}", f"Hebei {token}", f"信用 {token}", f"<b>bold</b> & [gallery] {token}"]
    )
    # The post's page lists its tags, each name as text: no tag made of the name's markup.
    page = httpx.get(post["link"], timeout=30)
    assert page.status_code == 200
    shown = [
        a.text_content()
        for a in lxml.html.fromstring(page.text).xpath('//*[contains(@class, "taxonomy-post_tag")]//a[@rel="tag"]')
    ]
    assert sorted(plain(name) for name in shown) == names


def test_control_characters_in_the_text_never_reach_wordpress_or_break_its_feed(wp_room, run, api, wp_env):
    import feedparser

    issue = load_issue(wp_room.issue_path(ISSUE))
    # Those XML cannot carry (titles, tags and headlines refuse every control character).
    controls = "".join(chr(c) for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))
    issue.intro = f"Bells{controls} in the intro. More words follow."
    issue.developments[0].annotation = f"An annotation{controls} with controls."
    save_issue(issue)
    result = run("publish", "2017-06-26")
    assert result.exit_code == 0, result.output
    post = api("GET", f"/wp/v2/posts/{load_issue(wp_room.issue_path(ISSUE)).wordpress_id}", context="edit")
    for part in ("content", "excerpt"):
        assert not any(c in post[part]["raw"] for c in controls), part
    assert "An annotation with controls." in post["content"]["raw"]
    feed = feedparser.parse(httpx.get(f"{wp_env['NEWSDESK_WP_URL']}/?feed=rss2", timeout=30).content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert post["link"] in [entry.link for entry in feed.entries]
