"""`newsdesk sources import FILE.opml` and `newsdesk sources export`: subscriptions in and out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsdesk.cli._common import editor_errors, open_newsroom
from newsdesk.errors import EXIT_INVALID, InvalidInput


@click.group("sources")
def sources() -> None:
    """Move your subscriptions between a feed reader and sources.toml (OPML)."""


@sources.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would be added, change nothing.")
@click.pass_context
@editor_errors
def import_command(ctx: click.Context, file: Path, dry_run: bool) -> None:
    """Add the feeds of an OPML FILE to sources.toml; duplicates and invalid entries reported.

    Exit code 2 when some entries were invalid (the valid ones are still added).
    """
    from newsdesk.feeds.opml import import_feeds, parse_opml

    room = open_newsroom(ctx)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise InvalidInput(f"{file}: cannot read: {error.strerror}") from None
    feeds, invalid = parse_opml(data, str(file))
    report = import_feeds(room.root / "sources.toml", feeds, invalid, dry_run=dry_run)
    for line in report.lines(dry_run=dry_run):
        click.echo(line)
    verb = "would add" if dry_run else "added"
    click.echo(
        f"{verb} {len(report.added)} of {len(feeds) + len(invalid)} feeds to {room.root / 'sources.toml'}; "
        f"{len(report.duplicates)} already there, {len(report.invalid)} invalid"
    )
    if report.invalid:
        sys.exit(EXIT_INVALID)


@sources.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@click.pass_context
@editor_errors
def export_command(ctx: click.Context, out: Path | None) -> None:
    """Write every source as OPML 2.0, for a feed reader."""
    from newsdesk.feeds.opml import export_opml
    from newsdesk.files import write_atomic

    room = open_newsroom(ctx)
    text = export_opml(room.config, room.root)
    if out is None:
        click.echo(text, nl=False)
        return
    write_atomic(out, text)
    click.echo(f"wrote {len(room.config.sources)} sources to {out}", err=True)
