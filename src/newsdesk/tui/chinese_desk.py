"""The desk's help with Chinese sources: romanized terms into the annotation, the glossary
beside the item, terms added from the desk, and each pick's page kept with the issue.

``ChineseSources`` is one of the desk's jobs (see base.py): its pane (mounted into the item
preview) and its workers live here, its keys in keys.py. The
work is the core's (newsdesk.chinese, newsdesk.glossary, newsdesk.curation.saved); slow
work (the segmenter's first load, file writes, fetching a page) runs in thread workers.
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea
from textual.widgets.text_area import Selection

from newsdesk import chinese
from newsdesk.curation.articles import lead_paragraph
from newsdesk.curation.headlines import headline_from_title
from newsdesk.errors import NewsdeskError
from newsdesk.glossary import Glossary, Term, add_term, load_glossary, term_problem
from newsdesk.items import Item
from newsdesk.translate import Draft, TranslationProblem, draft_translation
from newsdesk.tui.base import DeskBase
from newsdesk.tui.candidate_list import CandidateList
from newsdesk.tui.messages import ArticleLoaded, StoriesRanked
from newsdesk.urls import is_http_url, placeholder_host


class GlossaryLoaded(Message):
    def __init__(self, glossary: Glossary | None, error: str = "") -> None:
        super().__init__()
        self.glossary = glossary
        self.error = error


class DraftDone(Message):
    def __init__(self, item_id: str, draft: Draft | None, problem: str = "") -> None:
        super().__init__()
        self.item_id = item_id
        self.draft = draft
        self.problem = problem


TRANSLATING = "translating…"


class GlossaryPane(Static):
    """The glossary's terms found in the selected item (title, summary, article), and its
    draft translation when one was asked for: hidden when there is neither."""

    DEFAULT_CSS = """
    GlossaryPane { height: auto; max-height: 16; display: none; border-bottom: solid $primary-background; }
    GlossaryPane.-found { display: block; }
    """

    def show_terms(self, terms: list[Term], draft: Draft | str | None = None) -> None:
        self.set_class(bool(terms) or draft is not None, "-found")
        text = Text()
        if terms:
            text.append(f"Glossary · {len(terms)} term{'s' * (len(terms) != 1)}\n", style="bold")
        for term in terms:
            text.append(term.zh, style="bold")
            text.append(f"  {term.en}")
            if term.also:
                text.append(f"  (not: {', '.join(term.also)})", style="dim")
            text.append("\n")
        if isinstance(draft, Draft):
            text.append(f"{draft.label}\n", style="bold yellow")
            text.append(draft.title + "\n", style="italic")
            if draft.text:
                text.append(draft.text + "\n", style="italic")
        elif draft == TRANSLATING:
            text.append("Draft translation: asking the engine…\n", style="dim italic")
        elif draft:
            text.append(f"No draft translation: {draft}\n", style="yellow")
        self.update(text)


class PageScreen(ModalScreen[str | None]):
    """A page found outside the feeds, to make a candidate of: its address."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PageScreen { align: center middle; }
    PageScreen > Vertical { width: 80; height: auto; border: thick $accent; background: $panel; padding: 1; }
    PageScreen #page-problem { color: $warning; height: 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Add a page as a candidate: its title, date and text are read from it")
            yield Input(placeholder="https://…", id="page-url")
            yield Static(id="page-problem")
            yield Static(Text("enter adds it · escape cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#page-url", Input).focus()

    @on(Input.Submitted, "#page-url")
    def submit(self) -> None:
        url = self.query_one("#page-url", Input).value.strip()
        if not is_http_url(url):
            self.query_one("#page-problem", Static).update("The address must be an http(s) URL.")
            return
        self.dismiss(url)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TermScreen(ModalScreen[tuple[str, str] | None]):
    """A term for the glossary: the Chinese and its English."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    TermScreen { align: center middle; }
    TermScreen > Vertical { width: 72; height: auto; border: thick $accent; background: $panel; padding: 1; }
    TermScreen #term-problem { color: $text-muted; height: 1; }
    """

    def __init__(self, zh: str = "", en: str = "") -> None:
        super().__init__()
        self.zh, self.en = zh, en

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Add to the glossary (glossary.toml)", classes="field-label")
            yield Label("Chinese term")
            yield Input(self.zh, id="term-zh")
            yield Static(id="term-problem")
            yield Label("English, as the newsletter writes it")
            yield Input(self.en, id="term-en")
            yield Static(Text("enter adds it · escape cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#term-en" if self.zh else "#term-zh", Input).focus()

    @on(Input.Submitted, "#term-zh")
    def to_english(self) -> None:
        self.query_one("#term-en", Input).focus()

    @on(Input.Submitted, "#term-en")
    def submit(self) -> None:
        zh = self.query_one("#term-zh", Input).value.strip()
        en = self.query_one("#term-en", Input).value.strip()
        problem = term_problem(zh)
        if problem is not None:
            self.query_one("#term-problem", Static).update(
                Text(f"The term must be Chinese: {problem}.", style="yellow")
            )
            self.query_one("#term-zh", Input).focus()
        elif not en:
            self.query_one("#term-problem", Static).update(Text("Give its English.", style="yellow"))
        else:
            self.dismiss((zh, en))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChineseSources(DeskBase):
    """The pane and workers for working from Chinese sources (see the module's doc); the
    keys are keys.py's."""

    glossary = Glossary()
    # Draft translations by item id: a Draft, TRANSLATING, or why there is none.
    drafts: dict[str, Draft | str] = {}

    def on_mount(self) -> None:
        self.drafts = {}
        self.main.query_one("#item-preview").mount(GlossaryPane(id="item-glossary"), before=0)
        self.load_glossary()

    # The glossary beside the item --------------------------------------------

    @work(thread=True, exclusive=True, group="glossary", exit_on_error=False)
    def load_glossary(self) -> None:
        try:
            self.post_message(GlossaryLoaded(load_glossary(self.room.root)))
        except NewsdeskError as error:
            self.post_message(GlossaryLoaded(None, error.message))

    @on(GlossaryLoaded)
    def glossary_loaded(self, message: GlossaryLoaded) -> None:
        if message.glossary is None:
            self.toast(message.error, title="Glossary not read", severity="error", timeout=10)
            return
        self.glossary = message.glossary
        self.refresh_glossary()

    @on(CandidateList.Highlighted)
    def glossary_for_item(self, message: CandidateList.Highlighted) -> None:
        self.refresh_glossary(message.item)

    @on(ArticleLoaded)
    def glossary_for_article(self) -> None:
        self.refresh_glossary()

    @on(StoriesRanked)
    def warm_up_later(self) -> None:
        """The segmenter's dictionary loads once the list is up, not on the first key."""
        self.warm_up()

    @work(thread=True, exclusive=True, group="romanize", exit_on_error=False)
    def warm_up(self) -> None:
        chinese.warm_up()

    def refresh_glossary(self, item: Item | None = None) -> None:
        if item is None:
            item = self.main.query_one(CandidateList).current
        pane = self.main.query_one(GlossaryPane)
        if item is None or (not len(self.glossary) and item.id not in self.drafts):
            pane.show_terms([])
            return
        article = self.articles.get(item.url) if item.url else None
        texts = [item.title, item.summary_text, article.text if article is not None and article.ok else ""]
        pane.show_terms(self.glossary.find(*texts), self.drafts.get(item.id))

    # Romanized terms into the annotation -------------------------------------

    def _pick_title(self, index: int) -> str:
        """The title of the item pick ``index`` came from (its site name dropped), else its headline."""
        development = self.session.issue.developments[index]
        item = next((i.item for i in self.all_items if i.item.id == development.item_id), None)
        return headline_from_title(item.title, item.source) if item is not None else development.headline

    def action_romanize_title(self) -> None:
        """The selected story's title as 汉字 Pinyin, at the end of its pick's annotation."""
        listing = self.main.query_one(CandidateList)
        if listing.current is None:
            return
        index = self.session.pick_of(listing.story_items(listing.cursor))
        if index is None:
            self.toast("Pick the story first (space), then press P.", severity="warning")
            return
        title = headline_from_title(listing.current.title, listing.current.source)
        if not chinese.has_han(title):
            self.note("The title has no Chinese to romanize.")
            return
        self.romanize_into(index, title, at_end=True)

    def action_romanize(self) -> None:
        """In the annotation: the selected Chinese, or else the pick's title, as 汉字 Pinyin."""
        area = self.focused
        if not isinstance(area, TextArea) or area.id != "annotation":
            self.action_romanize_title()
            return
        index = self.editing
        if index is None:
            return
        selected = area.selected_text
        if selected and chinese.has_han(selected):
            self.romanize_into(index, selected, selection=True)
            return
        title = self._pick_title(index)
        if not chinese.has_han(title):
            self.note("Select the Chinese to romanize (the title has none).")
            return
        self.romanize_into(index, title)

    @work(thread=True, group="romanize", exit_on_error=False)
    def romanize_into(self, index: int, text: str, *, at_end: bool = False, selection: bool = False) -> None:
        romanized = chinese.annotate(text, self.room.config.romanization)
        self.call_from_thread(self.insert_romanized, index, text, romanized, at_end, selection)

    def insert_romanized(self, index: int, source: str, romanized: str, at_end: bool, selection: bool) -> None:
        if index >= len(self.session.issue.developments):
            return
        if at_end or self.editing != index:
            self.edit_pick(index)
        area = self.main.query_one("#annotation", TextArea)
        self.set_focus(area)
        if selection and area.selected_text == source:
            start, end = sorted(area.selection)
            result = area.replace(romanized, start, end)
        elif at_end:
            end = area.document.end
            gap = " " if area.text and not area.text.endswith((" ", "\n", "(")) else ""
            result = area.insert(gap + romanized, end)
        else:
            result = area.insert(romanized)
        # The cursor after what was inserted, nothing selected: the next key adds to it.
        area.selection = Selection.cursor(result.end_location)
        self.note(f"Inserted: {romanized}")

    # Draft translation -------------------------------------------------------

    def action_draft_translation(self) -> None:
        """An English draft of the selected item's title and lead, from the configured engine."""
        item = self.main.query_one(CandidateList).current
        if item is None:
            return
        settings = self.room.config.translation
        if not settings.enabled:
            self.note("Draft translations are off: no [translation] engine in sources.toml.")
            return
        if isinstance(self.drafts.get(item.id), Draft) or self.drafts.get(item.id) == TRANSLATING:
            return
        article = self.articles.get(item.url) if item.url else None
        lead = article.lead if article is not None and article.ok else lead_paragraph(item.summary_text, item.title)
        self.drafts[item.id] = TRANSLATING
        self.refresh_glossary()
        renderings = [(term.zh, term.en) for term in self.glossary.find(item.title, lead)]
        self.translate_worker(item.id, item.title, lead, renderings)

    @work(thread=True, group="translate", exit_on_error=False)
    def translate_worker(self, item_id: str, title: str, lead: str, renderings: list[tuple[str, str]]) -> None:
        try:
            draft = draft_translation(self.room.config.translation, title, lead, renderings)
        except TranslationProblem as problem:
            self.post_message(DraftDone(item_id, None, problem.message))
            return
        except Exception as error:  # the desk survives any engine
            self.post_message(DraftDone(item_id, None, f"{type(error).__name__}: {error}"))
            return
        self.post_message(DraftDone(item_id, draft))

    @on(DraftDone)
    def draft_done(self, message: DraftDone) -> None:
        if message.draft is None:
            self.drafts[message.item_id] = message.problem
            self.toast(message.problem, title="No draft translation")
        else:
            self.drafts[message.item_id] = message.draft
        self.refresh_glossary()

    # Adding a term -----------------------------------------------------------

    def action_add_term(self) -> None:
        area = self.focused
        selected = area.selected_text.strip() if isinstance(area, TextArea) else ""
        zh = selected if chinese.has_han(selected) else ""
        known = self.glossary.get(zh) if zh else None

        def added(result: tuple[str, str] | None) -> None:
            if isinstance(area, TextArea):  # back to the text with nothing selected: a key adds, not replaces
                area.selection = Selection.cursor(area.selection.end)
            if result is not None:
                self.save_term(*result)

        self.push_screen(TermScreen(zh, known.en if known else ""), added)

    @work(thread=True, group="glossary-add", exit_on_error=False)
    def save_term(self, zh: str, en: str) -> None:
        try:
            term = add_term(self.room.root, zh, en, replace=True)
        except NewsdeskError as error:
            self.call_from_thread(partial(self.toast, error.message, title="Not added", severity="error"))
            return
        self.call_from_thread(self.note, f"Glossary: {term.zh} = {term.en}")
        self.post_message(GlossaryLoaded(load_glossary(self.room.root)))

    # A page from outside the feeds --------------------------------------------

    def action_add_page(self) -> None:
        def chosen(url: str | None) -> None:
            if url is not None:
                self.note(f"Reading {url}…")
                self.add_page_worker(url)

        self.push_screen(PageScreen(), chosen)

    @work(thread=True, group="add-page", exit_on_error=False)
    def add_page_worker(self, url: str) -> None:
        from newsdesk.curation.added import add_page

        try:
            added = add_page(self.room, url)
        except NewsdeskError as error:
            self.call_from_thread(self.note, "")  # not "Reading …" any more
            self.call_from_thread(partial(self.toast, error.message, title="Page not added"))
            return
        item = added.item
        when = (
            item.published.astimezone(self.room.config.newsroom.zone).date().isoformat() if item.published else "today"
        )
        guess = {"guess": ", a guessed date", "none": ", no date on the page"}.get(added.dating, "")
        self.call_from_thread(self.note, f"Added: {item.title} ({item.source}, {when}{guess})")
        self.call_from_thread(self.load_items)

    # The pick's page kept with the issue -------------------------------------

    def keep_source(self, item: Item) -> None:
        """Save the page of a new pick under issues/<date>/sources/ (in a worker)."""
        development = next((d for d in self.session.issue.developments if d.item_id == item.id), None)
        if development is None or not is_http_url(development.read_more) or placeholder_host(development.read_more):
            return
        self.save_source_worker(development.read_more, item.id)

    @work(thread=True, group="sources", exit_on_error=False)
    def save_source_worker(self, url: str, item_id: str) -> None:
        from newsdesk.curation.saved import save_source

        try:
            saved = save_source(self.session.issue, url, self.room.config.fetch, item_id=item_id)
        except (NewsdeskError, OSError) as error:
            self.call_from_thread(self.toast, f"Page not saved: {error}")
            return
        if saved.saved:
            self.call_from_thread(self.note, f"Saved its page: sources/{saved.html}")
        else:
            self.call_from_thread(self.toast, f"Page not saved: {saved.problem}")
