"""The desk: choose and annotate the week's developments, with the keyboard alone.

A thin layer over newsdesk.curation.session.DeskSession: the screen shows and edits; fetching,
loading, rendering and saving are the core's, and slow IO runs in thread workers that
report back with messages. Each pane and job is a module (see base.py); this one lays the
screen out, and binds the keys of keys.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import partial

from textual.app import ComposeResult, SystemCommand
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.validation import Function
from textual.widget import Widget
from textual.widgets import (
    ContentSwitcher,
    Footer,
    Header,
    Input,
    Label,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from newsdesk.tui import keys
from newsdesk.tui.candidate_list import CandidateList
from newsdesk.tui.candidates import Candidates, CandidatesPane
from newsdesk.tui.chinese_desk import ChineseSources
from newsdesk.tui.fetching import Fetching
from newsdesk.tui.fields import EditorArea, UndoableInput
from newsdesk.tui.issue_pane import IssuePane, PicksList
from newsdesk.tui.issues_pane import IssuesList, IssuesPane
from newsdesk.tui.output import Output
from newsdesk.tui.picking import Picking
from newsdesk.tui.reading import Reading
from newsdesk.tui.saving import Saving
from newsdesk.tui.screens import HelpScreen
from newsdesk.urls import is_http_url

__all__ = ["DeskApp", "PicksList"]

SCREENSHOT_DIR = "build/screenshots"  # in the newsroom

# The editor's fields and their labels: the focused field's label is marked (▸, highlighted),
# so that a screen capture, colourless, tells which field the next key goes to.
FIELD_LABELS = {
    "intro": "Intro",
    "tags": "Tags (comma-separated)",
    "headline": "Headline",
    "annotation": "Annotation (Markdown)",
    "link": "Read-more link",
}
FOCUS_MARK = "▸ "


class DeskApp(Candidates, Picking, IssuePane, IssuesPane, Reading, Fetching, Output, Saving, ChineseSources):
    """newsdesk's desk."""

    TITLE = "newsdesk"
    CSS_PATH = "desk.tcss"
    BINDINGS = keys.bindings("desk")

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="✎")
        with TabbedContent(initial="candidates", id="tabs"):
            with TabPane("Candidates", id="candidates"):
                with CandidatesPane():
                    with Vertical(id="list-side"):
                        yield UndoableInput(
                            placeholder="Filter: words in the title, summary or source  (/)",
                            id="filter",
                        )
                        yield Static(id="list-status")
                        yield CandidateList(self.room.config.newsroom.zone, id="candidate-list")
                    with VerticalScroll(id="item-preview"):
                        yield Static(id="item-body")
            with TabPane("Issue", id="issue"):
                with Horizontal():
                    with Vertical(id="picks-side"):
                        yield PicksList(id="picks")
                        yield Static(id="missing")
                    with ContentSwitcher(initial="intro-editor", id="editor"):
                        with Vertical(id="intro-editor"):
                            yield Label(FIELD_LABELS["intro"], id="intro-label", classes="field-label")
                            yield EditorArea(id="intro", soft_wrap=True)
                            yield Label(FIELD_LABELS["tags"], id="tags-label", classes="field-label")
                            yield UndoableInput(id="tags", select_on_focus=False)
                        with Vertical(id="pick-editor"):
                            yield Label(FIELD_LABELS["headline"], id="headline-label", classes="field-label")
                            yield UndoableInput(id="headline")
                            yield Label(FIELD_LABELS["annotation"], id="annotation-label", classes="field-label")
                            yield EditorArea(id="annotation", soft_wrap=True)
                            yield Label(FIELD_LABELS["link"], id="link-label", classes="field-label")
                            yield UndoableInput(
                                id="link",
                                validators=[Function(is_http_url, "The link must be an http(s) URL")],
                                # Selected, the whole link would go with the next key typed.
                                select_on_focus=False,
                            )
                            yield Static(id="link-problem")
                            yield Static(id="pick-source")
            with TabPane("Preview", id="preview"):
                with VerticalScroll(id="preview-scroll"):
                    yield Static(id="issue-preview")
            with TabPane("Issues", id="issues"):
                with Horizontal():
                    yield IssuesList(id="issues-list")
                    with VerticalScroll(id="issue-side"):
                        yield Static(id="issue-state")
                        yield Static(id="issue-result")
        yield Static(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = self.session.issue.title
        self.sub_title = f"{self.session.week_label} · {self.room.root.name}"
        if not self.blink:
            for widget in self.main.query(Input):
                widget.cursor_blink = False
            for area in self.main.query(TextArea):
                area.cursor_blink = False
        self.watch(self.main, "focused", self.mark_focused_field)
        self.main.query_one(CandidateList).focus()
        self.refresh_issue_views()
        self.show_editor(None)
        self.start_watching()
        self.start_watching_fetches()
        self.load_items()

    def mark_focused_field(self, focused: Widget | None) -> None:
        for field, title in FIELD_LABELS.items():
            label = self.main.query_one(f"#{field}-label", Label)
            marked = focused is not None and focused.id == field
            if label.has_class("-focused") != marked:
                label.set_class(marked, "-focused")
                label.update(FOCUS_MARK + title if marked else title)

    def action_show_tab(self, tab: str) -> None:
        self.main.query_one(TabbedContent).active = tab
        if tab == "candidates":
            self.focus_now(self.main.query_one(CandidateList))
        elif tab == "issue":
            self.focus_now(self.main.query_one(PicksList))
        elif tab == "issues":
            self.focus_now(self.main.query_one(IssuesList))
        else:
            self.focus_now(self.main.query_one("#preview-scroll"))

    def action_leave_field(self) -> None:
        focused = self.focused
        if isinstance(focused, (Input, TextArea)):
            if isinstance(focused, Input) and focused.id == "filter":  # escape drops the filter; enter keeps it
                focused.value = ""
                self.main.query_one(CandidateList).focus()
            else:
                self.main.query_one(PicksList).focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":  # Textual's delivers it to a downloads folder, or fails
                yield command
        for key in keys.palette():
            where = f" ({key.label})" if key.keys else ""
            yield SystemCommand(key.title, key.help + where, partial(self.run_action, key.action or ""))
        yield SystemCommand(
            "Screenshot", f"Save an SVG picture of the desk in {SCREENSHOT_DIR}/", self.action_screenshot_desk
        )

    def action_screenshot_desk(self) -> None:
        # After the palette has closed: the picture is of the desk, not of the palette.
        self.set_timer(0.1, self.save_desk_screenshot)

    def save_desk_screenshot(self) -> None:
        folder = self.room.root / SCREENSHOT_DIR
        name = time.strftime("desk-%Y%m%d-%H%M%S.svg")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = self.save_screenshot(name, str(folder))
        except OSError as error:
            self.toast(f"Cannot save the screenshot in {folder}: {error.strerror}", severity="error")
            return
        self.toast(f"Saved the screenshot to {path}", title="Screenshot", timeout=10)
