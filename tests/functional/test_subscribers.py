"""The subscribers file: validation with line numbers, case-insensitive duplicates, statuses."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from newsdesk.errors import InvalidInput
from newsdesk.mail.subscribers import address_problem, load_subscribers, parse_subscribers

PATH = Path("subscribers.csv")


def test_the_sample_file_loads_with_its_deliberate_mistakes_reported(newsroom_dir: Path, run) -> None:
    listing = load_subscribers(newsroom_dir / "subscribers.csv")
    assert [s.email for s in listing.subscribed] == [
        "ada.lovelace@readers.example",
        "li.ming@readers.example",
        "wang.fang@readers.example",
        "jordan.lee+weekly@research.example",
    ]
    assert listing.subscribed[1].name == "李明"
    assert listing.subscribed[3].name == "Lee, Jordan"
    assert [s.email for s in listing.unsubscribed] == ["m.schmidt@uni.example"]

    result = run("subscribers")
    assert result.exit_code == 0, result.output
    assert (
        "subscribers.csv: 4 subscribed, 1 unsubscribed, 1 invalid line skipped, 1 duplicate collapsed" in result.output
    )
    assert "warning: subscribers.csv:7: 'not-an-address' is not an email address; line skipped" in result.output
    assert "warning: subscribers.csv:8: Ada.Lovelace@Readers.example is also on line 2; counted once" in result.output


def test_invalid_lines_are_reported_with_their_numbers_and_skipped() -> None:
    text = (
        "email,name,status,date\n"
        "good@example.org,Good,subscribed,2017-01-01\n"
        "\n"
        "# a comment\n"
        "no-at-sign.example.org,Bad,subscribed,\n"
        "two@@example.org,Bad,,\n"
        "nodomain@localhost,Bad,,\n"
        "李@example.org,Bad,,\n"
        ",Nobody,,\n"
        "odd@example.org,Odd,maybe,\n"
        "late@example.org,Late,,someday\n"
    )
    listing = parse_subscribers(text, PATH)
    assert [s.email for s in listing.subscribed] == ["good@example.org", "late@example.org"]
    assert listing.subscribed[0].since == date(2017, 1, 1) and listing.subscribed[0].line == 2
    assert listing.invalid == 6
    lines = [warning.split(":")[1] for warning in listing.warnings]
    assert lines == ["5", "6", "7", "8", "9", "10", "11"]
    assert "status must be subscribed or unsubscribed, not 'maybe'" in listing.warnings[5]
    assert "'someday' is not a date like 2017-07-03; date ignored" in listing.warnings[6]
    assert "non-ASCII" in listing.warnings[3]


def test_duplicates_collapse_ignoring_case_and_unsubscribed_wins() -> None:
    text = (
        "email,name,status\n"
        "Ann@Example.org,Ann,subscribed\n"
        "ann@example.org,Ann Again,subscribed\n"
        "bob@example.org,Bob,subscribed\n"
        "BOB@example.org,Bob,unsubscribed\n"
        "bob@example.org,Bob,subscribed\n"
    )
    listing = parse_subscribers(text, PATH)
    assert [(s.email, s.name) for s in listing.subscribed] == [("Ann@Example.org", "Ann")]
    assert [s.email for s in listing.unsubscribed] == ["bob@example.org"]
    assert listing.duplicates == 3
    assert listing.find("ANN@example.org") is listing.subscribed[0]


def test_the_header_is_optional_and_its_columns_may_be_reordered() -> None:
    plain = parse_subscribers("a@example.org,A\nb@example.org,B,unsubscribed\n", PATH)
    assert [s.email for s in plain.subscribed] == ["a@example.org"]
    assert [s.email for s in plain.unsubscribed] == ["b@example.org"]
    reordered = parse_subscribers("name,status,email\nZhang Wei,subscribed,zw@example.org\n", PATH)
    assert [(s.name, s.email) for s in reordered.subscribed] == [("Zhang Wei", "zw@example.org")]


def test_a_byte_order_mark_is_ignored_and_bad_encoding_named(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_bytes("\ufeffemail,name\nli@example.org,李明\n".encode())
    assert load_subscribers(path).subscribed[0].name == "李明"
    path.write_bytes(b"email,name\nx@example.org,\xff\n")
    with pytest.raises(InvalidInput, match=r"subscribers.csv:2: not valid UTF-8"):
        load_subscribers(path)
    with pytest.raises(InvalidInput, match="no subscribers file"):
        load_subscribers(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("reader@example.org", True),
        ("first.last+tag@sub.example.co", True),
        ("o'brien@example.ie", True),
        ("", False),
        ("plain", False),
        (".dot@example.org", False),
        ("dot.@example.org", False),
        ("a@-example.org", False),
        ("a@example", False),
        ("a@1.2.3.4", False),
        ("a b@example.org", False),
        ("x" * 65 + "@example.org", False),
    ],
)
def test_address_check(address: str, ok: bool) -> None:
    assert (address_problem(address) is None) is ok


def test_the_subscribers_command_prints_json(run) -> None:
    result = run("subscribers", "--json")
    assert result.exit_code == 0, result.output
    assert '"subscribed": 4' in result.output and '"invalid": 1' in result.output


def _load(tmp_path: Path, data: bytes):
    path = tmp_path / "subscribers.csv"
    path.write_bytes(data)
    return load_subscribers(path)


def test_a_cell_over_the_csv_field_limit_is_one_line_skipped(tmp_path: Path, run) -> None:
    huge = "x" * 131_073
    listing = _load(tmp_path, f"email,name\na@example.org,A\nb@example.org,{huge}\nc@example.org,C\n".encode())
    assert [s.email for s in listing.subscribed] == ["a@example.org", "c@example.org"]
    assert listing.warnings == ["subscribers.csv:3: a cell is longer than 131072 characters; line skipped"]
    assert listing.invalid == 1


def test_a_bare_carriage_return_inside_a_line_skips_that_line(tmp_path: Path) -> None:
    listing = _load(
        tmp_path,
        b"email,name\na@example.org,A\neve@example.org,Eve\rBcc: victim@example.test,subscribed\nc@example.org\n",
    )
    assert [s.email for s in listing.subscribed] == ["a@example.org", "c@example.org"]
    assert listing.warnings == ["subscribers.csv:3: a carriage return (CR) inside the line; line skipped"]


def test_classic_mac_line_endings_are_lines(tmp_path: Path) -> None:
    listing = _load(
        tmp_path, b"email,name,status\ra@example.org,A,\rb@example.org,B,unsubscribed\rbad,X,\rc@example.org,C,"
    )
    assert [s.email for s in listing.subscribed] == ["a@example.org", "c@example.org"]
    assert [s.email for s in listing.unsubscribed] == ["b@example.org"]
    assert listing.warnings == ["subscribers.csv:4: 'bad' is not an email address; line skipped"]
    assert [s.line for s in listing.subscribed] == [2, 5]


def test_a_quoted_cell_spanning_lines_is_one_warning_and_its_row_skipped(tmp_path: Path) -> None:
    listing = _load(
        tmp_path,
        b'email,name,status\na@example.org,A,\nb@example.org,"Bea\nTrix",unsubscribed\nc@example.org,"O""Neil",\n',
    )
    # b's row is skipped whole: its status (unsubscribed) is never half-read as "subscribed".
    assert [s.email for s in listing.subscribed] == ["a@example.org", "c@example.org"]
    assert listing.subscribed[1].name == 'O"Neil'
    assert listing.warnings == [
        "subscribers.csv:3: a quoted cell runs on to line 4 (cells cannot hold line breaks); lines skipped"
    ]
    # A quote that never closes is one bad line; the lines after it still count.
    stray = _load(tmp_path, b'email,name\na@example.org,"A\nb@example.org,B\nc@example.org,C\n')
    assert [s.email for s in stray.subscribed] == ["b@example.org", "c@example.org"]
    assert len(stray.warnings) == 1 and stray.warnings[0].startswith("subscribers.csv:2: not a CSV line")


def test_a_name_with_a_control_character_is_left_out(tmp_path: Path) -> None:
    listing = _load(tmp_path, b'email,name\neve@example.org,"Eve\x0bBcc: victim@example.test"\n')
    assert [(s.email, s.name) for s in listing.subscribed] == [("eve@example.org", "")]
    assert listing.warnings == [
        "subscribers.csv:2: the name has a control character (U+000B); name left out, the address kept"
    ]


def test_the_subscribers_command_reports_a_broken_file_without_a_traceback(newsroom_dir: Path, run) -> None:
    (newsroom_dir / "subscribers.csv").write_bytes(
        b"email,name\r" + b"a@example.org," + b"y" * 200_000 + b"\rb@example.org,B\r"
    )
    result = run("subscribers")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "warning: subscribers.csv:2: a cell is longer than 131072 characters; line skipped" in result.output
    assert "1 subscribed" in result.output
