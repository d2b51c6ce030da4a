"""The newsroom's glossary: each Chinese term and the English the newsletter gives it.

``glossary.toml`` in the newsroom, edited by hand or with `newsdesk glossary add` (and the
desk), which keeps the file's comments and layout (tomlkit)::

    # How we translate.
    [terms]
    "社会信用体系" = "social credit system"
    "失信被执行人" = { en = "judgment defaulters", also = ["discredited persons"], note = "court usage" }

``also`` lists other renderings of the term, the ones the newsletter does not use: the
pre-send check flags an annotation that writes one of them, or gives one term two ways.

Terms are found in a text by direct matching, leftmost and longest first, with traditional
and simplified characters folded together (誠信 finds 诚信), so no segmenter is needed and
a 5,000-term glossary is looked up in a few milliseconds.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from newsdesk.chinese import fold, has_han
from newsdesk.errors import InvalidInput, Refused
from newsdesk.files import read_text, write_atomic

GLOSSARY_NAME = "glossary.toml"
HEADER = """\
# The newsroom's glossary: each Chinese term and its English, as the newsletter writes it.
# `also` lists renderings we do not use; `newsdesk check` flags them, and a term given two ways.
"""


class GlossaryError(InvalidInput):
    """glossary.toml cannot be read, or holds something that is not a term."""


_LATIN = re.compile(r"[A-Za-z]")


def term_problem(zh: str) -> str | None:
    """Why ``zh`` cannot be a glossary term, or None: a term is Chinese (figures and
    punctuation may go with it), with no Latin letters (诚信honesty, abc)."""
    zh = unicodedata.normalize("NFKC", zh.strip())
    if not has_han(zh):
        return f"{zh!r} is not a Chinese term"
    if _LATIN.search(zh):
        return f"{zh!r} is not a Chinese term: it has Latin letters (the English goes in en)"
    return None


@dataclass(frozen=True)
class Term:
    zh: str
    en: str
    also: tuple[str, ...] = ()
    note: str = ""

    @property
    def renderings(self) -> tuple[str, ...]:
        """The English renderings, the glossary's own first."""
        return (self.en, *self.also)

    def as_json(self) -> dict[str, object]:
        return {"zh": self.zh, "en": self.en, "also": list(self.also), "note": self.note}


@dataclass
class Glossary:
    terms: list[Term] = field(default_factory=list)
    path: Path | None = None

    def __post_init__(self) -> None:
        self._by_key: dict[str, Term] = {}
        self._prefixes: set[str] = set()  # every beginning of every term, the terms included
        for term in self.terms:
            key = fold(term.zh)
            self._by_key[key] = term
            self._prefixes.update(key[:end] for end in range(1, len(key) + 1))

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, zh: str) -> Term | None:
        return self._by_key.get(fold(zh.strip()))

    def find(self, *texts: str) -> list[Term]:
        """The terms in ``texts``, each once, in the order they first appear: at each place
        the longest term that starts there, then on after it."""
        found: dict[str, Term] = {}
        prefixes, by_key = self._prefixes, self._by_key
        for text in texts:
            if not has_han(text):
                continue
            folded = fold(text)
            position, end = 0, len(folded)
            while position < end:
                # Grow the match while it is still the beginning of some term; keep the longest term.
                longest: Term | None = None
                after = stop = position + 1
                while stop <= end and (piece := folded[position:stop]) in prefixes:
                    if (term := by_key.get(piece)) is not None:
                        longest, after = term, stop
                    stop += 1
                if longest is not None:
                    found.setdefault(longest.zh, longest)
                position = after
        return list(found.values())


def glossary_path(root: Path) -> Path:
    return root / GLOSSARY_NAME


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith((f'"{key}"', f"'{key}'", f"{key} ", f"{key}=")):
            return number
    return None


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    return None


class _Where:
    """``file:line`` of a term, for an error message: looked up only when one is made (a
    search of the text for each of 5,000 terms would take seconds)."""

    def __init__(self, path: Path, text: str, key: str) -> None:
        self.path, self.text, self.key = path, text, key

    def __format__(self, spec: str) -> str:
        return f"{self.path}:{_line_of(self.text, self.key) or 1}"


def parse_glossary(text: str, path: Path) -> Glossary:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GlossaryError(f"{path}: invalid TOML: {error}") from None
    unknown = [key for key in data if key != "terms"]
    if unknown:
        line = _line_of(text, unknown[0])
        raise GlossaryError(f"{path}:{line or 1}: unknown key {unknown[0]!r} (terms go in the [terms] table)")
    raw = data.get("terms", {})
    if not isinstance(raw, dict):
        raise GlossaryError(f"{path}: terms must be a table ([terms])")
    terms: list[Term] = []
    scripts: dict[str, tuple[str, Term]] = {}  # a term folded to simplified: as written, and it
    for zh, value in raw.items():
        at = _Where(path, text, zh)
        if not zh.strip():
            raise GlossaryError(f"{at}: a term must not be empty")
        problem = term_problem(zh)
        if problem is not None:
            raise GlossaryError(f"{at}: {problem}")
        if isinstance(value, str):
            value = {"en": value}
        if not isinstance(value, dict):
            raise GlossaryError(f"{at}: term {zh!r} must be its English, or a table with en (and also, note)")
        extra = sorted(set(value) - {"en", "also", "note"})
        if extra:
            raise GlossaryError(f"{at}: term {zh!r}: unknown key {extra[0]!r} (known keys: also, en, note)")
        en, also, note = value.get("en"), _strings(value.get("also", [])), value.get("note", "")
        if not isinstance(en, str) or not en.strip():
            raise GlossaryError(f'{at}: term {zh!r} has no English (en = "...")')
        if also is None:
            raise GlossaryError(f"{at}: term {zh!r}: also must be a list of strings")
        if not isinstance(note, str):
            raise GlossaryError(f"{at}: term {zh!r}: note must be a string")
        term = Term(zh.strip(), en.strip(), also, note.strip())
        other = scripts.get(key := fold(term.zh))
        if other is not None and other[1] != Term(other[1].zh, term.en, term.also, term.note):
            first = _line_of(text, other[0]) or 1
            raise GlossaryError(
                f"{at}: {term.zh} and {other[1].zh} (line {first}) are one term in two scripts, "
                f"given as {term.en!r} and {other[1].en!r}: keep one"
            )
        scripts.setdefault(key, (zh, term))
        terms.append(term)
    return Glossary(terms, path)


def load_glossary(root: Path) -> Glossary:
    """The newsroom's glossary; an empty one when it has no glossary.toml."""
    path = glossary_path(root)
    if not path.exists():
        return Glossary([], path)
    return parse_glossary(read_text(path, GlossaryError, "not found"), path)


def add_term(root: Path, zh: str, en: str, *, also: Iterable[str] = (), note: str = "", replace: bool = False) -> Term:
    """Add a term to glossary.toml (created when missing), keeping its comments and layout.

    A term already there with other English is refused unless ``replace``."""
    import tomlkit

    zh, en = zh.strip(), en.strip()
    path = glossary_path(root)
    problem = term_problem(zh)
    if problem is not None:
        raise GlossaryError(f"{path}: {problem}")
    if not en:
        raise GlossaryError(f"{path}: the English of {zh!r} must not be empty")
    glossary = load_glossary(root)  # a broken file is reported, never overwritten
    term = Term(zh, en, tuple(a.strip() for a in also if a.strip()), note.strip())
    known = glossary.get(zh)
    if known is not None and known == Term(known.zh, en, term.also or known.also, term.note or known.note):
        return known
    if known is not None and not replace:
        raise Refused(f"{path}: {known.zh} is already in the glossary as {known.en!r} (add --replace to change it)")
    text = read_text(path, GlossaryError, "not found") if path.exists() else HEADER
    document = tomlkit.parse(text)
    if "terms" not in document:
        document.add("terms", tomlkit.table())
    table = document["terms"]
    if known is not None:
        # Replaced where it is, as the file writes it (its script, its line, its comment).
        term = Term(known.zh, term.en, term.also or known.also, term.note or known.note)
    if term.also or term.note:
        value = tomlkit.inline_table()
        value["en"] = term.en
        if term.also:
            value["also"] = list(term.also)
        if term.note:
            value["note"] = term.note
        table[term.zh] = value
    else:
        table[term.zh] = term.en
    write_atomic(path, tomlkit.dumps(document))
    return term


# The pre-send check's half: which renderings a text uses ------------------------


def _stems(word: str) -> list[str]:
    """The word without a plural ending, as written first: persons → person, boxes → box
    or boxe (the pattern tries both); a word ending in ss (press) or too short to have one
    (news, bus) as it is."""
    lowered = word.casefold()
    if len(word) < 5 or lowered.endswith("ss") or not lowered.endswith("s"):
        return [word]
    stems = [word[:-1]]
    if lowered.endswith("es"):
        stems.insert(0, word[:-2])
    return stems


def _pattern(rendering: str) -> re.Pattern[str]:
    """A rendering as a whole-word pattern, in any case and with simple English inflections
    of its last word: red list(s), discredited person(s), box(es)."""
    *first, last = rendering.split() or [""]
    stems = "|".join(re.escape(stem) for stem in _stems(last))
    words = r"\s+".join([*(re.escape(word) for word in first), f"(?:{stems})"])
    return re.compile(rf"(?<!\w){words}(?:s|es)?(?!\w)", re.IGNORECASE)


def renderings_used(term: Term, text: str) -> list[str]:
    """The renderings of ``term`` that ``text`` uses, the glossary's own first; one found
    only inside a longer one ("social credit" in "social credit system") does not count."""
    used: set[str] = set()
    for rendering in sorted(term.renderings, key=len, reverse=True):
        text, count = _pattern(rendering).subn("\0", text)
        if count:
            used.add(rendering)
    return [rendering for rendering in term.renderings if rendering in used]
