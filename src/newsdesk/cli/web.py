"""`newsdesk serve`, the newsroom's web service (sign-up, confirmation, unsubscribe), and
`newsdesk bounces`, what comes back to the list."""

from __future__ import annotations

import click

from newsdesk.cli._common import editor_errors, open_newsroom


@click.command()
@click.option("--host", metavar="ADDRESS", help="Listen on ADDRESS instead of [web] host.")
@click.option("--port", type=click.IntRange(1, 65535), metavar="PORT", help="Listen on PORT instead of [web] port.")
@click.pass_context
@editor_errors
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the web service: the sign-up form, confirmation links, one-click unsubscribe;
    and the scheduled sends, when they are due (as `newsdesk schedule run` does).

    Needs $NEWSDESK_SECRET (signs the links) and, with an SMTP login, its password
    variable (the confirmation emails). Stops on Ctrl+C or SIGTERM.
    """
    from newsdesk.web.server import listening_socket, service_for
    from newsdesk.web.server import serve as run

    room = open_newsroom(ctx)
    service = service_for(room)  # a missing secret or password stops it here, in one line
    room.store().close()  # and so does a store that cannot be opened (not uvicorn's traceback later)
    host, port = host or room.config.web.host, port or room.config.web.port
    listener = listening_socket(host, port)  # a port in use: one line, before uvicorn starts
    if not room.config.web.public_url:
        click.echo(
            f"warning: [web] public_url is not set: the confirmation links point at http://{host}:{port} "
            "and the emails keep newsroom.unsubscribe_url",
            err=True,
        )
    # Scheduled sends (`newsdesk send ISSUE --at TIME`) go out from here too, as from cron.
    import threading

    from newsdesk.cli.mail import schedule_loop

    stop = threading.Event()
    threading.Thread(target=schedule_loop, args=(room, stop), name="scheduled-sends", daemon=True).start()
    try:
        run(service, host, port, listener)
    finally:
        stop.set()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts and the suppressions as JSON.")
@click.pass_context
@editor_errors
def bounces(ctx: click.Context, as_json: bool) -> None:
    """Read the bounce mailbox ([bounces], over IMAP): hard bounces and complaints suppress
    an address at once, soft bounces after [bounces] soft_limit of them.

    Only messages not seen before are read; each is flagged seen once recorded.
    """
    import json

    from newsdesk.mail.bounces import imap_password, read_bounces
    from newsdesk.mail.roster import Roster
    from newsdesk.mail.tokens import signer_for

    room = open_newsroom(ctx)
    settings = room.config.bounces
    password = imap_password(settings)
    # With VERP envelope senders (newsroom.bounce_address) the reports name their subscriber.
    signer = signer_for(room.config) if room.config.newsroom.bounce_address else None
    with room.store() as store:
        report = read_bounces(Roster(store), settings, password, signer)
    if as_json:
        counts = {
            "messages": report.messages,
            "hard": report.hard,
            "soft": report.soft,
            "complaints": report.complaints,
            "not_reports": report.not_reports,
            "unknown": report.unknown,
            "suppressed": [{"address": a, "state": s, "reason": r} for a, s, r in report.suppressed],
        }
        click.echo(json.dumps(counts, ensure_ascii=False, indent=2))
        return
    click.echo(f"{settings.mailbox}: {report.line()}")
    for address, state, reason in report.suppressed:
        click.echo(f"{state}: {address}: {reason}")


COMMANDS = (serve, bounces)
