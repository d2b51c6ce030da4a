"""A newsroom folder: sources.toml, templates/, issues/ and the store in .newsdesk/."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsdesk.config import Config, load_config
from newsdesk.errors import Refused
from newsdesk.store import Store

CONFIG_NAME = "sources.toml"
STATE_DIR = ".newsdesk"


@dataclass
class Newsroom:
    root: Path
    config: Config

    @classmethod
    def open(cls, root: Path | str = ".") -> Newsroom:
        root = Path(root).resolve()
        return cls(root=root, config=load_config(root / CONFIG_NAME))

    @property
    def issues_dir(self) -> Path:
        return self.root / "issues"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def store_path(self) -> Path:
        return self.state_dir / "store.sqlite3"

    def store(self) -> Store:
        return Store(self.store_path)

    def issue_path(self, day: date) -> Path:
        return self.issues_dir / f"{day.isoformat()}.md"

    def issue_dates(self) -> list[date]:
        """Dates of the issues in issues/, oldest first."""
        found = []
        for path in self.issues_dir.glob("*.md"):
            try:
                found.append(date.fromisoformat(path.stem))
            except ValueError:
                continue
        return sorted(found)

    def source_location(self, url: str) -> str:
        """An http(s) URL as it is, a file:// URL or path as an absolute local path."""
        if url.startswith(("http://", "https://")):
            return url
        if url.startswith("file://"):
            return url.removeprefix("file://")
        return str((self.root / url).resolve())

    @contextmanager
    def exclusive(self, job: str) -> Iterator[None]:
        """Hold the newsroom's lock for ``job``; a second holder is refused, not queued."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        lock_path = self.state_dir / f"{job}.lock"
        with open(lock_path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise Refused(
                    f"newsroom busy: a {job} is already running (pid {holder}); try again when it ends"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)
