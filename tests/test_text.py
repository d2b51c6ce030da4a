from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from newsdesk.editing import headline_from_title
from newsdesk.text import _collapse_any_whitespace, collapse_paragraphs, html_to_text, plain_title, wrap


def test_wrap_counts_display_columns_for_chinese():
    text = "最高人民法院发布数据显示，今年1至6月全国法院新增失信被执行人146万人次，约41万名被执行人在被列入名单后主动履行了义务。" * 2
    lines = wrap(text, 40).splitlines()
    assert len(lines) > 3
    assert all(cell_len(line) <= 40 for line in lines)
    assert "".join(lines) == text
    assert not any(line.startswith(("，", "。")) for line in lines)


def test_wrap_keeps_urls_whole_and_english_as_textwrap():
    url = "https://example.org/" + "a" * 90
    assert wrap(f"Read more here: {url}", 72) == f"Read more here:\n{url}"
    assert wrap("one two three four", 9) == "one two\nthree\nfour"


def test_html_to_text_keeps_paragraphs_and_drops_scripts():
    html = "<p>First &amp; <b>bold</b></p><script>alert(1)</script><p>Second <a href='https://x.example/'>link</a></p>"
    assert html_to_text(html) == "First & bold\n\nSecond link"
    assert html_to_text(html, links=True) == "First & bold\n\nSecond link <https://x.example/>"


def test_titles_become_one_plain_line():
    assert plain_title("Shanghai &amp; <em>Hebei</em>\n  rules") == "Shanghai & Hebei rules"


def test_headlines_lose_the_site_suffix_only():
    assert headline_from_title("信用修复怎么办？专家解读失信主体退出机制_新华信用观察", "新华信用观察") == "信用修复怎么办？专家解读失信主体退出机制"
    assert headline_from_title("Shanghai passes its credit law - Xinhua", "Xinhua English") == "Shanghai passes its credit law - Xinhua"
    assert headline_from_title("Shanghai passes its credit law - Xinhua English", "Xinhua English") == "Shanghai passes its credit law"
    assert headline_from_title("宿迁建立公务员诚信档案_新华网", "Other") == "宿迁建立公务员诚信档案"
    assert headline_from_title("China - US talks on credit ratings", "Wire") == "China - US talks on credit ratings"


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from([" ", "\n", "a", "b", "\t", "\r", "\xa0", "\u3000", "\u2028", "\x0b", "中"]), max_size=30))
@example(" a \n\n \n b  c \n")
@example("\n\n\na\n \n\n")
def test_paragraphs_collapse_the_same_on_the_fast_path(text):
    assert collapse_paragraphs(text) == _collapse_any_whitespace(text)
