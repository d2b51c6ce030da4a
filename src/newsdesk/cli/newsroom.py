"""The commands on the newsroom itself: init, fetch."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

from newsdesk.cli._common import editor_errors, open_newsroom
from newsdesk.errors import EXIT_FAILED, EXIT_INVALID, NewsdeskError


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="Weekly News Summary", show_default=True, help="The newsletter's name.")
@editor_errors
def init(directory: Path, name: str) -> None:
    """Create a newsroom in DIRECTORY: sources.toml, templates/ and issues/."""
    from newsdesk.errors import Refused
    from newsdesk.files import write_atomic
    from newsdesk.output.render import DEFAULT_TEMPLATES
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


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--source", "only", multiple=True, help="Fetch only this source (repeatable).")
@click.pass_context
@editor_errors
def fetch(ctx: click.Context, as_json: bool, only: tuple[str, ...]) -> None:
    """Fetch every enabled source and store new items; one report line per source."""
    from newsdesk.cli.progress import FetchProgress
    from newsdesk.feeds.fetch import fetch as run_fetch

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
