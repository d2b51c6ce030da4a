"""Headers built from data: no control character reaches the wire, every line is folded,
every encoded word is at most 75 characters; checked on messages the real server received."""

from __future__ import annotations

import email
import email.header
import email.utils
import re
import unicodedata
from pathlib import Path

import pytest
from mail_newsroom import ISSUE, configure_smtp, write_ready_issue, write_subscribers
from smtp_server import SmtpServer

from newsdesk.errors import InvalidInput
from newsdesk.issue import load_issue
from newsdesk.mail import headers
from newsdesk.mail.message import MessageFactory, parse
from newsdesk.mail.subscribers import Subscriber
from newsdesk.newsroom import Newsroom

CONTROLS = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cc"] + ["\u2028", "\u2029"]
ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def display_name(data: bytes) -> str:
    """The To header's display name decoded as RFC 2047 says: the space between two encoded
    words is not part of the text (the email package's address parser keeps it)."""
    raw = "".join(email.message_from_bytes(data)["To"].split("\r\n"))
    if not raw.endswith(">"):
        return ""
    phrase = raw.rsplit(" <", 1)[0]
    if phrase.startswith('"'):
        return email.utils.parseaddr(raw)[0]
    return str(email.header.make_header(email.header.decode_header(phrase)))


def header_block(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0] + b"\r\n"


def assert_clean(data: bytes) -> None:
    """Every header line ends in CRLF, holds no control character and fits in 78 columns;
    every encoded word is at most 75 characters."""
    block = header_block(data)
    lines = block.split(b"\r\n")[:-1]
    for line in lines:
        assert all(0x20 <= byte < 0x7F for byte in line), line[:80]
        assert len(line) <= 78 or not ENCODED_WORD.search(line), line[:80]
        for word in ENCODED_WORD.findall(line):
            assert len(word) <= 75, word


@pytest.fixture
def factory(newsroom_dir: Path) -> MessageFactory:
    write_ready_issue(newsroom_dir, lambda path: f"https://links.example.org{path}")
    room = Newsroom.open(newsroom_dir)
    return MessageFactory(room, load_issue(newsroom_dir / "issues" / f"{ISSUE}.md"))


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_no_control_character_in_a_name_reaches_a_header(factory: MessageFactory, char: str) -> None:
    name = f"Eve{char}Bcc: victim@example.test"
    data = factory.build(Subscriber(email="eve@readers.example", name=name)).data
    assert_clean(data)
    message = parse(data)
    assert message["Bcc"] is None and len(message.get_all("To")) == 1
    assert [a.addr_spec for a in message["To"].addresses] == ["eve@readers.example"]
    assert "victim" not in header_block(data).decode("ascii")


@pytest.mark.parametrize("char", ["\r", "\n", "\x00", "\x0b", "\x0c", "\t", "\x7f", "\x85"])
def test_a_title_or_setting_with_a_control_character_is_refused(newsroom_dir: Path, char: str) -> None:
    write_ready_issue(newsroom_dir, lambda path: f"https://links.example.org{path}")
    room = Newsroom.open(newsroom_dir)
    issue = load_issue(newsroom_dir / "issues" / f"{ISSUE}.md")
    issue.title = f"Weekly{char}Bcc: victim@example.test"
    with pytest.raises(InvalidInput, match=r"2017-07-10.md: title: a control character \(U\+00"):
        MessageFactory(room, issue)


def test_encoded_words_hold_whole_characters_and_fit(factory: MessageFactory) -> None:
    for name in ("李" * 200, "a" * 5000, "Ünïcödé " * 40, "é李😀" * 30, '"quoted" \\ name', "=?utf-8?q?fake?="):
        data = factory.build(Subscriber(email="li@readers.example", name=name)).data
        assert_clean(data)
        assert display_name(data) == name
    for text in ("李明" * 40, "x" * 300, "A title that is long enough to fold at its spaces " * 4):
        line = headers.unstructured("Subject", text)
        assert_clean(line + b"\r\n")
        assert str(parse(line + b"\r\n")["Subject"]) == text


@pytest.mark.slow
def test_hostile_names_arrive_as_clean_headers_at_a_real_server(newsroom_dir: Path, run) -> None:
    write_ready_issue(newsroom_dir, lambda path: f"https://links.example.org{path}")
    huge = "N" * 131_072
    chinese = "张伟" * 300
    rows = [
        ("huge@readers.example", huge),
        ("li@readers.example", chinese),
        ("plain@readers.example", "Plain Reader"),
    ]
    write_subscribers(newsroom_dir, rows, [["eve@readers.example", "Eve\x0cBcc: victim@example.test", "", ""]])
    with SmtpServer() as server:
        configure_smtp(newsroom_dir, server.port)
        result = run("send", ISSUE, "--yes", "--force")  # --force: the links are not checked here
        assert result.exit_code == 0, result.output
        assert "the name has a control character (U+000C); name left out" in result.output
        received = {m.recipient: m for m in server.recorder.messages}
    assert sorted(received) == sorted([*(address for address, _ in rows), "eve@readers.example"])
    names = {address: name for address, name in rows} | {"eve@readers.example": ""}
    for address, message in received.items():
        assert_clean(message.data)
        parsed = message.parsed()
        assert display_name(message.data) == names[address]
        assert parsed["To"].addresses[0].addr_spec == address
        assert parsed["Bcc"] is None
