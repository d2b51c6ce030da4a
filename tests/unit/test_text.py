from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from newsdesk.curation.headlines import headline_from_title
from newsdesk.text import (
    _CONTROLS,
    _collapse_any_whitespace,
    _text_cleaner,
    clean_text,
    collapse_paragraphs,
    html_to_text,
    plain_title,
    untrusted_html_to_text,
    wrap,
)


def test_wrap_counts_display_columns_for_chinese():
    text = (
        "最高人民法院发布数据显示，今年1至6月全国法院新增失信被执行人146万人次，约41万名被执行人在被列入名单后主动履行了义务。"
        * 2
    )
    lines = wrap(text, 40).splitlines()
    assert len(lines) > 3
    assert all(cell_len(line) <= 40 for line in lines)
    assert "".join(lines) == text
    assert not any(line.startswith(("，", "。")) for line in lines)


def test_wrap_keeps_urls_whole_and_english_as_textwrap():
    url = "https://example.org/" + "a" * 90
    assert wrap(f"Read more here: {url}", 72) == f"Read more here:\n{url}"
    assert wrap("one two three four", 9) == "one two\nthree\nfour"


def test_wrap_counts_the_spaces_between_words_in_mixed_lines():
    text = "the draft regulation (河北省) is " + "word " * 30
    assert all(cell_len(line) <= 40 for line in wrap(text, 40).splitlines())
    # "aaaa 中" is 7 columns: at 6 it cannot be one line.
    assert wrap("aaaa 中", 6) == "aaaa\n中"


def test_wrap_keeps_a_short_chinese_term_whole_in_english_text():
    text = "a hearing on the draft Hebei Regulations on Social Credit Information (河北省社会信用信息条例) on 6 July"
    assert "(河北省社会信用信息条例)" in wrap(text, 72).splitlines()[1]
    # Chinese prose still breaks between characters, filling each line.
    prose = "有意参加的公众可在7月2日前报名参加" * 6
    assert all(cell_len(line) >= 38 for line in wrap(prose, 40).splitlines()[:-1])


def test_wrap_hangs_lines_under_a_prefix_and_list_items():
    assert wrap("Hebei invites the public to a hearing", 20, prefix="1. ") == (
        "1. Hebei invites the\n   public to a\n   hearing"
    )
    assert (
        wrap("河北省就社会信用信息条例草案举行立法听证会", 20, prefix="12. ").splitlines()[1] == "    信息条例草案举行"
    )
    assert wrap("- one two three four\n- five", 10) == "- one two\n  three\n  four\n- five"


def test_html_to_text_keeps_paragraphs_and_drops_scripts():
    html = "<p>First &amp; <b>bold</b></p><script>alert(1)</script><p>Second <a href='https://x.example/'>link</a></p>"
    assert html_to_text(html) == "First & bold\n\nSecond link"
    assert html_to_text(html, links=True) == "First & bold\n\nSecond link <https://x.example/>"


def test_titles_become_one_plain_line():
    assert plain_title("Shanghai &amp; <em>Hebei</em>\n  rules") == "Shanghai & Hebei rules"


def test_headlines_lose_the_site_suffix_only():
    assert (
        headline_from_title("信用修复怎么办？专家解读失信主体退出机制_新华信用观察", "新华信用观察")
        == "信用修复怎么办？专家解读失信主体退出机制"
    )
    assert (
        headline_from_title("Shanghai passes its credit law - Xinhua", "Xinhua English")
        == "Shanghai passes its credit law - Xinhua"
    )
    assert (
        headline_from_title("Shanghai passes its credit law - Xinhua English", "Xinhua English")
        == "Shanghai passes its credit law"
    )
    assert headline_from_title("宿迁建立公务员诚信档案_新华网", "Other") == "宿迁建立公务员诚信档案"
    assert headline_from_title("China - US talks on credit ratings", "Wire") == "China - US talks on credit ratings"


@settings(max_examples=1000, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [
                " ",
                "\n",
                "a",
                "b",
                "\t",
                "\r",
                "\xa0",
                "\u3000",
                "\u2028",
                "\x0b",
                "\x1c",
                "\x1f",
                "\x00",
                "\x7f",
                "\u200b",
                "中",
            ]
        ),
        max_size=30,
    )
)
@example(" a \n\n \n b  c \n")
@example("\n\n\na\n \n\n")
def test_paragraphs_collapse_the_same_on_the_fast_path(text):
    assert collapse_paragraphs(text) == _collapse_any_whitespace(text)


fragments = st.lists(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<br>",
                "<br/>",
                "<li>",
                "</li>",
                "<ul>",
                "<tr><td>x</td></tr>",
                "<table>",
                "<h2>",
                "</h2>",
                "<hr>",
                "<pre>  a\n  b</pre>",
                '<a href="https://a.example/?x=1&amp;y=2">a</a>',
                '<img alt="a>b" src="x.png">',
                "&amp;",
                "&lt;b&gt;",
                "&#169;",
                "<div>",
                "</div>",
                "<script>x</script>",
                "<blockquote>",
                "<dl><dt>t</dt><dd>d</dd></dl>",
                "<figure><figcaption>c</figcaption></figure>",
                '<img alt="<p>x</p><li>" src="y.png">',
                '<a title="</li><br>" href="https://a.example/">t</a>',
                "<P>",
                "<Br>",
                "<p class=x>",
                "<li/>",
                "&#10;",
                "\r\n",
                "\u2028",
                "\x0c",
            ]
        ),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(fragments)
@example('<p title="a > b">x</p><br/>y')
@example("<ul><li>a<li>b</ul><table><tr><td>1</td></tr></table>")
def test_untrusted_html_becomes_the_text_html_to_text_reads_of_what_nh3_keeps(fragment):
    kept = clean_text(_text_cleaner().clean(fragment))
    assert untrusted_html_to_text(fragment) == html_to_text(kept)


def test_untrusted_html_loses_scripts_and_controls_keeps_paragraphs_and_items():
    fragment = (
        '<div><p onclick="x()">One &amp; <b>two</b>\x1b]52;</p><script>alert(1)</script>'
        "<style>p{}</style><ul><li>a</li><li>b</li></ul>&lt;tag&gt;&#8217;&#x1b;</div>"
    )
    assert untrusted_html_to_text(fragment) == "One & two]52;\n\n- a\n\n- b\n\n<tag>\u2019"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2070, blacklist_categories=("Cs",)), max_size=30))
@example("plain ascii")
@example("bell\x07 and del\x7f")
def test_clean_text_removes_the_same_controls_on_the_ascii_shortcut(text):
    assert clean_text(text) == _CONTROLS.sub("", text)
