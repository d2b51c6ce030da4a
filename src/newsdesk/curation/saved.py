"""Sources that do not vanish: each pick's page kept with the issue.

When an item is picked its page is fetched (bounded as articles are) and saved under
``issues/<date>/sources/``: the HTML exactly as the server sent it (``<key>.html``), its
main text as trafilatura reads it (``<key>.txt``, UTF-8), and in ``sources.json`` the link,
where it led, when, and the sha256 of both files, so a copy can be shown to be the page as
it was. The editor may add a Wayback Machine (or any archive's) address for a link; the
pre-send check names the saved copy or that address when a read-more link has died, and
the post links the archived copy.

Links to names reserved for examples and tests (the samples') are never fetched.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.config import FetchSettings
from newsdesk.curation.articles import PageProblem, download, extract
from newsdesk.errors import InvalidInput
from newsdesk.files import write_atomic
from newsdesk.issue import Issue
from newsdesk.items import utc_text
from newsdesk.urls import canonical_url, is_http_url, placeholder_host

MANIFEST = "sources.json"


@dataclass(frozen=True)
class SavedSource:
    url: str  # the read-more link as the issue gives it
    key: str  # the files' name: the item id, or a digest of the link
    final_url: str = ""
    title: str = ""
    saved_at: str = ""
    html: str = ""  # file names inside sources/, "" when not saved
    text: str = ""
    html_sha256: str = ""
    text_sha256: str = ""
    problem: str = ""  # why it could not be saved (the last try)
    archived: str = ""  # an archive's copy of the page, given by the editor

    @property
    def saved(self) -> bool:
        return bool(self.html)


def sources_dir(issue: Issue) -> Path:
    if issue.path is None:
        raise InvalidInput("the issue has no file, so its sources have nowhere to go")
    return issue.path.parent / issue.name / "sources"


def _key(url: str, item_id: str | None) -> str:
    return item_id or hashlib.sha256(canonical_url(url).encode()).hexdigest()[:12]


def load_saved(issue: Issue) -> dict[str, SavedSource]:
    """The issue's saved sources by canonical link; none when nothing was saved."""
    path = sources_dir(issue) / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise InvalidInput(f"{path}: cannot be read: {error}") from None
    fields = set(SavedSource.__dataclass_fields__)
    return {
        canonical_url(entry["url"]): SavedSource(**{k: v for k, v in entry.items() if k in fields})
        for entry in raw.get("sources", [])
        if isinstance(entry, dict) and isinstance(entry.get("url"), str) and isinstance(entry.get("key"), str)
    }


def _write_manifest(issue: Issue, saved: dict[str, SavedSource]) -> None:
    entries = [asdict(source) for source in sorted(saved.values(), key=lambda s: s.key)]
    text = json.dumps({"sources": entries}, ensure_ascii=False, indent=2) + "\n"
    write_atomic(sources_dir(issue) / MANIFEST, text)


def saved_copy(issue: Issue, url: str) -> SavedSource | None:
    return load_saved(issue).get(canonical_url(url)) if is_http_url(url) else None


def save_source(
    issue: Issue, url: str, settings: FetchSettings, *, item_id: str | None = None, again: bool = False
) -> SavedSource:
    """Fetch ``url`` and keep it with the issue; a page saved before is kept (unless
    ``again``). Never raises for the page's sake: a failure is the result's ``problem``."""
    saved = load_saved(issue)
    known = saved.get(canonical_url(url))
    if known is not None and known.saved and not again:
        return known
    base = known or SavedSource(url=url, key=_key(url, item_id))
    if host := placeholder_host(url):
        return replace(base, problem=f"{host} is a name reserved for examples: nothing to save")
    folder = sources_dir(issue)
    now = utc_text(datetime.now(UTC))
    try:
        data, final_url = download(url, settings)
    except PageProblem as problem:
        result = replace(base, problem=str(problem))
    else:
        try:
            title, text = extract(data, final_url)
        except PageProblem as problem:  # not an article: the page is kept all the same
            title, text = "", f"({problem})\n"
        text_bytes = (text.rstrip("\n") + "\n").encode("utf-8")
        html_name, text_name = f"{base.key}.html", f"{base.key}.txt"
        write_atomic(folder / html_name, data)
        write_atomic(folder / text_name, text_bytes)
        result = replace(
            base,
            final_url=final_url,
            title=title,
            saved_at=now,
            html=html_name,
            text=text_name,
            html_sha256=hashlib.sha256(data).hexdigest(),
            text_sha256=hashlib.sha256(text_bytes).hexdigest(),
            problem="",
        )
    if result.saved or known is not None:
        saved[canonical_url(url)] = result
        _write_manifest(issue, saved)
    return result


def set_archived(issue: Issue, url: str, archived: str) -> SavedSource:
    """Record an archive's copy (a Wayback Machine address) of ``url``."""
    if not is_http_url(archived):
        raise InvalidInput(f"the archived copy must be an http(s) address, not {archived!r}")
    saved = load_saved(issue)
    development = next((d for d in issue.developments if canonical_url(d.read_more) == canonical_url(url)), None)
    item_id = development.item_id if development is not None else None
    base = saved.get(canonical_url(url)) or SavedSource(url=url, key=_key(url, item_id))
    result = replace(base, archived=archived)
    saved[canonical_url(url)] = result
    _write_manifest(issue, saved)
    return result


def save_issue_sources(issue: Issue, settings: FetchSettings, *, again: bool = False) -> list[SavedSource]:
    """Save the page of every development's read-more link."""
    return [
        save_source(issue, d.read_more, settings, item_id=d.item_id, again=again)
        for d in issue.developments
        if is_http_url(d.read_more)
    ]


def verify(issue: Issue, source: SavedSource) -> str | None:
    """What is wrong with a saved copy (missing, or changed since it was saved), else None."""
    folder = sources_dir(issue)
    for name, digest in ((source.html, source.html_sha256), (source.text, source.text_sha256)):
        try:
            if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
                return f"{folder / name} was changed after it was saved (its sha256 differs)"
        except OSError:
            return f"{folder / name} is missing"
    return None
