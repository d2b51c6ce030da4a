"""`newsdesk serve` run as an editor runs it (a subprocess): a port out of range, a port in
use and an address it cannot listen on are each one line and the documented exit code,
before uvicorn says anything."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from mail_newsroom import configure_smtp
from smtp_server import SmtpServer, free_port
from web_service import SECRET, configure_web

pytestmark = pytest.mark.slow


def serve(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsdesk", "--newsroom", str(root), "serve", *args],
        env={**os.environ, "NEWSDESK_SECRET": SECRET},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def room(newsroom_dir: Path) -> Path:
    with SmtpServer() as smtp:
        configure_smtp(newsroom_dir, smtp.port)
    configure_web(newsroom_dir, free_port())
    return newsroom_dir


@pytest.mark.parametrize("port", ["99999", "-1", "0"])
def test_a_port_out_of_range_is_one_line(room: Path, port: str) -> None:
    result = serve(room, "--port", port)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "--port" in line and "1<=x<=65535" in line


def test_a_port_out_of_range_in_the_config_is_one_line(room: Path) -> None:
    configure_web(room, 70000)
    result = serve(room)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("newsdesk: error: ") and "web.port must be between 1 and 65535, not 70000" in line


def test_a_port_in_use_is_one_line_and_exit_1(room: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve(room, "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 1, result.stderr
    assert "startup complete" not in result.stderr and "INFO" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"newsdesk: error: cannot listen on 127.0.0.1:{port}: address already in use"
    )
    assert len(result.stderr.strip().splitlines()) == 1  # public_url is set: no warning either


def test_an_address_not_of_this_machine_is_one_line_and_exit_1(room: Path) -> None:
    result = serve(room, "--host", "192.0.2.1", "--port", "18080")
    assert result.returncode == 1, result.stderr
    assert "INFO" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line == "newsdesk: error: cannot listen on 192.0.2.1:18080: cannot assign requested address"


def test_an_unknown_host_name_is_one_line_and_exit_1(room: Path) -> None:
    result = serve(room, "--host", "no-such-host.invalid", "--port", "18080")
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("newsdesk: error: cannot listen on no-such-host.invalid:18080: ")


def test_a_sign_up_while_the_smtp_server_is_down_is_logged_with_why(newsroom_dir: Path, tmp_path: Path) -> None:
    import time

    import httpx

    closed = free_port()  # nobody listens there: the SMTP server is down
    configure_smtp(newsroom_dir, closed)
    port = free_port()
    configure_web(newsroom_dir, port)
    log = tmp_path / "serve.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "newsdesk", "--newsroom", str(newsroom_dir), "serve"],
            env={**os.environ, "NEWSDESK_SECRET": SECRET},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and process.poll() is None, log.read_text()
                    time.sleep(0.05)
            answer = httpx.post(f"http://127.0.0.1:{port}/subscribe", data={"email": "x@readers.example"})
            assert answer.status_code == 503
        finally:
            process.terminate()
            process.wait(30)
    lines = log.read_text(encoding="utf-8").splitlines()
    why = [line for line in lines if "confirmation email" in line]
    assert len(why) == 1, lines
    assert f"127.0.0.1:{closed}" in why[0] and "onnection refused" in why[0], why
    assert "x@readers.example" not in why[0]  # no personal data in the log


def test_a_store_that_cannot_be_opened_is_one_line_before_anything_starts(room: Path) -> None:
    store = room / ".newsdesk" / "store.sqlite3"
    store.parent.mkdir(exist_ok=True)
    store.write_text("this is not a database, whatever its name says\n", encoding="utf-8")
    result = serve(room, "--port", str(free_port()))
    assert result.returncode != 0 and "Traceback" not in result.stderr and "INFO" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line == f"newsdesk: error: {store}: the store cannot be opened: file is not a database"
