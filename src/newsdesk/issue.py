"""The issue file: TOML front matter between ``+++`` lines, the intro, one ``##`` section
per development. Hand-editable, diff-friendly, and byte-identical when loaded and saved
unchanged: the parts the editor did not change are written back exactly as they were.

    +++
    title = "Social Credit Weekly News Summary – 3rd July 2017"
    date = 2017-07-03
    week_start = 2017-06-26
    week_end = 2017-07-02
    status = "draft"
    tags = ["Hebei", "blacklists"]
    +++

    The intro paragraph.

    ## A headline in the editor's words

    The annotation, in Markdown.

    [Read more here](https://example.org/story)
    <!-- item: 1a2b3c4d5e6f -->
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from datetime import date as Date  # for fields named date, which hide the type
from pathlib import Path
from typing import Any

import tomlkit

from newsdesk.errors import IssueFileError
from newsdesk.files import read_text, write_atomic
from newsdesk.urls import is_http_url

STATUSES = ("draft", "ready", "sent", "published")
FENCE = "+++"
# The link is bare (balanced parentheses allowed, as in Wikipedia's), or in <…> (spaces allowed,
# as CommonMark's link destinations allow them there: a link typed with a space still saves).
_READ_MORE = re.compile(
    r"^\[read more(?: here)?\]\(\s*(?:<([^<>\r\n]*?)>|([^()\s<>]*(?:\([^()\s<>]*\)[^()\s<>]*)*))\s*\)\s*$",
    re.IGNORECASE,
)
_ITEM = re.compile(r"^<!--\s*item:\s*([^\s;]*)\s*(?:;\s*also:\s*(.*?))?\s*-->\s*$")
# Lines that mean to be a read-more link, an item comment or a heading: one that does not
# parse as such would be rendered literally into the email, so it stops the file instead.
_READ_MORE_START = re.compile(r"^\[read more(?: here)?\]\(", re.IGNORECASE)
_ITEM_START = re.compile(r"^<!--\s*item\b", re.IGNORECASE)
_HEADING_1 = re.compile(r"^#(?:[ \t]|$)")
_FRONT_KEYS: dict[str, type] = {
    "title": str,
    "date": date,
    "week_start": date,
    "week_end": date,
    "status": str,
    "tags": list,
    "post_url": str,
    "wordpress_id": int,
}
_DEFAULTS: dict[str, Any] = {"status": "draft", "tags": []}
# Control characters (C0 but the tab, DEL, C1): invisible, and most are not allowed in XML,
# so a title, tag or headline holding one would break the feeds.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
# What the desk's tags field splits on: a tag holding one would come back as two.
TAG_SEPARATORS = (",", "，", "、")
_REQUIRED = ("title", "date", "week_start", "week_end")


@dataclass
class Development:
    """One of the week's developments."""

    headline: str
    annotation: str = ""
    read_more: str = ""
    item_id: str | None = None
    also: list[str] = field(default_factory=list)  # other items reporting the same story
    # The section exactly as read from the file, and what it parsed to.
    raw: str | None = field(default=None, repr=False, compare=False)
    raw_fields: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    def fields(self) -> tuple[Any, ...]:
        return (self.headline, self.annotation, self.read_more, self.item_id, tuple(self.also))

    def problems(self) -> list[str]:
        found = []
        if not self.headline.strip():
            found.append("no headline")
        if not self.annotation.strip():
            found.append("no annotation")
        if not self.read_more:
            found.append("no read-more link")
        elif not is_http_url(self.read_more):
            found.append(f"read-more link is not http(s): {self.read_more}")
        return found


@dataclass
class Issue:
    """One weekly issue."""

    title: str
    date: Date
    week_start: Date
    week_end: Date
    status: str = "draft"
    intro: str = ""
    developments: list[Development] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # the blog's tags for this issue
    path: Path | None = field(default=None, compare=False)
    post_url: str | None = None
    wordpress_id: int | None = None
    # What was read, so unchanged parts are written back byte for byte.
    _front_text: str | None = field(default=None, repr=False, compare=False)
    _front_read: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    _intro_raw: str | None = field(default=None, repr=False, compare=False)
    _intro_parsed: str | None = field(default=None, repr=False, compare=False)
    _newline: str = field(default="\n", repr=False, compare=False)
    _bom: str = field(default="", repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.date.isoformat()

    def front_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "title": self.title,
            "date": self.date,
            "week_start": self.week_start,
            "week_end": self.week_end,
            "status": self.status,
            "tags": list(self.tags),
        }
        if self.post_url is not None:
            values["post_url"] = self.post_url
        if self.wordpress_id is not None:
            values["wordpress_id"] = self.wordpress_id
        return values

    def problems(self, expected: int) -> list[str]:
        """What keeps this issue from being complete, one phrase each."""
        found = []
        if not self.intro.strip():
            found.append("the intro is empty")
        count = len(self.developments)
        if count < expected:
            found.append(f"{_developments(expected - count)} still to pick ({count} of {expected})")
        elif count > expected:
            found.append(f"{_developments(count - expected)} too many ({count} of {expected})")
        for number, development in enumerate(self.developments, start=1):
            found.extend(f"development {number}: {p}" for p in development.problems())
        return found

    def item_ids(self) -> list[str]:
        return [d.item_id for d in self.developments if d.item_id]


def _developments(count: int) -> str:
    return f"{count} development" + ("" if count == 1 else "s")


def _fail(path: Path | str, line: int | None, problem: str) -> IssueFileError:
    at = f"{path}:{line}" if line else str(path)
    return IssueFileError(f"{at}: {problem}", line=line, problem=problem)


# Markdown's line endings only (\n, \r\n, \r): str.splitlines() also breaks at form
# feeds, U+2028 and the like, which would turn pasted text into new sections on reload.
_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


def _split_lines(text: str) -> list[str]:
    return [line for line in _LINE_END.split(text) if line]


def parse_issue(text: str, path: Path | str = "<issue>") -> Issue:
    """Parse the text of an issue file; raise IssueFileError naming the line."""
    newline = "\r\n" if "\r\n" in text else "\n"
    bom = "\ufeff" if text.startswith("\ufeff") else ""  # kept, so the file round-trips
    lines = _split_lines(text[len(bom) :])
    if not lines or lines[0].strip() != FENCE:
        raise _fail(path, 1, f"an issue file starts with a {FENCE} line opening its front matter")
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() == FENCE)
    except StopIteration:
        raise _fail(path, 1, f"the front matter is never closed by a {FENCE} line") from None
    front_text = "".join(lines[1:close])
    try:
        # tomllib reads (fast); tomlkit is only needed to write a changed front matter back.
        front = tomllib.loads(front_text)
    except tomllib.TOMLDecodeError as error:
        where = re.search(r"\(at line (\d+), column \d+\)", str(error))
        # The file's line: one for the opening +++; "at end of document" is the last line.
        line = int(where.group(1)) + 1 if where else front_text.rstrip("\r\n").count("\n") + 2
        problem = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(error))
        raise _fail(path, line, f"front matter: {problem}") from None
    values = _check_front(front, front_text, path)

    body = lines[close + 1 :]
    starts = _section_starts(body)
    intro_raw = "".join(body[: starts[0]] if starts else body)
    intro = intro_raw.strip()
    _check_lines(body, path, close + 2)
    developments = []
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(body)
        developments.append(_parse_section(body[start:end], path, close + 2 + start))
    return Issue(
        title=values["title"],
        date=values["date"],
        week_start=values["week_start"],
        week_end=values["week_end"],
        status=values.get("status", "draft"),
        intro=intro,
        developments=developments,
        tags=list(values.get("tags", [])),  # a copy: what was read stays as read
        path=Path(path) if not isinstance(path, Path) else path,
        post_url=values.get("post_url"),
        wordpress_id=values.get("wordpress_id"),
        _front_text=front_text,
        _front_read=values,
        _intro_raw=intro_raw,
        _intro_parsed=intro,
        _newline=newline,
        _bom=bom,
    )


def _check_front(values: dict[str, Any], front_text: str, path: Path | str) -> dict[str, Any]:
    def line_of(key: str) -> int | None:
        for number, line in enumerate(front_text.splitlines(), start=2):
            if re.match(rf"^\s*{re.escape(key)}\s*=", line):
                return number
        return None

    for key, value in values.items():
        if key not in _FRONT_KEYS:
            known = ", ".join(_FRONT_KEYS)
            raise _fail(path, line_of(key), f"unknown front matter key {key!r} (known: {known})")
        kind = _FRONT_KEYS[key]
        if kind is date and isinstance(value, date) and not hasattr(value, "hour"):
            continue
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            continue
        if kind is str and isinstance(value, str):
            _check_control(value, key, path, line_of(key))
            continue
        if kind is list:
            values[key] = _check_tags(value, path, line_of(key))
            continue
        wanted = {date: "a date like 2017-07-03", int: "a whole number", str: "a quoted string"}[kind]
        raise _fail(path, line_of(key), f"{key} must be {wanted}, not {value!r}")
    for key in _REQUIRED:
        if key not in values:
            raise _fail(path, 1, f"the front matter is missing {key!r}")
    if values.get("status", "draft") not in STATUSES:
        raise _fail(path, line_of("status"), f"status must be one of {', '.join(STATUSES)}, not {values['status']!r}")
    if values["week_start"] > values["week_end"]:
        raise _fail(path, line_of("week_end"), "week_end is before week_start")
    return values


def tag_slug(tag: str) -> str:
    """A tag's name in the blog's addresses: its words (letters and digits of any script)
    joined by '-', in lower case: 'Social Credit' -> 'social-credit', '信用 体系' -> '信用-体系'."""
    return "-".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", tag).casefold()))


def without_controls(text: str) -> str:
    """``text`` with each control character the issue file refuses in a title, tag or
    headline made a space (for what the desk takes as typed or pasted)."""
    return _CONTROL.sub(" ", text)


def tags_from_text(text: str) -> list[str]:
    """Tags typed on one line, separated by commas (",", "，" or "、"): the ones with a
    letter or digit, each once as the blog tells them apart (the first spelling kept)."""
    tags: dict[str, str] = {}
    for part in re.split(f"[{''.join(TAG_SEPARATORS)}]", text):
        name = " ".join(without_controls(part).split())
        if tag_slug(name):
            tags.setdefault(tag_slug(name), name)
    return list(tags.values())


def _check_tags(value: Any, path: Path | str, line: int | None) -> list[str]:
    """A list of tag names, each with a letter or digit, none twice (as the blog's tag
    pages tell them apart: 'China' and 'china' are one tag)."""
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise _fail(path, line, f'tags must be a list of quoted names like ["Hebei", "courts"], not {value!r}')
    seen: dict[str, str] = {}
    for tag in value:
        _check_control(tag, f"tag {tag!r}", path, line)
        separator = next((s for s in TAG_SEPARATORS if s in tag), None)
        if separator is not None:
            raise _fail(
                path,
                line,
                f"tag {tag!r} holds {separator!r}, which separates tags in the desk: "
                "write it without, or make it two tags",
            )
        slug = tag_slug(tag)
        if not slug:
            raise _fail(path, line, f"tag {tag!r} has no letter or digit in it")
        if slug in seen:
            raise _fail(path, line, f"tags {seen[slug]!r} and {tag!r} are the same tag")
        seen[slug] = tag
    return [" ".join(tag.split()) for tag in value]


def _check_control(value: str, what: str, path: Path | str, line: int | None) -> None:
    found = _CONTROL.search(value)
    if found is not None:
        raise _fail(
            path,
            line,
            f"{what} holds the control character U+{ord(found.group()):04X}: remove it (feeds cannot carry it)",
        )


def _shown(line: str, limit: int = 72) -> str:
    """A line as a message quotes it: stripped, and cut short when long."""
    text = line.strip()
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _check_lines(body: list[str], path: Path | str, first_line: int) -> None:
    """Refuse a line that means to be structure (a heading, a read-more link, an item
    comment) but would not parse as it: rendered, it would reach readers as typed."""
    fenced = False
    for index, line in enumerate(body):
        stripped = line.strip()
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        number = first_line + index
        if _HEADING_1.match(line.rstrip("\r\n")):
            raise _fail(
                path, number, f"found a '# ' heading ({_shown(line)}); a development's headline starts with '## '"
            )
        if _READ_MORE_START.match(stripped) and not _READ_MORE.match(stripped):
            opened = stripped[stripped.index("](") + 2 :]
            if ")" not in opened:
                problem = "the read-more link is never closed with ')'"
            else:
                problem = "the read-more link cannot be read"
            raise _fail(
                path,
                number,
                f"{problem}: found {_shown(line)}, expected '[Read more here](URL)' alone on its line "
                "(the URL in <…> if it holds spaces or unmatched parentheses)",
            )
        if _ITEM_START.match(stripped) and not _ITEM.match(stripped):
            problem = "the item comment is not closed" if "-->" not in stripped else "the item comment cannot be read"
            raise _fail(
                path,
                number,
                f"{problem}: found {_shown(line)}, expected '<!-- item: ID -->' "
                "or '<!-- item: ID; also: ID, ID -->' on one line",
            )


def _section_starts(body: list[str]) -> list[int]:
    starts, fenced = [], False
    for index, line in enumerate(body):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.startswith("## "):
            starts.append(index)
    return starts


def _parse_section(lines: list[str], path: Path | str, first_line: int) -> Development:
    headline = lines[0][3:].strip()
    if not headline:
        raise _fail(path, first_line, "a development's headline is empty")
    _check_control(headline, "the headline", path, first_line)
    read_more, item_id, also = "", None, []
    item_line = 0
    kept: list[str] = []
    # The section's last read-more line is its link; one quoted in the annotation stays text.
    links = [i for i, line in enumerate(lines) if _READ_MORE.match(line.strip())]
    for offset, line in enumerate(lines[1:], start=1):
        stripped = line.strip()
        if links and offset == links[-1]:
            link = _READ_MORE.match(stripped)
            assert link is not None  # links holds the lines it matches
            read_more = link.group(1) or link.group(2) or ""
        elif match := _ITEM.match(stripped):
            if item_line:
                # Most often the next development's '## ' line was lost, joining the two.
                raise _fail(
                    path,
                    first_line + offset,
                    f"a development has two item comments (the first on line {item_line}): "
                    "is the '## ' headline of the next development missing?",
                )
            item_line = first_line + offset
            item_id = match.group(1) or None
            also = [i.strip() for i in (match.group(2) or "").split(",") if i.strip()]
        else:
            kept.append(line)
    development = Development(
        headline=headline,
        annotation="".join(kept).strip(),
        read_more=read_more,
        item_id=item_id,
        also=also,
    )
    development.raw = "".join(lines)
    development.raw_fields = development.fields()
    return development


def _demote_headings(text: str) -> str:
    """'# x' and '## x' lines would start sections: inside prose they become '### x'."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,2}(\s|$)", line):
            line = "### " + line.lstrip("#").lstrip()
        out.append(line)
    return "\n".join(out)


def _render_section(development: Development, newline: str) -> str:
    parts = [f"## {' '.join(development.headline.split())}"]
    if development.annotation.strip():
        parts.append(_demote_headings(development.annotation.strip()))
    tail = []
    if development.read_more:
        link = development.read_more
        wrap = any(c in "()" or c.isspace() for c in link)
        tail.append(f"[Read more here]({f'<{link}>' if wrap else link})")
    if development.item_id or development.also:
        also = f"; also: {', '.join(development.also)}" if development.also else ""
        tail.append(f"<!-- item: {development.item_id or ''}{also} -->")
    if tail:
        parts.append("\n".join(tail))
    return "\n\n".join(parts).replace("\n", newline) + newline


def _front_matter(issue: Issue) -> str:
    """The front matter's text: as read when nothing in it changed, else edited in place."""
    values = issue.front_values()
    if issue._front_text is None:
        document = tomlkit.document()
        for key, value in values.items():
            if key in _DEFAULTS and not value and not _DEFAULTS[key]:
                continue  # no tags: nothing to say
            document[key] = value
        return tomlkit.dumps(document)
    read = issue._front_read or {}
    # A default the file leaves unsaid stays unsaid.
    wanted = {k: v for k, v in values.items() if k in read or _DEFAULTS.get(k) != v}
    if wanted == read:
        return issue._front_text
    document = tomlkit.parse(issue._front_text)  # keeps the editor's comments and layout
    for key, value in wanted.items():
        if read.get(key) != value:
            document[key] = value
    for key in read:
        if key not in wanted:
            del document[key]
    return tomlkit.dumps(document)


def dump_issue(issue: Issue) -> str:
    """The issue file's text; unchanged parts come back exactly as they were read."""
    nl = issue._newline
    front_text = _front_matter(issue)
    if front_text and not front_text.endswith(("\n", "\r\n")):
        front_text += nl
    out = [f"{issue._bom}{FENCE}{nl}", front_text, f"{FENCE}{nl}"]

    previous_raw = issue._intro_raw is not None and issue.intro == issue._intro_parsed
    if previous_raw:
        out.append(issue._intro_raw or "")
    else:
        intro = _demote_headings(issue.intro.strip()).replace("\n", nl)
        out.append(f"{nl}{intro}{nl}" if intro else "")
    for development in issue.developments:
        raw = development.raw is not None and development.fields() == development.raw_fields
        # Between parts written anew, one blank line; parts kept as read keep their spacing.
        if not (raw and previous_raw) and not "".join(out).endswith(nl + nl):
            out.append(nl)
        out.append((development.raw or "") if raw else _render_section(development, nl))
        previous_raw = raw
    return "".join(out)


def load_issue(path: Path) -> Issue:
    # The BOM is not stripped here: parse_issue keeps it, so the file is written back as it was.
    return parse_issue(read_text(path, IssueFileError, "no such issue file", bom=False), path)


def save_issue(issue: Issue, path: Path | None = None) -> str:
    """Write the issue atomically and return the text written; afterwards what is on disk
    is what was read."""
    target = path or issue.path
    if target is None:
        raise ValueError("the issue has no path")
    text = dump_issue(issue)
    saved = parse_issue(text, target)  # before writing: never put a file on disk that won't load
    write_atomic(target, text)
    # Remember what is on disk now, so the next save keeps it byte for byte.
    issue._front_text, issue._front_read = saved._front_text, saved._front_read
    issue._intro_raw, issue._intro_parsed = saved._intro_raw, saved._intro_parsed
    for mine, theirs in zip(issue.developments, saved.developments, strict=True):
        mine.raw, mine.raw_fields = theirs.raw, theirs.raw_fields
    issue.path = target
    return text
