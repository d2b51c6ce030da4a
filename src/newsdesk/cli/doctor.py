"""`newsdesk doctor`: whether this newsroom's mail will arrive, one line per check with its fix.

Exit codes: 0 every check passed (warnings allowed); 1 a check failed; 2 invalid input
(sources.toml).
"""

from __future__ import annotations

import json
import sys

import click

from newsdesk.cli._common import editor_errors, open_newsroom
from newsdesk.errors import EXIT_FAILED

STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_context
@editor_errors
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Check that the mail will arrive: SPF, DKIM, DMARC, bounce MX, SMTP (or SES or Postmark), one-click
    unsubscribe, postal address, complaints. A table with the fix for each; exits 1 when
    any check fails."""
    from newsdesk.mail.doctor import FAIL, Doctor

    room = open_newsroom(ctx)
    checks = Doctor(room).run()
    if as_json:
        click.echo(json.dumps([vars(check) for check in checks], ensure_ascii=False, indent=2))
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(show_lines=False, expand=False)
        for column in ("check", "status", "found", "fix"):
            table.add_column(column, overflow="fold")
        for check in checks:
            style = STYLES[check.status]
            table.add_row(Text(check.name), Text(check.status, style=style), Text(check.detail), Text(check.fix))
        console = Console(width=None if sys.stdout.isatty() else 160, soft_wrap=False)
        console.print(table)
        failed = sum(check.status == FAIL for check in checks)
        console.print(f"{failed} of {len(checks)} checks failed" if failed else f"all {len(checks)} checks passed")
    if any(check.status == FAIL for check in checks):
        sys.exit(EXIT_FAILED)


COMMANDS = (doctor,)
