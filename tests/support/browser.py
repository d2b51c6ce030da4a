"""Debian's headless chromium, as the browser tests drive it: one fresh profile per page,
the page's DOM as it stands once loaded and its scripts have run (``--dump-dom``), or a
screenshot.

Chromium comes from scripts/ci/chromium.sh. Without it a test is skipped, except under CI,
where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def find_chromium() -> str:
    """The chromium command; skips the test (fails it under CI) when there is none."""
    found = shutil.which("chromium")
    if not found:
        reason = "Debian's chromium is not installed: run scripts/ci/chromium.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def browse(chromium: str, tmp_path: Path, url: str, width: int, *extra: str, height: int = 900) -> str:
    """Open ``url`` in a window ``width`` px wide; what chromium prints (the DOM with --dump-dom)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    profile = tmp_path / f"profile-{width}-{len(list(tmp_path.iterdir()))}"  # a fresh one each time
    done = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", *extra, url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(chromium: str, tmp_path: Path, url: str, width: int = 1280) -> str:
    """The page's DOM after its scripts ran: a virtual time budget lets the load finish
    (images fail, their error handlers run) before chromium prints it."""
    return browse(chromium, tmp_path, url, width, "--dump-dom", "--virtual-time-budget=5000")
