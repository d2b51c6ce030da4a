"""Every key of the desk, once: the bindings, the footer, the help screen, the command palette
and the README's key table are all made from KEYS.

`python -m newsdesk.tui.keys` prints the README's table (tests/desk/test_keys.py checks that
the README holds it as printed).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

# Where a key works: its section in the help screen and the README, in this order.
SECTIONS = {
    "desk": "Anywhere",
    "list": "Candidates",
    "candidates": "Candidates",
    "picks": "Issue",
    "issues": "Issues",
    "field": "In a text field",
}


@dataclass(frozen=True)
class Key:
    keys: str  # Textual's key names, comma-separated, the first shown in the footer; "": the palette only
    action: str | None  # the action it runs; None: a key Textual or the widget handles itself
    title: str  # its name in the footer and the command palette
    help: str  # what it does: the help screen, the palette's line and the README
    where: str = "desk"  # a SECTIONS key: the widget (or pane) that binds it
    footer: bool = False
    palette: bool = True  # offered in the command palette (only bound keys are)
    id: str = ""  # the binding's id, for keymaps
    short: str = ""  # a shorter name for the footer
    # Checked before the key goes to the focused widget: a key that moves the focus must,
    # or the keys typed right after it are already on their way to the old field.
    priority: bool = False

    @property
    def label(self) -> str:
        """The keys as the editor types them: ``space / p``."""
        return " / ".join(_NAMES.get(key, key) for key in self.keys.split(","))


_NAMES = {"question_mark": "?", "slash": "/", "plus": "+", "minus": "-"}

# A table, one key a line.
# fmt: off
KEYS: tuple[Key, ...] = (
    # Anywhere.
    Key("c", "show_tab('candidates')", "Candidates", "Candidates: the week's items", id="candidates"),
    Key("e", "show_tab('issue')", "Issue", "Issue: the intro, picks and annotations", footer=True, id="issue"),
    Key("v", "show_tab('preview')", "Preview", "Preview: the issue as subscribers read it", id="preview"),
    Key("i", "show_tab('issues')", "Issues", "Issues: every issue of the newsroom and where it stands", id="issues"),
    Key("f", "fetch", "Fetch", "Fetch every source now, in the background", footer=True, id="fetch"),
    Key("r", "report", "Fetch report", "The last fetch's report, source by source (this desk's or `newsdesk fetch`'s)", id="report"),
    Key("n", "load_new", "New items", "List the new items a `newsdesk fetch` in another terminal brought", id="new-items"),
    Key("R", "render", "Render", "Render every output (email, post, archive) to build/", footer=True, id="render"),
    Key("question_mark,f1", "help", "Help", "This help: every key", footer=True, id="help"),
    Key("ctrl+p", None, "Command palette", "Command palette: every action by name", palette=False),
    Key("u,ctrl+z", "undo_picks", "Undo", "Undo the last pick, unpick, replacement or move", footer=True, id="undo"),
    Key("U,ctrl+y", "redo_picks", "Redo", "Redo what undo took back", id="redo"),
    Key("tab", "focus_next", "Next field", "Go to the next field (or list); keys typed right after it go there", palette=False, priority=True),
    Key("shift+tab", "focus_previous", "Previous field", "Go back to the previous field (or list)", palette=False, priority=True),
    Key("escape", "leave_field", "Leave field", "Leave a text field (in the filter: drop the filter)", palette=False),
    Key("", "save", "Save", "Save the issue now (it also saves by itself)"),
    Key("ctrl+r", "romanize", "Romanize", "In the annotation: the selected Chinese as 汉字 Pinyin (nothing selected: the pick's title)", id="romanize"),
    Key("T,ctrl+t", "add_term", "Add to glossary", "Add a term and its English to glossary.toml (the selected Chinese filled in)", id="add-term"),
    Key("q", "quit_desk", "Save and quit", "Save and quit", footer=True, id="quit", short="Quit"),
    # The candidate list.
    Key("up,k", None, "Up", "Move up; the preview shows the story and why it scored", "list", palette=False),
    Key("down,j", None, "Down", "Move down", "list", palette=False),
    Key("pageup,pagedown,home,end", None, "Page", "Move a page, to the first, to the last", "list", palette=False),
    Key("enter", None, "Pick and edit", "Pick the story (choosing its source if several) and edit it", "list", palette=False),
    # The candidates pane (the list and its filter).
    Key("space,p", "toggle_pick", "Pick or unpick", "Pick or unpick the story (the link goes to the source shown)", "candidates", footer=True, id="pick", short="Pick"),
    Key("o", "open_link", "Open link", "Open the item's link in the browser", "candidates", footer=True, id="open", short="Open"),
    Key("slash", "focus_filter", "Filter", "Filter as you type (title, summary, source); enter keeps it, escape drops it", "candidates", footer=True, id="filter"),
    Key("s", "cycle_source", "Source filter", "Cycle the source filter", "candidates", footer=True, id="source", short="Source"),
    Key("t", "cycle_tag", "Tag filter", "Cycle the tag filter", "candidates", id="tag"),
    Key("w", "toggle_week", "Week or all", "Include items outside the week, or not", "candidates", id="week"),
    Key("S", "toggle_sort", "Sort by score or date", "Sort by score or by date (the preview says why a story scored)", "candidates", id="sort"),
    Key("a", "article", "Read the article", "Fetch the full article and read it in the preview", "candidates", id="article"),
    Key("A", "lead_annotation", "Lead as annotation", "Start the pick's empty annotation with the article's lead paragraph", "candidates", id="lead"),
    Key("D", "draft_translation", "Draft translation", "A machine-translated English draft of the story's title and lead (the engine in sources.toml)", "candidates", id="draft"),
    Key("plus", "add_page", "Add a page", "Add a page from outside the feeds as a candidate (its title, date and text read from it)", "candidates", id="add-page"),
    Key("P", "romanize_title", "Pinyin into annotation", "The story's title as 汉字 Pinyin at the end of its pick's annotation", "candidates", id="romanize-title"),
    # The issue pane's list of picks.
    Key("up,down", None, "Choose", "Choose the intro or a pick", "picks", palette=False),
    Key("enter", None, "Edit", "Edit it (tab goes on to the next field)", "picks", palette=False),
    Key("K,shift+up", "move_pick(-1)", "Move pick up", "Move the pick up", "picks", footer=True, id="move-up", short="Move up"),
    Key("J,shift+down", "move_pick(1)", "Move pick down", "Move the pick down", "picks", footer=True, id="move-down", short="Move down"),
    Key("x,delete", "unpick", "Unpick", "Unpick it", "picks", footer=True, id="unpick"),
    Key("A", "lead_annotation", "Lead as annotation", "Start its empty annotation with the article's lead paragraph", "picks", footer=True, palette=False, id="pick-lead"),
    # The Issues tab's list.
    Key("enter", None, "Open issue", "Open the issue in the desk", "issues", palette=False),
    Key("b", "open_output('email.html')", "Open the email", "Render the issue and open its email in the browser", "issues", footer=True, id="open-email", short="Email"),
    Key("B", "open_output('post.html')", "Open the post", "Render the issue and open its blog post in the browser", "issues", footer=True, id="open-post", short="Post"),
    Key("C", "check_issue", "Check", "Run the pre-send checks on the issue (its links too)", "issues", footer=True, id="check"),
    Key("M", "test_send", "Test send", "Send one test copy to your own address (reply_to or sender_email), after a confirmation", "issues", footer=True, id="test-send"),
    Key("P", "publish_issue", "Publish", "Publish the issue to every blog target, after a confirmation", "issues", footer=True, id="publish"),
    # Text fields.
    Key("ctrl+z", "undo", "Undo typing", "Undo the typing (a word at a time in the headline and link)", "field", palette=False),
    Key("ctrl+y,ctrl+shift+z", "redo", "Redo typing", "Redo it", "field", palette=False),
)
# fmt: on


def bindings(where: str) -> list[BindingType]:
    """The bindings of one widget. A pane's keys run the app's actions."""
    prefix = "" if where in ("desk", "field") else "app."
    return [
        Binding(
            key.keys,
            prefix + key.action,
            key.short or key.title,
            show=key.footer,
            id=key.id or None,
            priority=key.priority,
        )
        for key in KEYS
        if key.where == where and key.keys and key.action is not None
    ]


def sections() -> list[tuple[str, list[Key]]]:
    """The keys by section, for the help screen and the README."""
    grouped: dict[str, list[Key]] = {}
    for key in KEYS:
        if key.keys:
            grouped.setdefault(SECTIONS[key.where], []).append(key)
    return list(grouped.items())


def palette() -> list[Key]:
    """The actions the command palette offers, once each."""
    seen: set[str] = set()
    offered = []
    for key in KEYS:
        if key.palette and key.action is not None and key.action not in seen:
            seen.add(key.action)
            offered.append(key)
    return offered


def markdown() -> str:
    """The README's key table."""
    lines = ["| where | key | what it does |", "|---|---|---|"]
    for section, keys in sections():
        for key in keys:
            label = key.label.replace("|", "\\|")
            lines.append(f"| {section} | `{label}` | {key.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
