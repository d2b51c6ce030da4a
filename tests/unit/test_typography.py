"""Typography in what readers see: curly quotes, apostrophes, dashes and ellipses, in the
Markdown of annotations and intros and in plain headlines; code and URLs as typed, and
the quotes of Chinese text left as they are."""

import pytest

from newsdesk.output.markdown import markdown_html, markdown_text, typeset


@pytest.mark.parametrize(
    ("typed", "set_"),
    [
        ('Hebei\'s "draft" rules', "Hebei’s “draft” rules"),
        ("'Credit' -- and more", "‘Credit’ – and more"),
        ("1990--1995", "1990–1995"),
        ("the list---all of it", "the list—all of it"),
        ("Wait...", "Wait…"),
        ("options (a), (b) and (c)", "options (a), (b) and (c)"),
        ("don't, won't", "don’t, won’t"),
        ("河北省「社会信用」条例与“信用中国”", "河北省「社会信用」条例与“信用中国”"),
        ("A & B <c>", "A & B <c>"),
        ("", ""),
    ],
)
def test_plain_text_is_typeset(typed, set_):
    assert typeset(typed) == set_


def test_markdown_is_typeset_except_code_and_links():
    html = markdown_html('It\'s "the rule" -- see `a--b "c"` and [the "text"](https://x.example/a--b...) ... done.')
    assert "It’s “the rule” – see" in html
    assert '<code>a--b "c"</code>' in html  # code as typed
    assert 'href="https://x.example/a--b..."' in html  # URLs as typed
    assert "the “text”</a>" in html and "… done." in html


def test_the_plain_text_of_markdown_is_typeset_too():
    assert markdown_text("The 'integrity' records -- Xinhua's report.") == "The ‘integrity’ records – Xinhua’s report."


def test_escaped_characters_stay_straight():
    assert markdown_text(r"\"as typed\" and \-\-") == '"as typed" and --'
