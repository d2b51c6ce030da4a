"""The week's candidate items for an issue, as the CLI and the desk list them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size

from newsdesk.dates import Week, date_range, week_before
from newsdesk.errors import IssueFileError
from newsdesk.issue import load_issue
from newsdesk.items import Item
from newsdesk.newsroom import Newsroom

if TYPE_CHECKING:
    from newsdesk.curation.ranking import RankedStory


@dataclass
class Candidates:
    week: Week
    items: list[Item]
    picked: set[str] = field(default_factory=set)

    def heading(self) -> str:
        picked = sum(1 for item in self.items if item.id in self.picked)
        count = len(self.items)
        return f"{count} candidate{'' if count == 1 else 's'} from {date_range(self.week.start, self.week.end)}" + (
            f", {picked} picked" if picked else ""
        )

    def lines(self, source_width: int = 22) -> list[str]:
        """One aligned line per item: marker, id, local date, source, title (CJK-aware)."""
        width = min(source_width, max((cell_len(i.source) for i in self.items), default=0))
        out = []
        for item in self.items:
            marker = "*" if item.id in self.picked else " "
            day = item.when.astimezone(self.week.zone).strftime("%Y-%m-%d")
            source = set_cell_size(item.source, width)
            out.append(f"{marker} {item.id}  {day}  {source}  {item.title}")
        return out

    def story_lines(self, stories: list[RankedStory], *, explain: bool = False, source_width: int = 22) -> list[str]:
        """One line per story (its lead item, "+N" other sources); with ``explain``, why it scored."""
        width = min(source_width, max((cell_len(source_label(s)) for s in stories), default=0))
        out = []
        for story in stories:
            label = source_label(story, width)
            lead = story.lead
            picked = any(item.id in self.picked for item in story.cluster)
            marker = "*" if picked else ("•" if story.featured else " ")
            day = lead.when.astimezone(self.week.zone).strftime("%Y-%m-%d")
            score = f"{story.score.value:5.2f}"
            out.append(f"{marker} {lead.id}  {day}  {score}  {set_cell_size(label, width)}  {lead.title}")
            if explain:
                out.append(f"      score {story.score.explain()}")
                if story.featured:
                    out.append(f"      featured in the issue of {story.featured.isoformat()}")
                for item in story.cluster.items[1:]:
                    why = story.cluster.reasons.get(item.id)
                    out.append(f"      also {item.id}  {item.source}: {item.title}" + (f"  ({why})" if why else ""))
        return out


def source_label(story: RankedStory, width: int | None = None) -> str:
    """The lead's source and how many others report the story: "Credit Policy Daily +2"."""
    others = len(story.cluster.sources) - 1
    suffix = f" +{others}" if others else ""
    name = story.lead.source
    if width is not None and cell_len(name + suffix) > width:
        name = set_cell_size(name, max(0, width - len(suffix) - 1)) + "…"
    return name + suffix


def week_candidates(
    newsroom: Newsroom,
    publication: date,
    *,
    search: str | None = None,
    sources: list[str] | None = None,
) -> Candidates:
    week = week_before(publication, newsroom.config.newsroom)
    path = newsroom.issue_path(publication)
    picked: set[str] = set()
    if path.exists():
        try:
            issue = load_issue(path)
            week = Week(issue.week_start, issue.week_end, week.zone)
            picked = set(issue.item_ids())
        except IssueFileError:
            pass  # listing candidates does not need the issue; the desk reports the error
    start, end = week.bounds_utc()
    with newsroom.store() as store:
        items = store.items(start, end, search=search, sources=sources)
    return Candidates(week=week, items=items, picked=picked)
