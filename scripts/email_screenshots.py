#!/usr/bin/env python3
"""Screenshots of the sample issue's email, as docs/email/ shows it: 320 px (a phone) and
1200 px (a desktop window), light and dark (prefers-color-scheme), in headless chromium.

    .venv/bin/python scripts/email_screenshots.py [ISSUE_DATE] [--out docs/email]

Rerun it after changing the email's templates or theme, and check the PNGs in. Needs
Debian's chromium (scripts/ci/chromium.sh); it drives it over the DevTools protocol with
the tests' helper, tests/support/devtools.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from devtools import Browser, find_chromium  # noqa: E402

from newsdesk.issue import load_issue  # noqa: E402
from newsdesk.newsroom import Newsroom  # noqa: E402
from newsdesk.output.render import Renderer  # noqa: E402

WIDTHS = (320, 1200)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("issue", nargs="?", default="2017-07-03", help="the issue's date (default: 2017-07-03)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "email", help="where the PNGs go")
    args = parser.parse_args()

    chromium = find_chromium()
    if not chromium:
        print("error: chromium is not installed (scripts/ci/chromium.sh installs it)", file=sys.stderr)
        return 1
    room = Newsroom.open(ROOT)  # the repository's sample newsroom
    issue = load_issue(room.issue_path(date.fromisoformat(args.issue)))
    html = Renderer(room).email_html(issue, recipient="reader@example.org")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, Browser(chromium) as browser:
        page = Path(scratch) / "email.html"
        page.write_text(html, encoding="utf-8")
        for width in WIDTHS:
            for mode in ("light", "dark"):
                browser.open(page.as_uri(), width=width, dark=mode == "dark")
                shot = args.out / f"email-{width}-{mode}.png"
                browser.screenshot(shot, width=width)
                print(f"{shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
