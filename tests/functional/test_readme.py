"""The README is the reference: it opens with the two commands and names every setting."""

import dataclasses
import re
from pathlib import Path

from newsdesk import config

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_exactly_two_commands():
    head = README.split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", head, re.S)
    assert len(blocks) == 2
    assert all(len(b.strip().splitlines()) == 1 for b in blocks)
    assert "newsdesk" in blocks[0] and "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command():
    test_command = re.findall(r"```(?:sh|bash)?\n(.*?)```", README, re.S)[1].strip()
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci


def test_every_setting_is_documented():
    settings = [
        cls
        for cls in vars(config).values()
        if dataclasses.is_dataclass(cls) and isinstance(cls, type) and cls is not config.Config
    ]
    missing = [
        f"{cls.__name__}.{f.name}"
        for cls in settings
        for f in dataclasses.fields(cls)
        if f.metadata.get("doc") and f"`{f.name}`" not in README
    ]
    assert missing == []
