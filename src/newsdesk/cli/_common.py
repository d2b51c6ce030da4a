"""What every command shares: errors as one line and an exit code, the newsroom, dates."""

from __future__ import annotations

import functools
import os
import select
import signal
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from newsdesk.errors import EXIT_FAILED, NewsdeskError
from newsdesk.newsroom import Newsroom

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
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


def open_newsroom(ctx: click.Context) -> Newsroom:
    return Newsroom.open(ctx.obj["newsroom"])


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
