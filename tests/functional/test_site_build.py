"""`newsdesk site build`: the static site again from the issue files, publishing nothing."""

from __future__ import annotations

from newsdesk.issue import load_issue, save_issue

POST = "2017/social-credit-weekly-news-summary-3rd-july-2017.html"


def test_site_build_makes_the_site_from_the_issue_files_and_changes_none(run, newsroom_dir):
    issues = sorted((newsroom_dir / "issues").glob("*.md"))
    before = {path: path.read_bytes() for path in issues}
    result = run("site", "build")
    assert result.exit_code == 0, result.output
    site = newsroom_dir / "site"
    assert result.output.splitlines() == [f"✓ site (static): wrote 13 files, 0 unchanged in {site}/"]
    assert (site / POST).is_file() and (site / "sitemap.xml").is_file()
    assert {path: path.read_bytes() for path in issues} == before
    again = run("site", "build")
    assert again.output.splitlines() == [f"✓ site (static): wrote 0 files, 13 unchanged in {site}/"]


def test_site_build_shows_an_edit_to_a_published_issue_without_publishing_it(run, newsroom_dir):
    assert run("publish", "2017-07-03").exit_code == 0
    issue = load_issue(newsroom_dir / "issues" / "2017-07-03.md")
    issue.developments[0].annotation = "A corrected annotation."
    save_issue(issue)
    recorded = issue.path.read_bytes()
    result = run("site", "build")
    assert result.exit_code == 0, result.output
    assert "A corrected annotation." in (newsroom_dir / "site" / POST).read_text(encoding="utf-8")
    assert issue.path.read_bytes() == recorded


def test_site_build_with_no_static_target_is_one_line_and_exit_2(run, newsroom_dir):
    config = newsroom_dir / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[[blogs]]\nname = "blog"\nkind = "wordpress"\nurl = "https://blog.example.org"\nuser = "editor"\n'
        + '\n[[blogs]]\nname = "mirror"\nkind = "static"\npath = "mirror"\n',
        encoding="utf-8",
    )
    refused = run("site", "build", "--target", "blog")
    assert refused.exit_code == 2
    assert refused.output.splitlines() == [
        "newsdesk: error: no static site to build among the blog targets: blog (wordpress)"
    ]
    built = run("site", "build")  # every static target, WordPress left alone (no password asked)
    assert built.exit_code == 0, built.output
    assert built.output.splitlines() == [
        f"✓ mirror (static): wrote 13 files, 0 unchanged in {newsroom_dir / 'mirror'}/"
    ]


def test_site_build_stops_at_a_broken_issue_file_before_writing(run, newsroom_dir):
    broken = newsroom_dir / "issues" / "2017-07-03.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace('status = "published"', "status = published"))
    result = run("site", "build")
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and f"{broken}:6:" in result.output
    assert not (newsroom_dir / "site").exists()


def test_after_blog_url_changes_every_address_of_an_older_issue_follows_it(run, newsroom_dir):
    import json
    import re

    import feedparser
    import tomlkit

    assert run("publish", "2017-07-03").exit_code == 0
    assert load_issue(newsroom_dir / "issues" / "2017-07-03.md").post_url == f"https://socialcredit.example/{POST}"
    config = newsroom_dir / "sources.toml"
    document = tomlkit.parse(config.read_text(encoding="utf-8"))
    document["newsroom"]["blog_url"] = "https://weekly.example.net/summary"  # type: ignore[index]
    config.write_text(tomlkit.dumps(document), encoding="utf-8")
    assert run("site", "build").exit_code == 0
    site = newsroom_dir / "site"
    url = f"https://weekly.example.net/summary/{POST}"
    page = (site / POST).read_text(encoding="utf-8")
    assert "socialcredit.example" not in page
    assert f'<link rel="canonical" href="{url}">' in page
    assert f'<meta property="og:url" content="{url}">' in page
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL).group(1))
    assert data["url"] == data["mainEntityOfPage"] == url
    for name in ("feed.xml", "rss.xml"):
        feed = feedparser.parse((site / "archive" / name).read_bytes())
        assert url in [entry.link for entry in feed.entries], name
    assert f"<loc>{url}</loc>" in (site / "sitemap.xml").read_text(encoding="utf-8")
    # The email's "view in browser" link agrees.
    from newsdesk.newsroom import Newsroom
    from newsdesk.output.render import Renderer

    issue = load_issue(newsroom_dir / "issues" / "2017-07-03.md")
    assert f"View in your browser: {url}" in Renderer(Newsroom.open(newsroom_dir)).email_text(issue).replace("\n", " ")
