"""Place names in titles, in English and Chinese, so that "Hebei adopts its credit regulation"
and "Shanghai adopts its credit regulation" are told apart as two stories.

A small gazetteer, not a geocoder: China's provinces and the cities that news about its
credit system most often names, plus the economies it is most often compared with, kept
in data/places.toml. Each place has one key, whatever the language, so the same place
matches itself across scripts.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from newsdesk.chinese import fold

_PLACES_FILE = resources.files("newsdesk.curation").joinpath("data", "places.toml")
_FIELDS = {"en", "zh", "abbr"}
_LEVELS = {"province", "city", "country"}


def load_gazetteer(text: str, where: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """Each place's names by field (en, zh, abbr), from the text of places.toml; a
    ValueError naming the file and the key for anything amiss."""
    try:
        places = tomllib.loads(text).get("places")
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{where}: {error}") from None
    if not isinstance(places, dict) or not places:
        raise ValueError(f"{where}: no [places] table")
    gazetteer: dict[str, dict[str, tuple[str, ...]]] = {}
    owner: dict[str, str] = {}
    for key, entry in places.items():
        if not isinstance(entry, dict) or not {"en", "zh"} <= set(entry) or set(entry) - _FIELDS - {"level"}:
            raise ValueError(f"{where}: places.{key}: an entry needs en and zh lists (and abbr and level at most)")
        names: dict[str, tuple[str, ...]] = {}
        for field in sorted(_FIELDS & set(entry)):
            value = entry[field]
            if not isinstance(value, list) or not value or not all(isinstance(n, str) and n.strip() for n in value):
                raise ValueError(f"{where}: places.{key}.{field}: not a list of names")
            if field == "en" and any(n != n.casefold() for n in value):
                raise ValueError(f"{where}: places.{key}.en: English names are matched in lower case")
            for name in value:
                if owner.setdefault(name, key) != key:
                    raise ValueError(f"{where}: places.{key}.{field}: {name!r} is already a name of {owner[name]}")
            names[field] = tuple(value)
        gazetteer[key] = names
    return gazetteer


def load_levels(text: str, where: str) -> dict[str, tuple[str, ...]]:
    """Each place's levels (province, city, country), from the text of places.toml: two
    places of one level are never one story's."""
    places = tomllib.loads(text).get("places", {})
    out: dict[str, tuple[str, ...]] = {}
    for key, entry in places.items():
        levels = entry.get("level", [])
        if not isinstance(levels, list) or not set(levels) <= _LEVELS:
            raise ValueError(f"{where}: places.{key}.level: a list of {', '.join(sorted(_LEVELS))}")
        out[key] = tuple(levels)
    return out


@dataclass(frozen=True)
class _Matchers:
    english: re.Pattern[str]
    chinese: re.Pattern[str]
    abbreviations: re.Pattern[str]
    key_of: dict[str, str]


@functools.cache
def gazetteer() -> dict[str, dict[str, tuple[str, ...]]]:
    """The packaged gazetteer, read on first use and then kept: tomllib is pure Python,
    and a command that never compares titles need not wait for it."""
    return load_gazetteer(_PLACES_FILE.read_text(encoding="utf-8"), str(_PLACES_FILE))


@functools.cache
def place_levels() -> dict[str, tuple[str, ...]]:
    """The packaged gazetteer's levels by place key."""
    return load_levels(_PLACES_FILE.read_text(encoding="utf-8"), str(_PLACES_FILE))


def _alternation(names: Iterable[str]) -> str:
    """Longest first, so that a name wins over a shorter one it starts with."""
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


@functools.cache
def _matchers() -> _Matchers:
    places = gazetteer()
    english = _alternation(n for place in places.values() for n in place["en"]).replace(r"\ ", r"\s+")
    abbreviations = _alternation(n for place in places.values() for n in place.get("abbr", ()))
    return _Matchers(
        english=re.compile(rf"(?<![a-z0-9])({english})(?:'s)?(?![a-z0-9])"),
        chinese=re.compile(_alternation(n for place in places.values() for n in place["zh"])),
        # Not case-folded: "US" and "EU" only count in capitals (in lower case "us" is a pronoun).
        abbreviations=re.compile(rf"(?<![A-Za-z])({abbreviations})(?![A-Za-z])" if abbreviations else r"(?!)"),
        key_of={name: key for key, place in places.items() for names in place.values() for name in names},
    )


def places_in(text: str) -> frozenset[str]:
    """The gazetteer keys of the places named in ``text`` (any case, either script)."""
    matchers = _matchers()
    key_of = matchers.key_of
    found = {key_of[m] for m in matchers.abbreviations.findall(text)}
    folded = text.casefold()
    for match in matchers.english.finditer(folded):
        found.add(key_of[" ".join(match.group(1).split())])
    for match in matchers.chinese.finditer(fold(text)):
        found.add(key_of[match.group(0)])
    return frozenset(found)
