"""The command line: `newsdesk` opens the desk; the other commands work headless."""

from __future__ import annotations

import functools
import json
import os
import select
import shutil
import signal
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from newsdesk import __version__
from newsdesk.errors import EXIT_FAILED, EXIT_INVALID, NewsdeskError
from newsdesk.heap import tune_malloc

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2017-07-03") from None


def fail(message: str, code: int) -> None:
    click.echo(f"newsdesk: error: {message}", err=True)
    sys.exit(code)


def editor_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn newsdesk's errors into one line on stderr and the documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NewsdeskError as error:
            fail(error.message, error.exit_code)
        except OSError as error:  # a folder that can't be written, a full disk
            if isinstance(error, BrokenPipeError) and _stdout_reader_gone():
                # `newsdesk candidates | head`: the reader has all it wanted. Stop quietly,
                # as a tool stopped by SIGPIPE does (and as the shell reports it, 141).
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(128 + signal.SIGPIPE)
            where = f"{error.filename}: " if error.filename else ""
            fail(f"{where}{error.strerror or error}", EXIT_FAILED)
        except KeyboardInterrupt:
            click.echo("newsdesk: interrupted", err=True)
            sys.exit(130)

    return wrapper


def _stdout_reader_gone() -> bool:
    """Whether standard output is a pipe whose reader closed it (not some other pipe, such
    as an SMTP connection, that broke)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        # A pipe whose reader closed polls as an error on Linux, as a hang-up elsewhere.
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def open_newsroom(ctx: click.Context):
    from newsdesk.newsroom import Newsroom

    return Newsroom.open(ctx.obj["newsroom"])


@click.group(invoke_without_command=True, context_settings=CONTEXT)
@click.option(
    "--newsroom",
    "-N",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    envvar="NEWSDESK_NEWSROOM",
    show_default=True,
    help="The newsroom folder (holding sources.toml).",
)
@click.version_option(__version__, prog_name="newsdesk")
@click.pass_context
def cli(ctx: click.Context, newsroom: Path) -> None:
    """newsdesk: pick the week's developments from your feeds, annotate them, send them out.

    Run without a command to open the desk on the next issue.
    """
    ctx.ensure_object(dict)
    ctx.obj["newsroom"] = newsroom
    if ctx.invoked_subcommand is None:
        ctx.invoke(edit)


@cli.command()
@click.argument("issue", required=False)
@click.pass_context
@editor_errors
def edit(ctx: click.Context, issue: str | None) -> None:
    """Open the desk on ISSUE (a date or a file); by default the next issue."""
    from newsdesk.editing import create_issue, next_issue_path, resolve_issue
    from newsdesk.issue import load_issue

    room = open_newsroom(ctx)
    path = resolve_issue(room, issue) if issue else next_issue_path(room)
    if not path.exists():
        if issue:
            raise NewsdeskError(f"{path}: no such issue file (create it with `newsdesk new --date`)", exit_code=EXIT_INVALID)
        create_issue(room, date.fromisoformat(path.stem))
    load_issue(path)  # a broken file is reported here, before the screen takes over
    from newsdesk.tui.app import DeskApp

    DeskApp(room, path).run()


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="Weekly News Summary", show_default=True, help="The newsletter's name.")
@editor_errors
def init(directory: Path, name: str) -> None:
    """Create a newsroom in DIRECTORY: sources.toml, templates/ and issues/."""
    from newsdesk.errors import Refused
    from newsdesk.files import write_atomic
    from newsdesk.render import DEFAULT_TEMPLATES
    from newsdesk.starter import starter_config

    config = directory / "sources.toml"
    if config.exists():
        raise Refused(f"{config}: already exists; this folder is a newsroom already")
    (directory / "issues").mkdir(parents=True, exist_ok=True)
    templates = directory / "templates"
    templates.mkdir(exist_ok=True)
    for template in sorted(DEFAULT_TEMPLATES.iterdir()):
        if template.is_file() and not (templates / template.name).exists():
            shutil.copyfile(template, templates / template.name)
    write_atomic(config, starter_config(name))
    gitignore = directory / ".gitignore"
    if not gitignore.exists():  # the store and the builds are not the newsroom's history
        gitignore.write_text(".newsdesk/\nbuild/\nsite/\n", encoding="utf-8")
    click.echo(f"Created a newsroom in {directory}: edit {config} to add your feeds, then run `newsdesk fetch`.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--source", "only", multiple=True, help="Fetch only this source (repeatable).")
@click.pass_context
@editor_errors
def fetch(ctx: click.Context, as_json: bool, only: tuple[str, ...]) -> None:
    """Fetch every enabled source and store new items; one report line per source."""
    from newsdesk.fetch import fetch as run_fetch
    from newsdesk.progress import FetchProgress

    room = open_newsroom(ctx)
    sources = None
    if only:
        unknown = [name for name in only if room.config.source(name) is None]
        if unknown:
            raise NewsdeskError(f"unknown source {unknown[0]!r} (see sources.toml)", exit_code=EXIT_INVALID)
        sources = [s for s in room.config.sources if s.name in only]
    count = len(sources if sources is not None else room.config.enabled_sources)
    if count == 0:
        raise NewsdeskError(f"{room.config.path}: no enabled sources to fetch", exit_code=EXIT_INVALID)
    with FetchProgress(count, enabled=not as_json and sys.stderr.isatty()) as progress:
        report = run_fetch(room, on_result=progress.advance, on_tick=progress.tick, sources=sources)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for result in report.results:
            mark = "✗" if result.failed else "✓"
            click.echo(f"{mark} {result.line()}")
        new = sum(r.new for r in report.results)
        click.echo(
            f"{len(report.results) - len(report.failed)} of {len(report.results)} sources fetched, "
            f"{new} new items in {report.seconds:.1f} s"
        )
    if report.all_failed:
        sys.exit(EXIT_FAILED)


@cli.command()
@click.option("--week", "week_of", callback=_date, metavar="DATE", help="The issue published on DATE (default: the next issue).")
@click.option("--search", "-s", help="Only items whose title, summary or source contain these words.")
@click.option("--source", "sources", multiple=True, help="Only items from this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print id, title, url, source, published as JSON.")
@click.option("--sort", type=click.Choice(["score", "date"]), help="One line per story (items clustered), best or newest first.")
@click.option("--explain", is_flag=True, help="One line per story with its score, matched terms and sources (JSON: cluster and score fields).")
@click.pass_context
@editor_errors
def candidates(
    ctx: click.Context, week_of: date | None, search: str | None, sources: tuple[str, ...], as_json: bool,
    sort: str | None, explain: bool,
) -> None:
    """List the items of an issue's week, newest first; or its stories, ranked (--sort, --explain)."""
    from newsdesk.candidates import week_candidates
    from newsdesk.editing import next_issue_path

    room = open_newsroom(ctx)
    day = week_of or date.fromisoformat(next_issue_path(room).stem)
    listing = week_candidates(room, day, search=search, sources=list(sources) or None)
    if sort or explain:
        from newsdesk.ranking import shortlist

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


@cli.command("new")
@click.option("--date", "day", callback=_date, metavar="DATE", help="Publication date (default: the next publication day).")
@click.pass_context
@editor_errors
def new_issue(ctx: click.Context, day: date | None) -> None:
    """Create the draft of an issue in issues/."""
    from newsdesk.editing import create_issue

    issue = create_issue(open_newsroom(ctx), day)
    click.echo(f"Created {issue.path}: {issue.title}, covering {issue.week_start} to {issue.week_end}.")


@cli.command("pick")
@click.argument("issue")
@click.argument("item_ids", nargs=-1, required=True)
@click.pass_context
@editor_errors
def pick_command(ctx: click.Context, issue: str, item_ids: tuple[str, ...]) -> None:
    """Add items (by id, or a unique prefix) to ISSUE as developments."""
    from newsdesk.editing import find_item, other_reports, pick, resolve_issue
    from newsdesk.issue import load_issue, save_issue

    room = open_newsroom(ctx)
    path = resolve_issue(room, issue)
    loaded = load_issue(path)
    with room.store() as store:
        items = [find_item(store, wanted) for wanted in item_ids]
    also = other_reports(room, loaded.date, items)
    result = pick(loaded, items, room.config.newsroom.developments, also=also)
    save_issue(loaded)
    for item in result.added:
        others = sorted({other.source for other in also.get(item.id, ())})
        click.echo(f"picked {item.id}: {item.title}" + (f" (also reported by {', '.join(others)})" if others else ""))
    for item in result.already:
        click.echo(f"already picked {item.id}: {item.title}")
    click.echo(f"{len(loaded.developments)}/{room.config.newsroom.developments} picked in {path}")


@cli.command("unpick")
@click.argument("issue")
@click.argument("which")
@click.pass_context
@editor_errors
def unpick_command(ctx: click.Context, issue: str, which: str) -> None:
    """Remove development WHICH (its number or item id) from ISSUE."""
    from newsdesk.editing import resolve_issue, unpick
    from newsdesk.issue import load_issue, save_issue

    room = open_newsroom(ctx)
    loaded = load_issue(resolve_issue(room, issue))
    removed = unpick(loaded, which)
    save_issue(loaded)
    click.echo(f"removed: {removed.headline}")


@cli.command()
@click.argument("issue", required=False)
@click.pass_context
@editor_errors
def show(ctx: click.Context, issue: str | None) -> None:
    """Print ISSUE as the plaintext email reads, then what is missing."""
    from newsdesk.editing import next_issue_path, resolve_issue
    from newsdesk.issue import load_issue
    from newsdesk.render import Renderer

    room = open_newsroom(ctx)
    loaded = load_issue(resolve_issue(room, issue) if issue else next_issue_path(room))
    click.echo(Renderer(room).email_text(loaded), nl=False)
    problems = loaded.problems(room.config.newsroom.developments)
    click.echo(f"\n[{loaded.status}] " + ("; ".join(problems) if problems else "complete"), err=True)


@cli.command()
@click.argument("issue")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: build/<date>/).")
@click.option("--strict", is_flag=True, help="Refuse to render an incomplete issue.")
@click.pass_context
@editor_errors
def render(ctx: click.Context, issue: str, out: Path | None, strict: bool) -> None:
    """Render ISSUE: email.html, email.txt, post.html, post_body.html, post.md and the archive."""
    from newsdesk.editing import resolve_issue
    from newsdesk.issue import load_issue
    from newsdesk.render import Renderer

    room = open_newsroom(ctx)
    loaded = load_issue(resolve_issue(room, issue))
    out_dir = out or room.root / "build" / loaded.name
    result = Renderer(room).render_all(loaded, out_dir, strict=strict)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for path in result.files:
        click.echo(f"wrote {_relative(path)}")


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main() -> None:
    tune_malloc()
    cli(prog_name="newsdesk")


from newsdesk.cli_publish import publish as _publish  # noqa: E402  (it imports this module)
cli.add_command(_publish)
from newsdesk.cli_mail import COMMANDS as _MAIL_COMMANDS  # noqa: E402  (check, send, subscribers)
for _command in _MAIL_COMMANDS:
    cli.add_command(_command)
from newsdesk.cli_sources import sources as _sources  # noqa: E402  (sources import/export, OPML)
cli.add_command(_sources)
