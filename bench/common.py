"""Shared by the benchmarks: the machine, the versions, and appending to docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from datetime import date
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "docs" / "benchmarks.md"


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


def versions(*packages: str) -> str:
    return ", ".join(f"{p} {version(p)}" for p in packages)


def summary(values: list[float], unit: str = "", digits: int = 1) -> str:
    """'median (min–max)' of at least the runs given."""
    med = statistics.median(values)
    return f"{med:.{digits}f}{unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def append_results(section: str, lines: list[str]) -> None:
    """Append a dated block to docs/benchmarks.md under ``section``."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    block = [f"\n### {section}: {date.today().isoformat()}\n", f"Machine: {machine()}", ""]
    block += lines
    RESULTS.write_text(text.rstrip("\n") + "\n" + "\n".join(block) + "\n", encoding="utf-8")


def git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
