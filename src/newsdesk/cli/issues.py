"""The commands on issues: the desk, candidates, new, pick, unpick, show, render."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsdesk.cli._common import date_option, editor_errors, open_newsroom, relative
from newsdesk.errors import EXIT_INVALID, IssueFileError, NewsdeskError

if TYPE_CHECKING:
    from newsdesk.issue import Issue
    from newsdesk.items import Item
    from newsdesk.newsroom import Newsroom


@click.command()
@click.argument("issue", required=False)
@click.pass_context
@editor_errors
def edit(ctx: click.Context, issue: str | None) -> None:
    """Open the desk on ISSUE (a date or a file); by default the next issue."""
    from newsdesk.curation.editing import create_issue, next_issue_path, resolve_issue
    from newsdesk.issue import load_issue

    room = open_newsroom(ctx)
    path = resolve_issue(room, issue) if issue else next_issue_path(room)
    if not path.exists():
        if issue:
            raise NewsdeskError(
                f"{path}: no such issue file (create it with `newsdesk new --date`)", exit_code=EXIT_INVALID
            )
        create_issue(room, date.fromisoformat(path.stem))
    from newsdesk.tui.app import DeskApp

    opening: Path | None = path
    while opening is not None:  # the desk's Issues tab opens another issue: the desk again, on it
        try:
            load_issue(opening)
        except IssueFileError as error:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                raise  # no one to show it to: the one-line error, exit code 2
            # On a terminal the desk shows the broken line and waits for the fix ($EDITOR, reload).
            from newsdesk.tui.broken import BrokenIssueApp

            if not BrokenIssueApp(opening, error, root=room.root).run():
                load_issue(opening)  # still broken: the one-line error, exit code 2
        opening = DeskApp(room, opening).run()


@click.command()
@click.option(
    "--week",
    "week_of",
    callback=date_option,
    metavar="DATE",
    help="The issue published on DATE (default: the next issue).",
)
@click.option("--search", "-s", help="Only items whose title, summary or source contain these words.")
@click.option("--source", "sources", multiple=True, help="Only items from this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print id, title, url, source, published as JSON.")
@click.option(
    "--sort", type=click.Choice(["score", "date"]), help="One line per story (items clustered), best or newest first."
)
@click.option(
    "--explain",
    is_flag=True,
    help="One line per story with its score, matched terms and sources (JSON: cluster and score fields).",
)
@click.pass_context
@editor_errors
def candidates(
    ctx: click.Context,
    week_of: date | None,
    search: str | None,
    sources: tuple[str, ...],
    as_json: bool,
    sort: str | None,
    explain: bool,
) -> None:
    """List the items of an issue's week, newest first; or its stories, ranked (--sort, --explain)."""
    from newsdesk.curation.candidates import week_candidates
    from newsdesk.curation.editing import next_issue_path

    room = open_newsroom(ctx)
    day = week_of or date.fromisoformat(next_issue_path(room).stem)
    listing = week_candidates(room, day, search=search, sources=list(sources) or None)
    if sort or explain:
        from newsdesk.curation.ranking import shortlist

        stories = shortlist(room, day, listing.items, sort=sort or "score")
        if as_json:
            click.echo(json.dumps([story.as_json() for story in stories], ensure_ascii=False, indent=2))
            return
        click.echo(f"{listing.heading()}, {len(stories)} stories, by {sort or 'score'}")
        for line in listing.story_lines(stories, explain=explain):
            click.echo(line)
        return
    if as_json:
        click.echo(json.dumps([item.as_json() for item in listing.items], ensure_ascii=False, indent=2))
        return
    click.echo(listing.heading())
    for line in listing.lines():
        click.echo(line)


@click.command("new")
@click.option(
    "--date", "day", callback=date_option, metavar="DATE", help="Publication date (default: the next publication day)."
)
@click.pass_context
@editor_errors
def new_issue(ctx: click.Context, day: date | None) -> None:
    """Create the draft of an issue in issues/."""
    from newsdesk.curation.editing import create_issue

    issue = create_issue(open_newsroom(ctx), day)
    click.echo(f"Created {issue.path}: {issue.title}, covering {issue.week_start} to {issue.week_end}.")


@click.command("pick")
@click.argument("issue")
@click.argument("item_ids", nargs=-1, required=True)
@click.pass_context
@editor_errors
def pick_command(ctx: click.Context, issue: str, item_ids: tuple[str, ...]) -> None:
    """Add items (by id, or a unique prefix) to ISSUE as developments."""
    from newsdesk.curation.editing import find_item, other_reports, pick, resolve_issue
    from newsdesk.issue import load_issue, save_issue

    room = open_newsroom(ctx)
    path = resolve_issue(room, issue)
    loaded = load_issue(path)
    with room.store() as store:
        items = [find_item(store, wanted) for wanted in item_ids]
    also = other_reports(room, loaded.date, items)
    result = pick(loaded, items, room.config.newsroom, also=also)
    save_issue(loaded)
    for item in result.added:
        others = sorted({other.source for other in also.get(item.id, ())})
        click.echo(f"picked {item.id}: {item.title}" + (f" (also reported by {', '.join(others)})" if others else ""))
    for item in result.already:
        click.echo(f"already picked {item.id}: {item.title}")
    save_picked(room, loaded, result.added)
    click.echo(f"{len(loaded.developments)}/{room.config.newsroom.developments} picked in {path}")


def save_picked(room: Newsroom, issue: Issue, items: list[Item]) -> None:
    """Keep each new pick's page with the issue (issues/<date>/sources/): one line each."""
    from newsdesk.curation.saved import save_source, sources_dir
    from newsdesk.urls import is_http_url, placeholder_host

    for item in items:
        development = next((d for d in issue.developments if d.item_id == item.id), None)
        if development is None or not is_http_url(development.read_more) or placeholder_host(development.read_more):
            continue  # the samples' example links: nothing to fetch
        saved = save_source(issue, development.read_more, room.config.fetch, item_id=item.id)
        if saved.saved:
            click.echo(f"saved its page: {relative(sources_dir(issue) / saved.html)}")
        else:
            click.echo(f"page not saved ({saved.problem}); try `newsdesk save-sources {issue.name}` later")


@click.command("unpick")
@click.argument("issue")
@click.argument("which")
@click.pass_context
@editor_errors
def unpick_command(ctx: click.Context, issue: str, which: str) -> None:
    """Remove development WHICH (its number or item id) from ISSUE."""
    from newsdesk.curation.editing import resolve_issue, unpick
    from newsdesk.issue import load_issue, save_issue

    room = open_newsroom(ctx)
    loaded = load_issue(resolve_issue(room, issue))
    removed = unpick(loaded, which)
    save_issue(loaded)
    click.echo(f"removed: {removed.headline}")


@click.command()
@click.argument("issue", required=False)
@click.pass_context
@editor_errors
def show(ctx: click.Context, issue: str | None) -> None:
    """Print ISSUE as the plaintext email reads, then what is missing."""
    from newsdesk.curation.editing import next_issue_path, resolve_issue
    from newsdesk.issue import load_issue
    from newsdesk.output.render import Renderer

    room = open_newsroom(ctx)
    loaded = load_issue(resolve_issue(room, issue) if issue else next_issue_path(room))
    click.echo(Renderer(room).email_text(loaded), nl=False)
    problems = loaded.problems(room.config.newsroom.developments)
    click.echo(f"\n[{loaded.status}] " + ("; ".join(problems) if problems else "complete"), err=True)


@click.command()
@click.argument("issue")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: build/<date>/).")
@click.option("--strict", is_flag=True, help="Refuse to render an incomplete issue.")
@click.pass_context
@editor_errors
def render(ctx: click.Context, issue: str, out: Path | None, strict: bool) -> None:
    """Render ISSUE: email.html, email.txt, post.html, post_body.html, post.md and the archive."""
    from newsdesk.curation.editing import resolve_issue
    from newsdesk.issue import load_issue
    from newsdesk.output.render import Renderer

    room = open_newsroom(ctx)
    loaded = load_issue(resolve_issue(room, issue))
    out_dir = out or room.root / "build" / loaded.name
    result = Renderer(room).render_all(loaded, out_dir, strict=strict)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for path in result.files:
        click.echo(f"wrote {relative(path)}")
