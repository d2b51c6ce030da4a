#!/usr/bin/env python3
"""Screenshots of the sample issue's email, as docs/email/ shows it: 320 px (a phone) and
1200 px (a desktop window), light and dark (prefers-color-scheme), in headless chromium,
in the default theme; and the sans theme at 320 px, light and dark.

    .venv/bin/python scripts/email_screenshots.py [ISSUE_DATE] [--out docs/email]

The sample newsroom is copied to a scratch folder and its sample feeds fetched there (they
ship in samples/feeds/, so nothing leaves the machine), so the read-more links name their
sources as a real newsroom's do; the repository's own newsroom is left as it is.

Rerun it after changing the email's templates or theme, and check the PNGs in. Needs
Debian's chromium (scripts/ci/chromium.sh); it drives it over the DevTools protocol with
the tests' helper, tests/support/devtools.py.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
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

# (file name prefix, theme, widths)
SHOTS = (("email", "serif", (320, 1200)), ("email-sans", "sans", (320,)))
SAMPLE_PARTS = ("sources.toml", "samples", "templates", "issues")


def sample_newsroom(scratch: Path, theme: str) -> Newsroom:
    """A copy of the repository's sample newsroom in ``theme``, its feeds fetched."""
    root = scratch / theme
    root.mkdir()
    for part in SAMPLE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, root / part)
        else:
            shutil.copy2(source, root / part)
    config = root / "sources.toml"
    text = config.read_text(encoding="utf-8").replace("[newsroom]\n", f'[newsroom]\ntheme = "{theme}"\n', 1)
    config.write_text(text, encoding="utf-8")
    newsdesk = [sys.executable, "-m", "newsdesk", "--newsroom", str(root), "fetch"]
    subprocess.run(newsdesk, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return Newsroom.open(root)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("issue", nargs="?", default="2017-07-03", help="the issue's date (default: 2017-07-03)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "email", help="where the PNGs go")
    args = parser.parse_args()

    chromium = find_chromium()
    if not chromium:
        print("error: chromium is not installed (scripts/ci/chromium.sh installs it)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, Browser(chromium) as browser:
        for prefix, theme, widths in SHOTS:
            room = sample_newsroom(Path(scratch), theme)
            issue = load_issue(room.issue_path(date.fromisoformat(args.issue)))
            page = Path(scratch) / f"{prefix}.html"
            page.write_text(Renderer(room).email_html(issue, recipient="reader@example.org"), encoding="utf-8")
            for width in widths:
                for mode in ("light", "dark"):
                    browser.open(page.as_uri(), width=width, dark=mode == "dark")
                    shot = args.out / f"{prefix}-{width}-{mode}.png"
                    browser.screenshot(shot, width=width)
                    print(f"{shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
