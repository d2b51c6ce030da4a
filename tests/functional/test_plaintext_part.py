"""The plaintext part as it goes out: format=flowed (RFC 3676, DelSp=yes), so a phone joins
its lines again to fit its width, while a client that knows nothing of it shows lines of
72 columns. No line passes 78 columns (RFC 5322) but one that holds an unbreakable URL,
counted in display columns (a Chinese character takes two)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from newsdesk.issue import Issue, load_issue
from newsdesk.mail.message import MessageFactory, parse
from newsdesk.mail.subscribers import Subscriber
from newsdesk.newsroom import Newsroom
from newsdesk.output.markdown import markdown_text

LIMIT = 78
CHINESE = (
    "河北省人大常委会宣布，将于7月6日就《河北省社会信用信息条例（草案）》举行立法听证会，"
    "有意参加的公众可在7月2日前报名。上海刚刚通过了自己的综合性条例，"
    "这次听证会表明各省正在加快为信用体系提供法律依据。"
)


def sent_text(room: Newsroom, issue: Issue) -> tuple[str, dict[str, str]]:
    """The plaintext part of one subscriber's message, as a client decodes it, and its
    Content-Type parameters."""
    data = MessageFactory(room, issue).build(Subscriber("reader@example.org", "Reader")).data
    plain = next(part for part in parse(data).walk() if part.get_content_type() == "text/plain")
    params = {k.lower(): v.lower() for k, v in plain.get_params()[1:]}
    return plain.get_content().replace("\r\n", "\n"), params


def unflow(text: str) -> list[str]:
    """The lines a format=flowed, DelSp=yes reader shows: stuffing removed, each line that
    ends in a space joined to the next without that space (RFC 3676, 4.2 and 4.4)."""
    shown, joined = [], ""
    for line in text.split("\n"):
        if line == "-- ":  # the signature separator is never flowed
            shown.append(joined + line) if joined else shown.append(line)
            joined = ""
            continue
        if line.startswith(" "):
            line = line[1:]
        if line.endswith(" "):
            joined += line[:-1]
        else:
            shown.append(joined + line)
            joined = ""
    return shown


def too_long(text: str) -> list[str]:
    return [
        line for line in text.split("\n") if cell_len(line) > LIMIT and not re.fullmatch(r"\s*https?://\S+\s*", line)
    ]


@pytest.fixture
def room(newsroom_dir: Path) -> Newsroom:
    return Newsroom.open(newsroom_dir)


def test_the_text_part_is_flowed_and_every_line_fits(room):
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    text, params = sent_text(room, issue)
    assert params.get("format") == "flowed" and params.get("delsp") == "yes"
    assert too_long(text) == []
    assert any(line.endswith(" ") for line in text.split("\n") if line != "-- ")  # it does flow
    shown = unflow(text)
    # Each annotation comes back as one line, word for word: the phone wraps it.
    for development in issue.developments:
        paragraph = " ".join(markdown_text(development.annotation).split())
        assert paragraph.replace("'", "’") in shown, paragraph[:60]
    # A headline's hanging indent is not flowed (joined, its indent would be text), and the
    # signature separator stays "-- ".
    first = next(n for n, line in enumerate(text.split("\n")) if line.startswith("1. "))
    assert text.split("\n")[first].endswith("information") and text.split("\n")[first + 1] == "    regulation"
    assert "   regulation" in shown and "-- " in shown


def test_a_chinese_paragraph_flows_back_without_spaces_in_it(room):
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.developments[0].annotation = CHINESE
    issue.developments[0].read_more = "https://localcredit.example/hebei/" + "content_5263" * 8 + ".htm"
    text, _ = sent_text(room, issue)
    assert too_long(text) == [], too_long(text)
    lines = text.split("\n")
    start = next(n for n, line in enumerate(lines) if line.startswith("河北省"))
    assert all(cell_len(line) <= 73 for line in lines[start : start + 3])  # 72 columns and the soft space
    assert CHINESE in unflow(text)  # the breaks between characters add no space
    label = next(line for line in unflow(text) if line.startswith("Read more at"))
    assert label == f"Read more at localcredit.example: {issue.developments[0].read_more}"


def test_lines_that_would_read_as_quoted_or_lose_a_space_are_stuffed(room):
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    issue.developments[2].annotation = "From the ministry:\n\n> Integrity first, and then the rest of it."
    text, _ = sent_text(room, issue)
    assert " From the ministry:" in text.split("\n") and not any(line.startswith(">") for line in text.split("\n"))
    assert "From the ministry:" in unflow(text)
