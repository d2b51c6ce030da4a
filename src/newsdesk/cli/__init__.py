"""The newsdesk command: one module per group of commands, what they share in _common."""

from __future__ import annotations

import sys
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
    *(issues.show, issues.render, newsroom.init, newsroom.fetch, publish.publish, publish.site, sources.sources),
    *mail.COMMANDS,
    *chinese.COMMANDS,
    *saving.COMMANDS,
    *web.COMMANDS,
    *doctor.COMMANDS,
):
    cli.add_command(_command)


def main() -> None:
    # Click's own usage errors take three lines (usage, a hint, the error); every other
    # error of newsdesk's is one line naming what is wrong, so these are too.
    try:
        result = cli.main(prog_name="newsdesk", standalone_mode=False)
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "newsdesk"
        message = error.format_message().rstrip(".")
        click.echo(f"{command}: {message[:1].lower()}{message[1:]} (see {command} --help)", err=True)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    if isinstance(result, int):
        sys.exit(result)
