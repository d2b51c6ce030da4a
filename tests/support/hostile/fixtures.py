"""Fixtures for the hostile suite: the misbehaving server and small newsrooms.

Deadlines are short here so the suite stays fast; the README gives the defaults.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_server import HostileServer

from newsdesk.feeds.fetch import FeedResult, FetchReport, fetch
from newsdesk.newsroom import Newsroom

TEST_LIMITS = {
    "connect_timeout": 1.0,
    "read_timeout": 1.5,
    "feed_deadline": 3.0,
    "run_deadline": 20.0,
}


@pytest.fixture
def server():
    running = HostileServer().start()
    yield running
    running.stop()


def toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_newsroom(root: Path, sources: list[tuple[str, str]], **limits: float | int) -> Newsroom:
    """A newsroom in ``root`` following ``sources`` (name, url), with test limits."""
    root.mkdir(parents=True, exist_ok=True)
    settings = {**TEST_LIMITS, **limits}
    lines = ['[newsroom]\nname = "Hostile Weekly"\nblog_url = "https://weekly.example"\n', "[fetch]"]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    for name, url in sources:
        lines.append(f"\n[[sources]]\nname = {toml_string(name)}\nurl = {toml_string(url)}")
    (root / "sources.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Newsroom.open(root)


def fetch_one(root: Path, url: str, **limits: float | int) -> FeedResult:
    """Fetch a single source named "hostile" and return its result."""
    report = fetch(make_newsroom(root, [("hostile", url)], **limits))
    (result,) = report.results
    return result


def fetch_all(root: Path, sources: list[tuple[str, str]], **limits: float | int) -> FetchReport:
    return fetch(make_newsroom(root, sources, **limits))
