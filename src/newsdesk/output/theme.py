"""The email's colours and type, for light and dark mode, each text colour checked against
the background it is painted on (WCAG 2's contrast ratio, 4.5:1 for normal text).

The templates take every colour from here, so the dark-mode rules, the Outlook.com rules
and the CSS inlined into annotations cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from newsdesk.config import EMAIL_THEMES, HEX_COLOUR

AA = 4.5  # WCAG 2 level AA, normal text
# A little above AA for what is derived: anti-aliasing thins thin strokes (links, small text).
DERIVED_TARGET = 5.0
# On a dark card a link at 5:1 reads as dim next to 13:1 text: a lighter tint of the brand.
DARK_ACCENT_TARGET = 6.5


def is_hex_colour(value: str) -> bool:
    return bool(HEX_COLOUR.fullmatch(value))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a #rrggbb colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(first: str, second: str) -> float:
    """WCAG 2's contrast ratio of two #rrggbb colours, 1 to 21."""
    a, b = sorted((luminance(first), luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def readable_on(colour: str, background: str, target: float = DERIVED_TARGET) -> str:
    """``colour``, mixed towards black or white (whichever is further from the background)
    just enough to reach ``target`` against ``background``."""
    if contrast(colour, background) >= target:
        return colour
    towards = (0, 0, 0) if luminance(background) > 0.18 else (255, 255, 255)
    start = _rgb(colour)
    low, high = 0.0, 1.0  # the share of black or white in the mix: bisected
    for _ in range(30):
        middle = (low + high) / 2
        mixed = _hex(tuple(s + (t - s) * middle for s, t in zip(start, towards, strict=True)))
        if contrast(mixed, background) >= target:
            high = middle
        else:
            low = middle
    return _hex(tuple(s + (t - s) * high for s, t in zip(start, towards, strict=True)))


@dataclass(frozen=True)
class Palette:
    """One mode's colours. ``card`` is the column's background, ``page`` the window's."""

    page: str
    card: str
    text: str
    heading: str
    muted: str  # the footer and other small print
    brand: str  # the masthead's name line
    link: str
    rule: str  # dividers: not text, no contrast needed

    def problems(self, mode: str) -> list[str]:
        """The text colours that fall under 4.5:1 on the card."""
        found = []
        for name in ("text", "heading", "muted", "brand", "link"):
            ratio = contrast(getattr(self, name), self.card)
            if ratio < AA:
                found.append(f"{mode} {name} {getattr(self, name)} on {self.card} is {ratio:.2f}:1")
        return found


@dataclass(frozen=True)
class Theme:
    name: str
    body_font: Markup
    heading_font: Markup
    label_font: Markup  # the masthead's name line, the footer
    light: Palette
    dark: Palette


SERIF = Markup(
    "Georgia, 'Times New Roman', 'Songti SC', 'Noto Serif CJK SC', 'Source Han Serif SC', STSong, SimSun, serif"
)
SANS = Markup(
    "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, 'PingFang SC', 'Hiragino Sans GB', "
    "'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"
)

LIGHT_BASE = {
    "page": "#f4f4f4",
    "card": "#ffffff",
    "text": "#1d1d1f",
    "heading": "#111111",
    "muted": "#5f6368",
    "rule": "#e3e3e3",
}
DARK_BASE = {
    "page": "#121212",
    "card": "#1e1e1e",
    "text": "#e6e6e6",
    "heading": "#f5f5f5",
    "muted": "#a8adb3",
    "rule": "#3a3a3c",
}
DEFAULT_BRAND = "#9b1c1c"
# Headings in the sans theme take the brand colour, darker than body links need: a heading
# is read first and should hold its own against the text under it.
HEADING_TARGET = 7.0

# The themes `[newsroom] theme` may name: "serif" (Georgia and a Song face for Chinese; the
# masthead and footer in sans) and "sans" (system sans faces throughout, PingFang or YaHei
# for Chinese; headings in the brand colour).
THEMES = EMAIL_THEMES
DEFAULT_THEME_NAME = "serif"


def make_theme(brand: str = DEFAULT_BRAND, name: str = DEFAULT_THEME_NAME) -> Theme:
    """The theme ``name`` (one of THEMES) with ``brand`` (#rrggbb) as its accent, light and
    dark: links, the masthead's name and (sans) headings follow it, each made readable."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r} (known: {', '.join(THEMES)})")
    if not is_hex_colour(brand):
        raise ValueError(f"a brand colour is #rrggbb, not {brand!r}")
    light_accent = readable_on(brand, LIGHT_BASE["card"])
    dark_accent = readable_on(brand, DARK_BASE["card"], DARK_ACCENT_TARGET)
    light, dark = dict(LIGHT_BASE), dict(DARK_BASE)
    body, heading = SERIF, SERIF
    if name == "sans":
        body, heading = SANS, SANS
        light["heading"] = readable_on(brand, LIGHT_BASE["card"], HEADING_TARGET)
        dark["heading"] = readable_on(brand, DARK_BASE["card"], HEADING_TARGET)
    return Theme(
        name=name,
        body_font=body,
        heading_font=heading,
        label_font=SANS,
        light=Palette(**light, brand=light_accent, link=light_accent),
        dark=Palette(**dark, brand=dark_accent, link=dark_accent),
    )


DEFAULT_THEME = make_theme()
