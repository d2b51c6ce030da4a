"""The desk: choose and annotate the week's developments, with the keyboard alone.

A thin layer over newsdesk.curation.session.DeskSession: the screen shows and edits; fetching,
loading, rendering and saving are the core's, and slow IO runs in thread workers that
report back with messages.
"""

from __future__ import annotations

import copy
import gc
import time
import webbrowser
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.validation import Function
from textual.widget import Widget
from textual.widgets import (
    ContentSwitcher,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from newsdesk.curation.articles import Article
from newsdesk.curation.ranking import RankedStory, sort_key
from newsdesk.curation.session import (
    DeskSession,
    IssueChangedOnDisk,
    SearchableItem,
    SearchableStory,
    filter_stories,
    flatten,
    unranked,
)
from newsdesk.errors import NewsdeskError
from newsdesk.feeds.fetch import FeedResult, FetchReport
from newsdesk.feeds.fetch import fetch as run_fetch
from newsdesk.issue import Development
from newsdesk.items import Item
from newsdesk.newsroom import Newsroom
from newsdesk.output.render import Renderer
from newsdesk.tui import item_view
from newsdesk.tui.candidate_list import CandidateList
from newsdesk.tui.chinese_desk import ChineseDesk
from newsdesk.tui.fields import EditorArea, UndoableInput
from newsdesk.tui.messages import (
    ArticleLoaded,
    FetchFailed,
    FetchFinished,
    FetchProgressed,
    ItemsLoaded,
    LoadFailed,
    RenderFailed,
    RenderFinished,
    StoriesRanked,
)
from newsdesk.tui.screens import ConflictScreen, HelpScreen, ReplaceScreen, ReportScreen, SourceScreen
from newsdesk.urls import is_http_url

INTRO = "intro"  # the editor's target when it shows the intro
AUTOSAVE_SECONDS = 1.0  # after the last keystroke; the promise to the editor is 2 s
AUTOSAVE_LIMIT = 1.5  # the longest a change waits, however fast the typing
DISK_CHECK_SECONDS = 1.0
PREVIEW_SECONDS = 0.3


class CandidatesPane(Horizontal):
    BINDINGS = [
        Binding("space,p", "app.toggle_pick", "Pick", id="pick"),
        Binding("o", "app.open_link", "Open", id="open"),
        Binding("slash", "app.focus_filter", "Filter", id="filter"),
        Binding("s", "app.cycle_source", "Source", id="source"),
        Binding("t", "app.cycle_tag", "Tag", show=False, id="tag"),
        Binding("w", "app.toggle_week", "Week/all", show=False, id="week"),
        Binding("S", "app.toggle_sort", "Sort", show=False, id="sort"),
        Binding("a", "app.article", "Article", show=False, id="article"),
        Binding("A", "app.lead_annotation", "Lead as annotation", show=False, id="lead"),
    ]


class PicksList(OptionList):
    BINDINGS = [
        Binding("K,shift+up", "app.move_pick(-1)", "Move up", id="move-up"),
        Binding("J,shift+down", "app.move_pick(1)", "Move down", id="move-down"),
        Binding("x,delete", "app.unpick", "Unpick", id="unpick"),
        Binding("A", "app.lead_annotation", "Lead as annotation", id="pick-lead"),
    ]


class DeskApp(ChineseDesk):
    """newsdesk's desk."""

    TITLE = "newsdesk"
    CSS_PATH = "desk.tcss"
    BINDINGS = [
        Binding("c", "show_tab('candidates')", "Candidates", show=False, id="candidates"),
        Binding("e", "show_tab('issue')", "Issue", id="issue"),
        Binding("v", "show_tab('preview')", "Preview", show=False, id="preview"),
        Binding("f", "fetch", "Fetch", id="fetch"),
        Binding("r", "report", "Report", show=False, id="report"),
        Binding("R", "render", "Render", id="render"),
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("u,ctrl+z", "undo_picks", "Undo", id="undo"),
        Binding("U,ctrl+y", "redo_picks", "Redo", show=False, id="redo"),
        Binding("q", "quit_desk", "Quit", id="quit"),
        Binding("escape", "leave_field", "Leave field", show=False),
    ]

    def __init__(self, newsroom: Newsroom, issue_path: Path, *, blink: bool = True) -> None:
        super().__init__()
        self.room = newsroom
        self.session = DeskSession(newsroom, issue_path)
        self.renderer = Renderer(newsroom)
        self.blink = blink
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
        self.fetching: str | None = None
        self.last_report: FetchReport | None = None
        self.last_fetch_error: str | None = None
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

    # Layout ----------------------------------------------------------------

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
                            yield Label("Intro", classes="field-label")
                            yield EditorArea(id="intro", soft_wrap=True)
                        with Vertical(id="pick-editor"):
                            yield Label("Headline", classes="field-label")
                            yield UndoableInput(id="headline")
                            yield Label("Annotation (Markdown)", classes="field-label")
                            yield EditorArea(id="annotation", soft_wrap=True)
                            yield Label("Read-more link", classes="field-label")
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
        self.main.query_one(CandidateList).focus()
        self.refresh_issue_views()
        self.show_editor(None)
        # The timers belong to the status line they report on: they end with it, never firing
        # into a desk that is closing.
        self.status_line.set_interval(DISK_CHECK_SECONDS, self.check_disk)
        self.load_items()

    # Loading candidates ------------------------------------------------------

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_items(self) -> None:
        """Items first (the list paints at once), then the same items as ranked stories."""
        try:
            items = self.session.load_items(whole_store=self.whole_store)
        except NewsdeskError as error:
            self.post_message(LoadFailed(error.message))
            return
        self.post_message(ItemsLoaded(items))
        try:
            stories = self.session.rank_items(items, self.sort)
        except NewsdeskError as error:
            self.post_message(LoadFailed(error.message))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(StoriesRanked(stories))

    @on(ItemsLoaded)
    def items_loaded(self, message: ItemsLoaded) -> None:
        self.all_items = message.items
        self.all_stories = unranked(message.items)
        self._flat = None
        self.ranked = False
        self.loaded = True
        self.apply_filter()

    @on(StoriesRanked)
    def stories_ranked(self, message: StoriesRanked) -> None:
        self.all_stories = message.stories
        self._flat = None
        story_key = sort_key(self.sort)
        self.all_stories.sort(key=lambda entry: story_key(entry.story))
        self.ranked = True
        # Tens of thousands of long-lived objects now: keep the collector from walking them
        # on every keystroke (a full pass costs more than a frame).
        gc.freeze()
        # The best story on top, unless the editor has moved already while ranking ran.
        self.apply_filter(keep=self.main.query_one(CandidateList).cursor != 0)

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.notify(message.error, title="Cannot load candidates", severity="error", timeout=10)

    def apply_filter(self, *, keep: bool = True) -> None:
        """List the stories that match the filters; the cursor stays on its item if ``keep``."""
        listing = self.main.query_one(CandidateList)
        tag_sources = self.session.tags().get(self.tag_filter) if self.tag_filter else None
        if self._flat is None:
            self._flat = flatten(self.all_stories)
        shown = filter_stories(
            self._flat,
            self.main.query_one("#filter", Input).value,
            source=self.source_filter,
            tag_sources=tag_sources,
        )
        if not self.all_items:
            listing.empty_text = (
                "No items in this week yet: press f to fetch your sources."
                if not self.whole_store
                else "The store is empty: press f to fetch your sources."
            )
        else:
            listing.empty_text = "Nothing matches the filter."
        listing.set_rows(shown, self.session.picked_ids(), keep=listing.current if keep else None)
        self.refresh_list_status(len(shown))

    def refresh_list_status(self, shown: int | None = None) -> None:
        listing = self.main.query_one(CandidateList)
        shown = len(listing.items) if shown is None else shown
        scope = "all stored items" if self.whole_store else f"week of {self.session.week_label}"
        parts = [f"{shown} of {len(self.all_stories)} candidates" if self.loaded else "loading…"]
        if self.loaded and not self.ranked:
            parts.append("ranking…")
        elif self.loaded:
            parts[0] += f" ({len(self.all_items)} items)" if len(self.all_items) != len(self.all_stories) else ""
            parts.append(f"by {self.sort}")
        parts.append(scope)
        if self.source_filter:
            parts.append(f"source: {self.source_filter}")
        if self.tag_filter:
            parts.append(f"tag: {self.tag_filter}")
        self.main.query_one("#list-status", Static).update(" · ".join(parts))

    @on(Input.Changed, "#filter")
    def filter_changed(self) -> None:
        self.apply_filter()

    @on(Input.Submitted, "#filter")
    def filter_submitted(self) -> None:
        self.main.query_one(CandidateList).focus()

    @on(CandidateList.Highlighted)
    def show_item(self, message: CandidateList.Highlighted) -> None:
        listing = self.main.query_one(CandidateList)
        story = listing.current_story if message.item is listing.current else None
        self.main.query_one("#item-body", Static).update(self.item_text(message.item, story))
        self.main.query_one("#item-preview", VerticalScroll).scroll_home(animate=False)

    def item_text(self, item: Item | None, story: RankedStory | None = None) -> Text:
        return item_view.item_text(
            item,
            story,
            zone=self.room.config.newsroom.zone,
            picked=self.session.picked_ids(),
            ranked=self.ranked,
            articles=self.articles,
            other_sort="date" if self.sort == "score" else "score",
        )

    # Picking -----------------------------------------------------------------

    def action_toggle_pick(self) -> None:
        """Pick the story under the cursor (the link goes to the item shown), or unpick it."""
        listing = self.main.query_one(CandidateList)
        if listing.current is None:
            return
        items = listing.story_items(listing.cursor)
        index = self.session.pick_of(items)
        if index is not None:
            removed = self.session.unpick(index)
            self.notify(f"Unpicked: {removed.headline}")
            self.after_change()
        else:
            self.pick(items[0], also=items[1:])

    @on(CandidateList.Chosen)
    def chosen(self, message: CandidateList.Chosen) -> None:
        listing = self.main.query_one(CandidateList)
        items = listing.story_items(listing.cursor) if message.item is listing.current else [message.item]
        index = self.session.pick_of(items)
        if index is not None:
            self.edit_pick(index)
        elif len(items) > 1:

            def chose(item: Item | None) -> None:
                if item is not None:
                    self.pick(item, also=[other for other in items if other.id != item.id], then_edit=True)

            self.push_screen(SourceScreen(items), chose)
        else:
            self.pick(message.item, then_edit=True)

    def pick(self, item: Item, *, also: list[Item] | None = None, then_edit: bool = False) -> None:
        def done(index: int | None) -> None:
            if then_edit and index is not None:
                self.edit_pick(index)

        if not self.session.is_full():
            self.session.pick(item, also=also)
            self.keep_source(item)
            more = f" ({len(also)} other source{'s' if len(also) != 1 else ''} listed too)" if also else ""
            self.notify(f"Picked: {item.title}{more}")
            self.after_change()
            done(len(self.session.issue.developments) - 1)
            return

        def replace(choice: int | None) -> None:
            if choice is None:
                return
            self.session.pick(item, replace=choice, also=also)
            self.keep_source(item)
            self.notify(f"Replaced pick {choice + 1} with: {item.title}")
            self.after_change()
            done(choice)

        self.push_screen(ReplaceScreen(item.title, self.session.issue.developments), replace)

    def action_unpick(self) -> None:
        if self.editing is None:
            return
        self.sync_editor()
        removed = self.session.unpick(self.editing)
        self.notify(f"Unpicked: {removed.headline}")
        self.editing = None
        self.after_change()
        self.show_editor(None)

    def action_move_pick(self, offset: int) -> None:
        if self.editing is None:
            return
        self.sync_editor()
        self.editing = self.session.move(self.editing, offset)
        self.after_change()
        self.main.query_one(PicksList).highlighted = self.editing + 1

    def action_undo_picks(self) -> None:
        self.step_picks(self.session.undo, "Undone", "Nothing to undo (a text field undoes its typing: ctrl+z)")

    def action_redo_picks(self) -> None:
        self.step_picks(self.session.redo, "Redone", "Nothing to redo")

    def step_picks(self, step: Callable[[], str | None], done: str, nothing: str) -> None:
        """Undo or redo a pick, unpick, replace or move; the editor stays on its pick if it is still there."""
        self.sync_editor()  # an unpick undone brings the pick back with every word typed
        before = list(self.session.issue.developments)
        what = step()
        if what is None:
            self.notify(nothing)
            return
        self.notify(f"{done}: {what}")
        self.after_change()
        # The editor stays on its pick if it is still there, else shows a pick brought back.
        picks = self.session.issue.developments
        index = next((i for i, d in enumerate(picks) if d is self._shown), None)
        if index is None:
            index = next((i for i, d in enumerate(picks) if not any(d is b for b in before)), None)
        self.main.query_one(PicksList).highlighted = 0 if index is None else index + 1
        self.show_editor(index)

    def edit_pick(self, index: int) -> None:
        self.main.query_one(TabbedContent).active = "issue"
        self.refresh_issue_views()
        self.main.query_one(PicksList).highlighted = index + 1
        self.show_editor(index)
        self.focus_now(self.main.query_one("#headline", Input))

    # The issue pane ----------------------------------------------------------

    def refresh_issue_views(self) -> None:
        picks = self.main.query_one(PicksList)
        developments = self.session.issue.developments
        labels = [self.intro_label(), *(self.pick_label(n, d) for n, d in enumerate(developments, start=1))]
        if self._pick_labels is not None and len(self._pick_labels) == len(labels):
            # A keystroke, or a move: the same options, a label changed at most. Rebuilding them
            # would re-highlight, and that round trip is a message behind the typing.
            for index, (label, shown) in enumerate(zip(labels, self._pick_labels, strict=False)):
                if label != shown:
                    picks.replace_option_prompt_at_index(index, label)
        else:
            highlighted = picks.highlighted
            options = [Option(labels[0], id="intro")]
            options += [Option(label, id=f"pick-{n}") for n, label in enumerate(labels[1:])]
            for number in range(len(developments) + 1, self.session.limit + 1):
                options.append(Option(Text(f"{number}. (empty: pick a candidate)", style="dim"), disabled=True))
            picks.set_options(options)
            picks.highlighted = min(highlighted or 0, len(developments))
        self._pick_labels = labels
        missing = self.session.missing()
        note = (
            Text("Missing:\n" + "\n".join(f"• {m}" for m in missing), style="yellow")
            if missing
            else Text("Complete: ready to render.", style="green")
        )
        if note != self._shown_missing:
            self.main.query_one("#missing", Static).update(note)
            self._shown_missing = note
        self.refresh_status()

    def intro_label(self) -> Text:
        label = Text("Intro")
        if not self.session.issue.intro.strip():
            label.append("  ⚠ empty", style="yellow")
        return label

    @staticmethod
    def pick_label(number: int, development) -> Text:
        label = Text(f"{number}. {development.headline or '(no headline)'}")
        problems = development.problems()
        if problems:
            label.append("  ⚠ " + ", ".join(p.split(":")[0] for p in problems), style="yellow")
        else:
            label.append("  ✓", style="green")
        return label

    @on(OptionList.OptionHighlighted, "#picks")
    def pick_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # The highlight as it is now, not the option the message names: rebuilding the list
        # highlights the intro on the way, and that message arrives after the editor moved on
        # to the pick (showing the intro then hid the headline just focused, and focus fell
        # to the annotation).
        highlighted = self.main.query_one(PicksList).highlighted
        self.show_editor(highlighted - 1 if highlighted else None)

    @on(OptionList.OptionSelected, "#picks")
    def pick_selected(self, event: OptionList.OptionSelected) -> None:
        if self.editing is None:
            self.main.query_one("#intro", TextArea).focus()
        else:
            self.main.query_one("#headline", Input).focus()

    def show_editor(self, index: int | None, *, reload: bool = False) -> None:
        """Show the intro or pick ``index`` in the editor without marking anything changed.

        The fields are loaded from the session only when they show something else (or
        ``reload``: the session changed under them); otherwise they hold the newest text.
        """
        developments = self.session.issue.developments
        if index is not None and not 0 <= index < len(developments):
            index = None
        target = INTRO if index is None else developments[index]
        self.editing = index
        if target is self._shown and not reload:
            return
        if not reload:
            self.sync_editor()  # what the fields took before they switch
        self._shown = target
        switcher = self.main.query_one("#editor", ContentSwitcher)
        if index is None:
            switcher.current = "intro-editor"
            intro = self.main.query_one("#intro", TextArea)
            if intro.text != self.session.issue.intro:
                with self.prevent(TextArea.Changed):
                    intro.load_text(self.session.issue.intro)
            return
        switcher.current = "pick-editor"
        development = developments[index]
        with self.prevent(Input.Changed, TextArea.Changed):
            self.main.query_one("#headline", UndoableInput).load(development.headline)
            annotation = self.main.query_one("#annotation", TextArea)
            if annotation.text != development.annotation:
                annotation.load_text(development.annotation)
            self.main.query_one("#link", UndoableInput).load(development.read_more)
        self.show_link_problem(development.read_more)
        source = ""
        if development.item_id:
            source = f"From item {development.item_id}"
            if development.also:
                source += f"; also reported by {', '.join(development.also)}"
        self.main.query_one("#pick-source", Static).update(Text(source, style="dim"))

    def sync_editor(self) -> None:
        """Put what the fields hold into the session, for the pick or intro they show.

        A field takes keys before the desk hears of them (its Changed message comes after):
        before the editor switches, saves, renders, reloads or changes the picks, the
        session catches up, so no key is lost or applied to another pick.
        """
        shown = self._shown
        if shown is None:
            return
        if shown is INTRO:
            self.session.set_intro(self.main.query_one("#intro", TextArea).text)
            return
        index = next((i for i, d in enumerate(self.session.issue.developments) if d is shown), None)
        if index is None:
            return  # unpicked, or the file was reloaded
        self.session.set_field(index, "headline", self.main.query_one("#headline", Input).value)
        self.session.set_field(index, "annotation", self.main.query_one("#annotation", TextArea).text)
        self.session.set_field(index, "read_more", self.main.query_one("#link", Input).value.strip())

    def show_link_problem(self, value: str) -> None:
        problem = DeskSession.link_problem(value)
        self.main.query_one("#link-problem", Static).update(Text(problem or "", style="red"))

    @on(TextArea.Changed, "#intro")
    def intro_changed(self, event: TextArea.Changed) -> None:
        self.session.set_intro(event.text_area.text)
        self.after_change(refresh_list=False)

    # Each handler reads its field as it is now, not the value its message carried: the
    # message may be late, and the field may show another pick by then.

    @on(Input.Changed, "#headline")
    def headline_changed(self, event: Input.Changed) -> None:
        self.edit_field("headline", event.input.value)

    @on(TextArea.Changed, "#annotation")
    def annotation_changed(self, event: TextArea.Changed) -> None:
        self.edit_field("annotation", event.text_area.text)

    @on(Input.Changed, "#link")
    def link_changed(self, event: Input.Changed) -> None:
        value = event.input.value.strip()
        self.show_link_problem(value)
        self.edit_field("read_more", value)

    def edit_field(self, name: str, value: str) -> None:
        if self.editing is None or self.editing >= len(self.session.issue.developments):
            return
        if self.session.issue.developments[self.editing] is not self._shown:
            return
        self.session.set_field(self.editing, name, value)
        self.after_change(refresh_list=False)

    def after_change(self, *, refresh_list: bool = True) -> None:
        """Every change: update what shows it, and schedule the autosave and preview."""
        if refresh_list:
            listing = self.main.query_one(CandidateList)
            listing.set_picked(self.session.picked_ids())
            self.show_item(CandidateList.Highlighted(listing.current))
        self.refresh_issue_views()
        self.schedule_save()
        self.schedule_preview()

    # Saving ------------------------------------------------------------------

    def schedule_save(self) -> None:
        """Save a second after the last change, and never later than two seconds after the
        first unsaved one: steady typing is saved too."""
        self.conflict_deferred = False
        now = time.monotonic()
        if self._unsaved_since is None:
            self._unsaved_since = now
        self._save_due = min(now + AUTOSAVE_SECONDS, self._unsaved_since + AUTOSAVE_LIMIT)
        self.save_state = "unsaved"
        self.refresh_status()
        if self._save_timer is None:
            self._save_timer = self.status_line.set_timer(max(0.01, self._save_due - now), self.save_when_due)

    def save_when_due(self) -> None:
        self._save_timer = None
        wait = self._save_due - time.monotonic()
        if wait > 0.01:  # typed since the timer was set
            self._save_timer = self.status_line.set_timer(wait, self.save_when_due)
        else:
            self.autosave()

    def autosave(self, *, force: bool = False) -> bool:
        """Save now. The file is tiny and the write atomic, so it runs here, in order."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        self.sync_editor()
        try:
            self.session.save(force=force)
        except IssueChangedOnDisk:
            self.ask_about_conflict()
            return False
        except (OSError, NewsdeskError) as error:
            self.save_state = "NOT SAVED"
            reason = error.strerror if isinstance(error, OSError) else error.message
            self.notify(f"Cannot save {self.display_path}: {reason}", severity="error", timeout=10)
            self.refresh_status()
            return False
        self._unsaved_since = None
        self.save_state = "saved"
        self.refresh_status()
        return True

    def check_disk(self) -> None:
        """Notice edits made in another editor; never overwrite them silently."""
        self.sync_editor()  # keys on their way count as unsaved changes
        if self.conflict_open or self.conflict_deferred or not self.session.changed_on_disk():
            return
        if not self.session.path.exists():
            self.session.dirty = True
            if self.autosave(force=True):
                self.notify(f"{self.display_path} was deleted outside the desk: written again.", severity="warning")
            return
        if self.session.dirty:
            self.ask_about_conflict()
        else:
            self.reload_issue("The issue file changed on disk: reloaded.")

    def reload_issue(self, note: str) -> None:
        try:
            self.session.reload()
        except NewsdeskError as error:
            self.notify(error.message, title="Cannot reload the issue file", severity="error", timeout=10)
            return
        self._shown = None  # the fields hold the old file's text: never synced into the new one
        self.notify(note)
        self.after_change(refresh_list=True)
        self._unsaved_since = None
        self.save_state = "saved"
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        self.show_editor(self.editing, reload=True)
        self.refresh_status()

    def ask_about_conflict(self) -> None:
        if self.conflict_open:
            return
        self.conflict_open = True
        self.save_state = "NOT SAVED: file changed on disk"
        self.refresh_status()

        def decided(choice: str | None) -> None:
            self.conflict_open = False
            if choice == "reload":
                self.reload_issue("Reloaded the file from disk.")
            elif choice == "later":
                self.conflict_deferred = True
            elif choice == "overwrite" and self.autosave(force=True):
                self.notify("Saved the desk's version over the file.")

        self.push_screen(ConflictScreen(self.display_path), decided)

    def action_quit_desk(self) -> None:
        self.sync_editor()
        if self.session.dirty and not self.autosave():
            return  # the conflict screen asks first
        self.exit()

    # Preview and render ---------------------------------------------------------

    def schedule_preview(self) -> None:
        now = time.monotonic()
        self._preview_due = now + PREVIEW_SECONDS
        if self._preview_timer is None:
            self._preview_timer = self.preview_text.set_timer(PREVIEW_SECONDS, self.preview_when_due)

    def preview_when_due(self) -> None:
        self._preview_timer = None
        wait = self._preview_due - time.monotonic()
        if wait > 0.01:
            self._preview_timer = self.preview_text.set_timer(wait, self.preview_when_due)
        else:
            self.refresh_preview()

    def refresh_preview(self) -> None:
        try:
            text = Text(self.renderer.email_text(self.session.issue))
        except NewsdeskError as error:
            text = Text(error.message, style="red")
        self.main.query_one("#issue-preview", Static).update(text)

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "preview":
            self.refresh_preview()
        elif event.pane.id == "issue":
            self.refresh_issue_views()

    def action_render(self) -> None:
        self.sync_editor()
        if self.session.dirty:
            self.autosave()
        self.notify("Rendering…")
        self.render_worker(copy.deepcopy(self.session.issue))

    @work(thread=True, exclusive=True, group="render", exit_on_error=False)
    def render_worker(self, issue) -> None:
        try:
            out = self.room.root / "build" / issue.name
            rendered = Renderer(self.room).render_all(issue, out)
        except NewsdeskError as error:
            self.post_message(RenderFailed(error.message))
            return
        self.post_message(RenderFinished(rendered))

    @on(RenderFinished)
    def render_finished(self, message: RenderFinished) -> None:
        rendered = message.rendered
        try:
            where = rendered.out_dir.relative_to(self.room.root)
        except ValueError:
            where = rendered.out_dir
        note = f"Wrote {len(rendered.files)} files to {where}/: " + ", ".join(
            str(p.relative_to(rendered.out_dir)) for p in rendered.files
        )
        if rendered.warnings:
            note += "\nWarnings: " + "; ".join(rendered.warnings)
        self.notify(note, title="Rendered", severity="warning" if rendered.warnings else "information", timeout=12)

    @on(RenderFailed)
    def render_failed(self, message: RenderFailed) -> None:
        self.notify(message.error, title="Render failed", severity="error", timeout=12)

    # Fetching ----------------------------------------------------------------

    def action_fetch(self) -> None:
        if self.fetching is not None:
            self.notify("A fetch is already running.")
            return
        total = len(self.room.config.enabled_sources)
        if not total:
            self.notify("sources.toml has no enabled sources.", severity="warning")
            return
        self.fetching = f"fetching 0/{total}"
        self.refresh_status()
        self.fetch_worker(total)

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False)
    def fetch_worker(self, total: int) -> None:
        done = 0

        def progressed(result: FeedResult) -> None:
            nonlocal done
            done += 1
            self.post_message(FetchProgressed(result, done, total))

        try:
            report = run_fetch(self.room, on_result=progressed)
        except NewsdeskError as error:
            self.post_message(FetchFailed(error.message))
            return
        except Exception as error:  # the desk must survive anything a fetch throws
            self.post_message(FetchFailed(f"{type(error).__name__}: {error}"))
            return
        self.post_message(FetchFinished(report))

    @on(FetchProgressed)
    def fetch_progressed(self, message: FetchProgressed) -> None:
        self.fetching = f"fetching {message.done}/{message.total}: {message.result.source}"
        self.refresh_status()

    @on(FetchFinished)
    def fetch_finished(self, message: FetchFinished) -> None:
        report = message.report
        self.fetching = None
        self.last_report, self.last_fetch_error = report, None
        new = sum(r.new for r in report.results)
        failed = len(report.failed)
        note = f"{new} new items from {len(report.results) - failed} sources"
        if failed:
            note += f"; {failed} failed (press r for the report)"
        self.notify(note, title="Fetch finished", severity="warning" if failed else "information")
        self.refresh_status()
        self.load_items()

    @on(FetchFailed)
    def fetch_failed(self, message: FetchFailed) -> None:
        self.fetching = None
        self.last_fetch_error = message.error
        self.notify(message.error, title="Fetch failed", severity="error", timeout=10)
        self.refresh_status()

    def action_report(self) -> None:
        self.push_screen(ReportScreen(self.last_report, self.last_fetch_error))

    # Filters and navigation -------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.main.query_one(TabbedContent).active = "candidates"
        self.focus_now(self.main.query_one("#filter", Input))

    def action_cycle_source(self) -> None:
        names = [None, *(s.name for s in self.room.config.sources)]
        self.source_filter = names[(names.index(self.source_filter) + 1) % len(names)]
        self.notify(f"Source: {self.source_filter or 'all'}")
        self.apply_filter()

    def action_cycle_tag(self) -> None:
        tags = [None, *sorted(self.session.tags())]
        self.tag_filter = tags[(tags.index(self.tag_filter) + 1) % len(tags)]
        self.notify(f"Tag: {self.tag_filter or 'all'}")
        self.apply_filter()

    def action_toggle_week(self) -> None:
        self.whole_store = not self.whole_store
        self.notify(
            "Showing all stored items" if self.whole_store else f"Showing the week of {self.session.week_label}"
        )
        self.refresh_list_status()
        self.load_items()

    def action_toggle_sort(self) -> None:
        self.sort = "date" if self.sort == "score" else "score"
        key = sort_key(self.sort)
        if self.ranked:
            self.all_stories.sort(key=lambda entry: key(entry.story))
            self._flat = None
        self.notify(
            "Sorted by score: the preview shows the matched terms"
            if self.sort == "score"
            else "Sorted by date, newest first"
        )
        self.apply_filter(keep=False)

    def action_article(self) -> None:
        item = self.main.query_one(CandidateList).current
        if item is None or not item.url:
            self.notify("This item has no link to fetch.", severity="warning")
            return
        self.fetch_article(item.url)

    def fetch_article(self, url: str, fill: int | None = None) -> None:
        known = self.articles.get(url)
        if known is not None and (known.ok or fill is None):
            self.post_message(ArticleLoaded(url, known, fill))
            return
        self.articles[url] = None
        self.refresh_item_preview()
        self.article_worker(url, fill)

    @work(thread=True, group="article", exit_on_error=False)
    def article_worker(self, url: str, fill: int | None) -> None:
        try:
            article = self.session.article(url)
        except Exception as error:  # the desk survives any page
            article = Article(url, "failed", message=f"{type(error).__name__}: {error}")
        self.post_message(ArticleLoaded(url, article, fill))

    @on(ArticleLoaded)
    def article_loaded(self, message: ArticleLoaded) -> None:
        self.articles[message.url] = message.article
        self.refresh_item_preview()
        if message.fill is not None:
            self.fill_annotation(message.fill, message.article)
        elif not message.article.ok:
            self.notify(message.article.message, title="No article", severity="warning")

    def refresh_item_preview(self) -> None:
        listing = self.main.query_one(CandidateList)
        self.main.query_one("#item-body", Static).update(self.item_text(listing.current, listing.current_story))

    def action_lead_annotation(self) -> None:
        """Start the empty annotation of a pick with its article's lead paragraph."""
        if self.main.query_one(TabbedContent).active == "issue":
            index = self.editing
        else:
            listing = self.main.query_one(CandidateList)
            index = self.session.pick_of(listing.story_items(listing.cursor)) if listing.current else None
        if index is None or index >= len(self.session.issue.developments):
            self.notify("Pick the story first (space), then press A.", severity="warning")
            return
        development = self.session.issue.developments[index]
        if development.annotation.strip():
            self.notify(f"Pick {index + 1} already has an annotation; it was left as it is.", severity="warning")
            return
        if not development.read_more:
            self.notify(f"Pick {index + 1} has no read-more link to fetch.", severity="warning")
            return
        self.notify(f"Fetching the article for pick {index + 1}…")
        self.fetch_article(development.read_more, fill=index)

    def fill_annotation(self, index: int, article: Article) -> None:
        if not article.ok:
            self.notify(f"No lead paragraph for pick {index + 1}: {article.message}", severity="warning")
            return
        if index >= len(self.session.issue.developments):
            return
        self.sync_editor()  # an annotation typed meanwhile is not empty
        if self.session.set_annotation_if_empty(index, article.lead):
            self.notify(f"Pick {index + 1}'s annotation now starts with the article's lead paragraph: make it yours.")
            development = self.session.issue.developments[index]
            if development is self._shown:
                # An edit of the field, not a reload: ctrl+z takes the paragraph back out.
                annotation = self.main.query_one("#annotation", TextArea)
                annotation.replace(development.annotation, annotation.document.start, annotation.document.end)
            self.after_change(refresh_list=False)
        else:
            self.notify(f"Pick {index + 1} already has an annotation; it was left as it is.", severity="warning")

    def action_open_link(self) -> None:
        item = self.main.query_one(CandidateList).current
        if item is None or not item.url:
            self.notify("This item has no link.", severity="warning")
            return
        self.find_browser(item.url)

    @work(thread=True, exclusive=True, group="browser")
    def find_browser(self, url: str) -> None:
        """The first lookup of a browser probes the system for every browser it knows
        (and may run xdg-settings): in a thread, so the desk never stalls on it."""
        try:
            browser: webbrowser.BaseBrowser | None = webbrowser.get()
        except webbrowser.Error:
            browser = None
        self.call_from_thread(self.open_in, browser, url)

    def open_in(self, browser: webbrowser.BaseBrowser | None, url: str) -> None:
        if browser is None:
            self.notify(f"No browser found here. The link: {url}", severity="warning", timeout=15)
            return
        if isinstance(browser, webbrowser.GenericBrowser) and not isinstance(browser, webbrowser.BackgroundBrowser):
            with self.suspend():  # a terminal browser needs the terminal
                browser.open(url)
        else:
            self.open_url(url)
        self.notify(f"Opened {url}")

    def action_show_tab(self, tab: str) -> None:
        self.main.query_one(TabbedContent).active = tab
        if tab == "candidates":
            self.focus_now(self.main.query_one(CandidateList))
        elif tab == "issue":
            self.focus_now(self.main.query_one(PicksList))
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

    @property
    def display_path(self) -> str:
        """The issue file as the editor knows it: relative to the newsroom."""
        try:
            return str(self.session.path.relative_to(self.room.root))
        except ValueError:
            return str(self.session.path)

    # Status and commands -------------------------------------------------------

    def refresh_status(self) -> None:
        parts = [self.session.picked_label()]
        missing = self.session.missing()
        if missing:
            parts.append(f"{len(missing)} to do")
        parts.append(self.save_state)
        if self.fetching:
            parts.append(self.fetching)
        line = " · ".join(parts)
        if line == self._shown_status:
            return
        self._shown_status = line
        status = self.main.query_one("#status", Static)
        status.update(line, layout=False)  # one line, always
        status.set_class(self.save_state.startswith("NOT"), "-error")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Candidates", "Show the week's candidate items (c)", lambda: self.action_show_tab("candidates")),
            ("Issue", "Edit the intro, picks and annotations (e)", lambda: self.action_show_tab("issue")),
            ("Preview", "The issue as subscribers will read it (v)", lambda: self.action_show_tab("preview")),
            ("Pick or unpick", "Pick the selected candidate, or unpick it (space)", self.action_toggle_pick),
            ("Open link", "Open the selected candidate's link in the browser (o)", self.action_open_link),
            ("Filter", "Filter candidates as you type (/)", self.action_focus_filter),
            ("Source filter", "Cycle through the sources (s)", self.action_cycle_source),
            ("Tag filter", "Cycle through the tags (t)", self.action_cycle_tag),
            ("Week or all", "Include items outside the week window (w)", self.action_toggle_week),
            (
                "Sort by score or date",
                "Rank stories by topics and sources, or list them newest first (S)",
                self.action_toggle_sort,
            ),
            ("Read the article", "Fetch the selected story's full article into the preview (a)", self.action_article),
            (
                "Lead as annotation",
                "Start the pick's empty annotation with the article's lead paragraph (A)",
                self.action_lead_annotation,
            ),
            ("Move pick up", "Move the selected pick up (K)", lambda: self.action_move_pick(-1)),
            ("Move pick down", "Move the selected pick down (J)", lambda: self.action_move_pick(1)),
            ("Unpick", "Remove the selected pick from the issue (x)", self.action_unpick),
            ("Undo", "Take back the last pick, unpick, replacement or move (u)", self.action_undo_picks),
            ("Redo", "Do again what undo took back (U)", self.action_redo_picks),
            ("Fetch", "Fetch every source in the background (f)", self.action_fetch),
            ("Fetch report", "The last fetch, source by source (r)", self.action_report),
            ("Render", "Render the email, post and archive (R)", self.action_render),
            ("Save", "Save the issue now (it also saves by itself)", self.autosave),
            ("Help", "Every key of the desk (?)", self.action_help),
            ("Save and quit", "Save the issue and leave the desk (q)", self.action_quit_desk),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)
