"""What every part of the desk shares: the newsroom, the session, the desk's state and the
status line. Each job is a module adding its part to the app (candidates, picking, the issue
pane, saving, the preview and render, fetching, articles); app.py puts them together."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import App
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from newsdesk.curation.articles import Article
from newsdesk.curation.session import DeskSession, SearchableItem, SearchableStory
from newsdesk.feeds.fetch import FetchReport
from newsdesk.issue import Development
from newsdesk.newsroom import Newsroom
from newsdesk.output.render import Renderer

if TYPE_CHECKING:
    from textual.worker import Worker

    from newsdesk.items import Item
    from newsdesk.tui.candidate_list import CandidateList

INTRO = "intro"  # the editor's target when it shows the intro


class DeskBase(App[Path | None]):
    """The desk's state; the methods every job uses. The desk's result is the issue file to
    open next (the Issues pane's enter), or None."""

    def __init__(self, newsroom: Newsroom, issue_path: Path, *, blink: bool = True) -> None:
        super().__init__()
        self.room = newsroom
        self.session = DeskSession(newsroom, issue_path)
        self.renderer = Renderer(newsroom)
        self.blink = blink
        # The candidates (candidates.py).
        self.all_items: list[SearchableItem] = []
        self.all_stories: list[SearchableStory] = []
        self._flat: list | None = None  # all_stories flattened for filtering; None: to redo
        self.ranked = False  # the stories are clustered and scored (not yet: one item each)
        self.sort = "score"
        self.articles: dict[str, Article | None] = {}  # by link; None while fetching
        self.loaded = False
        self.whole_store = False
        self.source_filter: str | None = None
        self.tag_filter: str | None = None
        # The issue pane (issue_pane.py).
        self.editing: int | None = None  # the pick being edited; None is the intro
        # What the editor's fields hold: a pick (the object: it keeps its text when moved),
        # INTRO, or None before the first show_editor. While a field has focus the widget,
        # not the session, is the truth: keys it took may not have reached the session yet.
        self._shown: Development | str | None = None
        # What the issue pane and status line show: each keystroke updates only what changed
        # (a changed Static relays the screen out, a frame's work behind the typing).
        self._pick_labels: list[Text] | None = None
        self._shown_missing: Text | None = None
        self._shown_status: str | None = None
        self._note = ""  # the status line's passing note (note())
        self._toasts: dict[tuple[str, str], float] = {}  # (title, message): until when it shows
        # Fetching (fetching.py).
        self.fetching: str | None = None
        self.last_report: FetchReport | None = None
        self.last_fetch_error: str | None = None
        self.known_fetch: object = None  # the last fetch the desk knows of (its record's "finished")
        self.new_items_waiting = False  # a fetch elsewhere brought items the list does not show
        self._fetch_seen = False  # the store's record has been read once
        self._store_signature: tuple[tuple[int, int], ...] = ()
        # Saving (saving.py).
        self.save_state = "saved"
        self.conflict_open = False
        self.conflict_deferred = False  # "decide later": ask again at the next change
        # One timer each for the autosave and the preview, moved on by every keystroke: a
        # keystroke sets a time (a float), the timer wakes, and waits on if typing went on.
        self._save_timer: Timer | None = None
        self._save_due = 0.0
        self._unsaved_since: float | None = None
        self._preview_timer: Timer | None = None
        self._preview_due = 0.0

    @property
    def main(self) -> Screen:
        """The desk's own screen. App.query_one looks only at the screen on top, and timers
        and workers report while a help, report or conflict screen is open."""
        return self.screen_stack[0]

    def focus_now(self, widget: Widget) -> None:
        """Focus at once, not after the next refresh as Widget.focus does: a tab switch
        hides the focused widget meanwhile, Textual hands the focus to a sibling in the
        hidden pane, and TabbedContent switches back to that pane."""
        self.main.set_focus(widget)

    @property
    def status_line(self) -> Static:
        return self.main.query_one("#status", Static)

    @property
    def preview_text(self) -> Static:
        return self.main.query_one("#issue-preview", Static)

    @property
    def display_path(self) -> str:
        """The issue file as the editor knows it: relative to the newsroom."""
        try:
            return str(self.session.path.relative_to(self.room.root))
        except ValueError:
            return str(self.session.path)

    def refresh_status(self) -> None:
        parts = [self.session.picked_label()]
        missing = self.session.missing()
        if missing:
            parts.append(f"{len(missing)} to do")
        parts.append(self.save_state)
        if self.fetching:
            parts.append(self.fetching)
        line = " · ".join(parts)
        if self._note:
            line += f"  │ {self._note}"
        if line == self._shown_status:
            return
        self._shown_status = line
        status = self.status_line
        status.update(Text(line), layout=False)  # one line, always; as written, not Rich markup
        status.set_class(self.save_state.startswith("NOT"), "-error")

    def note(self, text: str) -> None:
        """A passing note (picked, filtered, undone, reloaded…) at the end of the status line:
        the next note replaces it, where toasts would pile up."""
        self._note = text
        self.refresh_status()

    def toast(self, message: str, *, title: str = "", severity: SeverityLevel = "warning", timeout: float = 8) -> None:
        """A toast, for what needs the editor's eye (a failure, a result to read); the same one
        again while it still shows (an autosave failing at every key) is not shown twice."""
        now = time.monotonic()
        if self._toasts.get((title, message), 0.0) > now:
            return
        self._toasts = {key: until for key, until in self._toasts.items() if until > now}
        self._toasts[(title, message)] = now + timeout
        self.notify(message, title=title, severity=severity, timeout=timeout, markup=False)  # [translation] as written

    if TYPE_CHECKING:
        # What the job modules give one another (DeskApp has them all).

        def after_change(self, *, refresh_list: bool = True) -> None: ...  # issue_pane.py
        def sync_editor(self) -> None: ...  # issue_pane.py
        def show_editor(self, index: int | None, *, reload: bool = False) -> None: ...  # issue_pane.py
        def refresh_issue_views(self) -> None: ...  # issue_pane.py
        def edit_pick(self, index: int) -> None: ...  # picking.py
        def apply_filter(self, *, keep: bool = True) -> None: ...  # candidates.py
        def refresh_list_status(self, shown: int | None = None) -> None: ...  # candidates.py
        def refresh_item_preview(self) -> None: ...  # candidates.py
        def show_item(self, message: CandidateList.Highlighted) -> None: ...  # candidates.py
        def load_items(self) -> Worker[None]: ...  # candidates.py (a worker)
        def schedule_save(self) -> None: ...  # saving.py
        def autosave(self, *, force: bool = False) -> bool: ...  # saving.py
        def schedule_preview(self) -> None: ...  # output.py
        def open_in_browser(self, url: str) -> Worker[None]: ...  # candidates.py (a worker)
        def refresh_issues(self) -> None: ...  # issues_pane.py
        def keep_source(self, item: Item) -> None: ...  # chinese_desk.py
