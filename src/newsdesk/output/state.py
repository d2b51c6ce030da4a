"""Where each issue of the newsroom stands: its status (draft, ready, sent, published), whether
it is complete, whether its rendered outputs in build/ are missing or older than what makes
them, and its last check (kept in the store's meta table, valid while the file is unchanged)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.errors import NewsdeskError
from newsdesk.issue import load_issue
from newsdesk.newsroom import Newsroom
from newsdesk.store import Store

OUTPUTS = ("email.html", "email.txt", "post.html", "post_body.html", "post.md")  # in build/<date>/


@dataclass
class CheckRecord:
    """The last `newsdesk check` (or the desk's) of an issue file."""

    digest: str  # of the file it checked
    errors: int
    warnings: int
    finished: str  # ISO 8601, UTC
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.errors and not self.warnings:
            return "all checks passed"
        return f"{self.errors} error{'s' * (self.errors != 1)}, {self.warnings} warning{'s' * (self.warnings != 1)}"


@dataclass
class IssueState:
    path: Path
    name: str  # the publication date, 2017-07-03
    title: str = ""
    status: str = ""  # draft, ready, sent, published; "" when the file does not read
    problem: str = ""  # the file's error when it does not read
    missing: list[str] = field(default_factory=list)  # what the issue still lacks
    outputs: str = "none"  # "none" rendered yet, "stale", "fresh"
    stale: list[str] = field(default_factory=list)  # the outputs missing or older than their sources
    check: CheckRecord | None = None  # the last check, if the file has not changed since
    post_url: str | None = None

    @property
    def checked(self) -> bool:
        return self.check is not None and not self.check.errors

    def label(self) -> str:
        """The state in a few words: "draft, 2 to do", "checked", "sent", "published"."""
        if self.problem:
            return "broken file"
        words = [self.status]
        if self.status in ("draft", "ready") and self.checked:
            words = ["checked"]
        if self.missing:
            words.append(f"{len(self.missing)} to do")
        if self.outputs == "stale":
            words.append("outputs stale")
        return ", ".join(words)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _newest(paths: list[Path]) -> float:
    newest = 0.0
    for path in paths:
        try:
            newest = max(newest, path.stat().st_mtime)
        except OSError:
            continue
    return newest


def sources_of_outputs(room: Newsroom) -> float:
    """When what every issue's outputs are made of last changed: sources.toml and the templates."""
    templates = list(room.templates_dir.rglob("*")) if room.templates_dir.is_dir() else []
    return _newest([room.root / "sources.toml", *templates])


def check_key(name: str) -> str:
    return f"check:{name}"


def save_check(store: Store, path: Path, lines: list[str], errors: int, warnings: int) -> CheckRecord:
    """Keep the result of a check of the issue file at ``path`` (meta's check:<date> row)."""
    record = CheckRecord(_digest(path), errors, warnings, datetime.now(UTC).isoformat(timespec="seconds"), lines)
    with store.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (check_key(path.stem), json.dumps(record.__dict__, ensure_ascii=False)),
        )
    return record


def last_check(store: Store, path: Path) -> CheckRecord | None:
    """The last check of the file, if the file is as it was then."""
    with store.reading() as db:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (check_key(path.stem),)).fetchone()
    if row is None:
        return None
    record = CheckRecord(**json.loads(row[0]))
    try:
        return record if record.digest == _digest(path) else None
    except OSError:
        return None


def issue_state(room: Newsroom, path: Path, store: Store, inputs_changed: float | None = None) -> IssueState:
    state = IssueState(path=path, name=path.stem)
    try:
        issue = load_issue(path)
    except NewsdeskError as error:
        state.problem = error.message
        return state
    state.title, state.status, state.post_url = issue.title, issue.status, issue.post_url
    state.missing = issue.problems(room.config.newsroom.developments)
    out = room.root / "build" / issue.name
    made_of = max(_newest([path]), sources_of_outputs(room) if inputs_changed is None else inputs_changed)
    rendered = {name: _newest([out / name]) for name in OUTPUTS}
    if not any(rendered.values()):
        state.outputs = "none"
    else:
        state.stale = [name for name, when in rendered.items() if when < made_of]
        state.outputs = "stale" if state.stale else "fresh"
    state.check = last_check(store, path)
    return state


def issue_states(room: Newsroom) -> list[IssueState]:
    """Every issue file of the newsroom, newest first."""
    paths = sorted(room.issues_dir.glob("*.md"), reverse=True) if room.issues_dir.is_dir() else []
    inputs_changed = sources_of_outputs(room)
    with room.store() as store:
        return [issue_state(room, path, store, inputs_changed) for path in paths]
