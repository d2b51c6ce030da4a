"""The desk in a real terminal: tmux runs `newsdesk edit` on a copy of the sample newsroom,
keys arrive 5 ms apart as a fast typist's do, and the saved issue file must be, byte for
byte, the file with exactly what was typed in it.

tmux comes from scripts/ci/tmux.sh. Without it this test is skipped, except under CI,
where it fails.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typed import check_saved, first_difference, typed_link, typed_text

from newsdesk.errors import NewsdeskError
from newsdesk.issue import load_issue

KEY_GAP = 0.005  # seconds between keys
PATIENCE = 180.0  # how long the desk may take to catch up before the test gives up on it


class Terminal:
    """One tmux server of the test's own (its own socket, no configuration file)."""

    def __init__(self, tmux: str, socket: Path) -> None:
        self.tmux, self.socket = tmux, socket
        self.client: subprocess.Popen[str] | None = None

    def command(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.tmux, "-f", os.devnull, "-S", str(self.socket), *args], capture_output=True, text=True, check=check
        )

    def start(self, argv: list[str], width: int, height: int) -> None:
        self.command("new-session", "-d", "-s", "desk", "-x", str(width), "-y", str(height), shlex.join(argv))
        # A control-mode client takes send-keys commands on its stdin: one tmux process for
        # all the keys, so they can come 5 ms apart (a tmux process per key takes longer).
        self.client = subprocess.Popen(
            [self.tmux, "-f", os.devnull, "-S", str(self.socket), "-C", "attach-session", "-t", "desk"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def send(self, line: str) -> None:
        assert self.client is not None and self.client.stdin is not None
        self.client.stdin.write(line + "\n")
        self.client.stdin.flush()

    def type(self, text: str) -> None:
        """Each character as the terminal sends it: its UTF-8 bytes (a newline is Enter)."""
        for character in text:
            data = b"\r" if character == "\n" else character.encode("utf-8")
            self.send("send-keys -t desk -H " + " ".join(f"{byte:02x}" for byte in data))
            time.sleep(KEY_GAP)

    def key(self, name: str) -> None:
        """A named key (Enter, Tab, Escape, Up, F7, C-a), then a pause: the desk moves focus
        in a few steps, and a key typed before the last of them would go to the old field."""
        self.send(f"send-keys -t desk {name}")
        time.sleep(0.5)

    def screen(self) -> str:
        return self.command("capture-pane", "-p", "-t", "desk", check=False).stdout

    def running(self) -> bool:
        return self.command("has-session", "-t", "desk", check=False).returncode == 0

    def stop(self) -> None:
        if self.client is not None:
            if self.client.stdin is not None:
                self.client.stdin.close()
            self.client.wait(timeout=10)
        self.command("kill-server", check=False)


@pytest.fixture
def terminal(tmp_path):
    found = shutil.which("tmux")
    if not found:
        reason = "tmux is not installed: run scripts/ci/tmux.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    term = Terminal(found, tmp_path / "tmux.sock")
    try:
        yield term
    finally:
        term.stop()


def wait_for(condition, what: str, explain=lambda: "") -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the desk never got to {what}; {explain()}")
        time.sleep(0.1)


def saved_fields(path: Path) -> dict[str, str]:
    try:
        issue = load_issue(path)
    except NewsdeskError:
        return {}  # caught between a rename and a read: next time
    if not issue.developments:
        return {"intro": issue.intro}
    development = issue.developments[0]
    return {
        "headline": development.headline,
        "annotation": development.annotation,
        "link": development.read_more,
        "intro": issue.intro,
    }


@pytest.mark.slow
def test_typing_at_five_ms_a_key_in_a_real_terminal_is_saved_exactly(fetched, terminal):
    path = fetched / "issues" / "2017-07-10.md"
    original = path.read_text(encoding="utf-8")
    values = {  # 2,000 keys
        "headline": typed_text(200, seed=11, lines=False),
        "annotation": typed_text(1200, seed=12, lines=True),
        "link": typed_link(200, seed=13),
        "intro": typed_text(400, seed=14, lines=True),
    }
    terminal.start([sys.executable, "-m", "newsdesk", "--newsroom", str(fetched), "edit", "2017-07-10"], 120, 40)
    wait_for(lambda: "by score" in terminal.screen(), "its ranked candidates", terminal.screen)

    def typed(field: str) -> None:
        """Type the field's text, then wait for the autosave to hold it: the desk has caught up."""
        terminal.type(values[field])
        wait_for(
            lambda: saved_fields(path).get(field) == values[field],
            f"saving the {field}",
            lambda: first_difference(saved_fields(path).get(field, ""), values[field]),
        )

    terminal.key("Enter")  # pick the best story: it has four sources, which one?
    wait_for(lambda: "Which one" in terminal.screen(), "the choice of source", terminal.screen)
    terminal.key("Enter")  # its lead, and edit it: its headline is selected
    wait_for(lambda: "Headline" in terminal.screen(), "the headline", terminal.screen)
    typed("headline")  # the first key replaces the selected headline
    terminal.key("Tab")
    typed("annotation")
    terminal.key("Tab")
    terminal.key("C-a")  # the link's start
    terminal.key("C-k")  # delete to its end
    typed("link")
    terminal.key("Escape")
    terminal.key("Up")  # the intro
    terminal.key("Enter")
    terminal.key("F7")  # select it all: the first key replaces it
    typed("intro")
    terminal.key("Escape")
    terminal.key("q")
    wait_for(lambda: not terminal.running(), "quitting", terminal.screen)
    check_saved(path, original, values)


@pytest.mark.slow
def test_a_broken_issue_file_opens_a_screen_and_editor_fixes_it(fetched, terminal, tmp_path):
    path = fetched / "issues" / "2017-07-10.md"
    good = path.read_text(encoding="utf-8")
    lines = good.splitlines(keepends=True)
    path.write_text("".join([*lines[:2], "colour = 'red'\n", *lines[2:]]), encoding="utf-8")
    fixer = tmp_path / "fix.py"  # the "editor": puts the good text back
    fixer.write_text(
        f"import sys, pathlib\npathlib.Path(sys.argv[-1]).write_text({good!r}, encoding='utf-8')\n", encoding="utf-8"
    )
    editor = f"{shlex.quote(sys.executable)} {shlex.quote(str(fixer))}"
    argv = ["env", f"EDITOR={editor}", sys.executable, "-m", "newsdesk", "--newsroom", str(fetched), "edit"]
    terminal.start([*argv, "2017-07-10"], 120, 40)
    wait_for(lambda: "▶    3 │ colour = 'red'" in terminal.screen(), "the broken line", terminal.screen)
    assert "issues/2017-07-10.md:3: unknown front matter" in terminal.screen()
    terminal.key("e")  # the editor runs, the file reads again, the desk opens
    wait_for(lambda: "by score" in terminal.screen(), "the desk", terminal.screen)
    terminal.key("q")
    wait_for(lambda: not terminal.running(), "quitting", terminal.screen)
    assert path.read_text(encoding="utf-8") == good


@pytest.mark.slow
def test_the_issues_tab_opens_another_issue_in_the_desk(fetched, terminal):
    terminal.start([sys.executable, "-m", "newsdesk", "--newsroom", str(fetched), "edit", "2017-07-10"], 120, 40)
    wait_for(lambda: "by score" in terminal.screen(), "its ranked candidates", terminal.screen)
    terminal.key("i")
    wait_for(lambda: "2017-06-26" in terminal.screen(), "the issues", terminal.screen)
    terminal.key("Down")
    terminal.key("Down")
    terminal.key("Enter")  # the desk closes and opens again on 2017-06-26
    wait_for(lambda: "26th June 2017" in terminal.screen(), "the other issue", terminal.screen)
    terminal.key("q")
    wait_for(lambda: not terminal.running(), "quitting", terminal.screen)


@pytest.mark.slow
def test_keys_sent_right_after_tab_and_shift_tab_land_in_the_field_they_reach(fetched, terminal):
    path = fetched / "issues" / "2017-07-10.md"
    terminal.start([sys.executable, "-m", "newsdesk", "--newsroom", str(fetched), "edit", "2017-07-10"], 120, 40)
    wait_for(lambda: "by score" in terminal.screen(), "its ranked candidates", terminal.screen)
    terminal.key("Enter")  # pick the best story: which of its sources?
    wait_for(lambda: "Which one" in terminal.screen(), "the choice of source", terminal.screen)
    terminal.key("Enter")  # its headline, selected: the first key replaces it
    wait_for(lambda: "Headline" in terminal.screen(), "the headline", terminal.screen)
    # No pause anywhere: one send-keys after the other, as a newcomer's script sends them.
    terminal.send("send-keys -t desk -l 'Headline typed fast'")
    terminal.send("send-keys -t desk Tab")
    terminal.send("send-keys -t desk -l 'Annotation right after tab. '")
    terminal.send("send-keys -t desk BTab")  # shift+tab: back to the headline, its label marked
    wait_for(lambda: "▸ Headline" in terminal.screen(), "the headline again", terminal.screen)
    wanted = {"headline": "Headline typed fast", "annotation": "Annotation right after tab. "}
    wait_for(
        lambda: {k: saved_fields(path).get(k, "").strip() for k in wanted} == {k: v.strip() for k, v in wanted.items()},
        "saving both fields",
        lambda: f"saved {saved_fields(path)}",
    )
    terminal.key("Escape")
    terminal.key("q")
    wait_for(lambda: not terminal.running(), "quitting", terminal.screen)
