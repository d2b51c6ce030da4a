"""Bring your feeds: sources to and from OPML, the subscription list every feed reader
imports and exports.

Import reads OPML 1.0 or 2.0 (nested folders become tags, as does a ``category``
attribute), skips feeds already in sources.toml (same URL once tracking and case noise are
dropped, or same name), reports every skipped or invalid outline in one line, and appends
the rest to sources.toml with tomlkit, so the file's comments and layout stay as they were.
Export writes OPML 2.0; each source's weight and enabled flag ride along in newsdesk's own
namespace, so an export imported elsewhere gives the same sources back.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import tomlkit

from newsdesk.config import Config, parse_config
from newsdesk.errors import ConfigError, InvalidInput
from newsdesk.files import write_atomic
from newsdesk.urls import canonical_url, is_http_url

NAMESPACE = "urn:newsdesk:opml"
MAX_OPML_BYTES = 10_000_000


@dataclass(frozen=True)
class Feed:
    """One feed outline: a name, a URL, tags, and newsdesk's own settings when it wrote them."""

    name: str
    url: str
    tags: tuple[str, ...] = ()
    weight: float | None = None
    enabled: bool | None = None


@dataclass
class ImportReport:
    added: list[Feed] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    def lines(self, *, dry_run: bool = False) -> list[str]:
        verb = "would add" if dry_run else "added"
        out = [f"{verb} {feed.name!r}: {feed.url}" for feed in self.added]
        out += [f"skipped {line}" for line in self.duplicates]
        out += [f"invalid {line}" for line in self.invalid]
        return out


def _valid_url(url: str) -> bool:
    # file:// too, so a newsroom's own export (local sample feeds) imports back.
    return is_http_url(url) or url.startswith("file://")


def _same_url(url: str) -> str:
    return canonical_url(url) if is_http_url(url) else url.strip()


def parse_opml(data: bytes, label: str = "<opml>") -> tuple[list[Feed], list[str]]:
    """The feeds of an OPML document, and one line per outline that is not a usable feed."""
    if len(data) > MAX_OPML_BYTES:
        raise InvalidInput(f"{label}: larger than {MAX_OPML_BYTES // 1_000_000} MB; not a subscription list")
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise InvalidInput(f"{label}: OPML with a DTD or entities is refused (feed readers never write one)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise InvalidInput(f"{label}:{error.position[0]}: not valid XML: {error}") from None
    if root.tag != "opml":
        raise InvalidInput(f"{label}: not OPML (the root element is <{root.tag}>, not <opml>)")
    body = root.find("body")
    if body is None:
        raise InvalidInput(f"{label}: OPML without a <body>")
    feeds: list[Feed] = []
    invalid: list[str] = []

    def walk(element: ET.Element, folders: tuple[str, ...]) -> None:
        for number, outline in enumerate(element.findall("outline"), start=1):
            text = (outline.get("title") or outline.get("text") or "").strip()
            url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            if not url:
                if len(outline):  # a folder: its name tags the feeds in it
                    walk(outline, (*folders, text) if text else folders)
                elif (outline.get("type") or "").lower() in ("rss", "atom"):
                    invalid.append(f"outline {text or number!r}: no xmlUrl")
                continue
            where = f"{text!r} ({url})" if text else f"({url})"
            if not _valid_url(url):
                invalid.append(f"{where}: xmlUrl must be an http(s) or file:// URL")
                continue
            if not text:
                invalid.append(f"{where}: no title or text to name it by")
                continue
            categories = [
                part.strip()
                for category in (outline.get("category") or "").split(",")
                for part in category.split("/")
                if part.strip()
            ]
            weight = outline.get(f"{{{NAMESPACE}}}weight")
            enabled = outline.get(f"{{{NAMESPACE}}}enabled")
            try:
                weight_value = float(weight) if weight is not None else None
            except ValueError:
                invalid.append(f"{where}: newsdesk:weight is not a number: {weight!r}")
                continue
            tags = tuple(dict.fromkeys((*folders, *categories)))
            feeds.append(Feed(text, url, tags, weight_value, None if enabled is None else enabled.lower() != "false"))

    walk(body, ())
    return feeds, invalid


def import_feeds(config_path: Path, feeds: list[Feed], invalid: list[str], *, dry_run: bool = False) -> ImportReport:
    """Append the feeds not already in sources.toml to it, keeping its comments and layout."""
    try:
        text = config_path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(f"{config_path}: cannot read: {error.strerror}") from None
    config = parse_config(text, config_path)  # a broken file is reported before anything changes
    known_urls = {_same_url(source.url): source.name for source in config.sources}
    known_names = {source.name.casefold(): source.name for source in config.sources}
    report = ImportReport(invalid=list(invalid))
    for feed in feeds:
        url_key = _same_url(feed.url)
        if url_key in known_urls:
            report.duplicates.append(f"{feed.name!r} ({feed.url}): already in sources.toml as {known_urls[url_key]!r}")
        elif feed.name.casefold() in known_names:
            report.duplicates.append(
                f"{feed.name!r} ({feed.url}): a source named {known_names[feed.name.casefold()]!r} exists"
            )
        else:
            report.added.append(feed)
            known_urls[url_key] = feed.name
            known_names[feed.name.casefold()] = feed.name
    if report.added and not dry_run:
        new_text = _insert_sources(text, report.added)
        parse_config(new_text, config_path)  # what is written must load
        write_atomic(config_path, new_text)
    return report


_TABLE_HEADER = re.compile(r"^\[\[?\s*[A-Za-z0-9_.\"' -]+\s*\]\]?\s*(?:#.*)?$")


def _source_text(feed: Feed) -> str:
    table = tomlkit.table()
    table["name"] = feed.name
    table["url"] = feed.url
    if feed.tags:
        table["tags"] = list(feed.tags)
    if feed.weight is not None and feed.weight != 1.0:
        table["weight"] = feed.weight
    if feed.enabled is False:
        table["enabled"] = False
    document = tomlkit.document()
    sources = tomlkit.aot()
    sources.append(table)
    document.append("sources", sources)
    return tomlkit.dumps(document).strip("\n") + "\n"


def _insert_sources(text: str, feeds: list[Feed]) -> str:
    """The text with new [[sources]] tables right after the last one (else at the end).

    Inserted as text, not through a parsed document: a comment that introduces the table
    after the sources stays with that table.
    """
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    headers = [i for i, line in enumerate(lines) if _TABLE_HEADER.match(line.rstrip("\r\n"))]
    last = max((i for i in headers if lines[i].strip().startswith("[[sources]]")), default=None)
    if last is None:
        at = len(lines)
    else:
        at = next((i for i in headers if i > last), len(lines))
        while at > last + 1 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
            at -= 1  # blank lines and comments before the next table belong to it
    block = "".join("\n" + _source_text(feed) for feed in feeds)
    if at == len(lines) and lines and lines[-1].strip() == "":
        block = block.lstrip("\n")
    return "".join(lines[:at]) + block + "".join(lines[at:])


def export_opml(config: Config, root: Path) -> str:
    """OPML 2.0 of every source; local feeds as file:// URLs."""
    ET.register_namespace("newsdesk", NAMESPACE)
    opml = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = f"{config.newsroom.name}: sources"
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(opml, "body")
    for source in config.sources:
        url = source.url
        if not _valid_url(url):
            url = (root / url).resolve().as_uri()
        attributes = {"type": "rss", "text": source.name, "title": source.name, "xmlUrl": url}
        if source.tags:
            attributes["category"] = ",".join(source.tags)
        attributes[f"{{{NAMESPACE}}}weight"] = f"{source.weight:g}"
        if not source.enabled:
            attributes[f"{{{NAMESPACE}}}enabled"] = "false"
        ET.SubElement(body, "outline", attributes)
    ET.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"
