"""`newsdesk serve`: the newsroom's web service (sign-up, confirmation, unsubscribe)."""

from __future__ import annotations

import click

from newsdesk.cli._common import editor_errors, open_newsroom


@click.command()
@click.option("--host", metavar="ADDRESS", help="Listen on ADDRESS instead of [web] host.")
@click.option("--port", type=int, metavar="PORT", help="Listen on PORT instead of [web] port.")
@click.pass_context
@editor_errors
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the web service: the sign-up form, confirmation links, one-click unsubscribe.

    Needs $NEWSDESK_SECRET (signs the links) and, with an SMTP login, its password
    variable (the confirmation emails). Stops on Ctrl+C or SIGTERM.
    """
    from newsdesk.web.server import serve as run

    room = open_newsroom(ctx)
    run(room, host or room.config.web.host, port or room.config.web.port)


COMMANDS = (serve,)
