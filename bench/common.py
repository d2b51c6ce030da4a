"""Shared by the benchmarks: the machine, the versions, and appending to docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from datetime import date
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "docs" / "benchmarks.md"
# The feed farm and the test servers are the tests' (tests/support): benchmarks use them too.
sys.path.insert(0, str(REPO / "tests" / "support"))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, Python {platform.python_version()}, {platform.system()}"


def compile_bytecode(package: Path | None = None) -> None:
    """Write the bytecode of newsdesk's modules (or of the package folder given), as an
    installed package has it, before any run is timed. A command started afresh for each
    run would otherwise compile them every time where PYTHONDONTWRITEBYTECODE is set, as
    it is in some shells and CI images: about 20 ms of each warm fetch here."""
    import compileall

    if package is None:
        import newsdesk

        package = Path(newsdesk.__file__).parent
    compileall.compile_dir(package, quiet=1)


def versions(*packages: str) -> str:
    return ", ".join(f"{p} {version(p)}" for p in packages)


def summary(values: list[float], unit: str = "", digits: int = 1) -> str:
    """'median (min–max)' of at least the runs given."""
    med = statistics.median(values)
    return f"{med:.{digits}f}{unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def append_results(section: str, lines: list[str]) -> None:
    """Add a dated block to docs/benchmarks.md at the end of its ``## section``."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    block = "\n".join([f"### {date.today().isoformat()}", "", f"Machine: {machine()}", "", *lines]) + "\n"
    heading = f"## {section}\n"
    if heading not in text:
        text = text.rstrip("\n") + f"\n\n{heading}"
    start = text.index(heading) + len(heading)
    following = text.find("\n## ", start)
    end = len(text) if following < 0 else following + 1
    body = text[start:end].rstrip("\n")
    text = text[:start] + body + "\n\n" + block + ("\n" + text[end:] if end < len(text) else "")
    RESULTS.write_text(text, encoding="utf-8")


def show_results(section: str, lines: list[str], *, record: bool) -> None:
    """Print a benchmark's block; with ``record``, append it to docs/benchmarks.md too."""
    print("\n".join(lines))
    if record:
        append_results(section, lines)
        print(f"\nappended to {RESULTS}")


def git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
