"""The commands that keep pages: save-sources (a pick's page saved with the issue) and add
(a page found outside the feeds made a candidate)."""

from __future__ import annotations

from datetime import date

import click

from newsdesk.cli._common import date_option, editor_errors, open_newsroom, relative
from newsdesk.errors import EXIT_INVALID, NewsdeskError


@click.command("save-sources")
@click.argument("issue")
@click.argument("numbers", nargs=-1, type=int)
@click.option("--again", is_flag=True, help="Fetch and save pages saved before again.")
@click.option(
    "--wayback",
    metavar="URL",
    help="Record an archive's copy (a Wayback Machine address) of development N's page; the post links it.",
)
@click.pass_context
@editor_errors
def save_sources(ctx: click.Context, issue: str, numbers: tuple[int, ...], again: bool, wayback: str | None) -> None:
    """Save the pages of ISSUE's read-more links (or of developments NUMBERS) under
    issues/<date>/sources/: HTML as sent, main text, sha256 of each."""
    from newsdesk.curation.editing import resolve_issue
    from newsdesk.curation.saved import save_source, set_archived, sources_dir
    from newsdesk.issue import load_issue
    from newsdesk.urls import is_http_url

    room = open_newsroom(ctx)
    loaded = load_issue(resolve_issue(room, issue))
    count = len(loaded.developments)
    for number in numbers:
        if not 1 <= number <= count:
            raise NewsdeskError(f"{loaded.path}: no development {number} (it has {count})", exit_code=EXIT_INVALID)
    chosen = [(n, loaded.developments[n - 1]) for n in (numbers or range(1, count + 1))]
    if wayback is not None:
        if len(chosen) != 1:
            raise NewsdeskError("--wayback needs exactly one development number", exit_code=EXIT_INVALID)
        number, development = chosen[0]
        set_archived(loaded, development.read_more, wayback)
        click.echo(f"development {number}: archived copy {wayback}")
        return
    failed = False
    for number, development in chosen:
        if not is_http_url(development.read_more):
            click.echo(f"development {number}: no read-more link to save")
            continue
        saved = save_source(loaded, development.read_more, room.config.fetch, item_id=development.item_id, again=again)
        if saved.saved:
            where = relative(sources_dir(loaded) / saved.html)
            click.echo(f"development {number}: saved {where} (sha256 {saved.html_sha256[:12]}…, {saved.saved_at})")
        else:
            failed = True
            click.echo(f"development {number}: not saved: {saved.problem}")
    if failed:
        ctx.exit(1)


@click.command("add")
@click.argument("url")
@click.option("--source", help="The source's name (default: the site's host, like www.gov.cn without www.).")
@click.option("--date", "day", callback=date_option, metavar="DATE", help="The item's date (default: the page's).")
@click.option("--pick", "pick_into", metavar="ISSUE", help="Pick it into ISSUE as well (and save its page).")
@click.pass_context
@editor_errors
def add(ctx: click.Context, url: str, source: str | None, day: date | None, pick_into: str | None) -> None:
    """Make a candidate of a page found outside the feeds: its title, date and main text
    read from the page, stored as an item of its site."""
    from newsdesk.cli.issues import save_picked
    from newsdesk.curation.added import add_page
    from newsdesk.curation.editing import pick, resolve_issue
    from newsdesk.issue import load_issue, save_issue

    room = open_newsroom(ctx)
    loaded = load_issue(resolve_issue(room, pick_into)) if pick_into else None  # a bad ISSUE fails first
    added = add_page(room, url, source=source, day=day)
    item = added.item
    when = item.published.astimezone(room.config.newsroom.zone).date().isoformat() if item.published else "undated"
    verb = "added" if added.new else "updated"
    click.echo(f"{verb} {item.id}: {item.title} ({item.source}, {when})")
    if added.dating == "guess":
        click.echo(f"the page gives no date: {when} is only a guess (give one with --date)")
    elif added.dating == "none":
        click.echo("the page gives no date: it is listed as of today (give one with --date)")
    if loaded is not None:
        result = pick(loaded, [item], room.config.newsroom)
        save_issue(loaded)
        if result.added:
            click.echo(f"picked {item.id} in {relative(loaded.path) if loaded.path else pick_into}")
            save_picked(room, loaded, result.added)
        else:
            click.echo(f"already picked {item.id}")


COMMANDS = (save_sources, add)
