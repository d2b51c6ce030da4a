"""The static site: pages, relative links, pagination, years, incremental rebuilds, the feed."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from newsdesk.issue import load_issue, save_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.archive import archive_entry, excerpt, post_path
from newsdesk.output.render import Renderer
from newsdesk.output.site import MANIFEST, PAGE_SIZE, SiteBuilder, site_issues

POST_0626 = "2017/social-credit-weekly-news-summary-26th-june-2017.html"
POST_0703 = "2017/social-credit-weekly-news-summary-3rd-july-2017.html"


class Links(HTMLParser):
    """Every href and src of a page, with the rel of links."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, rel, url)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name):
                self.links.append((tag, values.get("rel") or "", values[name]))


def links_of(path: Path) -> list[tuple[str, str, str]]:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.links


def rels(path: Path) -> set[tuple[str, str]]:
    return {(rel, url) for _, rel, url in links_of(path)}


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write_issue(room: Newsroom, day: date, *, status: str = "published", headline: str | None = None) -> Path:
    """A complete issue for ``day`` with three developments."""
    sections = "\n\n".join(
        f"## {headline or 'Development'} {n} of {day:%d %B %Y}\n\n"
        f"What happened in week {day.isocalendar().week}, item {n}.\n\n"
        f"[Read more here](https://news.example/{day.isoformat()}/{n})"
        for n in (1, 2, 3)
    )
    text = (
        f'+++\ntitle = "Test Weekly – {day:%d %B %Y}"\ndate = {day.isoformat()}\n'
        f"week_start = {(day - timedelta(days=7)).isoformat()}\nweek_end = {(day - timedelta(days=1)).isoformat()}\n"
        f'status = "{status}"\n+++\n\nThe week before {day.isoformat()}. More words follow here.\n\n{sections}\n'
    )
    path = room.issue_path(day)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def room(newsroom_dir: Path) -> Newsroom:
    return Newsroom.open(newsroom_dir)


@pytest.fixture
def many(newsroom_dir: Path) -> Newsroom:
    """A newsroom with 45 weekly issues over two years (2016 and 2017), plus the samples."""
    room = Newsroom.open(newsroom_dir)
    for path in room.issues_dir.glob("*.md"):
        path.unlink()
    first = date(2016, 9, 5)
    for week in range(45):
        write_issue(room, first + timedelta(weeks=week))
    return room


def build(room: Newsroom, root: Path | None = None):
    return SiteBuilder(room, root or room.root / "site").build(site_issues(room))


def test_the_sample_site_has_every_page_and_no_drafts(room):
    result = build(room)
    site = room.root / "site"
    assert sorted(result.written) == sorted(
        [
            POST_0626,
            POST_0703,
            "archive/2017.html",
            "archive/feed.xml",
            "archive/rss.xml",
            "archive/index.html",
            "index.html",
            "style.css",
            "sitemap.xml",
            "robots.txt",
            "404.html",
            "search.html",
            "search.json",
        ]
    )
    assert (site / MANIFEST).is_file()
    archive = (site / "archive" / "index.html").read_text(encoding="utf-8")
    assert archive.index("3rd July 2017") < archive.index("26th June 2017")  # newest first
    assert "10th July 2017" not in archive  # the draft
    assert not any("10th-july" in name for name in snapshot(site))
    post = (site / POST_0703).read_text(encoding="utf-8")
    assert post.count("<h2>") == 3 and "Hebei invites the public" in post
    assert '<link rel="stylesheet" href="../style.css">' in post
    assert "<style>" not in post  # one stylesheet file for the whole site


def test_every_link_between_pages_is_relative_and_resolves_to_a_file(room):
    build(room)
    site = room.root / "site"
    checked = 0
    for page in site.rglob("*.html"):
        for _tag, rel, url in links_of(page):
            parts = urlsplit(url)
            if parts.scheme:
                # Absolute links: the sources' read-more links, the canonical address.
                assert rel == "canonical" or "socialcredit.example" not in parts.netloc, (page, url)
                continue
            # From the root only on the 404 page, which a host serves at any address.
            assert not parts.path.startswith("/") or page.name == "404.html", (page, url)
            base = site if parts.path.startswith("/") else page.parent
            target = (base / parts.path.lstrip("/")).resolve()
            assert target.is_file(), f"{page.relative_to(site)} links to {url}, which is not a file"
            checked += 1
    assert checked > 30


def test_the_archive_entry_is_the_same_on_the_site_in_the_feed_and_in_the_email(room):
    build(room)
    site = room.root / "site"
    issue = load_issue(room.issue_path(date(2017, 7, 3)))
    entry = archive_entry(issue, room.config.newsroom)
    html = (site / "archive" / "index.html").read_text(encoding="utf-8")
    escaped = entry.excerpt.replace("'", "&#39;")
    assert escaped in html and entry.title in html
    feed = feedparser.parse((site / "archive" / "feed.xml").read_bytes())
    item = next(e for e in feed.entries if e.id == entry.entry_id)
    assert (item.title, item.summary, item.link) == (entry.title, entry.excerpt, entry.url)
    # The email's "Past issues" link and the feed's link land on files of this site.
    text = Renderer(room).email_text(issue)
    past = next(line for line in text.splitlines() if line.startswith("Past issues: "))
    archive_url = past.removeprefix("Past issues: ")
    blog = room.config.newsroom.blog_url
    assert archive_url == f"{blog}/archive/"
    assert (site / archive_url.removeprefix(blog + "/") / "index.html").is_file()
    assert (site / item.link.removeprefix(blog + "/")).is_file()
    assert entry.excerpt == excerpt(issue) and entry.path == post_path(issue) == POST_0703


def test_archive_pages_hold_twenty_issues_and_link_to_each_other(many):
    result = build(many)
    site = many.root / "site"
    assert {"archive/index.html", "archive/page-2.html", "archive/page-3.html"} <= set(result.written)
    assert not (site / "archive" / "page-4.html").exists()

    def titles(page: str) -> list[str]:
        return [
            url
            for tag, rel, url in links_of(site / page)
            if tag == "a" and url.endswith(".html") and "/20" in f"/{url}" and "archive" not in url
        ]

    first, second, third = (site / "archive" / n for n in ("index.html", "page-2.html", "page-3.html"))
    counts = [
        first.read_text().count('class="read-more"'),
        second.read_text().count('class="read-more"'),
        third.read_text().count('class="read-more"'),
    ]
    assert counts == [PAGE_SIZE, PAGE_SIZE, 5]
    assert ("next", "page-2.html") in rels(first) and not any(r == "prev" for r, _ in rels(first))
    assert {("prev", "index.html"), ("next", "page-3.html")} <= rels(second)
    assert "page-4.html" not in {url for _, _, url in links_of(third)}
    assert "Page 2 of 3" in second.read_text()
    # Newest first across the pages: the first page starts with the newest issue.
    assert "Test Weekly – 10 July 2017" in first.read_text() and "Test Weekly – 05 September 2016" in third.read_text()
    assert ("next", "archive/page-2.html") in rels(site / "index.html")
    assert len(titles("index.html")) == 2 * PAGE_SIZE  # title and read-more of each issue


def test_one_page_per_year_lists_that_years_issues(many):
    build(many)
    site = many.root / "site"
    y2016 = (site / "archive" / "2016.html").read_text(encoding="utf-8")
    y2017 = (site / "archive" / "2017.html").read_text(encoding="utf-8")
    assert y2016.count('class="read-more"') == 17 and y2017.count('class="read-more"') == 28
    assert "<h1>Issues of 2016</h1>" in y2016 and "2017" not in y2016.split("<h1>")[1].split("By year")[0]
    assert '<a href="2017.html">2017</a>' in y2016 and '<strong aria-current="page">2016</strong>' in y2016
    index_links = {url for _, _, url in links_of(site / "archive" / "index.html")}
    assert {"2016.html", "2017.html"} <= index_links


def test_the_feed_carries_the_newest_issues_in_full_with_stable_ids(many):
    build(many)
    site = many.root / "site"
    feed = feedparser.parse((site / "archive" / "feed.xml").read_bytes())
    assert feed.bozo == 0 and feed.version == "atom10"
    assert len(feed.entries) == 20
    assert feed.entries[0].title == "Test Weekly – 10 July 2017"
    assert all(e.link.startswith("https://socialcredit.example/20") for e in feed.entries)
    assert "What happened in week" in feed.entries[0].content[0].value
    ids = [e.id for e in feed.entries]
    assert ids[0] == "tag:socialcredit.example,2017-07-10:issue" and len(set(ids)) == 20
    # Retitling an issue moves its page but keeps its entry id: readers see an update.
    issue = load_issue(many.issue_path(date(2017, 7, 10)))
    issue.title = "Test Weekly – a new title"
    save_issue(issue)
    build(many)
    again = feedparser.parse((site / "archive" / "feed.xml").read_bytes())
    assert [e.id for e in again.entries] == ids
    assert again.entries[0].title == "Test Weekly – a new title"


def test_a_feed_entry_is_updated_when_its_content_changes_and_only_then(many, tmp_path):
    from datetime import UTC, datetime

    site = many.root / "site"

    def build_at(when: datetime, root: Path = site) -> dict[str, tuple[str, str]]:
        SiteBuilder(many, root, clock=lambda: when).build(site_issues(many))
        feed = feedparser.parse((root / "archive" / "feed.xml").read_bytes())
        assert feed.bozo == 0
        return {"feed": (feed.feed.updated, ""), **{e.id: (e.published, e.updated) for e in feed.entries}}

    first = build_at(datetime(2017, 7, 11, 9, 0, tzinfo=UTC))
    newest = "tag:socialcredit.example,2017-07-10:issue"
    assert all(published == updated for key, (published, updated) in first.items() if key != "feed")
    assert first["feed"][0] == first[newest][1] == "2017-07-10T06:00:00Z"

    # Saved again unchanged, and built a day later: nothing moves.
    issue = load_issue(many.issue_path(date(2017, 7, 3)))
    save_issue(issue)
    assert build_at(datetime(2017, 7, 12, 9, 0, tzinfo=UTC)) == first

    # A corrected annotation: that entry, and the feed, are updated at the rebuild.
    issue.developments[0].annotation = "A corrected annotation."
    save_issue(issue)
    corrected = build_at(datetime(2017, 7, 13, 9, 30, tzinfo=UTC))
    edited = "tag:socialcredit.example,2017-07-03:issue"
    assert corrected[edited] == ("2017-07-03T06:00:00Z", "2017-07-13T09:30:00Z")
    assert corrected["feed"] == ("2017-07-13T09:30:00Z", "")
    assert {k: v for k, v in corrected.items() if k not in (edited, "feed")} == {
        k: v for k, v in first.items() if k not in (edited, "feed")
    }

    # Later builds keep that time; so does a full build into a fresh folder.
    assert build_at(datetime(2017, 7, 20, 9, 0, tzinfo=UTC)) == corrected
    assert build_at(datetime(2017, 7, 20, 9, 0, tzinfo=UTC), tmp_path / "fresh") == corrected

    # A new title is new content too; the status is not.
    issue.title = "Test Weekly – retitled"
    save_issue(issue)
    retitled = build_at(datetime(2017, 7, 21, 8, 0, tzinfo=UTC))
    assert retitled[edited] == ("2017-07-03T06:00:00Z", "2017-07-21T08:00:00Z")
    issue.status = "sent"
    save_issue(issue)
    assert build_at(datetime(2017, 7, 22, 8, 0, tzinfo=UTC)) == retitled


def test_edits_before_the_publication_day_leave_the_entry_as_published(room, tmp_path):
    from datetime import UTC, datetime

    renderer = Renderer(room, clock=lambda: datetime(2017, 6, 30, 12, 0, tzinfo=UTC))
    issue = load_issue(room.issue_path(date(2017, 7, 3)))
    for annotation in ("A first draft.", "A second draft."):
        issue.developments[0].annotation = annotation
        feed = feedparser.parse(renderer.atom_feed([issue]))
        assert feed.entries[0].updated == feed.entries[0].published == "2017-07-03T06:00:00Z"


def test_a_rebuild_with_nothing_changed_writes_nothing(many):
    build(many)
    site = many.root / "site"
    before = {p: os.stat(site / p).st_mtime_ns for p in snapshot(site)}
    result = build(many)
    assert result.written == [] and result.removed == [] and result.unchanged == len(before) - 1
    assert {p: os.stat(site / p).st_mtime_ns for p in snapshot(site)} == before


def test_an_edit_rewrites_only_the_files_it_changes(many):
    site = many.root / "site"
    build(many)
    # An annotation of an issue too old for the feed: its own page changes, and the
    # sitemap's date of its last change.
    old = load_issue(many.issue_path(date(2016, 9, 5)))
    old.developments[1].annotation = "A corrected annotation."
    save_issue(old)
    assert build(many).written == ["2016/test-weekly-05-september-2016.html", "search.json", "sitemap.xml"]

    # A headline of a recent issue: its page, the archive pages listing it, its year, the feed.
    before = snapshot(site)
    recent = load_issue(many.issue_path(date(2017, 7, 3)))
    recent.developments[0].headline = "A sharper headline"
    save_issue(recent)
    result = build(many)
    after = snapshot(site)
    changed = sorted(p for p in after if before.get(p) != after[p])
    assert result.written == changed
    assert changed == sorted(
        [
            "2017/test-weekly-03-july-2017.html",
            "archive/index.html",
            "index.html",
            "archive/2017.html",
            "archive/feed.xml",
            "archive/rss.xml",
            "search.json",
            "sitemap.xml",
        ]
    )


def age(room: Newsroom, seconds: int = 3600) -> None:
    """Date every issue file back: the index trusts only files not changed in the last moments."""
    for path in room.issues_dir.glob("*.md"):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 1_000_000_000))


def test_a_rebuild_after_one_edit_parses_that_file_and_renders_only_its_pages(many, tmp_path, monkeypatch):
    import newsdesk.output.catalog as catalog

    site = many.root / "site"
    age(many)
    build(many)
    parsed: list[str] = []
    real_load = catalog.load_issue

    def counting_load(path):
        parsed.append(path.name)
        return real_load(path)

    monkeypatch.setattr(catalog, "load_issue", counting_load)
    # Nothing changed: nothing is parsed or rendered.
    result = build(many)
    assert (parsed, result.rendered, result.written) == ([], [], [])

    # An old issue's annotation: its file is read; its page is rendered and written, with
    # the sitemap (the post's date of change), and the pages that list its entry are
    # rendered (the entry's update time is theirs to show) but come out the same.
    old = load_issue(many.issue_path(date(2016, 9, 5)))
    old.developments[1].annotation = "A corrected annotation."
    save_issue(old)
    parsed.clear()
    result = build(many)
    assert parsed == ["2016-09-05.md"]  # parsed once, for its listing and its page
    assert result.written == ["2016/test-weekly-05-september-2016.html", "search.json", "sitemap.xml"]
    assert result.rendered == [
        "2016/test-weekly-05-september-2016.html",
        "archive/2016.html",
        "archive/page-3.html",
        "search.json",
        "sitemap.xml",
    ]

    # A recent issue's headline: its page, the pages listing it and the feed, whose 20
    # issues are read to render it (the two edited files are read for their listings).
    recent = load_issue(many.issue_path(date(2017, 7, 3)))
    recent.developments[0].headline = "A sharper headline"
    save_issue(recent)
    parsed.clear()
    result = build(many)
    shown = [
        "2017/test-weekly-03-july-2017.html",
        "archive/2017.html",
        "archive/feed.xml",
        "archive/index.html",
        "archive/rss.xml",
        "index.html",
        "search.json",
        "sitemap.xml",
    ]
    assert result.rendered == result.written == shown
    feed = {p.name for p in many.issues_dir.glob("*.md") if p.stem >= "2017-02-27"}
    assert len(feed) == 20 and set(parsed) == feed | {"2016-09-05.md"}

    # The same bytes as a build from nothing.
    monkeypatch.undo()
    build(many, tmp_path / "fresh")
    assert snapshot(tmp_path / "fresh") == snapshot(site)


def test_a_file_changed_behind_the_builds_back_is_rendered_again(many):
    site = many.root / "site"
    build(many)
    (site / "index.html").write_text("defaced", encoding="utf-8")
    (site / "archive" / "2016.html").unlink()
    result = build(many)
    assert result.rendered == result.written == ["archive/2016.html", "index.html"]
    assert "Latest issues" in (site / "index.html").read_text(encoding="utf-8")


def test_a_changed_template_renders_every_page_again(many):
    build(many)
    style = many.templates_dir / "style.css"
    style.write_text(style.read_text(encoding="utf-8") + "\n/* the editor's note */\n", encoding="utf-8")
    result = build(many)
    assert len(result.rendered) == len(snapshot(many.root / "site")) - 1  # all but the manifest
    assert result.written == ["style.css"]


def test_an_issue_edited_in_place_is_read_again(many):
    """The same size and the same inode, as an editor that saves in place leaves it."""
    site = many.root / "site"
    path = many.issue_path(date(2017, 7, 3))
    build(many)
    text = path.read_text(encoding="utf-8")
    with open(path, "r+", encoding="utf-8") as handle:  # in place, as some editors save
        handle.write(text.replace("Development 1", "Development X", 1))
    build(many)
    assert "Development X" in (site / "2017" / "test-weekly-03-july-2017.html").read_text(encoding="utf-8")


def test_a_new_issue_adds_its_page_and_a_full_rebuild_gives_the_same_bytes(many, tmp_path):
    site = many.root / "site"
    build(many)
    write_issue(many, date(2017, 7, 17))
    write_issue(many, date(2017, 7, 24), status="draft")  # not on the site
    result = build(many)
    assert "2017/test-weekly-17-july-2017.html" in result.written
    assert not (site / "2017" / "test-weekly-24-july-2017.html").exists()
    assert (site / "archive" / "page-3.html").read_text().count('class="read-more"') == 6
    fresh = tmp_path / "fresh"
    build(many, fresh)
    assert snapshot(fresh) == snapshot(site)


def test_a_retitled_issue_leaves_no_stale_page_and_other_files_are_kept(room):
    site = room.root / "site"
    build(room)
    (site / "CNAME").write_text("blog.example.org\n")  # the editor's own file
    issue = load_issue(room.issue_path(date(2017, 6, 26)))
    issue.title = "Social Credit Weekly – the first issue"
    save_issue(issue)
    result = build(room)
    assert result.removed == [POST_0626]
    assert not (site / POST_0626).exists()
    assert (site / "2017" / "social-credit-weekly-the-first-issue.html").is_file()
    assert (site / "CNAME").read_text() == "blog.example.org\n"
    fresh = room.root / "fresh"
    build(room, fresh)
    assert {k: v for k, v in snapshot(site).items() if k != "CNAME"} == snapshot(fresh)


def test_an_issue_set_back_to_draft_leaves_the_site_and_its_year_folder_goes(room):
    site = room.root / "site"
    write_issue(room, date(2018, 1, 1))
    build(room)
    assert (site / "2018").is_dir()
    issue = load_issue(room.issue_path(date(2018, 1, 1)))
    issue.status = "draft"
    save_issue(issue)
    result = build(room)
    assert "2018/test-weekly-01-january-2018.html" in result.removed and "archive/2018.html" in result.removed
    assert not (site / "2018").exists()


def test_a_tampered_manifest_never_removes_files_outside_the_site(room):
    site = room.root / "site"
    build(room)
    outside = room.root / "keep.txt"
    outside.write_text("mine")
    (site / MANIFEST).write_text('["../keep.txt", "/etc/hostname", "index.html"]')
    build(room)
    assert outside.read_text() == "mine"


def test_two_issues_with_one_title_are_refused_before_anything_is_written(room):
    from newsdesk.errors import InvalidInput

    issue = load_issue(room.issue_path(date(2017, 6, 26)))
    issue.title = "Social Credit Weekly News Summary – 3rd July 2017"
    save_issue(issue)
    with pytest.raises(InvalidInput, match="would both be published at 2017/social-credit"):
        build(room)
    assert not (room.root / "site").exists()


def test_titles_without_latin_letters_never_share_a_post_path():
    from datetime import date

    from newsdesk.issue import Issue
    from newsdesk.output.archive import post_path

    def issue(day: date) -> Issue:
        return Issue(title="社会信用周报", date=day, week_start=day, week_end=day)

    first, second = post_path(issue(date(2017, 7, 3))), post_path(issue(date(2017, 7, 10)))
    assert first != second and first == "2017/issue-2017-07-03.html"


# What a blog gives ----------------------------------------------------------

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def page_url(path: str) -> str:
    """The public address of a page of the sample site (an index.html by its folder)."""
    return "https://socialcredit.example/" + path.removesuffix("index.html")


def test_the_sitemap_lists_every_page_by_its_address_and_robots_txt_points_to_it(many):
    from xml.etree import ElementTree

    site = many.root / "site"
    build(many)
    root = ElementTree.fromstring((site / "sitemap.xml").read_bytes())
    assert root.tag == f"{SITEMAP}urlset"
    urls = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in root.iter(f"{SITEMAP}url")}
    # Every page but the 404 and the search page (both noindex).
    pages = [p for p in snapshot(site) if p.endswith(".html") and p not in ("404.html", "search.html")]
    assert set(urls) == {page_url(p) for p in pages}
    assert len(urls) == len(pages) < 50_000  # one sitemap file holds 50,000 addresses
    # A post's lastmod is when its content last changed: its entry's updated time.
    feed = feedparser.parse((site / "archive" / "feed.xml").read_bytes())
    newest = feed.entries[0]
    assert urls[newest.link] == newest.updated
    assert all(lastmod is None for url, lastmod in urls.items() if not url.endswith(".html"))
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    assert robots.splitlines() == ["User-agent: *", "Allow: /", "", "Sitemap: https://socialcredit.example/sitemap.xml"]


def test_the_sitemap_leaves_out_posts_whose_address_is_another_blog(room):
    issue = load_issue(room.issue_path(date(2017, 7, 3)))
    issue.post_url = "https://blog.example.org/2017/07/03/issue/"  # the primary blog is WordPress
    save_issue(issue)
    build(room)
    sitemap = (room.root / "site" / "sitemap.xml").read_text(encoding="utf-8")
    assert "blog.example.org" not in sitemap and POST_0703 not in sitemap
    assert page_url(POST_0626) in sitemap


def test_an_rss_feed_beside_the_atom_one_carries_the_same_entries(many):
    from email.utils import parsedate_to_datetime
    from xml.etree import ElementTree

    site = many.root / "site"
    build(many)
    atom = feedparser.parse((site / "archive" / "feed.xml").read_bytes())
    rss_bytes = (site / "archive" / "rss.xml").read_bytes()
    rss = feedparser.parse(rss_bytes)
    assert (atom.bozo, atom.version, rss.bozo, rss.version) == (0, "atom10", 0, "rss20")
    assert rss.feed.title == atom.feed.title == "Social Credit Weekly News Summary"
    assert rss.feed.link == "https://socialcredit.example/"
    assert [(e.id, e.title, e.link) for e in rss.entries] == [(e.id, e.title, e.link) for e in atom.entries]
    assert [e.content[0].value for e in rss.entries] == [e.content[0].value for e in atom.entries]
    assert [e.summary for e in rss.entries] == [e.summary for e in atom.entries]
    # What the W3C validator checks that can be checked offline: the channel's required
    # elements, dates in RFC 822, a self link, unique guids that are not links.
    channel = ElementTree.fromstring(rss_bytes).find("channel")
    assert all(channel.findtext(name) for name in ("title", "link", "description", "language", "lastBuildDate"))
    self_link = channel.find("{http://www.w3.org/2005/Atom}link")
    assert self_link.attrib == {
        "href": "https://socialcredit.example/archive/rss.xml",
        "rel": "self",
        "type": "application/rss+xml",
    }
    items = channel.findall("item")
    guids = [i.find("guid") for i in items]
    assert len({g.text for g in guids}) == len(items) == 20
    assert all(g.attrib == {"isPermaLink": "false"} for g in guids)
    for item, entry in zip(items, atom.entries, strict=True):
        published = parsedate_to_datetime(item.findtext("pubDate"))
        assert published.isoformat().replace("+00:00", "Z") == entry.published
    assert (
        parsedate_to_datetime(channel.findtext("lastBuildDate")).isoformat().replace("+00:00", "Z") == atom.feed.updated
    )


def test_feed_text_shows_as_written_in_both_feeds(room):
    import html

    issue = load_issue(room.issue_path(date(2017, 7, 3)))
    issue.title = "Code <script> sample & an </entry> ]]> end"
    issue.developments[0].headline = "A &lt;b&gt; literal <i>tag</i>"
    save_issue(issue)
    build(room)
    for name in ("feed.xml", "rss.xml"):
        feed = feedparser.parse((room.root / "site" / "archive" / name).read_bytes())
        assert feed.bozo == 0, name
        entry = next(e for e in feed.entries if "2017-07-03" in e.id)
        assert entry.title == issue.title, name
        summary = entry.summary_detail
        # Atom's summary is text; RSS's description is HTML, escaped so that it shows the text.
        shown = summary.value if summary.type == "text/plain" else html.unescape(summary.value)
        assert "This week: A &lt;b&gt; literal <i>tag</i>;" in shown, (name, summary)


def test_every_page_links_both_feeds_for_autodiscovery_and_names_its_canonical_address(many):
    site = many.root / "site"
    build(many)
    pages = [p for p in snapshot(site) if p.endswith(".html")]
    for path in pages:
        links = links_of(site / path)
        feeds = {(rel, url) for tag, rel, url in links if tag == "link" and rel == "alternate"}
        text = (site / path).read_text(encoding="utf-8")
        assert 'type="application/atom+xml"' in text and 'type="application/rss+xml"' in text, path
        targets = {posixpath_join(path, url) for _, url in feeds}
        assert targets == {"archive/feed.xml", "archive/rss.xml"}, (path, feeds)
        canonical = [url for tag, rel, url in links if rel == "canonical"]
        if path == "404.html":
            assert canonical == [] and '<meta name="robots" content="noindex">' in text
        else:
            assert canonical == [page_url(path)], path


def posixpath_join(page: str, url: str) -> str:
    """Where a link of ``page`` leads, as a path from the site's root."""
    import posixpath

    if url.startswith("/"):
        return url.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), url))


def meta_of(path: Path) -> dict[str, str]:
    """A page's meta tags, by name or property."""

    class Meta(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: dict[str, str] = {}
            self.scripts: list[tuple[str, str]] = []
            self.in_script: str | None = None

        def handle_starttag(self, tag, attrs):
            values = dict(attrs)
            if tag == "meta" and (values.get("name") or values.get("property")):
                self.found[values.get("name") or values["property"]] = values.get("content") or ""
            if tag == "script":
                self.in_script = values.get("type") or ""
                self.scripts.append((self.in_script, ""))

        def handle_data(self, data):
            if self.in_script is not None:
                kind, text = self.scripts[-1]
                self.scripts[-1] = (kind, text + data)

        def handle_endtag(self, tag):
            if tag == "script":
                self.in_script = None

    parser = Meta()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.found["scripts"] = parser.scripts  # type: ignore[assignment]
    return parser.found


def test_every_post_has_open_graph_twitter_and_json_ld(room):
    import json

    issue = load_issue(room.issue_path(date(2017, 7, 3)))
    issue.title = 'A "quoted" </script><script>alert(1)</script> title'
    save_issue(issue)
    build(room)
    site = room.root / "site"
    feed = feedparser.parse((site / "archive" / "feed.xml").read_bytes())
    for entry in feed.entries:
        path = entry.link.removeprefix("https://socialcredit.example/")
        meta = meta_of(site / path)
        assert meta["og:type"] == "article" and meta["og:title"] == entry.title
        assert meta["og:url"] == entry.link and meta["og:site_name"] == "Social Credit Weekly News Summary"
        assert meta["og:description"] == meta["description"] == entry.summary
        assert meta["article:published_time"] == entry.published
        assert meta["article:modified_time"] == entry.updated
        assert (meta["twitter:card"], meta["twitter:title"], meta["twitter:description"]) == (
            "summary",
            entry.title,
            entry.summary,
        )
        scripts = meta["scripts"]
        assert [kind for kind, _ in scripts] == ["application/ld+json"]  # nothing that runs
        data = json.loads(scripts[0][1])
        assert data["@context"] == "https://schema.org" and data["@type"] == "BlogPosting"
        assert (data["headline"], data["url"], data["mainEntityOfPage"]) == (entry.title, entry.link, entry.link)
        assert (data["datePublished"], data["dateModified"]) == (entry.published, entry.updated)
        assert data["description"] == entry.summary and data["inLanguage"] == "en"
        assert data["publisher"] == {"@type": "Organization", "name": "Social Credit Weekly"}
        assert data["isPartOf"] == {
            "@type": "Blog",
            "name": "Social Credit Weekly News Summary",
            "url": "https://socialcredit.example/",
        }


def test_each_post_links_the_previous_and_the_next_issue(many):
    site = many.root / "site"
    build(many)
    posts = [
        e.path
        for e in sorted((archive_entry(i, many.config.newsroom) for i in site_issues(many)), key=lambda e: e.date)
    ]
    for n, path in enumerate(posts):
        links = {rel: url for tag, rel, url in links_of(site / path) if tag == "a" and rel in ("prev", "next")}
        expected = {}
        if n > 0:
            expected["prev"] = posts[n - 1]
        if n + 1 < len(posts):
            expected["next"] = posts[n + 1]
        assert {rel: posixpath_join(path, url) for rel, url in links.items()} == expected, path
    newest = (site / posts[-1]).read_text(encoding="utf-8")
    assert "Previous issue" in newest and "Test Weekly – 03 July 2017" in newest and "Next issue" not in newest


def test_a_404_page_works_at_any_address(room):
    build(room)
    page = room.root / "site" / "404.html"
    text = page.read_text(encoding="utf-8")
    assert "<h1>Page not found</h1>" in text
    # Served for a missing address anywhere on the site, so its links start from the root.
    links = {(tag, rel, url) for tag, rel, url in links_of(page)}
    assert ("link", "stylesheet", "/style.css") in links
    assert ("a", "", "/archive/index.html") in links and ("a", "", "/index.html") in links


def configure(room: Newsroom, **settings: str) -> Newsroom:
    """The newsroom with these [newsroom] settings written into its sources.toml."""
    import tomlkit

    path = room.root / "sources.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    for key, value in settings.items():
        document["newsroom"][key] = value  # type: ignore[index]
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return Newsroom.open(room.root)


def html_pages(site: Path) -> list[str]:
    return [p for p in snapshot(site) if p.endswith(".html")]


@pytest.mark.parametrize(
    ("favicon", "from_post", "from_404"),
    [
        ("favicon.png", "../favicon.png", "/favicon.png"),
        ("/icons/mark.svg", "../icons/mark.svg", "/icons/mark.svg"),
        ("https://cdn.example.org/icon.png", "https://cdn.example.org/icon.png", "https://cdn.example.org/icon.png"),
    ],
)
def test_the_favicon_slot_puts_the_icon_on_every_page(room, favicon, from_post, from_404):
    room = configure(room, favicon_url=favicon)
    build(room)
    site = room.root / "site"
    for path in html_pages(site):
        icons = [url for tag, rel, url in links_of(site / path) if tag == "link" and rel == "icon"]
        if path == "404.html":
            assert icons == [from_404]
        elif path.count("/") == 1:
            assert icons == [from_post], path
        else:
            assert icons == [from_post.removeprefix("../")], path
    # The rendered post (outside the site) names it by its public address.
    issue = load_issue(room.issue_path(date(2017, 7, 3)))
    page = Renderer(room).post_page(issue)
    public = favicon if "://" in favicon else "https://socialcredit.example/" + favicon.lstrip("/")
    assert f'<link rel="icon" href="{public}">' in page


def test_no_favicon_and_no_signup_form_unless_configured(room):
    build(room)
    site = room.root / "site"
    for path in html_pages(site):
        text = (site / path).read_text(encoding="utf-8")
        assert 'rel="icon"' not in text and 'class="signup"' not in text, path


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("favicon_url", "javascript:alert(1)", "favicon_url must be an http(s) address or a path in the site"),
        ("favicon_url", "../outside.png", "favicon_url must be an http(s) address or a path in the site"),
        ("signup_url", "/subscribe", "signup_url must be an http(s) address"),
        ("signup_url", "javascript:alert(1)", "signup_url must be an http(s) address"),
    ],
)
def test_a_bad_favicon_or_signup_address_is_one_line_naming_the_key(room, key, value, problem):
    from newsdesk.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        configure(room, **{key: value})
    message = str(caught.value)
    assert problem in message and "sources.toml:" in message and "\n" not in message


class Forms(HTMLParser):
    """Each form of a page: its attributes and its inputs' attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[dict[str, str | None], list[dict[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.forms.append((dict(attrs), []))
        elif tag in ("input", "button") and self.forms:
            self.forms[-1][1].append({"tag": tag, **dict(attrs)})


def test_the_signup_form_is_on_every_page_and_posts_email_name_and_a_honeypot(room):
    signup = "https://subscribe.socialcredit.example/signup"
    room = configure(room, signup_url=signup)
    build(room)
    site = room.root / "site"
    pages = html_pages(site)
    assert len(pages) >= 6
    for path in pages:
        parser = Forms()
        parser.feed((site / path).read_text(encoding="utf-8"))
        signups = [(form, inputs) for form, inputs in parser.forms if form.get("action") == signup]
        assert len(signups) == 1, path
        form, inputs = signups[0]
        assert form["method"] == "post"
        fields = {i["name"]: i for i in inputs if i.get("name")}
        assert set(fields) == {"email", "name", "website"}, path
        assert fields["email"]["type"] == "email" and "required" in fields["email"]
        # The honeypot: out of the tab order, never autofilled.
        assert fields["website"]["tabindex"] == "-1" and fields["website"]["autocomplete"] == "off"
        assert [i for i in inputs if i["tag"] == "button"][0]["type"] == "submit"


def test_every_page_but_the_404_has_open_graph_twitter_and_structured_data_for_its_address(many):
    import json

    site = many.root / "site"
    build(many)
    for path in html_pages(site):
        meta = meta_of(site / path)
        canonical = [url for tag, rel, url in links_of(site / path) if rel == "canonical"]
        if path == "404.html":
            assert "og:url" not in meta and canonical == []
            continue
        assert canonical == [meta["og:url"]] == [page_url(path)], path
        assert meta["og:site_name"] == "Social Credit Weekly News Summary"
        assert meta["og:title"] and meta["og:description"] == meta["description"] != "", path
        assert meta["twitter:card"] == "summary" and meta["twitter:title"] == meta["og:title"]
        # Structured data first; the search page's own script after it.
        (kind, text), *others = meta["scripts"]  # type: ignore[misc]
        assert [k for k, _ in others] == ([""] if path == "search.html" else []), path
        data = json.loads(text)
        assert kind == "application/ld+json" and data["url" if "url" in data else "mainEntityOfPage"] == page_url(path)
        kinds = {"search.html": "SearchResultsPage", "2017": "BlogPosting", "2016": "BlogPosting"}
        assert data["@type"] == kinds.get(path.split("/")[0], "CollectionPage"), path


ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_atom_feed_follows_the_rules_the_w3c_validator_checks(many):
    """RFC 4287 as the W3C feed validator applies it, where it can be checked offline."""
    import re
    from xml.etree import ElementTree

    site = many.root / "site"
    build(many)
    feed = ElementTree.fromstring((site / "archive" / "feed.xml").read_bytes())
    assert feed.tag == f"{ATOM}feed"
    rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")
    # The feed: exactly one id, title and updated; an author (or one in every entry); a self link.
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert rfc3339.match(feed.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    links = {(link.get("rel"), link.get("type")): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links[("self", "application/atom+xml")] == "https://socialcredit.example/archive/feed.xml"
    assert urlsplit(feed.findtext(f"{ATOM}id")).scheme in ("https", "tag")
    entries = feed.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(entries) == 20 and len(set(ids)) == 20
    updated = []
    for entry in entries:
        for name in ("id", "title", "updated", "published"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert all(rfc3339.match(entry.findtext(f"{ATOM}{name}")) for name in ("updated", "published"))
        assert entry.findtext(f"{ATOM}published") <= entry.findtext(f"{ATOM}updated")
        alternate = [link for link in entry.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"]
        assert len(alternate) == 1 and alternate[0].get("href").startswith("https://socialcredit.example/")
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html" and content.text and entry.find(f"{ATOM}summary") is not None
        updated.append(entry.findtext(f"{ATOM}updated"))
    # The feed's updated is its newest entry's.
    assert feed.findtext(f"{ATOM}updated") == max(updated)


# Tags -------------------------------------------------------------------------


def tag(room: Newsroom, day: date, *tags: str) -> None:
    issue = load_issue(room.issue_path(day))
    issue.tags = list(tags)
    save_issue(issue)


def test_each_tag_has_a_page_listing_its_issues_and_posts_link_to_them(room):
    from urllib.parse import quote, unquote

    tag(room, date(2017, 7, 3), "Hebei", "Social credit", "信用 体系")
    tag(room, date(2017, 6, 26), "social credit", "Courts")
    build(room)
    site = room.root / "site"
    # One page per tag (the newest issue's spelling names it), and an index of them.
    assert sorted(p for p in snapshot(site) if p.startswith("tags/")) == [
        "tags/courts.html",
        "tags/hebei.html",
        "tags/index.html",
        "tags/social-credit.html",
        "tags/信用-体系.html",
    ]
    page = (site / "tags" / "social-credit.html").read_text(encoding="utf-8")
    assert "<h1>Issues tagged Social credit</h1>" in page
    assert page.index("3rd July 2017") < page.index("26th June 2017")
    hebei = (site / "tags" / "hebei.html").read_text(encoding="utf-8")
    assert "3rd July 2017" in hebei and "26th June 2017" not in hebei
    index = (site / "tags" / "index.html").read_text(encoding="utf-8")
    assert [(name, href) for name, href in re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', index)] == [
        ("courts.html", "Courts"),
        ("hebei.html", "Hebei"),
        ("social-credit.html", "Social credit"),
        (quote("信用-体系.html"), "信用 体系"),
    ]
    assert (
        'Courts</a> <span class="meta">(1)</span>' in index
        and 'Social credit</a> <span class="meta">(2)</span>' in index
    )
    # The post names its tags, each linked to its page (percent-encoded where it must be).
    links = {url: rel for tag_, rel, url in links_of(site / POST_0703) if rel == "tag"}
    assert {unquote(posixpath_join(POST_0703, url)) for url in links} == {
        "tags/hebei.html",
        "tags/social-credit.html",
        "tags/信用-体系.html",
    }
    meta = meta_of(site / POST_0703)
    assert meta["article:tag"]  # (the last one: meta_of keeps one per property)
    # Every page of the site links the tag index from its navigation.
    for path in html_pages(site):
        navigation = {posixpath_join(path, url) for t, _, url in links_of(site / path) if t == "a"}
        assert "tags/index.html" in navigation or (
            path == "404.html" and "/tags/index.html" in {url for _, _, url in links_of(site / path)}
        ), path
    # The sitemap and the canonical links give the addresses percent-encoded.
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    encoded = "https://socialcredit.example/tags/" + quote("信用-体系.html")
    assert f"<loc>{encoded}</loc>" in sitemap and "<loc>https://socialcredit.example/tags/</loc>" in sitemap
    assert [url for _, rel, url in links_of(site / "tags" / "信用-体系.html") if rel == "canonical"] == [encoded]


def test_without_tags_there_are_no_tag_pages_and_no_tag_links(room):
    build(room)
    site = room.root / "site"
    assert not (site / "tags").exists()
    assert all(">Tags</a>" not in (site / p).read_text(encoding="utf-8") for p in html_pages(site))


def test_a_tag_dropped_from_its_last_issue_loses_its_page_and_others_are_rendered_only_where_shown(many):
    site = many.root / "site"
    days = sorted(item.date for item in site_issues(many))
    tag(many, days[0], "Hebei")
    tag(many, days[-1], "Courts")
    build(many)
    assert (site / "tags" / "hebei.html").is_file()
    tag(many, days[0])
    result = build(many)
    assert "tags/hebei.html" in result.removed and (site / "tags" / "courts.html").is_file()
    # The issue's own page and the pages listing it change; far-off posts are not rendered.
    assert set(result.rendered) <= {
        post_path(load_issue(many.issue_path(days[0]))),
        post_path(load_issue(many.issue_path(days[1]))),
        "tags/index.html",
        f"archive/{days[0].year}.html",
        "archive/page-3.html",
        "search.json",
        "sitemap.xml",
    }, result.rendered
    assert not any(p.startswith(("2017/", "2016/")) and days[5].isoformat() in p for p in result.rendered)
    # And a build from nothing gives the same bytes.
    fresh = many.root / "fresh"
    build(many, fresh)
    assert {k: v for k, v in snapshot(fresh).items() if k != MANIFEST} == {
        k: v for k, v in snapshot(site).items() if k != MANIFEST
    }


def test_tags_reach_both_feeds_and_the_markdown_post(room):
    tag(room, date(2017, 7, 3), "Hebei", "信用")
    build(room)
    for name in ("feed.xml", "rss.xml"):
        feed = feedparser.parse((room.root / "site" / "archive" / name).read_bytes())
        assert feed.bozo == 0, (name, feed.get("bozo_exception"))
        entry = next(e for e in feed.entries if "2017-07-03" in e.id)
        assert [t.term for t in entry.tags] == ["Hebei", "信用"], name
        older = next(e for e in feed.entries if "2017-06-26" in e.id)
        assert "tags" not in older, name
    renderer = Renderer(room)
    issue = load_issue(room.issue_path(date(2017, 7, 3)))
    assert 'tags: ["Hebei", "信用"]\n' in renderer.post_markdown(issue)
    # `newsdesk render`'s post names them without links: its blog may have no tag pages.
    page = renderer.post_page(issue, entry=archive_entry(issue, room.config.newsroom))
    assert '<p class="tags meta">Tags: Hebei, 信用</p>' in page and 'rel="tag"' not in page


# Search -------------------------------------------------------------------------


def test_the_search_index_holds_every_issue_on_the_site_as_text_chinese_included(room):
    import json

    tag(room, date(2017, 7, 3), "Hebei", "信用")
    build(room)
    site = room.root / "site"
    rows = json.loads((site / "search.json").read_text(encoding="utf-8"))["issues"]
    assert [row["t"] for row in rows] == [
        "Social Credit Weekly News Summary – 3rd July 2017",
        "Social Credit Weekly News Summary – 26th June 2017",
    ]  # newest first, the draft left out
    newest = rows[0]
    assert newest["u"] == POST_0703 and (site / newest["u"]).is_file()
    assert newest["d"] == "3rd July 2017" and newest["g"] == ["Hebei", "信用"]
    issue = load_issue(room.issue_path(date(2017, 7, 3)))
    assert newest["x"] == archive_entry(issue, room.config.newsroom).excerpt
    # The intro, the headlines and the annotations, as text: no Markdown, no tags, no links.
    assert "河北省社会信用信息条例" in newest["b"] and "宿迁市" in newest["b"]
    assert all(d.headline in newest["b"] for d in issue.developments)
    assert "](" not in newest["b"] and "<" not in newest["b"] and "**" not in newest["b"]
    assert "上海市社会信用条例" in rows[1]["b"] and "宿迁市" not in rows[1]["b"]
    # The search page: found from every page's navigation, never listed in the sitemap.
    assert "search.html" not in (site / "sitemap.xml").read_text(encoding="utf-8")
    assert ("a", "", "../search.html") in links_of(site / POST_0703)
    assert '<meta name="robots" content="noindex">' in (site / "search.html").read_text(encoding="utf-8")


def test_the_search_index_is_folded_to_simplified_and_carries_a_small_table_for_the_query(room):
    import json

    from newsdesk.chinese import fold, fold_table

    issue = load_issue(room.issue_path(date(2017, 7, 3)))
    issue.developments[0].annotation += "\n\n宿遷市公佈資訊。"
    save_issue(issue)
    build(room)
    index = json.loads((room.root / "site" / "search.json").read_text(encoding="utf-8"))
    newest, older = index["issues"]
    assert "宿遷市公佈資訊" in newest["b"]  # shown as written
    assert "宿迁市公布资讯" in newest["s"] and "遷" not in newest["s"]  # searched folded
    assert newest["s"] == fold("\n".join([newest["t"], newest["x"], " ".join(newest["g"]), newest["b"]]))
    assert "s" not in older  # nothing traditional in it: no second copy
    pairs = dict(zip(index["fold"][::2], index["fold"][1::2], strict=True))
    assert pairs["遷"] == "迁" and pairs["資"] == "资" and pairs["佈"] == "布" and "髮" not in pairs
    held = set(newest["s"]) | set("\n".join(older[k] if isinstance(older[k], str) else "" for k in "txb"))
    # Only the characters whose simplified form the index holds: a small part of OpenCC's table.
    assert set(pairs.values()) <= held and len(pairs) < len(fold_table()) / 5
    assert all(fold_table()[t] == s for t, s in pairs.items())


def test_a_tag_with_markup_is_text_everywhere_and_its_page_stays_in_the_site(room):
    import json

    hostile = '<script>alert("x")</script> & ../../etc'
    tag(room, date(2017, 7, 3), hostile)
    build(room)
    site = room.root / "site"
    assert (site / "tags" / "script-alert-x-script-etc.html").is_file()
    for path in (POST_0703, "tags/index.html", "tags/script-alert-x-script-etc.html"):
        text = (site / path).read_text(encoding="utf-8")
        assert "<script>alert" not in text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; ../../etc" in text
    rows = json.loads((site / "search.json").read_text(encoding="utf-8"))["issues"]
    assert rows[0]["g"] == [hostile]
    for name in ("feed.xml", "rss.xml"):
        feed = feedparser.parse((site / "archive" / name).read_bytes())
        assert feed.bozo == 0 and feed.entries[0].tags[0].term == hostile, name
