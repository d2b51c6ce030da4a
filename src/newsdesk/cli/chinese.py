"""The commands for working from Chinese sources: romanize, glossary."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from newsdesk.cli._common import editor_errors, open_newsroom, relative
from newsdesk.config import RomanizationSettings

if TYPE_CHECKING:
    from newsdesk.glossary import Glossary, Term
    from newsdesk.items import Item
    from newsdesk.store import Store


def _settings(ctx: click.Context) -> RomanizationSettings:
    """The newsroom's [romanization], or the defaults outside a newsroom (a filter should
    work anywhere)."""
    from newsdesk.config import load_config
    from newsdesk.newsroom import CONFIG_NAME

    path = ctx.obj["newsroom"] / CONFIG_NAME
    return load_config(path).romanization if path.exists() else RomanizationSettings()


@click.command()
@click.argument("text", nargs=-1)
@click.option(
    "--only",
    "only",
    is_flag=True,
    help="Print the romanization alone (Shanghaishi shehui xinyong tiaoli), not after each Chinese term.",
)
@click.pass_context
@editor_errors
def romanize(ctx: click.Context, text: tuple[str, ...], only: bool) -> None:
    """Romanize Chinese: TEXT, or each line of standard input.

    Each run of Chinese is followed by its pinyin, as [romanization] in sources.toml says
    (上海市社会信用条例 Shanghaishi shehui xinyong tiaoli); other text is kept as it is.
    """
    from newsdesk import chinese

    settings = _settings(ctx)
    lines = [" ".join(text)] if text else sys.stdin
    for line in lines:
        line = line.rstrip("\n")
        click.echo(chinese.romanize(line, settings) if only else chinese.annotate_runs(line, settings))


@click.group()
def glossary() -> None:
    """The newsroom's glossary (glossary.toml): each Chinese term and its English."""


@glossary.command("add")
@click.argument("term")
@click.argument("english")
@click.option("--also", multiple=True, help="Another rendering, one the newsletter does not use (repeatable).")
@click.option("--note", default="", help="A note for editors.")
@click.option("--replace", is_flag=True, help="Change a term that is already in the glossary.")
@click.pass_context
@editor_errors
def glossary_add(ctx: click.Context, term: str, english: str, also: tuple[str, ...], note: str, replace: bool) -> None:
    """Add TERM (Chinese) with its ENGLISH to glossary.toml, keeping the file's comments."""
    from newsdesk.glossary import add_term, glossary_path

    room = open_newsroom(ctx)
    added = add_term(room.root, term, english, also=also, note=note, replace=replace)
    click.echo(f"{added.zh} = {added.en!r} in {relative(glossary_path(room.root))}")


@glossary.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print zh, en, also, note as JSON.")
@click.pass_context
@editor_errors
def glossary_list(ctx: click.Context, as_json: bool) -> None:
    """Every term of the glossary, with its English."""
    _print_terms(_load(ctx).terms, as_json)


@glossary.command("find")
@click.argument("item_or_text")
@click.option("--json", "as_json", is_flag=True, help="Print zh, en, also, note as JSON.")
@click.pass_context
@editor_errors
def glossary_find(ctx: click.Context, item_or_text: str, as_json: bool) -> None:
    """The glossary's terms in an item (its id or a unique prefix: title, summary and the
    article if it was read) or in a text."""
    from newsdesk import chinese
    from newsdesk.curation.articles import ArticleCache

    room = open_newsroom(ctx)
    found = _load(ctx)
    if chinese.has_han(item_or_text):
        texts = [item_or_text]
    else:
        with room.store() as store:
            item = _item_or_text(store, item_or_text)
            article = ArticleCache(store).get(item.url) if item.url else None
        texts = [item.title, item.summary_text, article.text if article else ""]
    _print_terms(found.find(*texts), as_json)


def _item_or_text(store: Store, wanted: str) -> Item:
    """The item ``wanted`` names (an argument without Chinese); neither Chinese nor an item's
    id is said as such."""
    from newsdesk.curation.editing import find_item
    from newsdesk.errors import InvalidInput

    try:
        return find_item(store, wanted)
    except InvalidInput as error:
        if "ambiguous" in error.message:
            raise
        raise InvalidInput(f"no Chinese text and no item with id {wanted!r} (see `newsdesk candidates`)") from None


def _load(ctx: click.Context) -> Glossary:
    from newsdesk.glossary import load_glossary

    return load_glossary(open_newsroom(ctx).root)


def _print_terms(terms: list[Term], as_json: bool) -> None:
    import json

    if as_json:
        click.echo(json.dumps([term.as_json() for term in terms], ensure_ascii=False, indent=2))
        return
    for term in terms:
        also = f" (not: {', '.join(term.also)})" if term.also else ""
        note = f" — {term.note}" if term.note else ""
        click.echo(f"{term.zh}\t{term.en}{also}{note}")


@click.command()
@click.argument("item_or_text")
@click.pass_context
@editor_errors
def translate(ctx: click.Context, item_or_text: str) -> None:
    """An English draft of an item's title and lead paragraph (its id or a unique prefix), or
    of a text, from the engine [translation] names; marked as machine translation."""
    from newsdesk import chinese
    from newsdesk.curation.articles import ArticleCache, lead_paragraph
    from newsdesk.errors import EXIT_INVALID, NewsdeskError
    from newsdesk.translate import draft_translation

    room = open_newsroom(ctx)
    settings = room.config.translation
    if not settings.enabled:
        raise NewsdeskError(
            f"{room.config.path}: no translation engine is configured (set [translation] url)", exit_code=EXIT_INVALID
        )
    if chinese.has_han(item_or_text):
        title, lead = item_or_text, ""
    else:
        with room.store() as store:
            item = _item_or_text(store, item_or_text)
            article = ArticleCache(store).get(item.url) if item.url else None
        title = item.title
        lead = article.lead if article is not None and article.ok else lead_paragraph(item.summary_text, item.title)
    renderings = [(term.zh, term.en) for term in _load(ctx).find(title, lead)]
    draft = draft_translation(settings, title, lead, renderings)
    click.echo(f"[{draft.label}]")
    click.echo(draft.title)
    if draft.text:
        click.echo(f"\n{draft.text}")


COMMANDS = (romanize, glossary, translate)
