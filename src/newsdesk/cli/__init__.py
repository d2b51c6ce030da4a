"""The newsdesk command: one module per group of commands, what they share in _common."""

from __future__ import annotations

from pathlib import Path

import click

from newsdesk import __version__
from newsdesk.cli import chinese, doctor, issues, mail, newsroom, publish, saving, sources, web
from newsdesk.cli._common import CONTEXT


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
        ctx.invoke(issues.edit)


for _command in (
    *(issues.edit, issues.candidates, issues.new_issue, issues.pick_command, issues.unpick_command),
    *(issues.show, issues.render, newsroom.init, newsroom.fetch, publish.publish, sources.sources),
    *mail.COMMANDS,
    *chinese.COMMANDS,
    *saving.COMMANDS,
    *web.COMMANDS,
    *doctor.COMMANDS,
):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="newsdesk")
