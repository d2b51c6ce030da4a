"""A broken issue file: the screen that says which line is wrong and how, and lets the editor
fix it in $EDITOR (or any editor) and reload, instead of a desk that will not open."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from newsdesk.errors import IssueFileError, NewsdeskError
from newsdesk.issue import load_issue

CONTEXT = 3  # lines shown before and after the broken one
# Editors that take +LINE to open a file at a line.
LINE_EDITORS = {"vi", "vim", "nvim", "nano", "emacs", "emacsclient", "micro", "kak", "joe", "mg", "ne"}


def editor_command(path: Path, line: int | None) -> list[str] | None:
    """$VISUAL or $EDITOR on the file (at the line, for editors known to take +LINE)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        return None
    command = shlex.split(editor)
    if line and Path(command[0]).name in LINE_EDITORS:
        command.append(f"+{line}")
    return [*command, str(path)]


def excerpt(path: Path, line: int | None) -> Text:
    """The lines around the broken one, numbered, the broken one marked."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        return Text(f"({error.strerror})", style="dim")
    if not line:
        line = 1
    text = Text()
    for number in range(max(1, line - CONTEXT), min(len(lines), line + CONTEXT) + 1):
        mark = "▶" if number == line else " "
        text.append(f"{mark}{number:5} │ ", style="bold red" if number == line else "dim")
        text.append(lines[number - 1] + "\n", style="bold" if number == line else "")
    return text


class BrokenIssueScreen(Screen[bool]):
    """Dismissed with True once the file reads again (reloaded), False when the editor quits."""

    BINDINGS = [
        Binding("e", "edit", "Open in $EDITOR"),
        Binding("r", "reload", "Reload"),
        Binding("q,escape", "quit", "Quit"),
    ]
    DEFAULT_CSS = """
    BrokenIssueScreen > Vertical { padding: 1 2; }
    BrokenIssueScreen #broken-problem { color: $error; text-style: bold; margin-bottom: 1; }
    BrokenIssueScreen #broken-lines { border: round $error; padding: 0 1; height: auto; max-height: 12; }
    BrokenIssueScreen #broken-help, BrokenIssueScreen #broken-note { margin-top: 1; }
    BrokenIssueScreen #broken-note { color: $warning; }
    """

    def __init__(self, path: Path, error: NewsdeskError, *, leave: str = "q quits", root: Path | None = None) -> None:
        super().__init__()
        self.path = path
        self.error = error
        self.leave = leave
        self.root = root  # the newsroom: the file is named from it, as the editor knows it

    @property
    def shown_path(self) -> str:
        if self.root is not None and self.path.is_relative_to(self.root):
            return str(self.path.relative_to(self.root))
        return str(self.path)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="broken-problem")
            with VerticalScroll(id="broken-lines"):
                yield Static(id="broken-excerpt")
            yield Static(id="broken-help")
            yield Static(id="broken-note")
        yield Footer()

    def on_mount(self) -> None:
        self.show_error(self.error)

    def show_error(self, error: NewsdeskError) -> None:
        self.error = error
        line = error.line if isinstance(error, IssueFileError) else None
        message = error.message.replace(str(self.path), self.shown_path)
        self.query_one("#broken-problem", Static).update(Text(f"The issue file cannot be read: {message}"))
        self.query_one("#broken-excerpt", Static).update(excerpt(self.path, line))
        command = editor_command(self.path, line)
        how = (
            f"e opens it in {shlex.join(command[:-1])}"
            if command
            else "Set $EDITOR to open it from here, or fix it in any editor"
        )
        self.query_one("#broken-help", Static).update(
            f"{how}; r reads it again (the desk goes on once it reads); {self.leave}. Nothing was changed."
        )

    def action_edit(self) -> None:
        line = self.error.line if isinstance(self.error, IssueFileError) else None
        command = editor_command(self.path, line)
        if command is None:
            self.query_one("#broken-note", Static).update(
                "$EDITOR is not set: fix the file in any editor, then press r."
            )
            return
        try:
            with self.app.suspend():  # the editor has the terminal until it quits
                subprocess.run(command, check=False)
        except SuspendNotSupported:
            self.query_one("#broken-note", Static).update(
                "This terminal cannot hand over to an editor: fix the file, then press r."
            )
            return
        except OSError as error:
            self.query_one("#broken-note", Static).update(Text(f"Cannot run {command[0]}: {error.strerror}"))
            return
        self.action_reload()

    def action_reload(self) -> None:
        try:
            load_issue(self.path)
        except NewsdeskError as error:
            self.show_error(error)
            self.query_one("#broken-note", Static).update("Still broken (read again just now).")
            return
        self.dismiss(True)

    def action_quit(self) -> None:
        self.dismiss(False)


class BrokenIssueApp(App[bool]):
    """Before the desk: the issue file does not read. Returns True once it does."""

    TITLE = "newsdesk"

    def __init__(self, path: Path, error: NewsdeskError, *, root: Path | None = None) -> None:
        super().__init__()
        self.path = path
        self.error = error
        self.root = root

    def on_mount(self) -> None:
        screen = BrokenIssueScreen(self.path, self.error, root=self.root)
        self.sub_title = screen.shown_path
        self.push_screen(screen, self.exit)
