"""The Preview pane (the issue as the plaintext email reads, a moment after the last key) and
rendering every output in a worker."""

from __future__ import annotations

import copy
import time

from rich.text import Text
from textual import on, work
from textual.widgets import TabbedContent

from newsdesk.errors import NewsdeskError
from newsdesk.issue import Issue
from newsdesk.output.render import Renderer
from newsdesk.tui.base import DeskBase
from newsdesk.tui.messages import RenderFailed, RenderFinished

PREVIEW_SECONDS = 0.3


class Output(DeskBase):
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
        self.preview_text.update(text)

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "preview":
            self.refresh_preview()
        elif event.pane.id == "issue":
            self.refresh_issue_views()
        elif event.pane.id == "issues":
            self.refresh_issues()

    def action_render(self) -> None:
        self.sync_editor()
        if self.session.dirty:
            self.autosave()
        self.note("Rendering…")
        self.render_worker(copy.deepcopy(self.session.issue))

    @work(thread=True, exclusive=True, group="render", exit_on_error=False)
    def render_worker(self, issue: Issue) -> None:
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
        self.note(f"Rendered: {len(rendered.files)} files in {where}/")
        if rendered.warnings:
            self.toast("; ".join(rendered.warnings), title=f"Rendered to {where}/, with warnings", timeout=12)

    @on(RenderFailed)
    def render_failed(self, message: RenderFailed) -> None:
        self.toast(message.error, title="Render failed", severity="error", timeout=12)
