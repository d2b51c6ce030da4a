"""The commands for working from Chinese sources: romanize, glossary."""

from __future__ import annotations

import sys

import click

from newsdesk.cli._common import editor_errors
from newsdesk.config import RomanizationSettings


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


COMMANDS = (romanize,)
