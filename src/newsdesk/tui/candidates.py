"""The Candidates pane: the week's stories loaded in a worker, filtered as the editor types,
the selected one read in the preview, its link opened in the browser."""

from __future__ import annotations

import gc
import webbrowser

from rich.text import Text
from textual import on, work
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Static, TabbedContent
from textual.worker import get_current_worker

from newsdesk.curation.ranking import RankedStory, sort_key
from newsdesk.curation.session import filter_stories, flatten, unranked
from newsdesk.errors import NewsdeskError
from newsdesk.items import Item
from newsdesk.tui import item_view, keys
from newsdesk.tui.base import DeskBase
from newsdesk.tui.candidate_list import CandidateList
from newsdesk.tui.messages import ItemsLoaded, LoadFailed, StoriesRanked


class CandidatesPane(Horizontal):
    BINDINGS = keys.bindings("candidates")


class Candidates(DeskBase):
    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_items(self) -> None:
        """Items first (the list paints at once), then the same items as ranked stories."""
        try:
            items = self.session.load_items(whole_store=self.whole_store)
        except NewsdeskError as error:
            self.post_message(LoadFailed(error.message))
            return
        self.post_message(ItemsLoaded(items))
        try:
            stories = self.session.rank_items(items, self.sort)
        except NewsdeskError as error:
            self.post_message(LoadFailed(error.message))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(StoriesRanked(stories))

    @on(ItemsLoaded)
    def items_loaded(self, message: ItemsLoaded) -> None:
        self.all_items = message.items
        self.all_stories = unranked(message.items)
        self._flat = None
        self.ranked = False
        self.loaded = True
        self.apply_filter()

    @on(StoriesRanked)
    def stories_ranked(self, message: StoriesRanked) -> None:
        self.all_stories = message.stories
        self._flat = None
        story_key = sort_key(self.sort)
        self.all_stories.sort(key=lambda entry: story_key(entry.story))
        self.ranked = True
        # Tens of thousands of long-lived objects now: keep the collector from walking them
        # on every keystroke (a full pass costs more than a frame).
        gc.freeze()
        # The best story on top, unless the editor has moved already while ranking ran.
        self.apply_filter(keep=self.main.query_one(CandidateList).cursor != 0)

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        self.toast(message.error, title="Cannot load candidates", severity="error", timeout=10)

    def apply_filter(self, *, keep: bool = True) -> None:
        """List the stories that match the filters; the cursor stays on its item if ``keep``."""
        listing = self.main.query_one(CandidateList)
        tag_sources = self.session.tags().get(self.tag_filter) if self.tag_filter else None
        if self._flat is None:
            self._flat = flatten(self.all_stories)
        shown = filter_stories(
            self._flat,
            self.main.query_one("#filter", Input).value,
            source=self.source_filter,
            tag_sources=tag_sources,
        )
        if not self.all_items:
            listing.empty_text = (
                "No items in this week yet: press f to fetch your sources."
                if not self.whole_store
                else "The store is empty: press f to fetch your sources."
            )
        else:
            listing.empty_text = "Nothing matches the filter."
        listing.set_rows(shown, self.session.picked_ids(), keep=listing.current if keep else None)
        self.refresh_list_status(len(shown))

    def refresh_list_status(self, shown: int | None = None) -> None:
        listing = self.main.query_one(CandidateList)
        shown = len(listing.items) if shown is None else shown
        scope = "all stored items" if self.whole_store else f"week of {self.session.week_label}"
        # The filters first: a long source name is never cut off the end of the line.
        filters = [f"source: {self.source_filter}"] if self.source_filter else []
        filters += [f"tag: {self.tag_filter}"] if self.tag_filter else []
        parts = [f"{shown} of {len(self.all_stories)} candidates" if self.loaded else "loading…"]
        if self.loaded and not self.ranked:
            parts.append("ranking…")
        elif self.loaded:
            parts[0] += f" ({len(self.all_items)} items)" if len(self.all_items) != len(self.all_stories) else ""
            parts.append(f"by {self.sort}")
        parts.append(scope)
        self.main.query_one("#list-status", Static).update(Text(" · ".join([*filters, *parts])))

    @on(Input.Changed, "#filter")
    def filter_changed(self) -> None:
        self.apply_filter()

    @on(Input.Submitted, "#filter")
    def filter_submitted(self) -> None:
        self.main.query_one(CandidateList).focus()

    @on(CandidateList.Highlighted)
    def show_item(self, message: CandidateList.Highlighted) -> None:
        listing = self.main.query_one(CandidateList)
        story = listing.current_story if message.item is listing.current else None
        self.main.query_one("#item-body", Static).update(self.item_text(message.item, story))
        self.main.query_one("#item-preview", VerticalScroll).scroll_home(animate=False)

    def item_text(self, item: Item | None, story: RankedStory | None = None) -> Text:
        return item_view.item_text(
            item,
            story,
            zone=self.room.config.newsroom.zone,
            picked=self.session.picked_ids(),
            ranked=self.ranked,
            articles=self.articles,
            other_sort="date" if self.sort == "score" else "score",
        )

    def refresh_item_preview(self) -> None:
        listing = self.main.query_one(CandidateList)
        self.main.query_one("#item-body", Static).update(self.item_text(listing.current, listing.current_story))

    # Filters ---------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.main.query_one(TabbedContent).active = "candidates"
        self.focus_now(self.main.query_one("#filter", Input))

    def action_cycle_source(self) -> None:
        names = [None, *(s.name for s in self.room.config.sources)]
        self.source_filter = names[(names.index(self.source_filter) + 1) % len(names)]
        self.note(f"Source: {self.source_filter or 'all'}")
        self.apply_filter()

    def action_cycle_tag(self) -> None:
        tags = [None, *sorted(self.session.tags())]
        self.tag_filter = tags[(tags.index(self.tag_filter) + 1) % len(tags)]
        self.note(f"Tag: {self.tag_filter or 'all'}")
        self.apply_filter()

    def action_toggle_week(self) -> None:
        self.whole_store = not self.whole_store
        self.note("Showing all stored items" if self.whole_store else f"Showing the week of {self.session.week_label}")
        self.refresh_list_status()
        self.load_items()

    def action_toggle_sort(self) -> None:
        self.sort = "date" if self.sort == "score" else "score"
        key = sort_key(self.sort)
        if self.ranked:
            self.all_stories.sort(key=lambda entry: key(entry.story))
            self._flat = None
        self.note(
            "Sorted by score: the preview shows the matched terms"
            if self.sort == "score"
            else "Sorted by date, newest first"
        )
        self.apply_filter(keep=False)

    # The browser -------------------------------------------------------------

    def action_open_link(self) -> None:
        item = self.main.query_one(CandidateList).current
        if item is None or not item.url:
            self.toast("This item has no link.", severity="warning")
            return
        self.open_in_browser(item.url)

    @work(thread=True, exclusive=True, group="browser")
    def open_in_browser(self, url: str) -> None:
        """The first lookup of a browser probes the system for every browser it knows
        (and may run xdg-settings): in a thread, so the desk never stalls on it."""
        try:
            browser: webbrowser.BaseBrowser | None = webbrowser.get()
        except webbrowser.Error:
            browser = None
        self.call_from_thread(self.open_in, browser, url)

    def open_in(self, browser: webbrowser.BaseBrowser | None, url: str) -> None:
        if browser is None:
            self.toast(f"No browser found here. The link: {url}", severity="warning", timeout=15)
            return
        if isinstance(browser, webbrowser.GenericBrowser) and not isinstance(browser, webbrowser.BackgroundBrowser):
            with self.suspend():  # a terminal browser needs the terminal
                browser.open(url)
        else:
            self.open_url(url)
        self.note(f"Opened {url}")
