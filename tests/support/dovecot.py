"""The tests' IMAP server: Debian's dovecot, as scripts/ci/dovecot.sh installs and starts it
on 127.0.0.1 (CI runs the script; a test runs it when dovecot is installed but not running).
Each test gets a folder of its own, removed afterwards, so tests in parallel never meet."""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PORT = int(os.environ.get("NEWSDESK_TEST_IMAP_PORT", "10143"))
USER = os.environ.get("NEWSDESK_TEST_IMAP_USER", "bounces")
PASSWORD = os.environ.get("NEWSDESK_TEST_IMAP_PASSWORD", "bounces-password")
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ci" / "dovecot.sh"


def _answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=2):
            return True
    except OSError:
        return False


def _installed() -> bool:
    return shutil.which("dovecot") is not None or Path("/usr/sbin/dovecot").exists()


def ensure_dovecot() -> None:
    """Skip the test (with the reason) only when dovecot is not installed here."""
    if _answers():
        return
    if not _installed():
        pytest.skip("dovecot is not installed (scripts/ci/dovecot.sh installs it; CI runs that)")
    started = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=120)
    if started.returncode != 0 or not _answers():
        pytest.fail(f"dovecot is installed but scripts/ci/dovecot.sh could not start it: {started.stderr}")


class Folder:
    """A folder of the test user's mailbox, filled by IMAP APPEND as mail would arrive."""

    def __init__(self, name: str) -> None:
        self.name = name

    def session(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", PORT, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def append(self, *messages: bytes) -> None:
        imap = self.session()
        try:
            for data in messages:
                status, answer = imap.append(self.name, None, None, data)
                assert status == "OK", answer
        finally:
            imap.logout()

    def unseen(self) -> int:
        imap = self.session()
        try:
            imap.select(self.name, readonly=True)
            _, [found] = imap.search(None, "UNSEEN")
            return len(found.split())
        finally:
            imap.logout()


@pytest.fixture
def imap_folder() -> Iterator[Folder]:
    ensure_dovecot()
    folder = Folder(f"bounces-{uuid.uuid4().hex[:12]}")
    imap = folder.session()
    try:
        status, answer = imap.create(folder.name)
        assert status == "OK", answer
    finally:
        imap.logout()
    yield folder
    imap = folder.session()
    try:
        imap.delete(folder.name)
    finally:
        imap.logout()
