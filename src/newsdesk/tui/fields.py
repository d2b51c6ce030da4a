"""The desk's text fields, with undo and redo in every one of them.

Textual's TextArea keeps an edit history (ctrl+z, ctrl+y); its Input keeps none, so the
one-line fields (headline, link) keep their own here. Both also take ctrl+shift+z for redo,
where the terminal can tell it from ctrl+z.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.widgets import Input, TextArea

from newsdesk.tui import keys

UNDO_STEPS = 200  # per field; a step is a word typed, a run of deletions, or a paste


class UndoableInput(Input):
    """An Input with undo and redo. Typing is undone a word at a time, a run of deletions
    at once, anything else (a paste, a cut) step by step."""

    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("field")]

    def __init__(self, *args, **kwargs) -> None:
        # Before Input's own __init__, which may set the value.
        self._undo: list[tuple[str, int]] = []  # (value, cursor) before each step
        self._redo: list[tuple[str, int]] = []
        self._last_kind: str | None = None  # what the last change was, to merge a run of them
        self._restoring = False
        super().__init__(*args, **kwargs)

    def load(self, value: str) -> None:
        """Show ``value`` as a new text: nothing to undo."""
        self._restoring = True
        try:
            self.value = value
        finally:
            self._restoring = False
        self._undo.clear()
        self._redo.clear()
        self._last_kind = None

    def watch_value(self, old: str, new: str) -> None:
        if self._restoring or old == new:
            return
        # Called before the cursor moves on: it is still where the change was made.
        kind = _kind_of(old, new)
        if kind == "replace" or self._last_kind not in _CONTINUES[kind]:
            self._undo.append((old, self.cursor_position))
            del self._undo[:-UNDO_STEPS]
        self._last_kind = kind
        self._redo.clear()

    def action_undo(self) -> None:
        self._step(self._undo, self._redo)

    def action_redo(self) -> None:
        self._step(self._redo, self._undo)

    def _step(self, source: list[tuple[str, int]], target: list[tuple[str, int]]) -> None:
        if not source:
            return
        value, cursor = source.pop()
        target.append((self.value, self.cursor_position))
        self._restoring = True
        try:
            self.value = value  # posts Changed: the desk takes the text as if typed
        finally:
            self._restoring = False
        self.cursor_position = min(cursor, len(value))
        self._last_kind = None


# Which change a change of each kind continues (in one undo step): a word and the spaces
# after it are one step, a run of deletions is another.
# A key typed over a selection ("replace") starts a word.
_CONTINUES = {"word": ("word", "replace"), "space": ("word", "replace", "space"), "delete": ("delete",)}


def _kind_of(old: str, new: str) -> str:
    """ "word" for one letter (or any non-space) typed, "space" for one space typed,
    "delete" for one character deleted; "replace" for anything else (a paste, a cut, a key
    typed over a selection)."""
    if len(new) == len(old) + 1:
        added = next((new[i] for i in range(len(old)) if new[i] != old[i]), new[-1])
        return "space" if added.isspace() else "word"
    if len(new) == len(old) - 1:
        return "delete"
    return "replace"


class EditorArea(TextArea):
    """A TextArea (its own undo history) with the keys of the desk's other fields, ctrl+shift+z too."""

    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("field")]
