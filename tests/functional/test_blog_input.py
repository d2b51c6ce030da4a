"""What the blog refuses or repairs in its input: control characters in titles, tags and
headlines, tags the desk would split, and addresses in [newsroom] that would misbehave."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from newsdesk.errors import IssueFileError
from newsdesk.issue import load_issue, parse_issue, save_issue, tags_from_text
from newsdesk.newsroom import Newsroom
from newsdesk.output.site import SiteBuilder, site_issues

ISSUE = "2017-07-03.md"
# Every control character but tab, newline and carriage return (which feeds carry), DEL and C1.
CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x85, 0x9F)]


def escaped(char: str) -> str:
    return f"\\u{ord(char):04X}"


def with_front(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_control_character_in_a_title_a_tag_or_a_headline_is_refused_naming_the_line(char):
    front = '+++\ntitle = "{title}"\ndate = 2017-07-10\nweek_start = 2017-07-03\nweek_end = 2017-07-09\ntags = [{tags}]\n+++\n'
    with pytest.raises(IssueFileError) as title:
        parse_issue(front.format(title=f"A {escaped(char)} title", tags='"Hebei"'), "issues/x.md")
    assert str(title.value) == (
        f"issues/x.md:2: title holds the control character U+{ord(char):04X}: remove it (feeds cannot carry it)"
    )
    with pytest.raises(IssueFileError) as tag:
        parse_issue(front.format(title="T", tags=f'"Hebei", "a{escaped(char)}b"'), "issues/x.md")
    assert str(tag.value).startswith("issues/x.md:6: tag ") and f"U+{ord(char):04X}" in str(tag.value)
    with pytest.raises(IssueFileError) as headline:
        parse_issue(front.format(title="T", tags="") + f"\nIntro.\n\n## A {char} headline\n\nText.\n", "x.md")
    assert str(headline.value).startswith("x.md:11: the headline holds the control character")


def test_publish_refuses_a_title_with_a_control_character_in_one_line_and_writes_nothing(run, newsroom_dir):
    path = newsroom_dir / "issues" / ISSUE
    with_front(path, 'title = "Social Credit Weekly News Summary – 3rd July 2017"', 'title = "Bell \\u0007 here"')
    result = run("publish", "2017-07-03")
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"newsdesk: error: {path}:2: title holds the control character U+0007: remove it (feeds cannot carry it)"
    ]
    assert not (newsroom_dir / "site").exists()


def test_the_desk_drops_control_characters_from_typed_tags():
    assert tags_from_text("Heb\x07ei, courts\x0b") == ["Heb ei", "courts"]


def test_both_feeds_stay_valid_xml_whatever_control_character_the_text_holds(newsroom_dir):
    room = configure(newsroom_dir, name="Weekly" + "".join(CONTROLS) + " News")  # no check there
    issue = load_issue(newsroom_dir / "issues" / ISSUE)
    # Annotations and intros are not refused: the feeds leave out what XML cannot carry.
    issue.intro = "Controls: " + "".join(CONTROLS) + " end of the intro."
    issue.developments[0].annotation = "An annotation with" + "".join(CONTROLS) + " controls."
    save_issue(issue)
    site = newsroom_dir / "site"
    SiteBuilder(room, site).build(site_issues(room))
    for name in ("feed.xml", "rss.xml"):
        feed = feedparser.parse((site / "archive" / name).read_bytes())
        assert feed.bozo == 0, (name, feed.get("bozo_exception"))
        entry = next(e for e in feed.entries if "2017-07-03" in e.id)
        assert "An annotation with" in entry.content[0].value and "controls." in entry.content[0].value
        assert feed.feed.title.startswith("Weekly") and feed.feed.title.endswith(" News"), name


@pytest.mark.parametrize("separator", [",", "，", "、"])
def test_a_tag_holding_a_separator_of_the_desks_tags_field_is_refused_naming_the_line(separator, tmp_path):
    path = tmp_path / "2017-07-10.md"
    path.write_text(
        '+++\ntitle = "T"\ndate = 2017-07-10\nweek_start = 2017-07-03\nweek_end = 2017-07-09\n'
        f'tags = ["Shanghai", "Hebei{separator} courts"]\n+++\n\nIntro.\n',
        encoding="utf-8",
    )
    with pytest.raises(IssueFileError) as refused:
        load_issue(path)
    assert str(refused.value) == (
        f"{path}:6: tag 'Hebei{separator} courts' holds {separator!r}, which separates tags in the desk: "
        "write it without, or make it two tags"
    )


def test_tags_the_file_accepts_come_back_unchanged_through_the_desks_field(tmp_path):
    tags = ["Hebei courts", "信用体系", "Social credit system", "A/B (test)"]
    issue = parse_issue(
        '+++\ntitle = "T"\ndate = 2017-07-10\nweek_start = 2017-07-03\nweek_end = 2017-07-09\n'
        f"tags = [{', '.join(repr(t).replace(chr(39), chr(34)) for t in tags)}]\n+++\n"
    )
    assert tags_from_text(", ".join(issue.tags)) == issue.tags == tags


def configure(folder: Path, **settings: str) -> Newsroom:
    """The newsroom with these [newsroom] settings written into its sources.toml."""
    import tomlkit

    path = folder / "sources.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    for key, value in settings.items():
        document["newsroom"][key] = value  # type: ignore[index]
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return Newsroom.open(folder)


def test_a_protocol_relative_favicon_is_refused_not_turned_into_a_path(newsroom_dir):
    from newsdesk.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        configure(newsroom_dir, favicon_url="//evil.example/f.png")
    message = str(caught.value)
    assert "\n" not in message and "sources.toml:" in message
    assert "newsroom.favicon_url '//evil.example/f.png' is protocol-relative" in message


@pytest.mark.parametrize("key", ["favicon_url", "signup_url", "logo_url"])
@pytest.mark.parametrize("url", ["https://editor:s3cret@cdn.example/x.png", "http://editor@cdn.example/x.png"])
def test_an_address_with_a_user_or_password_is_refused_in_one_line(newsroom_dir, key, url):
    from newsdesk.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        configure(newsroom_dir, **{key: url})
    message = str(caught.value)
    assert "\n" not in message and "sources.toml:" in message and "s3cret" not in message
    assert f"newsroom.{key} holds a user name or password" in message


def test_an_at_sign_after_the_host_is_no_credential(newsroom_dir):
    room = configure(newsroom_dir, signup_url="https://subscribe.example/join?ref=@weekly")
    assert room.config.newsroom.signup_url.endswith("@weekly")


def test_check_and_publish_warn_of_a_favicon_path_missing_from_the_site(run, newsroom_dir):
    configure(newsroom_dir, favicon_url="icons/favicon.png")
    warning = (
        f"warning: newsroom.favicon_url: icons/favicon.png is not in the site folder {newsroom_dir / 'site'}: "
        "put the file there, or every page links to a missing icon"
    )
    published = run("publish", "2017-07-03")
    assert published.exit_code == 0, published.output
    assert warning in published.output.splitlines()
    checked = run("check", "2017-07-03", "--offline")
    assert warning in checked.output.splitlines()
    (newsroom_dir / "site" / "icons").mkdir()
    (newsroom_dir / "site" / "icons" / "favicon.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert "favicon" not in run("publish", "2017-07-03").output
    assert "favicon" not in run("check", "2017-07-03", "--offline").output


def test_check_and_publish_warn_of_an_http_signup_form_on_an_https_blog(run, newsroom_dir):
    configure(newsroom_dir, signup_url="http://subscribe.socialcredit.example/join")
    warning = (
        "warning: newsroom.signup_url 'http://subscribe.socialcredit.example/join' is http on an https blog: "
        "readers' addresses would be sent unencrypted, and browsers warn on the form; use https"
    )
    assert warning in run("check", "2017-07-03", "--offline").output.splitlines()
    assert warning in run("publish", "2017-07-03").output.splitlines()
    configure(newsroom_dir, signup_url="https://subscribe.socialcredit.example/join")
    assert "is http on an https blog" not in run("check", "2017-07-03", "--offline").output


def test_archive_tag_and_post_pages_word_their_read_more_links_alike(newsroom_dir):
    import re

    room = Newsroom.open(newsroom_dir)
    issue = load_issue(newsroom_dir / "issues" / ISSUE)
    issue.tags = ["Hebei"]
    save_issue(issue)
    site = newsroom_dir / "site"
    SiteBuilder(room, site).build(site_issues(room))
    pages = ["index.html", "archive/index.html", "archive/2017.html", "tags/hebei.html"]
    pages.append("2017/social-credit-weekly-news-summary-3rd-july-2017.html")
    for page in pages:
        text = (site / page).read_text(encoding="utf-8")
        links = re.findall(r'class="read-more"[^>]*>(?:<a [^>]*>)?([^<]*)</a>', text)
        assert links and set(links) == {"Read more here"}, (page, links)


def test_a_blog_under_a_path_gets_its_sitemap_but_no_robots_txt_crawlers_would_never_read(newsroom_dir):
    room = configure(newsroom_dir, blog_url="https://socialcredit.example/weekly")
    site = newsroom_dir / "site"
    SiteBuilder(room, site).build(site_issues(room))
    assert not (site / "robots.txt").exists()
    assert "https://socialcredit.example/weekly/archive/" in (site / "sitemap.xml").read_text(encoding="utf-8")
    # Moved to the host's root: robots.txt is written, naming the sitemap.
    room = configure(newsroom_dir, blog_url="https://socialcredit.example")
    SiteBuilder(room, site).build(site_issues(room))
    assert "Sitemap: https://socialcredit.example/sitemap.xml" in (site / "robots.txt").read_text(encoding="utf-8")


def test_a_headline_pasted_into_the_desk_with_a_control_character_still_saves(newsroom_dir):
    from newsdesk.curation.session import DeskSession

    path = newsroom_dir / "issues" / ISSUE
    session = DeskSession(Newsroom.open(newsroom_dir), path)
    session.set_field(0, "headline", "Hebei\x07 hearing\x1b[31m")
    session.set_tags("Hebei\x0b, courts")
    assert session.save()
    issue = load_issue(path)
    assert issue.developments[0].headline == "Hebei hearing [31m" and issue.tags == ["Hebei", "courts"]
