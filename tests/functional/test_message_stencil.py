"""Each copy's HTML filled in from a stencil is, byte for byte, what rendering it gives;
templates that do more with the reader's data than show it are rendered for every copy."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit
from mail_newsroom import ISSUE, write_ready_issue

from newsdesk.issue import load_issue
from newsdesk.mail.message import MessageFactory
from newsdesk.mail.subscribers import Subscriber
from newsdesk.newsroom import Newsroom

READERS = [
    Subscriber(email="ada@readers.example", name="Ada Lovelace"),
    Subscriber(email="li.ming@readers.example", name="李明"),
    Subscriber(email="o'hara+weekly@readers.example", name='Scarlett & "Rhett" <O\'Hara>'),
    Subscriber(email="nobody@readers.example", name=""),
    Subscriber(email="amp&er@readers.example", name="\u00a0nbsp\u00a0"),
]


def factory_for(root: Path) -> MessageFactory:
    write_ready_issue(root, lambda path: f"https://links.example.org{path}")
    return MessageFactory(Newsroom.open(root), load_issue(root / "issues" / f"{ISSUE}.md"))


@pytest.mark.parametrize("manage", ["", "https://socialcredit.example/manage?email={email}"])
def test_stencilled_copies_are_the_rendered_ones(newsroom_dir: Path, manage: str) -> None:
    if manage:
        path = newsroom_dir / "sources.toml"
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
        document["newsroom"]["manage_url"] = manage
        path.write_text(tomlkit.dumps(document), encoding="utf-8")
    factory = factory_for(newsroom_dir)
    for reader in READERS:
        _text, html = factory.parts(reader)
        assert html == factory.renderer.email_html(factory.issue, **factory._context(reader))
    assert factory._stencils[True] is not None and factory._stencils[False] is not None


def test_a_template_that_transforms_the_reader_data_is_rendered_per_copy(newsroom_dir: Path) -> None:
    template = newsroom_dir / "templates" / "email.mjml"
    text = template.read_text(encoding="utf-8")
    marker = '{{ recipient or "you" }}'
    assert marker in text
    template.write_text(text.replace(marker, '{{ (recipient or "you") | upper }}'), encoding="utf-8")
    factory = factory_for(newsroom_dir)
    for reader in READERS:
        _text, html = factory.parts(reader)
        assert html == factory.renderer.email_html(factory.issue, **factory._context(reader))
        assert "ADA@READERS.EXAMPLE" in html or reader.email != "ada@readers.example"
    assert factory._stencils[True] is None
