"""`newsdesk publish ISSUE [--target NAME]`: the blog post and the archive, everywhere;
`newsdesk site build [--target NAME]`: the static site again, from the issue files as they are."""

from __future__ import annotations

import sys

import click

from newsdesk.cli._common import editor_errors, open_newsroom
from newsdesk.errors import EXIT_FAILED, InvalidInput


@click.command()
@click.argument("issue")
@click.option("--target", "-t", metavar="NAME", help="Publish to this blog target only (see [[blogs]]).")
@click.pass_context
@editor_errors
def publish(ctx: click.Context, issue: str, target: str | None) -> None:
    """Publish ISSUE to every blog target: the static site (site/ by default), WordPress.

    Publishing again updates what is there. Exit 0 when every target got the issue, 1 when
    one failed (the others still did), 2 for bad input, 3 for an incomplete issue.
    """
    from newsdesk.curation.editing import resolve_issue
    from newsdesk.publish.targets import Publisher, TargetResult, select_targets

    room = open_newsroom(ctx)
    path = resolve_issue(room, issue)
    targets = select_targets(room, target)

    def show(result: TargetResult) -> None:
        mark = "✓" if result.ok else "✗"
        click.echo(f"{mark} {result.label}: {result.summary}", err=not result.ok)

    report = Publisher(room).publish(path, targets, on_result=show)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.failed:
        names = ", ".join(r.blog.name for r in report.failed)
        done = len(report.results) - len(report.failed)
        click.echo(
            f"newsdesk: error: not published to {names} ({done} of {len(report.results)} targets done); "
            "run the same command again once fixed",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    where = f": {report.issue.post_url}" if report.issue.post_url else ""
    click.echo(f"{report.issue.name} is {report.issue.status}{where}")


@click.group()
def site() -> None:
    """The static site (the [[blogs]] of kind "static"; site/ by default)."""


@site.command("build")
@click.option("--target", "-t", metavar="NAME", help="Build this static target only (see [[blogs]]).")
@click.pass_context
@editor_errors
def build_site(ctx: click.Context, target: str | None) -> None:
    """Build every static site from the issue files as they are, publishing nothing.

    After a change to sources.toml (blog_url, favicon_url, signup_url), to a template or to an
    issue that is already on the site. No issue file changes and WordPress is left alone.
    Exit 0 when every site is built, 1 when one could not be written, 2 for bad input.
    """
    from newsdesk.publish.targets import Publisher, TargetResult, select_targets

    room = open_newsroom(ctx)
    targets = select_targets(room, target)

    def show(result: TargetResult) -> None:
        mark = "✓" if result.ok else "✗"
        click.echo(f"{mark} {result.label}: {result.summary}", err=not result.ok)

    report = Publisher(room).build_sites(targets, on_result=show)
    if report is None:
        names = ", ".join(f"{t.name} ({t.kind})" for t in targets)
        raise InvalidInput(f"no static site to build among the blog targets: {names}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.failed:
        names = ", ".join(r.blog.name for r in report.failed)
        click.echo(f"newsdesk: error: {names} not built; run the same command again once fixed", err=True)
        sys.exit(EXIT_FAILED)
