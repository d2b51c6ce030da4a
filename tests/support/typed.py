"""Text an editor types into the desk, and the issue file it must make: shared by the
Pilot typing tests and the real-terminal one."""

from __future__ import annotations

import random
from pathlib import Path

from newsdesk.issue import Development, dump_issue, load_issue, parse_issue

FIELDS = ("headline", "annotation", "link", "intro")

WORDS = [
    "Xiamen",
    "red",
    "list",
    "credit",
    "court",
    "215",
    "firms",
    "the",
    "of",
    "and",
    "Beijing",
    "信用",
    "红名单",
    "厦门",
    "法院",
    "失信被执行人",
    "企业",
    "“quoted”",
    "(aside)",
    "e-mail",
    "50%",
    "a/b",
    "x_y",
    "it's",
    "**bold**",
    "_em_",
    "[link]",
    "{brace}",
    "~tilde~",
    "^",
    "@",
    "#7",
    "$3",
    "&",
    "+",
    "=",
    "<tag>",
    "|",
    "\\",
    "`code`",
    "ü",
    "é",
    "ß",
    "😀",
]


def typed_text(length: int, *, seed: int, lines: bool) -> str:
    """``length`` characters of words, CJK and punctuation; paragraphs when ``lines``. No
    leading, trailing or doubled spaces: the issue file normalises those, and the tests are
    about the desk keeping keys, not about the file's whitespace."""
    rng = random.Random(seed)
    text = rng.choice(WORDS[:10])
    while len(text) < length:
        sep = "\n\n" if lines and rng.random() < 0.04 else ("\n" if lines and rng.random() < 0.04 else " ")
        word = rng.choice(WORDS)
        if sep != " " and word[0] in "#[<":  # a line opening a heading, link or comment is file syntax
            word = "Then"
        text += sep + word + rng.choice(["", "", "", ",", ".", ";", ":", "!", "?"])
    text = text[:length].rstrip()
    return text + "z" * (length - len(text))


def typed_link(length: int, *, seed: int) -> str:
    """An http(s) link of ``length`` characters: path, query and CJK, nothing the file quotes."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/?=&%+:@!$*,;信用红名单厦门"
    start = "https://xiamen.example/red-list/"
    return start + "".join(rng.choice(alphabet) for _ in range(length - len(start)))


def first_difference(got: str, typed: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(got, typed, strict=False)) if a != b), min(len(got), len(typed)))
    return f"{len(got)} characters kept of {len(typed)} typed; from {at}: {got[at : at + 30]!r}, typed {typed[at : at + 30]!r}"


def check_saved(path: Path, original: str, values: dict[str, str]) -> None:
    """The saved issue holds one pick with exactly the values typed, and the file is, byte
    for byte, the file it was with that pick (and that intro) in it."""
    issue = load_issue(path)
    assert len(issue.developments) == 1
    development = issue.developments[0]
    kept = {
        "headline": development.headline,
        "annotation": development.annotation,
        "link": development.read_more,
        "intro": issue.intro,
    }
    lost = [
        f"{field}: {first_difference(kept[field], value)}" for field, value in values.items() if kept[field] != value
    ]
    assert not lost, "\n".join(lost)
    expected = parse_issue(original)
    expected.intro = values["intro"]
    expected.developments.append(
        Development(
            values["headline"], values["annotation"], values["link"], item_id=development.item_id, also=development.also
        )
    )
    assert path.read_bytes() == dump_issue(expected).encode("utf-8")
