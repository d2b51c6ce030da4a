"""Picking: a story into the issue (asking which source, or which pick it replaces), out of
it, moved, and all of it undone and redone."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.widgets import Input, TabbedContent

from newsdesk.items import Item
from newsdesk.tui.base import DeskBase
from newsdesk.tui.candidate_list import CandidateList
from newsdesk.tui.issue_pane import PicksList
from newsdesk.tui.screens import ReplaceScreen, SourceScreen


class Picking(DeskBase):
    def action_toggle_pick(self) -> None:
        """Pick the story under the cursor (the link goes to the item shown), or unpick it."""
        listing = self.main.query_one(CandidateList)
        if listing.current is None:
            return
        items = listing.story_items(listing.cursor)
        index = self.session.pick_of(items)
        if index is not None:
            removed = self.session.unpick(index)
            self.note(f"Unpicked: {removed.headline}")
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
            self.note(f"Picked: {item.title}{more}")
            self.after_change()
            done(len(self.session.issue.developments) - 1)
            return

        def replace(choice: int | None) -> None:
            if choice is None:
                return
            self.session.pick(item, replace=choice, also=also)
            self.keep_source(item)
            self.note(f"Replaced pick {choice + 1} with: {item.title}")
            self.after_change()
            done(choice)

        self.push_screen(ReplaceScreen(item.title, self.session.issue.developments), replace)

    def action_unpick(self) -> None:
        if self.editing is None:
            return
        self.sync_editor()
        removed = self.session.unpick(self.editing)
        self.note(f"Unpicked: {removed.headline}")
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
            self.note(nothing)
            return
        self.note(f"{done}: {what}")
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
