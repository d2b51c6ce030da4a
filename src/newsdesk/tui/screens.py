"""The desk's modal screens: help (made from keys.py), choosing a story's source, replacing a pick, a changed
file, the fetch report."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from newsdesk.feeds.fetch import FetchReport
from newsdesk.issue import Development
from newsdesk.items import Item
from newsdesk.tui import keys

# What the list's marks mean, under the keys in the help screen.
LEGEND = [
    ("+2", "Two more sources report the story; enter lets you choose which one the link points to"),
    ("✓ / •", "Picked for this issue / featured in an earlier issue (listed last)"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 72; max-height: 90%; border: thick $accent; background: $panel; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("newsdesk keys", style="bold"))
            # The help as the README has it, without its Markdown code marks.
            sections = [
                (title, [(key.label, key.help.replace("`", "")) for key in rows]) for title, rows in keys.sections()
            ]
            for title, rows in [*sections, ("Stories", LEGEND)]:
                table = Table(title=title, title_justify="left", show_header=False, box=None, expand=True)
                table.add_column(width=18, style="bold")
                table.add_column()
                for label, what in rows:
                    table.add_row(label, what)
                yield Static(table)
            yield Static(Text("Changes are saved automatically. Press escape to close.", style="dim"))


class ReplaceScreen(ModalScreen[int | None]):
    """The issue is full: which pick should the new item replace?"""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ReplaceScreen { align: center middle; }
    ReplaceScreen > Vertical { width: 80; height: auto; border: thick $warning; background: $panel; padding: 1; }
    ReplaceScreen OptionList { height: auto; max-height: 12; }
    """

    def __init__(self, title: str, picks: list[Development]) -> None:
        super().__init__()
        self.new_title = title
        self.picks = picks

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"The issue is full. Replace which pick with “{self.new_title}”?")
            yield OptionList(
                *[Option(f"{n}. {d.headline}", id=str(n - 1)) for n, d in enumerate(self.picks, 1)],
                Option("Cancel: keep the picks as they are", id="cancel"),
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(None if event.option.id == "cancel" else int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)


class SourceScreen(ModalScreen[Item | None]):
    """A story several sources report: which one should the read-more link point to?"""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    SourceScreen { align: center middle; }
    SourceScreen > Vertical { width: 90; height: auto; border: thick $accent; background: $panel; padding: 1; }
    SourceScreen Label { width: 100%; margin-bottom: 1; }
    SourceScreen OptionList { height: auto; max-height: 14; }
    """

    def __init__(self, items: list[Item]) -> None:
        super().__init__()
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                f"{len(self.items)} sources report this story. Which one should “Read more” link to? "
                "The others are listed in the issue file."
            )
            yield OptionList(
                *[
                    Option(Text.assemble((item.source, "bold"), f": {item.title}"), id=str(n))
                    for n, item in enumerate(self.items)
                ],
                Option("Cancel: pick nothing", id="cancel"),
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = event.option.id
        self.dismiss(None if chosen == "cancel" else self.items[int(chosen or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConflictScreen(ModalScreen[str]):
    """The issue file changed on disk while the desk had unsaved changes."""

    BINDINGS = [Binding("escape", "choose('later')", "Decide later")]
    DEFAULT_CSS = """
    ConflictScreen { align: center middle; }
    ConflictScreen > Vertical { width: 80; height: auto; border: thick $error; background: $panel; padding: 1; }
    ConflictScreen OptionList { height: auto; }
    ConflictScreen Label, ReplaceScreen Label { width: 100%; margin-bottom: 1; }
    """

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{self.path} was changed outside the desk, and the desk has unsaved changes.")
            yield OptionList(
                Option("Reload the file from disk (drop the desk's unsaved changes)", id="reload"),
                Option("Keep the desk's version (overwrite the file)", id="overwrite"),
                Option("Decide later (autosave pauses)", id="later"),
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id or "later")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class ReportScreen(ModalScreen[None]):
    """The last fetch's report, one line per source."""

    BINDINGS = [Binding("escape,q,r", "dismiss", "Close")]
    DEFAULT_CSS = """
    ReportScreen { align: center middle; }
    ReportScreen > VerticalScroll { width: 90%; max-height: 80%; border: thick $accent; background: $panel; padding: 0 1; }
    """

    def __init__(self, report: FetchReport | None, error: str | None = None, *, when: str = "") -> None:
        super().__init__()
        self.report = report
        self.error = error
        self.when = when  # when the run ended, as the editor reads the time

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Fetch report" + (f", finished {self.when}" if self.when else ""), style="bold"))
            if self.error:
                yield Static(Text(self.error, style="bold red"))
            if self.report is None:
                if not self.error:
                    yield Static("No fetch has run in this session yet: press f to fetch.")
                return
            for result in self.report.results:
                style = "red" if result.failed else ("green" if result.new else "")
                mark = "✗" if result.failed else "✓"
                yield Static(Text(f"{mark} {result.line()}", style=style))
            new = sum(r.new for r in self.report.results)
            yield Static(
                Text(
                    f"{len(self.report.results) - len(self.report.failed)} of {len(self.report.results)} "
                    f"sources fetched, {new} new items in {self.report.seconds:.1f} s",
                    style="dim",
                )
            )


class ConfirmScreen(ModalScreen[bool]):
    """A question before something that goes out (a test copy, a publication): y or n."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 80; height: auto; border: thick $warning; background: $panel; padding: 1; }
    ConfirmScreen Label { width: 100%; margin-bottom: 1; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Label(Text("y: yes, go ahead · n or escape: no", style="dim"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
