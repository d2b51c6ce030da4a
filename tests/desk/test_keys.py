"""One table of keys (newsdesk.tui.keys): the bindings, the help screen, the command palette
and the README all come from it, and every key it names does something."""

from __future__ import annotations

import io
import re
from pathlib import Path

from desk_helpers import desk, loaded
from rich.console import Console
from textual.widgets import Static

from newsdesk.tui import keys
from newsdesk.tui.app import DeskApp
from newsdesk.tui.screens import HelpScreen

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_lists_the_keys_of_the_table():
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- keys: [^>]*-->\n(.*?)<!-- /keys -->", text, re.S)
    assert found, "README.md has no <!-- keys --> block"
    assert found.group(1) == keys.markdown(), "README's key table is stale: paste `python -m newsdesk.tui.keys`"


def test_every_action_of_the_table_exists():
    for key in keys.KEYS:
        if key.action is None or key.where == "field":
            continue
        name = key.action.split("(")[0]
        assert callable(getattr(DeskApp, f"action_{name}", None)), f"{key.keys}: no action {name}"


def test_the_desk_binds_what_the_table_says():
    bound = {binding.key: binding.action for binding in DeskApp.BINDINGS}  # type: ignore[union-attr]
    assert bound == {key.keys: key.action for key in keys.KEYS if key.where == "desk" and key.keys and key.action}


async def test_help_and_palette_come_from_the_table(fetched):
    app = desk(fetched)
    async with app.run_test(size=(120, 200)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=200, record=True, file=io.StringIO())
        for static in app.screen.query(Static):
            console.print(static.content)
        shown = console.export_text()
        for key in keys.KEYS:
            if key.keys:
                assert f"{key.label}  " in shown and key.help.replace("`", "") in shown, key
        await pilot.press("escape")
        commands = {command.title: command.help for command in app.get_system_commands(app.screen)}
        for key in keys.palette():
            assert key.title in commands and key.help in commands[key.title]
        assert "Screenshot" in commands
