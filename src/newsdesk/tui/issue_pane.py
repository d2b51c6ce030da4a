"""The Issue pane: the intro and the picks on the left, each marked with what is missing, and
the fields of the one selected on the right, kept in step with the session key by key."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.widgets import ContentSwitcher, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from newsdesk.curation.session import DeskSession
from newsdesk.issue import Development, tags_from_text
from newsdesk.tui import keys
from newsdesk.tui.base import INTRO, DeskBase
from newsdesk.tui.candidate_list import CandidateList
from newsdesk.tui.fields import UndoableInput


class PicksList(OptionList):
    BINDINGS = keys.bindings("picks")


class IssuePane(DeskBase):
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
    def pick_label(number: int, development: Development) -> Text:
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
            tags = self.main.query_one("#tags", UndoableInput)
            if tags_from_text(tags.value) != self.session.issue.tags:
                with self.prevent(Input.Changed):
                    tags.load(", ".join(self.session.issue.tags))
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
            self.session.set_tags(self.main.query_one("#tags", Input).value)
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

    @on(Input.Changed, "#tags")
    def tags_changed(self, event: Input.Changed) -> None:
        self.session.set_tags(event.input.value)
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
