"""`newsdesk serve`'s app run for real by uvicorn on loopback, in a thread of the test, and
a newsroom configured for it (SMTP at a loopback aiosmtpd, [web] public_url at the service)."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import tomlkit
import uvicorn
from smtp_server import Received, free_port

from newsdesk.newsroom import Newsroom
from newsdesk.web.app import Service
from newsdesk.web.server import service_for, uvicorn_config

SECRET = "test-secret-0123456789abcdef"
_LINK = re.compile(r"(https?://\S+/confirm/\S+)")


def configure_web(root: Path, port: int, **values: object) -> None:
    config = root / "sources.toml"
    document = tomlkit.parse(config.read_text(encoding="utf-8"))
    web = document.setdefault("web", tomlkit.table())
    settings = {"public_url": f"http://127.0.0.1:{port}", "port": port, "signups_per_hour": 1000}
    settings.update(values)
    for key, value in settings.items():
        web[key] = value
    config.write_text(tomlkit.dumps(document), encoding="utf-8")


class RunningService:
    """uvicorn serving the newsroom's app on 127.0.0.1:``port`` until the block ends."""

    def __init__(self, root: Path, port: int, clock=None) -> None:
        self.service: Service = service_for(Newsroom.open(root))
        if clock is not None:
            self.service.clock = clock
        self.port = port
        self.server = uvicorn.Server(uvicorn_config(self.service, "127.0.0.1", port, access_log=False))

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> RunningService:
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def confirmation_link(message: Received) -> str:
    """The link in a confirmation email, as a reader's mail client would show it."""
    body = message.parsed().get_body(("plain",))
    assert body is not None
    found = _LINK.search(body.get_content())
    assert found, body.get_content()
    return found.group(1)


def web_port() -> int:
    return free_port()
