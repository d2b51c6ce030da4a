"""What a parse worker process of ``newsdesk.feeds.workers`` runs: its start and its job.

A module of its own so that a worker imports only what a parse needs: the pool's side of
the run (asyncio and the rest of workers.py) is the fetch's process's, not the workers'.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

from newsdesk.feeds.compression import decode_body

if TYPE_CHECKING:
    from newsdesk.items import ParsedFeed

# What a parse job gives: the decoded body's digest, and its parse unless unchanged.
Parsed = tuple[str, "ParsedFeed | None"]


def start_worker() -> None:
    """Run by each worker process as it starts."""
    # Ctrl+C reaches every process in the terminal's foreground group: it is the fetch's
    # to handle (it ends the pool), not the workers'.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # An idle worker waits for work until it is told to stop, so a fetch killed outright
    # (SIGKILL, out of memory) would leave it waiting forever. The parent's sentinel
    # becomes ready when the parent ends, however it ends: a thread waits on it and
    # ends the worker then.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_after, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_after(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()
    os._exit(1)


def decode_and_parse(
    body: bytes, content_encoding: str | None, limit: int, known_digest: str | None, **options: Any
) -> Parsed:
    """The job a parser runs: the body decoded (raises BodyTooLarge or BodyCorrupt) and
    its SHA-256 taken, then ``parse_feed`` with ``options``, unless the decoded body is
    the one ``known_digest`` names (None then: nothing new to parse).

    The digest is of the decoded body, so a server that compresses the same feed anew
    for each answer (a gzip header carries a time) is still seen to send the same feed.
    Here, not in the fetch's process: the decoded body is about five times the size of
    the gzip one that crosses to the worker."""
    decoded = decode_body(body, content_encoding, limit)
    digest = hashlib.sha256(decoded).hexdigest()
    if digest == known_digest:
        return digest, None
    from newsdesk.feeds.parse import parse_feed  # here: a run with nothing to parse never imports a parser

    return digest, parse_feed(decoded, **options)
