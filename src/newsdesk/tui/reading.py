"""Reading before writing: a story's article fetched in a worker into the preview, and its
lead paragraph as the start of a pick's empty annotation."""

from __future__ import annotations

from textual import on, work
from textual.widgets import TabbedContent, TextArea

from newsdesk.curation.articles import Article
from newsdesk.tui.base import DeskBase
from newsdesk.tui.candidate_list import CandidateList
from newsdesk.tui.messages import ArticleLoaded


class Reading(DeskBase):
    def action_article(self) -> None:
        item = self.main.query_one(CandidateList).current
        if item is None or not item.url:
            self.toast("This item has no link to fetch.", severity="warning")
            return
        self.fetch_article(item.url)

    def fetch_article(self, url: str, fill: int | None = None) -> None:
        known = self.articles.get(url)
        if known is not None and (known.ok or fill is None):
            self.post_message(ArticleLoaded(url, known, fill))
            return
        self.articles[url] = None
        self.refresh_item_preview()
        self.article_worker(url, fill)

    @work(thread=True, group="article", exit_on_error=False)
    def article_worker(self, url: str, fill: int | None) -> None:
        try:
            article = self.session.article(url)
        except Exception as error:  # the desk survives any page
            article = Article(url, "failed", message=f"{type(error).__name__}: {error}")
        self.post_message(ArticleLoaded(url, article, fill))

    @on(ArticleLoaded)
    def article_loaded(self, message: ArticleLoaded) -> None:
        self.articles[message.url] = message.article
        self.refresh_item_preview()
        if message.fill is not None:
            self.fill_annotation(message.fill, message.article)
        elif not message.article.ok:
            self.toast(message.article.message, title="No article", severity="warning")

    def action_lead_annotation(self) -> None:
        """Start the empty annotation of a pick with its article's lead paragraph."""
        if self.main.query_one(TabbedContent).active == "issue":
            index = self.editing
        else:
            listing = self.main.query_one(CandidateList)
            index = self.session.pick_of(listing.story_items(listing.cursor)) if listing.current else None
        if index is None or index >= len(self.session.issue.developments):
            self.toast("Pick the story first (space), then press A.", severity="warning")
            return
        development = self.session.issue.developments[index]
        if development.annotation.strip():
            self.toast(f"Pick {index + 1} already has an annotation; it was left as it is.", severity="warning")
            return
        if not development.read_more:
            self.toast(f"Pick {index + 1} has no read-more link to fetch.", severity="warning")
            return
        self.note(f"Fetching the article for pick {index + 1}…")
        self.fetch_article(development.read_more, fill=index)

    def fill_annotation(self, index: int, article: Article) -> None:
        if not article.ok:
            self.toast(f"No lead paragraph for pick {index + 1}: {article.message}", severity="warning")
            return
        if index >= len(self.session.issue.developments):
            return
        self.sync_editor()  # an annotation typed meanwhile is not empty
        if self.session.set_annotation_if_empty(index, article.lead):
            self.note(f"Pick {index + 1}'s annotation now starts with the article's lead paragraph: make it yours.")
            development = self.session.issue.developments[index]
            if development is self._shown:
                # An edit of the field, not a reload: ctrl+z takes the paragraph back out.
                annotation = self.main.query_one("#annotation", TextArea)
                annotation.replace(development.annotation, annotation.document.start, annotation.document.end)
            self.after_change(refresh_list=False)
        else:
            self.toast(f"Pick {index + 1} already has an annotation; it was left as it is.", severity="warning")
