"""An item's headline: its title without the site name some feeds append to every title."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

# " - Xinhua", " | Reuters", "_新华网": a site's name after the headline.
_SITE_SUFFIX = re.compile(r"^(?P<title>.{8,}?)\s*(?:\s[-–—|]\s|_|｜)\s*(?P<site>[^-–—|_｜]{2,24})$")
_OUTLETS_FILE = resources.files("newsdesk.curation").joinpath("data", "outlets.toml")


def load_outlet_endings(text: str, where: str) -> tuple[str, ...]:
    """The endings of outlets' names, from the text of outlets.toml; a ValueError naming
    the file and the key for anything amiss."""
    try:
        endings = tomllib.loads(text).get("endings")
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{where}: {error}") from None
    if not isinstance(endings, list) or not endings or not all(isinstance(e, str) and e.strip() for e in endings):
        raise ValueError(f"{where}: endings: not a list of name endings")
    return tuple(endings)


# Read once, on import.
_OUTLET_ENDINGS = load_outlet_endings(_OUTLETS_FILE.read_text(encoding="utf-8"), str(_OUTLETS_FILE))


def headline_from_title(title: str, source: str) -> str:
    """The item's title without the site name some feeds append to every title."""
    match = _SITE_SUFFIX.match(title.strip())
    if not match:
        return title.strip()
    site = match.group("site").strip()
    if site.casefold() == source.casefold() or site.endswith(_OUTLET_ENDINGS):
        return match.group("title").strip()
    return title.strip()
