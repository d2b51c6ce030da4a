"""An item's headline: its title without the site name some feeds append to every title."""

from __future__ import annotations

import re

# " - Xinhua", " | Reuters", "_新华网": a site's name after the headline.
_SITE_SUFFIX = re.compile(r"^(?P<title>.{8,}?)\s*(?:\s[-–—|]\s|_|｜)\s*(?P<site>[^-–—|_｜]{2,24})$")
_OUTLET_ENDINGS = ("网", "报", "社", "台", "观察", "新闻", "日报", "在线", "频道", "动态")


def headline_from_title(title: str, source: str) -> str:
    """The item's title without the site name some feeds append to every title."""
    match = _SITE_SUFFIX.match(title.strip())
    if not match:
        return title.strip()
    site = match.group("site").strip()
    if site.casefold() == source.casefold() or site.endswith(_OUTLET_ENDINGS):
        return match.group("title").strip()
    return title.strip()
