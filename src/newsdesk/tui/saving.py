"""Saving: the autosave a second after the last key (two at most), the file watched for edits
made elsewhere (reloaded, or a question when the desk has unsaved changes), and quitting."""

from __future__ import annotations

import time

from newsdesk.curation.session import IssueChangedOnDisk
from newsdesk.errors import NewsdeskError
from newsdesk.tui.base import DeskBase
from newsdesk.tui.broken import BrokenIssueScreen
from newsdesk.tui.screens import ConflictScreen

AUTOSAVE_SECONDS = 1.0  # after the last keystroke; the promise to the editor is 2 s
AUTOSAVE_LIMIT = 1.5  # the longest a change waits, however fast the typing
DISK_CHECK_SECONDS = 1.0


class Saving(DeskBase):
    def start_watching(self) -> None:
        # The timer belongs to the status line it reports on: it ends with it, never firing
        # into a desk that is closing.
        self.status_line.set_interval(DISK_CHECK_SECONDS, self.check_disk)

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

    def action_save(self) -> None:
        self.conflict_deferred = False  # asked for: the question comes now
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
            self.toast(f"Cannot save {self.display_path}: {reason}", severity="error", timeout=10)
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
                self.toast(f"{self.display_path} was deleted outside the desk: written again.", severity="warning")
            return
        if self.session.dirty:
            self.ask_about_conflict()
        else:
            self.reload_issue("The issue file changed on disk: reloaded.")

    def reload_issue(self, note: str) -> None:
        try:
            self.session.reload()
        except NewsdeskError as error:
            self.show_broken_file(error)
            return
        self._shown = None  # the fields hold the old file's text: never synced into the new one
        self.note(note)
        self.after_change(refresh_list=True)
        self._unsaved_since = None
        self.save_state = "saved"
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        self.show_editor(self.editing, reload=True)
        self.refresh_status()

    def show_broken_file(self, error: NewsdeskError) -> None:
        """The file on disk was broken outside the desk: show where, and wait for its fix.
        Quitting the screen keeps the desk's version, unsaved, until the next change asks."""
        if self.conflict_open:
            return
        self.conflict_open = True
        self.save_state = "NOT SAVED: the file on disk is broken"
        self.refresh_status()

        def fixed(reads: bool | None) -> None:
            self.conflict_open = False
            if reads:
                self.reload_issue("Reloaded the fixed file.")
            else:
                self.conflict_deferred = True

        leave = "q goes back to the desk, its version unsaved"
        self.push_screen(BrokenIssueScreen(self.session.path, error, leave=leave, root=self.room.root), fixed)

    def ask_about_conflict(self) -> None:
        # "Decide later" holds until the next change (schedule_save ends it): an autosave
        # already due when the editor chose it must not ask again at once.
        if self.conflict_open or self.conflict_deferred:
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
                self.note("Saved the desk's version over the file.")

        self.push_screen(ConflictScreen(self.display_path), decided)

    def action_quit_desk(self) -> None:
        self.sync_editor()
        self.conflict_deferred = False  # leaving: the question comes now, whatever was deferred
        if self.session.dirty and not self.autosave():
            return  # the conflict screen asks first
        self.exit()
