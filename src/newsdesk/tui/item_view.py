"""The preview pane's text for a candidate: what it is, why it scored, the article."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo

from rich.text import Text

from newsdesk.curation.articles import Article
from newsdesk.curation.ranking import RankedStory
from newsdesk.items import Item


def item_text(
    item: Item | None,
    story: RankedStory | None,
    *,
    zone: tzinfo,
    picked: set[str],
    ranked: bool,
    articles: Mapping[str, Article | None],
    other_sort: str,
) -> Text:
    """Title, source and date, link, picked/featured marks, the score explained, the
    other sources of the story, the summary, and the article when it was fetched."""
    if item is None:
        return Text("Select an item to read it here.", style="dim")
    text = Text()
    text.append(item.title + "\n", style="bold")
    when = item.published.astimezone(zone).strftime("%a %d %b %Y, %H:%M") if item.published else "undated"
    text.append(f"{item.source} · {when}\n", style="dim")
    if item.url:
        text.append(item.url + "\n", style="underline")
    members = story.cluster.items if story is not None else [item]
    if any(member.id in picked for member in members):
        text.append("✓ picked for this issue\n", style="bold green")
    if story is not None and story.featured is not None:
        text.append(f"• featured in the issue of {story.featured.isoformat()}\n", style="yellow")
    if story is not None and ranked:
        text.append(f"Score {story.score.value:.2f}", style="bold")
        terms = story.score.terms
        text.append(f": {', '.join(terms)}\n" if terms else ": no topic matched\n", style="cyan")
        text.append(story.score.explain() + "\n", style="dim")
    others = [member for member in members if member.id != item.id]
    if others:
        text.append(f"Also reported by {len(others)} more:\n", style="bold")
        reasons = story.cluster.reasons if story is not None else {}
        for other in others:
            text.append(f"  {other.source}: {other.title}", style="dim")
            # Why it is the same story: the bridge of its best link ("Xiamen = 厦门, 1,203");
            # the lead has none of its own, the item read beside it gives its.
            why = reasons.get(other.id) if other is not members[0] else reasons.get(item.id)
            text.append(f"  ({why})\n" if why else "\n", style="dim italic")
    text.append("\n")
    text.append(item.summary_text or "(no summary)")
    text.append_text(article_text(item, articles, other_sort))
    return text


def article_text(item: Item, articles: Mapping[str, Article | None], other_sort: str) -> Text:
    """The fetched article under the summary, or how to fetch it."""
    text = Text()
    if not item.url or item.url not in articles:
        text.append(f"\n\na reads the full article here · S sorts by {other_sort}", style="dim italic")
        return text
    article = articles[item.url]
    text.append("\n\n── Article ──\n", style="bold")
    if article is None:
        text.append("Fetching the article…", style="dim italic")
    elif not article.ok:
        text.append(article.message, style="yellow")
    else:
        text.append("Lead paragraph (A starts the pick's annotation with it):\n", style="dim")
        text.append(article.lead + "\n\n", style="italic")
        text.append(article.text)
    return text
