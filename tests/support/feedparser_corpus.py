"""feedparser's own test corpus: the tests/ folder of the installed feedparser's sdist.

``corpus_dir()`` downloads the sdist once with pip (PyPI) into ``.cache/`` at the
repository's root (gitignored) and extracts its tests/ folder there; a second run, or a
second xdist worker, finds it extracted. ``feeds()`` lists the feed files with what
feedparser's own test server would send with each: the Content-Type named in the file's
``Header:`` lines (else application/xml) and the Content-Encoding of the compression
tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"
# Where feedparser's own tests serve the corpus from: the base its expected URIs assume.
BASE_URL = "http://127.0.0.1:8097/tests/"
_HEADER = re.compile(rb"^Header:\s+([^:]+):(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class CorpusFeed:
    name: str  # the path under tests/, with "/"
    body: bytes
    content_type: str
    content_encoding: str | None

    @property
    def url(self) -> str:
        return BASE_URL + self.name


def corpus_dir() -> Path:
    """The extracted tests/ folder of the installed feedparser's sdist."""
    release = version("feedparser")
    target = CACHE / f"feedparser-{release}-tests"
    if target.is_dir():
        return target
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as work:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"feedparser=={release}",
                "--dest",
                work,
            ],
            check=True,
        )
        (sdist,) = Path(work).glob("feedparser-*.tar.gz")
        prefix = f"{sdist.name.removesuffix('.tar.gz')}/tests/"
        extracted = Path(work) / "tests"
        with tarfile.open(sdist) as archive:
            for member in archive.getmembers():
                name = member.name.removeprefix(prefix)
                if member.isfile() and name != member.name and ".." not in name.split("/"):
                    path = extracted / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(archive.extractfile(member).read())
        try:
            os.replace(extracted, target)  # atomic: another worker may have got there first
        except OSError:
            if not target.is_dir():
                raise
    return target


def feeds() -> list[CorpusFeed]:
    """Every feed file of the corpus (not its runner), sorted by name."""
    base = corpus_dir()
    found = []
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.suffix == ".py":
            continue
        name = path.relative_to(base).as_posix()
        body = path.read_bytes()
        encoding = None
        if name.startswith("compression/"):
            encoding = "gzip" if name.endswith("gz") else "deflate"
            content_type = "application/xml"
        else:
            headers = {k.decode().strip().lower(): v.decode().strip() for k, v in _HEADER.findall(body)}
            content_type = headers.get("content-type", "application/xml")
        found.append(CorpusFeed(name, body, content_type, encoding))
    return found
