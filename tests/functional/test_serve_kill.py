"""`newsdesk serve` killed with SIGKILL in the middle of a burst of one-click unsubscribes:
each address is left either as it was or unsubscribed (with why and when), every POST that
was answered 200 is in the store, the store is whole, and a restarted service finishes the rest."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from mail_newsroom import subscriber_rows, write_subscribers
from smtp_server import free_port
from web_service import SECRET, configure_web

from newsdesk.mail.roster import Roster
from newsdesk.mail.tokens import Signer, list_id_of
from newsdesk.newsroom import Newsroom

pytestmark = pytest.mark.slow


def start_service(root: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "--newsroom", str(root), "serve", "--port", str(port)],
        env={**os.environ, "NEWSDESK_SECRET": SECRET},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    pytest.fail("the service did not start")


def test_a_kill_mid_burst_loses_no_answered_unsubscribe(newsroom_dir: Path, run) -> None:
    rows = subscriber_rows(300)
    write_subscribers(newsroom_dir, rows)
    assert run("subscribers").exit_code == 0
    port = free_port()
    configure_web(newsroom_dir, port)
    room = Newsroom.open(newsroom_dir)
    signer = Signer(SECRET.encode(), list_id_of(room.config.newsroom))
    with room.store() as store:
        ids = Roster(store).ids(email for email, _ in rows)
    urls = {email: f"http://127.0.0.1:{port}/unsubscribe/{signer.unsubscribe_token(ids[email])}" for email, _ in rows}

    service = start_service(newsroom_dir, port)
    client = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=30))
    answered: list[str] = []
    lock = threading.Lock()

    def post(email: str) -> None:
        try:
            response = client.post(urls[email], data={"List-Unsubscribe": "One-Click"})
        except httpx.HTTPError:
            return
        if response.status_code == 200:
            with lock:
                answered.append(email)
                if len(answered) == 40:
                    service.send_signal(signal.SIGKILL)

    with ThreadPoolExecutor(max_workers=30) as pool:
        list(pool.map(post, [email for email, _ in rows]))
    service.wait(10)
    assert 40 <= len(answered) < len(rows), "the kill did not land mid-burst"

    with sqlite3.connect(newsroom_dir / ".newsdesk" / "store.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with room.store() as store:
        members = {m.address: m for m in Roster(store).members()}
    assert all(members[email].state == "unsubscribed" for email in answered)  # nothing answered is lost
    for email, _ in rows:
        member = members[email]
        assert member.state in ("subscribed", "unsubscribed")
        if member.state == "unsubscribed":
            assert member.reason == "one-click unsubscribe (RFC 8058)" and member.changed_at

    client.close()
    service = start_service(newsroom_dir, port)
    try:
        with httpx.Client(timeout=10) as again:
            for email, _ in rows:
                assert again.post(urls[email], data={"List-Unsubscribe": "One-Click"}).status_code == 200
    finally:
        service.terminate()
        service.wait(10)
    with room.store() as store:
        assert Roster(store).counts()["unsubscribed"] == len(rows)
