"""The core never imports Textual: only newsdesk.tui may."""

import subprocess
import sys
from pathlib import Path

import newsdesk

PACKAGE = Path(newsdesk.__file__).parent


def core_modules() -> list[str]:
    return sorted(
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in PACKAGE.rglob("*.py")
        if "tui" not in p.parts and p.stem != "__main__"
    )


def test_no_core_module_imports_textual():
    code = (
        "import sys, importlib\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_only_the_tui_package_mentions_textual():
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "tui" not in p.parts and ("import textual" in p.read_text() or "from textual" in p.read_text())
    ]
    assert offenders == []
