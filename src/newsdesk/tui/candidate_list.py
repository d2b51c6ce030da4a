"""A virtual list of candidates: renders only the visible lines, so 10,000 items filter fast."""

from __future__ import annotations

from datetime import tzinfo

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from newsdesk.curation.ranking import RankedStory
from newsdesk.curation.session import StoryRow
from newsdesk.items import Item

SOURCE_WIDTH = 22
DATE_WIDTH = 6  # "30 Jun"


class CandidateList(ScrollView, can_focus=True):
    """The week's stories: marker, date, source (and how many others report it) and title,
    one line each (CJK-aware). ✓ marks a picked story, • one an earlier issue featured."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
    ]
    COMPONENT_CLASSES = {
        "candidate-list--cursor",
        "candidate-list--picked",
        "candidate-list--meta",
        "candidate-list--empty",
        "candidate-list--featured",
    }
    DEFAULT_CSS = """
    CandidateList { background: $surface; }
    CandidateList > .candidate-list--cursor { background: $accent 40%; text-style: bold; }
    CandidateList:focus > .candidate-list--cursor { background: $accent; color: $text; }
    CandidateList > .candidate-list--picked { color: $success; text-style: bold; }
    CandidateList > .candidate-list--meta { color: $text-muted; }
    CandidateList > .candidate-list--empty { color: $text-muted; text-style: italic; }
    CandidateList > .candidate-list--featured { color: $text-disabled; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, item: Item | None) -> None:
            super().__init__()
            self.item = item

    class Chosen(Message):
        """Enter on an item."""

        def __init__(self, item: Item) -> None:
            super().__init__()
            self.item = item

    def __init__(self, zone: tzinfo, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.zone = zone
        self.items: list[Item] = []
        self.rows: list[StoryRow] | None = None  # None: every item is a story of its own
        self.picked: set[str] = set()
        self.empty_text = "Loading candidates…"

    # Data ------------------------------------------------------------------

    def set_rows(self, rows: list[StoryRow], picked: set[str], *, keep: Item | None = None) -> None:
        """Show stories; the cursor stays on the story holding ``keep`` when it is still listed."""
        self._show([row.item for row in rows], rows, picked, keep)

    def _show(self, items: list[Item], rows: list[StoryRow] | None, picked: set[str], keep: Item | None) -> None:
        self.items = items
        self.rows = rows
        self.picked = picked
        self.virtual_size = Size(self.size.width, len(items))
        index = 0
        if keep is not None:
            wanted = keep.id
            index = next((i for i, item in enumerate(items) if item.id == wanted), -1)
            if index < 0 and rows is not None:  # shown now by another of its story's items
                index = next(
                    (
                        i
                        for i, row in enumerate(rows)
                        if len(row.story.cluster) > 1 and any(member.id == wanted for member in row.story.cluster.items)
                    ),
                    0,
                )
            index = max(index, 0)
        self.cursor = index
        self.refresh()

    def set_picked(self, picked: set[str]) -> None:
        self.picked = picked
        self.refresh()

    @property
    def current(self) -> Item | None:
        return self.items[self.cursor] if 0 <= self.cursor < len(self.items) else None

    @property
    def current_story(self) -> RankedStory | None:
        if self.rows is None or not 0 <= self.cursor < len(self.rows):
            return None
        return self.rows[self.cursor].story

    def story_items(self, index: int) -> list[Item]:
        """The items of the story on line ``index`` (the shown one first)."""
        item = self.items[index]
        if self.rows is None:
            return [item]
        return [item, *(other for other in self.rows[index].story.cluster if other.id != item.id)]

    # Cursor ----------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_region_of(new)
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.items) - 1)) if self.items else 0

    def scroll_to_region_of(self, index: int) -> None:
        top = self.scroll_offset.y
        height = max(1, self.scrollable_content_region.height)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        self.cursor += step

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.scrollable_content_region.height - 1)

    def action_jump(self, index: int) -> None:
        self.cursor = len(self.items) - 1 if index < 0 else index

    def key_enter(self) -> None:
        if self.current is not None:
            self.post_message(self.Chosen(self.current))

    def on_click(self, event: events.Click) -> None:
        index = event.y + self.scroll_offset.y
        if 0 <= index < len(self.items):
            self.cursor = index

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, len(self.items))

    # Rendering -------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = self.scroll_offset.y + y
        if not self.items:
            if y == 0:
                style = self.get_component_rich_style("candidate-list--empty")
                return Strip([Segment(set_cell_size(f" {self.empty_text}", width), style)])
            return Strip.blank(width, self.rich_style)
        if index >= len(self.items):
            return Strip.blank(width, self.rich_style)
        item = self.items[index]
        story = self.rows[index].story if self.rows is not None else None
        members = story.cluster.items if story is not None else (item,)
        picked = any(member.id in self.picked for member in members)
        featured = story is not None and story.featured is not None
        base = self.rich_style
        if index == self.cursor:
            base = base + self.get_component_rich_style("candidate-list--cursor")
        meta = base + self.get_component_rich_style("candidate-list--meta", partial=True)
        marker_style = base + self.get_component_rich_style("candidate-list--picked", partial=True) if picked else meta
        title_style = (
            base + self.get_component_rich_style("candidate-list--featured", partial=True) if featured else base
        )
        day = item.when.astimezone(self.zone).strftime("%d %b")
        others = len(story.cluster.sources) - 1 if story is not None else 0
        source = _source_cell(item.source, others)
        title_width = max(0, width - (2 + DATE_WIDTH + 1 + SOURCE_WIDTH + 1))
        title = (
            item.title
            if cell_len(item.title) <= title_width
            else (set_cell_size(item.title, max(0, title_width - 1)).rstrip() + "…")
        )
        segments = [
            Segment("✓ " if picked else ("• " if featured else "  "), marker_style),
            Segment(f"{day} ", meta),
            Segment(f"{source} ", meta),
            Segment(set_cell_size(title, title_width), title_style),
        ]
        return Strip(segments).adjust_cell_length(width, base)


def _source_cell(source: str, others: int) -> str:
    """The source in its column, with "+N" for the other sources reporting the story."""
    if not others:
        name = source if cell_len(source) <= SOURCE_WIDTH else set_cell_size(source, SOURCE_WIDTH - 1).rstrip() + "…"
        return set_cell_size(name, SOURCE_WIDTH)
    suffix = f" +{others}"
    room = SOURCE_WIDTH - len(suffix)
    name = source if cell_len(source) <= room else set_cell_size(source, room - 1).rstrip() + "…"
    return set_cell_size(name + suffix, SOURCE_WIDTH)
