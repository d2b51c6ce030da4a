"""The glossary (newsdesk.glossary): reading, finding terms, adding with comments kept."""

from pathlib import Path

import pytest

from newsdesk.errors import InvalidInput, Refused
from newsdesk.glossary import Glossary, Term, add_term, load_glossary, parse_glossary, renderings_used

TEXT = """\
# How we translate.
[terms]
"社会信用体系" = "social credit system"  # the system as a whole
"社会信用" = "social credit"
"失信被执行人" = { en = "judgment defaulters", also = ["discredited persons"], note = "court usage" }
"诚信" = "integrity"
"""


def glossary() -> Glossary:
    return parse_glossary(TEXT, Path("glossary.toml"))


def test_terms_read_in_both_forms():
    terms = {term.zh: term for term in glossary().terms}
    assert terms["社会信用体系"] == Term("社会信用体系", "social credit system")
    assert terms["失信被执行人"] == Term("失信被执行人", "judgment defaulters", ("discredited persons",), "court usage")


def test_terms_found_longest_first_in_order_and_across_scripts():
    found = glossary().find("法院公布失信被执行人名单，推进社会信用体系建設", "誠信")
    assert [term.zh for term in found] == ["失信被执行人", "社会信用体系", "诚信"]
    assert [term.zh for term in glossary().find("社会信用很重要")] == ["社会信用"]
    assert glossary().find("no Chinese at all") == []
    assert glossary().get("誠信") == Term("诚信", "integrity")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[terms]\n"诚信" = 3\n', "glossary.toml:2: term '诚信' must be its English"),
        ('[terms]\n"诚信" = { also = ["x"] }\n', "glossary.toml:2: term '诚信' has no English"),
        ('[terms]\n"诚信" = { en = "x", tone = 1 }\n', "glossary.toml:2: term '诚信': unknown key 'tone'"),
        ("words = 1\n", "glossary.toml:1: unknown key 'words'"),
        ("[terms\n", "glossary.toml: invalid TOML"),
    ],
)
def test_a_bad_glossary_names_the_line(text, problem):
    with pytest.raises(InvalidInput) as raised:
        parse_glossary(text, Path("glossary.toml"))
    assert str(raised.value).startswith(problem)


def test_adding_keeps_comments_and_refuses_to_overwrite_silently(tmp_path: Path):
    (tmp_path / "glossary.toml").write_text(TEXT, encoding="utf-8")
    add_term(tmp_path, "黑名单", "blacklist")
    add_term(tmp_path, "红名单", "red list", also=["whitelist"])
    written = (tmp_path / "glossary.toml").read_text(encoding="utf-8")
    assert written.startswith(TEXT)  # every comment and line as it was
    assert '"黑名单" = "blacklist"' in written
    assert load_glossary(tmp_path).get("红名单") == Term("红名单", "red list", ("whitelist",))
    with pytest.raises(Refused, match="already in the glossary as 'integrity'"):
        add_term(tmp_path, "誠信", "honesty")
    add_term(tmp_path, "诚信", "integrity")  # the same again: nothing to do
    add_term(tmp_path, "诚信", "trustworthiness", replace=True)
    assert load_glossary(tmp_path).get("诚信").en == "trustworthiness"
    assert "# the system as a whole" in (tmp_path / "glossary.toml").read_text(encoding="utf-8")


def test_adding_to_a_newsroom_without_a_glossary_creates_one(tmp_path: Path):
    assert len(load_glossary(tmp_path)) == 0
    add_term(tmp_path, "信用中国", "Credit China")
    assert load_glossary(tmp_path).terms == [Term("信用中国", "Credit China")]
    with pytest.raises(InvalidInput, match="not a Chinese term"):
        add_term(tmp_path, "credit", "credit")


def test_a_broken_glossary_is_never_overwritten(tmp_path: Path):
    (tmp_path / "glossary.toml").write_text("[terms\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        add_term(tmp_path, "黑名单", "blacklist")
    assert (tmp_path / "glossary.toml").read_text(encoding="utf-8") == "[terms\n"


def test_renderings_used_whole_words_any_case_longest_first():
    term = Term("失信被执行人", "judgment defaulters", ("discredited persons", "defaulters"))
    assert renderings_used(term, "Judgment  defaulters and discredited persons") == [
        "judgment defaulters",
        "discredited persons",
    ]
    assert renderings_used(term, "the judgment defaulters list") == ["judgment defaulters"]
    assert renderings_used(term, "the defaulters' list") == ["defaulters"]
    assert renderings_used(term, "nondefaulters") == []


def test_one_term_in_two_scripts_given_two_ways_is_refused_naming_both_lines():
    text = '[terms]\n"诚信" = "integrity"\n"社会信用" = "social credit"\n"誠信" = "honesty"\n'
    with pytest.raises(InvalidInput) as raised:
        parse_glossary(text, Path("glossary.toml"))
    message = str(raised.value)
    assert message.startswith("glossary.toml:4: 誠信 and 诚信 (line 2) are one term in two scripts")
    assert "'honesty' and 'integrity'" in message and "\n" not in message
    same = parse_glossary('[terms]\n"诚信" = "integrity"\n"誠信" = "integrity"\n', Path("glossary.toml"))
    assert same.get("誠信") == Term("诚信", "integrity") or same.get("誠信") == Term("誠信", "integrity")


@pytest.mark.parametrize("term", ["诚信honesty", "abc", "ＡＢ诚信"])
def test_a_term_with_latin_letters_is_refused_everywhere(tmp_path: Path, term: str):
    with pytest.raises(InvalidInput, match="is not a Chinese term"):
        add_term(tmp_path, term, "honesty")
    assert not (tmp_path / "glossary.toml").exists()
    with pytest.raises(InvalidInput, match=r"^glossary.toml:2: .* is not a Chinese term"):
        parse_glossary(f'[terms]\n"{term}" = "honesty"\n', Path("glossary.toml"))


def test_renderings_used_singular_or_plural_either_way():
    term = Term("失信被执行人", "judgment defaulters", ("discredited persons",))
    assert renderings_used(term, "a judgment defaulter and a discredited person") == [
        "judgment defaulters",
        "discredited persons",
    ]
    boxes = Term("信箱", "mailbox", ("letter boxes",))
    assert renderings_used(boxes, "two mailboxes, one letter box") == ["mailbox", "letter boxes"]
    press = Term("新闻出版", "the press", ("news",))
    assert renderings_used(press, "the pres and new") == []  # ss and short words keep their s


def test_replacing_keeps_the_term_where_it_is_with_its_comments(tmp_path: Path):
    (tmp_path / "glossary.toml").write_text(TEXT, encoding="utf-8")
    add_term(tmp_path, "社会信用体系", "social credit regime", replace=True)
    add_term(tmp_path, "誠信", "trustworthiness", also=["honesty"], replace=True)  # the file's 诚信
    written = (tmp_path / "glossary.toml").read_text(encoding="utf-8")
    assert written == TEXT.replace('"social credit system"  #', '"social credit regime"  #').replace(
        '"诚信" = "integrity"', '"诚信" = {en = "trustworthiness", also = ["honesty"]}'
    )
