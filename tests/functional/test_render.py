"""Golden files for the rendered sample issues: a template change shows as a reviewable diff.

Regenerate with `pytest tests/functional/test_render.py --update-goldens` and review `git diff`.
HTML is compared with its whitespace between tags normalized, one tag to a line, so that
a changed template shows as the lines it changed.
"""

import re
from pathlib import Path

import feedparser
import pytest
from rich.cells import cell_len

from newsdesk.errors import TemplateProblem
from newsdesk.issue import load_issue, save_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.render import GMAIL_CLIP_BYTES, Renderer

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
TEXT_OUTPUTS = ("email.txt", "post.md")
HTML_OUTPUTS = ("email.html", "post.html", "post_body.html", "archive/index.html", "archive/feed.xml")


def normalize_html(text: str) -> str:
    text = re.sub(r">\s+<", "><", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text.replace("><", ">\n<") + "\n"


@pytest.fixture(scope="module")
def rendered(shared_newsroom_dir, tmp_path_factory):
    """The sample issues rendered once for the tests that read the outputs."""
    room = Newsroom.open(shared_newsroom_dir)
    renderer = Renderer(room)
    out = {}
    build = tmp_path_factory.mktemp("build")
    for name in ("2017-06-26", "2017-07-03"):
        issue = load_issue(room.issues_dir / f"{name}.md")
        out[name] = renderer.render_all(issue, build / name)
    return out


@pytest.mark.parametrize("issue", ["2017-06-26", "2017-07-03"])
@pytest.mark.parametrize("output", TEXT_OUTPUTS + HTML_OUTPUTS)
def test_golden(rendered, issue, output, request):
    actual = (rendered[issue].out_dir / output).read_text(encoding="utf-8")
    if output in HTML_OUTPUTS:
        actual = normalize_html(actual)
    golden = GOLDEN / issue / output
    if request.config.getoption("--update-goldens"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}: run with --update-goldens"
    assert actual == golden.read_text(encoding="utf-8")


def test_render_writes_every_output_without_warnings(rendered):
    result = rendered["2017-07-03"]
    assert result.warnings == []
    names = sorted(str(p.relative_to(result.out_dir)) for p in result.files)
    assert names == sorted(
        ["email.html", "email.txt", "post.html", "post_body.html", "post.md", "archive/index.html", "archive/feed.xml"]
    )


def test_email_fits_gmail_and_is_built_for_phones(rendered):
    html = (rendered["2017-07-03"].out_dir / "email.html").read_text(encoding="utf-8")
    assert len(html.encode()) < GMAIL_CLIP_BYTES
    assert re.search(r'<meta name="color-scheme" content="light dark" ?/?>', html)
    # Dark mode darkens every section, not only the page around them (the browser test
    # measures the contrast), and Outlook.com's markers have rules of their own.
    sections = re.findall(r'<div (?:class="([^"]*)" )?style="background:#ffffff;', html)
    assert len(sections) == 6 and set(sections) == {"nd-card"}
    styles = "".join(re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL))
    assert "@media (prefers-color-scheme: dark)" in styles and "[data-ogsc] .nd-card" in styles
    assert "&gt;" not in styles and "&#39;" not in styles  # CSS is not HTML: no entities in it
    assert 'name="viewport"' in html and "@media only screen" in html
    assert html.count("<h2") == 3 and "<h1" in html
    assert "Unsubscribe</a>" in html
    assert "河北省社会信用信息条例" in html
    assert "fonts.googleapis" not in html


WRAP = 72  # the plaintext part's wrapping width; no line may pass 78 (RFC 5322) but a lone URL


def long_lines(text: str) -> list[str]:
    """The lines over the wrapping width, by display width (a Chinese character counts
    two), that are not one unbreakable URL."""
    return [line for line in text.splitlines() if cell_len(line) > WRAP and not re.fullmatch(r"\s*https?://\S+", line)]


CHINESE_INTRO = (
    "欢迎阅读本期《社会信用周报》。本周我们选出并点评了6月26日至7月2日间社会信用领域最重要的三项进展，"
    "并附上原文链接，供读者进一步阅读和参考。"
)
CHINESE_DEVELOPMENT = (
    "河北省人大常委会宣布，将于7月6日就《河北省社会信用信息条例（草案）》举行立法听证会，"
    "有意参加的公众可在7月2日前报名。上海刚刚通过了自己的综合性条例，"
    "这次听证会表明各省正在加快为信用体系提供法律依据，也为公众提供了一个正式渠道，"
    "就信用信息如何界定和共享发表意见。"
)


def chinese_issue(room: Newsroom):
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.intro = CHINESE_INTRO
    issue.developments[0].headline = "河北省就社会信用信息条例草案举行立法听证会，有意参加的公众可在7月2日前报名参加"
    issue.developments[0].annotation = CHINESE_DEVELOPMENT
    issue.developments[0].read_more = "https://localcredit.example/hebei/2017-06/29/" + "content_5263" * 6 + ".htm"
    return issue


@pytest.mark.parametrize("name", ["2017-06-26", "2017-07-03"])
def test_the_plaintext_part_is_wrapped_by_display_width(rendered, name):
    text = (rendered[name].out_dir / "email.txt").read_text(encoding="utf-8")
    assert long_lines(text) == []
    assert (
        len(re.findall(r"^Read more at [a-z.]+:", text, re.M)) == 3
        and len(re.findall(r"^https?://\S+$|: https?://\S+$", text, re.M)) >= 3
    )


def test_a_chinese_issue_is_wrapped_by_display_width(newsroom_dir):
    room = Newsroom.open(newsroom_dir)
    text = Renderer(room).email_text(chinese_issue(room))
    assert long_lines(text) == [], long_lines(text)
    assert CHINESE_INTRO.replace("，", "") in text.replace("\n", "").replace("，", "")  # nothing lost in wrapping
    assert "\n".join(line for line in text.splitlines() if line.startswith("https://localcredit"))


def test_numbered_headlines_hang_and_the_title_is_underlined_to_its_width(newsroom_dir):
    room = Newsroom.open(newsroom_dir)
    issue = chinese_issue(room)
    issue.title = "社会信用周报 – 2017年7月3日"
    lines = Renderer(room).email_text(issue).splitlines()
    assert lines[0] == issue.title and lines[1] == "=" * cell_len(issue.title)
    first = lines.index(next(line for line in lines if line.startswith("1. ")))
    assert lines[first + 1].startswith("   ") and lines[first + 1].strip()  # under the headline's text
    second = next(line for line in lines if line.startswith("2. "))
    assert cell_len(second) <= WRAP
    english = Renderer(room).email_text(load_issue(room.issues_dir / "2017-07-03.md")).splitlines()
    assert english[english.index(next(x for x in english if x.startswith("1. "))) + 1] == "   regulation"


def test_the_signature_separator_is_dash_dash_space(rendered):
    text = (rendered["2017-07-03"].out_dir / "email.txt").read_text(encoding="utf-8")
    assert "\n-- \n" in text and "\n--\n" not in text


def test_archive_feed_parses_back_as_atom(rendered):
    feed = feedparser.parse((rendered["2017-07-03"].out_dir / "archive" / "feed.xml").read_bytes())
    assert feed.bozo == 0 and feed.version == "atom10"
    assert [e.title for e in feed.entries] == [
        "Social Credit Weekly News Summary – 3rd July 2017",
        "Social Credit Weekly News Summary – 26th June 2017",
    ]
    assert feed.entries[0].id == "tag:socialcredit.example,2017-07-03:issue"
    assert "Hebei" in feed.entries[0].content[0].value


def test_a_newsroom_west_of_utc_dates_its_feed_entries_on_their_day(newsroom_dir, tmp_path):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    config = newsroom_dir / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('timezone = "Asia/Shanghai"', 'timezone = "America/Los_Angeles"'),
        encoding="utf-8",
    )
    room = Newsroom.open(newsroom_dir)
    result = Renderer(room).render_all(load_issue(room.issue_path(date(2017, 7, 3))), tmp_path / "out")
    feed = feedparser.parse((result.out_dir / "archive" / "feed.xml").read_bytes())
    zone = ZoneInfo("America/Los_Angeles")
    for entry, day in zip(feed.entries, (date(2017, 7, 3), date(2017, 6, 26)), strict=True):
        published = datetime.fromisoformat(entry.published).astimezone(zone)
        assert published.date() == day, entry.published
    assert datetime.fromisoformat(feed.feed.updated).astimezone(zone).date() == date(2017, 7, 3)


def test_archive_lists_issues_newest_first_and_never_drafts(rendered):
    html = (rendered["2017-07-03"].out_dir / "archive" / "index.html").read_text(encoding="utf-8")
    assert html.index("3rd July 2017") < html.index("26th June 2017")
    assert "10th July 2017" not in html
    assert html.count("Read more here</a>") == 2


def test_newsroom_templates_come_first(newsroom_dir, tmp_path):
    (newsroom_dir / "templates" / "email.txt").write_text("Custom: {{ issue.title }}\n", encoding="utf-8")
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    assert Renderer(room).email_text(issue) == "Custom: Social Credit Weekly News Summary – 3rd July 2017\n"


def test_defaults_work_in_a_newsroom_without_templates(newsroom_dir, tmp_path):
    import shutil

    shutil.rmtree(newsroom_dir / "templates")
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    assert "Eight ministries" in Renderer(room).email_html(issue)


def test_template_errors_name_the_template_and_line(newsroom_dir, tmp_path):
    (newsroom_dir / "templates" / "email.txt").write_text("ok\n{{ issue.title }\n", encoding="utf-8")
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    out = tmp_path / "out"
    out.mkdir()
    (out / "email.html").write_text("previous", encoding="utf-8")
    with pytest.raises(TemplateProblem) as caught:
        Renderer(room).render_all(issue, out)
    assert "email.txt:2: template syntax error" in caught.value.message
    assert (out / "email.html").read_text(encoding="utf-8") == "previous"  # nothing overwritten


def test_undefined_variables_name_the_line(newsroom_dir):
    (newsroom_dir / "templates" / "email.txt").write_text("a\nb\n{{ issue.colour }}\n", encoding="utf-8")
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    with pytest.raises(TemplateProblem, match=r"email.txt:3: template error: .*colour"):
        Renderer(room).email_text(issue)


def test_feed_text_is_escaped_everywhere(newsroom_dir, tmp_path):
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.developments[0].headline = 'Evil <script>alert("x")</script> & co'
    issue.developments[0].annotation = (
        "Text <img src=x onerror=alert(1)> [link](javascript:alert(1)) <javascript:alert(2)>\n\n"
        "[ref]: vbscript:msgbox(1)"
    )
    save_issue(issue)
    result = Renderer(room).render_all(load_issue(issue.path), tmp_path / "out")
    for path in result.files:
        if path.suffix == ".txt":
            continue  # plain text shows the characters as they are: nothing there is active
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text and 'href="javascript:' not in text, path
        if path.suffix == ".md":  # Markdown for other renderers: no live link there either
            assert "(javascript:" not in text and "<javascript:" not in text and ": vbscript:" not in text
    post_md = (tmp_path / "out" / "post.md").read_text(encoding="utf-8")
    assert "## Evil &lt;script&gt;" in post_md


def test_incomplete_issue_warns_and_strict_refuses(run, newsroom_dir):
    result = run("render", "2017-07-10")
    assert result.exit_code == 0
    assert "warning: 2017-07-10: 3 developments still to pick (0 of 3)" in result.output
    strict = run("render", "2017-07-10", "--strict", "--out", str(newsroom_dir / "strict"))
    assert strict.exit_code == 3
    assert "not ready to render (--strict)" in strict.output
    assert not (newsroom_dir / "strict").exists()


def test_a_read_more_link_that_is_not_http_never_reaches_any_output(newsroom_dir, tmp_path):
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.developments[1].read_more = "javascript:alert(1)"
    result = Renderer(room).render_all(issue, tmp_path / "out")
    assert any("read-more link is not http(s)" in w for w in result.warnings)
    for path in result.files:
        assert "javascript:" not in path.read_text(encoding="utf-8"), path
    assert issue.developments[1].read_more == "javascript:alert(1)"  # the editor's file is untouched


RICH_ANNOTATION = (
    "The draft, [published by the legislature](https://law.example/draft), sets out:\n\n"
    "- what counts as *credit information*, and\n- who may [share it](https://law.example/share).\n\n"
    "> Information shall be collected lawfully.\n\n"
    "Comments go to the [office](https://law.example/office)."
)


def styled_links(html: str) -> dict[str, str]:
    """Each link's href and its style attribute ('' if none)."""
    links = {}
    for tag in re.findall(r"<a [^>]*>", html):
        href = re.search(r'href="([^"]+)"', tag)
        style = re.search(r'style="([^"]*)"', tag)
        if href:
            links[href.group(1)] = style.group(1) if style else ""
    return links


def test_links_lists_and_quotes_in_annotations_take_the_theme(newsroom_dir):
    from newsdesk.output.theme import DEFAULT_THEME

    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.developments[0].annotation = RICH_ANNOTATION
    html = Renderer(room).email_html(issue)
    links = styled_links(html)
    for href in ("https://law.example/draft", "https://law.example/share", "https://law.example/office"):
        assert re.search(rf"(^|;)\s*color:\s*{DEFAULT_THEME.light.link}\b", links[href]), (href, links[href])
    # The read-more link and the footer's keep their own styles.
    assert "font-weight:bold" in links["https://localcredit.example/hebei/2017-06/29/content_5263.htm"].replace(" ", "")
    assert DEFAULT_THEME.light.muted in links["https://socialcredit.example/archive/"]
    assert re.search(r"<blockquote style=\"[^\"]*border-left", html)
    assert re.search(r"<ul style=\"[^\"]*padding", html)


def test_headlines_title_and_intro_are_typeset_in_both_parts(newsroom_dir):
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.title = "Social Credit Weekly -- 3rd July 2017"
    issue.intro = 'This week\'s "three developments"... and a Chinese one: 「信用中国」.'
    issue.developments[1].headline = 'Xinhua\'s "integrity" records -- for officials'
    renderer = Renderer(room)
    for part in (renderer.email_html(issue), renderer.email_text(issue)):
        assert "Social Credit Weekly – 3rd July 2017" in part
        assert "This week’s “three developments”… and a Chinese one: 「信用中国」." in part
        assert "2. Xinhua’s “integrity” records – for officials" in part
        assert "Xinhua&#39;s" not in part and "Xinhua's" not in part


def preheader_of(html: str) -> str:
    import html as html_module

    hidden = re.search(r'<div style="display:none[^>]*>(.*?)</div>', html, re.DOTALL)
    assert hidden, "no preheader"
    return html_module.unescape(hidden.group(1)).strip()


def test_the_preheader_is_the_first_headline_not_the_newsletters_name(newsroom_dir):
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.developments[0].headline = 'Hebei\'s "hearing" on its draft regulation'
    shown = preheader_of(Renderer(room).email_html(issue))
    assert shown.startswith("Hebei’s “hearing” on its draft regulation; More local governments keep")
    assert "Social Credit Weekly" not in shown and "This week" not in shown
    assert len(shown) <= 150


def test_the_preheader_is_the_intros_point_when_it_makes_one(newsroom_dir):
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.intro = "Two provinces moved on credit laws this week. Here is what changed, and why it matters."
    assert preheader_of(Renderer(room).email_html(issue)) == "Two provinces moved on credit laws this week."


def test_a_chinese_issues_preheader_is_chinese(newsroom_dir):
    config = newsroom_dir / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'name = "Social Credit Weekly News Summary"', 'name = "社会信用周报"\nlanguage = "zh"'
        ),
        encoding="utf-8",
    )
    room = Newsroom.open(newsroom_dir)
    issue = chinese_issue(room)
    for development in issue.developments[1:]:
        development.headline = "宿迁市为公务员建立诚信档案"
    shown = preheader_of(Renderer(room).email_html(issue))
    assert shown.startswith("河北省就社会信用信息条例草案举行立法听证会，有意参加的公众可在7月2日前报名参加；宿迁市")
    assert not re.search("[A-Za-z]", shown)
    issue.intro = "本周两省推进信用立法。以下是具体变化及其意义。"
    assert preheader_of(Renderer(room).email_html(issue)) == "本周两省推进信用立法。"


def test_the_footer_says_who_sends_it_where_from_and_why(newsroom_dir):
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    renderer = Renderer(room)
    html = renderer.email_html(issue, recipient="reader@example.org")
    text = renderer.email_text(issue, recipient="reader@example.org")
    post = "https://socialcredit.example/2017/social-credit-weekly-news-summary-3rd-july-2017.html"
    for part in (html, text):
        assert "Social Credit Weekly, 12 Example Lane, Springfield 00000" in part
        assert "because reader@example.org subscribed" in " ".join(part.split())
        assert post in part and "https://socialcredit.example" in part
    assert f'<a href="{post}"' in html and "View in your browser</a>" in html
    assert re.search(rf"^View in your browser:\s+{re.escape(post)}$", text, re.M)


def test_without_a_postal_address_or_blog_the_footer_leaves_them_out(newsroom_dir):
    config = newsroom_dir / "sources.toml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    config.write_text(
        "".join(line for line in lines if not line.startswith(("postal_address", "blog_url"))), encoding="utf-8"
    )
    room = Newsroom.open(newsroom_dir)
    text = Renderer(room).email_text(load_issue(room.issues_dir / "2017-07-03.md"))
    assert "Example Lane" not in text and "View in your browser" not in text
    assert "because you subscribed." in " ".join(text.split())


def test_read_more_links_name_their_source(fetched):
    room = Newsroom.open(fetched)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    with room.store() as store:
        feeds = [store.item(d.item_id).source for d in issue.developments]
    renderer = Renderer(room)
    html, text = renderer.email_html(issue), renderer.email_text(issue)
    for feed, development in zip(feeds, issue.developments, strict=True):
        link = re.search(rf"<a [^>]*href=\"{re.escape(development.read_more)}\"[^>]*>(.*?)</a>", html)
        assert link and "nd-button" in link.group(0), development.read_more
        assert re.sub(r"<[^>]+>", "", link.group(1)) == f"Read more at {feed}"
        assert f"Read more at {feed}:" in text
    # Not in the store: the link's host names it; and the words are the editor's to choose.
    issue.developments[0].item_id = "000000000000"
    config = fetched / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "postal_address", 'read_more_label = "Continue at {source}"\npostal_address'
        ),
        encoding="utf-8",
    )
    text = Renderer(Newsroom.open(fetched)).email_text(issue)
    assert "Continue at localcredit.example:" in text and f"Continue at {feeds[1]}:" in text


def test_chinese_runs_are_marked_for_chinese_fonts(newsroom_dir):
    room = Newsroom.open(newsroom_dir)
    html = Renderer(room).email_html(load_issue(room.issues_dir / "2017-07-03.md"))
    # Short terms are kept on one line, as the plaintext part keeps them.
    assert '(<span lang="zh" style="white-space:nowrap">河北省社会信用信息条例</span>)' in html
    assert '<span lang="zh" style="white-space:nowrap">宿迁市</span>' in html
    config = newsroom_dir / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("[newsroom]\n", '[newsroom]\nlanguage = "zh"\n'), encoding="utf-8"
    )
    room = Newsroom.open(newsroom_dir)
    html = Renderer(room).email_html(load_issue(room.issues_dir / "2017-07-03.md"))
    assert 'lang="zh"' in html and '<span lang="zh">' not in html  # all of it is Chinese already


def set_newsroom_keys(newsroom_dir: Path, lines: str) -> Newsroom:
    config = newsroom_dir / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("[newsroom]\n", f"[newsroom]\n{lines}\n", 1), encoding="utf-8"
    )
    return Newsroom.open(newsroom_dir)


def masthead(html: str) -> str:
    """The email's text before the intro, tags taken out."""
    top = html[html.index('class="nd-brand"') : html.index("Welcome to this week")]
    return " ".join(re.sub(r"<[^>]+>", " ", top.split(">", 1)[1]).replace("&nbsp;", " ").split())


def test_the_masthead_is_a_brand_line_and_the_name_is_not_repeated(newsroom_dir):
    room = Newsroom.open(newsroom_dir)
    renderer = Renderer(room)
    html = renderer.email_html(load_issue(room.issues_dir / "2017-07-03.md"))
    assert "Manage your subscription" not in html  # no manage_url, no such link
    # The title only repeats the name and the date: the brand line says both, once.
    assert masthead(html) == "Social Credit Weekly News Summary Issue 2 · 3rd July 2017"
    assert re.search(r"<h1 [^>]*>Social Credit Weekly News Summary</h1>", html)
    first = load_issue(room.issues_dir / "2017-06-26.md")
    assert "Issue 1 · 26th June 2017" in masthead(renderer.email_html(first))
    # A newsletter older than its newsroom counts on from where it was.
    later = set_newsroom_keys(newsroom_dir, "first_issue_number = 41")
    assert "Issue 42 · 3rd July 2017" in masthead(
        Renderer(later).email_html(load_issue(later.issues_dir / "2017-07-03.md"))
    )
    # A title of its own is the headline, under the brand line.
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.title = "Two provinces race to write credit laws"
    html = renderer.email_html(issue)
    assert masthead(html) == (
        "Social Credit Weekly News Summary Issue 2 · 3rd July 2017 Two provinces race to write credit laws"
    )
    assert re.search(r"<h1 [^>]*>Two provinces race to write credit laws</h1>", html)
    assert "<h1" not in html.split("nd-meta")[0].split("nd-brand", 2)[2]  # the name is no heading then


def test_a_logo_takes_the_names_place_with_the_name_as_its_alt_text(newsroom_dir):
    room = set_newsroom_keys(newsroom_dir, 'logo_url = "https://socialcredit.example/logo.png"')
    html = Renderer(room).email_html(load_issue(room.issues_dir / "2017-07-03.md"))
    assert re.search(
        r'<h1 [^>]*><img src="https://socialcredit.example/logo.png" alt="Social Credit Weekly News Summary"', html
    )
    assert masthead(html) == "Issue 2 · 3rd July 2017"


@pytest.mark.parametrize("theme", ["serif", "sans"])
def test_the_brand_colour_is_the_one_setting_links_and_headings_follow(newsroom_dir, theme):
    from newsdesk.output.theme import contrast, make_theme

    room = set_newsroom_keys(newsroom_dir, f'theme = "{theme}"\nbrand_colour = "#1a73e8"')
    html = Renderer(room).email_html(load_issue(room.issues_dir / "2017-07-03.md"))
    expected = make_theme("#1a73e8", theme)
    assert expected.light.link != make_theme().light.link and contrast(expected.light.link, "#ffffff") >= 4.5
    buttons = re.findall(r'<a class="nd-button" [^>]*style="([^"]*)"', html)
    assert len(buttons) == 3 and all(f"color: {expected.light.link}" in style for style in buttons)
    assert f"color: {expected.dark.link} !important" in html  # the dark palette follows it too
    heading = re.search(r'<h2 style="([^"]*)"', html)
    assert heading and f"color:{expected.light.heading}" in heading.group(1)
    if theme == "sans":
        assert expected.light.heading not in ("#111111", expected.light.link)  # the brand, darker
        assert "font-family:-apple-system" in heading.group(1) and "Georgia" not in html
    else:
        assert "font-family:Georgia" in heading.group(1)


def test_the_footer_links_the_subscribers_own_settings_page(newsroom_dir):
    room = set_newsroom_keys(newsroom_dir, 'manage_url = "https://socialcredit.example/settings?email={email}"')
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    renderer = Renderer(room)
    own = "https://socialcredit.example/settings?email=reader@example.org"
    html = renderer.email_html(issue, recipient="reader@example.org")
    assert f'<a href="{own}"' in html and "Manage your subscription</a>" in html
    assert re.search(
        rf"^Manage your subscription:\s+{re.escape(own)}$",
        renderer.email_text(issue, recipient="reader@example.org"),
        re.M,
    )


def test_a_term_and_its_romanization_stay_on_one_line(newsroom_dir):
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.developments[1].annotation = (
        "Government integrity (政务诚信 Zhengwu chengxin) comes first; 失信被执行人 Shixin beizhixingren "
        "is too long for that, and 宿迁市 is no romanization of itself when English follows it."
    )
    html = Renderer(room).email_html(issue)
    together = '<span style="white-space:nowrap"><span lang="zh">{}</span> {}</span>'
    assert together.format("政务诚信", "Zhengwu chengxin") in html
    # Together past a phone's line (30 columns): the term alone is kept whole.
    assert '<span lang="zh" style="white-space:nowrap">失信被执行人</span> Shixin beizhixingren' in html
    assert '<span lang="zh" style="white-space:nowrap">宿迁市</span> is no' in html
