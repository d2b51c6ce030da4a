"""A broken line in an issue file stops render, check and publish: one line naming the
file and line, exit 2, no traceback, and nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newsdesk.errors import EXIT_INVALID

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken_issues"
LINES = {
    "read_more_unclosed.md": 22,
    "item_comment_unclosed.md": 16,
    "h1_headline.md": 25,
    "h1_first_headline.md": 11,
}
COMMANDS = [("render", "2017-07-03"), ("check", "--offline", "2017-07-03"), ("publish", "2017-07-03")]


def listing(folder: Path) -> dict[str, bytes]:
    """The newsroom's files, its own state folder aside (publish takes a lock file there)."""
    files = (p for p in sorted(folder.rglob("*")) if p.is_file() and ".newsdesk" not in p.relative_to(folder).parts)
    return {str(p.relative_to(folder)): p.read_bytes() for p in files}


@pytest.mark.parametrize("name", sorted(LINES))
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_broken_line_is_refused_naming_the_file_and_line(run, newsroom_dir, name, command):
    issue = newsroom_dir / "issues" / "2017-07-03.md"
    shutil.copyfile(BROKEN / name, issue)
    before = listing(newsroom_dir)
    result = run(*command)
    assert result.exit_code == EXIT_INVALID, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"newsdesk: error: {issue}:{LINES[name]}: "), result.stderr
    assert "Traceback" not in result.stderr
    assert listing(newsroom_dir) == before  # no build/, no site/, the issue file untouched


def test_a_broken_earlier_issue_stops_the_render_of_a_later_one(run, newsroom_dir):
    """The archive lists the earlier issue: rendering around its broken line would publish it."""
    shutil.copyfile(BROKEN / "read_more_unclosed.md", newsroom_dir / "issues" / "2017-07-03.md")
    result = run("render", "2017-07-10")
    assert result.exit_code == EXIT_INVALID
    assert f"2017-07-03.md:{LINES['read_more_unclosed.md']}: " in result.stderr
    assert not (newsroom_dir / "build").exists()
