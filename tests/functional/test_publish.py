"""`newsdesk publish` with the static site target: the command, the issue file, the exit codes."""

from __future__ import annotations

from newsdesk.issue import load_issue, save_issue
from newsdesk.newsroom import Newsroom

POST = "2017/social-credit-weekly-news-summary-3rd-july-2017.html"
URL = f"https://socialcredit.example/{POST}"


def test_publish_builds_the_default_site_and_records_the_post(run, newsroom_dir):
    issue_path = newsroom_dir / "issues" / "2017-07-03.md"
    issue = load_issue(issue_path)
    issue.status = "sent"
    save_issue(issue)
    result = run("publish", "2017-07-03")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"✓ site (static): wrote 13 files, 0 unchanged in {newsroom_dir / 'site'}/; {URL}",
        f"2017-07-03 is published: {URL}",
    ]
    published = load_issue(issue_path)
    assert (published.status, published.post_url) == ("published", URL)
    assert (newsroom_dir / "site" / POST).is_file()
    # Once more: nothing to write, nothing in the issue file changes.
    before = issue_path.read_bytes()
    again = run("publish", "2017-07-03")
    assert again.exit_code == 0 and "wrote 0 files, 13 unchanged" in again.output
    assert issue_path.read_bytes() == before


def test_a_complete_draft_is_published_and_joins_the_site(run, newsroom_dir):
    issue_path = newsroom_dir / "issues" / "2017-07-10.md"
    draft = load_issue(issue_path)
    donor = load_issue(newsroom_dir / "issues" / "2017-07-03.md")
    draft.developments = donor.developments
    for development in draft.developments:
        development.raw = None  # written anew into this file
    save_issue(draft)
    result = run("publish", "2017-07-10")
    assert result.exit_code == 0, result.output
    assert load_issue(issue_path).status == "published"
    archive = (newsroom_dir / "site" / "archive" / "index.html").read_text(encoding="utf-8")
    assert "10th July 2017" in archive


def test_an_incomplete_issue_is_refused_and_nothing_is_written(run, newsroom_dir):
    before = (newsroom_dir / "issues" / "2017-07-10.md").read_bytes()
    result = run("publish", "2017-07-10")
    assert result.exit_code == 3
    assert "2017-07-10.md: not ready to publish: 3 developments still to pick (0 of 3)" in result.output
    assert not (newsroom_dir / "site").exists()
    assert (newsroom_dir / "issues" / "2017-07-10.md").read_bytes() == before


def test_an_unknown_target_is_invalid_input(run, newsroom_dir):
    result = run("publish", "2017-07-03", "--target", "wordpress")
    assert result.exit_code == 2
    assert "no blog target 'wordpress'" in result.output and "(targets: site)" in result.output


def test_a_broken_issue_file_stops_the_build_before_anything_is_written(run, newsroom_dir):
    (newsroom_dir / "issues" / "2017-06-26.md").write_text("+++\ntitle = \n+++\n", encoding="utf-8")
    result = run("publish", "2017-07-03")
    assert result.exit_code == 2
    assert "2017-06-26.md:2" in result.output and "Traceback" not in result.output
    assert not (newsroom_dir / "site").exists()
    assert load_issue(newsroom_dir / "issues" / "2017-07-03.md").post_url is None


def test_configured_static_targets_and_target_selection(run, newsroom_dir):
    config = newsroom_dir / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + """
[[blogs]]
name = "public"
path = "public"

[[blogs]]
name = "mirror"
kind = "static"
path = "mirror/www"
""",
        encoding="utf-8",
    )
    result = run("publish", "2017-07-03", "-t", "mirror")
    assert result.exit_code == 0, result.output
    assert (newsroom_dir / "mirror" / "www" / POST).is_file()
    assert not (newsroom_dir / "public").exists()
    # Only the primary (first) target records the post URL.
    assert load_issue(newsroom_dir / "issues" / "2017-07-03.md").post_url is None
    assert run("publish", "2017-07-03").exit_code == 0
    assert (newsroom_dir / "public" / POST).is_file()
    assert load_issue(newsroom_dir / "issues" / "2017-07-03.md").post_url == URL


def test_a_retitled_issue_records_its_new_address(run, newsroom_dir):
    assert run("publish", "2017-07-03").exit_code == 0
    path = newsroom_dir / "issues" / "2017-07-03.md"
    issue = load_issue(path)
    issue.title = "Social Credit Weekly – Hebei, Suqian and fake cosmetics"
    save_issue(issue)
    result = run("publish", "2017-07-03")
    assert result.exit_code == 0, result.output
    new_url = "https://socialcredit.example/2017/social-credit-weekly-hebei-suqian-and-fake-cosmetics.html"
    assert load_issue(path).post_url == new_url
    assert "removed 1" in result.output
    page = newsroom_dir / "site" / "2017" / "social-credit-weekly-hebei-suqian-and-fake-cosmetics.html"
    assert f'<link rel="canonical" href="{new_url}">' in page.read_text(encoding="utf-8")


def test_a_second_publish_at_the_same_time_is_refused(run, newsroom_dir):
    room = Newsroom.open(newsroom_dir)
    with room.exclusive("publish"):
        result = run("publish", "2017-07-03")
    assert result.exit_code == 3
    assert "newsroom busy: a publish is already running" in result.output


def test_publish_is_listed_in_the_help(run):
    result = run("--help")
    assert "publish" in result.output


def test_blog_targets_are_validated_with_the_file_and_line(newsroom_dir):
    import pytest

    from newsdesk.config import parse_config
    from newsdesk.errors import ConfigError

    def problem(blogs: str) -> str:
        with pytest.raises(ConfigError) as caught:
            parse_config('[newsroom]\nname = "x"\n\n' + blogs, newsroom_dir / "sources.toml")
        return caught.value.message.removeprefix(str(newsroom_dir) + "/")

    wordpress = '[[blogs]]\nname = "wp"\nkind = "wordpress"\nurl = "https://blog.example.org"\nuser = "ed"\n'
    assert (
        problem('[[blogs]]\nname = "a"\nkind = "ftp"\n')
        == "sources.toml:6: blog 'a': kind must be one of static, wordpress, not 'ftp'"
    )
    assert problem(wordpress + 'password = "hunter2"\n') == (
        "sources.toml:9: blog 'wp': never put the password in sources.toml; "
        "set password_env to the name of an environment variable that holds it"
    )
    assert (
        problem(wordpress.replace("https://blog.example.org", "blog.example.org"))
        == "sources.toml:7: blog 'wp': url must be the site's http(s) address, not 'blog.example.org'"
    )
    assert (
        problem(wordpress + 'status = "live"\n')
        == "sources.toml:9: blog 'wp': status must be one of publish, draft, not 'live'"
    )
    assert (
        problem(wordpress + 'password_env = "MY-PASS"\n')
        == "sources.toml:9: blog 'wp': password_env must name an environment variable, not 'MY-PASS'"
    )
    assert (
        problem('[[blogs]]\nname = "a"\nurl = "https://x.org"\n')
        == "sources.toml:6: blog 'a': url applies to wordpress blogs only (this one is static)"
    )
    assert (
        problem('[[blogs]]\nname = "a"\n\n[[blogs]]\nname = "A"\npath = "b"\n')
        == "sources.toml:8: duplicate blog name 'A' (also blogs[1])"
    )
    assert (
        problem(wordpress + "\n" + wordpress.replace('"wp"', '"wp2"'))
        == "sources.toml:12: blog 'wp2': only one wordpress blog is supported (already 'wp')"
    )
    assert (
        problem(wordpress.replace('user = "ed"\n', ""))
        == "sources.toml:4: blog 'wp': user is required (the user that owns the application password)"
    )


def test_a_site_folder_that_cannot_be_written_is_one_line_not_a_traceback(run, newsroom_dir):
    (newsroom_dir / "site").write_text("a file where the site's folder should be", encoding="utf-8")
    result = run("publish", "2017-07-03")
    assert result.exit_code == 1
    assert "✗ site (static): cannot write" in result.output and "Traceback" not in result.output
    assert "not published to site (0 of 1 targets done)" in result.output
    assert load_issue(newsroom_dir / "issues" / "2017-07-03.md").status == "published"  # as it was
    assert load_issue(newsroom_dir / "issues" / "2017-07-03.md").post_url is None  # no page, no address
