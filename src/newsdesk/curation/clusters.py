"""One story, many sources: group the items that report the same development.

Two items are the same story when they share a canonical URL, or when their titles are
near-identical once the site's name is stripped (" - Xinhua", "_新华网"), compared as
English words (stemmed, stop words dropped) or, for Chinese titles that have no spaces
between words, as character bigrams; rarer words weigh more. Titles that are only alike
join when the summaries' opening lines agree too, as rewritten copies of one story do.

Near-misses stay apart: titles naming different numbers ("1.46 million" and "7.61
million"), years or places ("Hebei" and "Shanghai") are never the same story, however
alike the rest, and nor are two stories where one word was swapped for another
("government integrity", "personal integrity") unless the summaries explain the change. So are items more than a week apart, and two items of one source unless
their titles are the same (a feed that reposted its story under a new id).

An English and a Chinese title, which share no words, are one story when they give the
same figures ("215 Firms and 38 Individuals", "215家企业38名个人"; "1.46 million" and
"146万" are one figure), within three days, from different sources, with nothing in
conflict. A lone round figure ("100 firms") is too common to tell, and a lone small count
("318 drivers") tells only with the same place named in both. Stories are joined so only
when each is the other's one partner, and this is worked out afresh from the stories words
made whenever they are read: not from the order or the batches items arrived in.

The index is incremental: each new item looks up only the items that share one of its
rarer words in an inverted index, and joins their clusters in a union-find (never a
cluster holding a near-miss of it), so adding items never recomputes what was grouped.
An item that comes back changed takes its new version's place; only when what the
comparison reads changed (its title, opening lines, date or source: a rewritten story) is
everything grouped again, since a union-find cannot take an item out of its story.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from newsdesk.chinese import fold
from newsdesk.curation.headlines import headline_from_title
from newsdesk.curation.places import places_in
from newsdesk.items import Item

WINDOW_SECONDS = 7 * 86400  # one story's copies appear within a week of each other
# English and Chinese titles share no words: reports of one story in the two languages
# are matched by the figures they both give, within days, and by nothing in conflict.
ACROSS_LANGUAGES_SECONDS = 3 * 86400
DISTINCTIVE_DIGITS = 3  # a lone figure must have this many significant digits (215, not 100)
LARGE_FIGURE = 10_000  # a lone smaller count (318 drivers, not 51.7) needs the same place in both titles
SAME_SOURCE_SECONDS = 2 * 86400
# Similarities are Dice coefficients over words weighted by rarity (tuned on bench/data).
TITLE_GREY = 0.3  # titles less alike than this are never one story
TITLE_MATCH = 0.6  # titles this alike are one story on their own (unless a word was swapped)
TOGETHER_MATCH = 0.38  # in between: the mean of the titles' and the summaries' similarity
LEDE_CLOSE = 0.5  # a swapped word nothing explains: only summaries this alike make one story
EXPLAINED_SHARE = 1 / 3  # of a title's own words, by weight, found in the other's summary
LEDE_WORDS = 40  # the opening of a summary, where copies of one story agree
LEDE_CHARACTERS = 80
MAX_CANDIDATES = 64  # compared per new item, at most: bounds the time on pathological titles
COMMON_SHARE = 100  # a word in more than 1 title in 100 (and more than COMMON_MINIMUM) ...
COMMON_MINIMUM = 64  # ... finds no candidates on its own (it still counts in the similarity)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LATIN_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*")
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# A number, with what scales it: "1.46 million", "1,500", "146万", "2016".
_NUMBER = re.compile(
    r"(?<![0-9A-Za-z.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*"
    r"(million|billion|thousand|trillion|mn|bn|m\b|k\b|万亿|千万|千亿|万|亿|千|百万|%|percent|月|日|号)?",
)
_DAY_OF_MONTH = re.compile(rf"\b(\d{{1,2}})\s+(?:{_MONTHS})\b|\b(?:{_MONTHS})\.?\s+(\d{{1,2}})\b")
_SCALES = {  # powers of ten
    "thousand": 3,
    "k": 3,
    "千": 3,
    "万": 4,
    "million": 6,
    "mn": 6,
    "m": 6,
    "百万": 6,
    "千万": 7,
    "亿": 8,
    "千亿": 11,
    "万亿": 12,
    "billion": 9,
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
    off down per via vs""".split()
)


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


def numbers_in(text: str) -> frozenset[str]:
    """Normalized numbers: "1.46 million", "146万" and "1,460,000" are one number; dates are not numbers."""
    days = {m.start(1) if m.group(1) else m.start(2) for m in _DAY_OF_MONTH.finditer(text)}
    found = set()
    for match in _NUMBER.finditer(text):
        scale = (match.group(2) or "").strip()
        if scale in ("月", "日", "号") or match.start(1) in days:
            continue
        # Decimal, not float: 2.01万亿 and 20100亿 must both be 2010000000000 exactly.
        value = Decimal(match.group(1).replace(",", "")).scaleb(_SCALES.get(scale, 0)).normalize()
        found.add(f"{value:f}")  # "51.7%" and "51.7" are one figure
    return frozenset(found)


def tokens(text: str, *, limit: int | None = None) -> frozenset[str]:
    """The words compared: English stems without stop words; Chinese character bigrams."""
    text = text.casefold()
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    for word in _LATIN_TOKEN.findall(_CJK_RUN.sub(" ", text)):
        word = word.replace(",", "")
        if word not in _STOPWORDS and (len(word) > 1 or word.isdigit()):
            out.append(_stem(word))
        if limit is not None and len(out) >= limit:
            break
    return frozenset(out[:limit] if limit else out)


@dataclass(frozen=True)
class Fingerprint:
    """What comparing an item needs, computed once when it joins the index."""

    chinese: bool
    title: frozenset[str]
    lede: frozenset[str]
    numbers: frozenset[str]
    years: frozenset[str]
    places: frozenset[str]
    when: float
    source: str

    @classmethod
    def of(cls, item: Item) -> Fingerprint:
        # Traditional characters as simplified: a Big5 source's 誠信 is its twin's 诚信.
        cased = comparable_title(fold(item.title), item.source)
        title = cased.casefold()
        chinese = is_chinese(title)
        numbers = numbers_in(title)
        summary = unicodedata.normalize("NFKC", item.summary_text).casefold()
        if chinese:
            lede = tokens(fold(summary[:LEDE_CHARACTERS]))
        else:
            lede = tokens(fold(summary), limit=LEDE_WORDS)
        return cls(
            chinese=chinese,
            title=tokens(title),
            lede=lede,
            numbers=frozenset(n for n in numbers if not _is_year(n)),
            years=frozenset(n for n in numbers if _is_year(n)),
            places=places_in(cased),
            when=item.when.timestamp(),
            source=item.source,
        )


def _is_year(number: str) -> bool:
    return number.isdigit() and 1900 <= int(number) <= 2100


def _telling(figures: frozenset[str]) -> bool:
    """Figures specific enough to identify a story: two or more, or one with at least
    DISTINCTIVE_DIGITS significant digits (1,283 or 1.46 million, not 100 or 3 billion)."""
    if len(figures) >= 2:
        return True
    return any(len(figure.replace(".", "").strip("0")) >= DISTINCTIVE_DIGITS for figure in figures)


def _disagree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both name some, and neither's are all among the other's."""
    return bool(a and b and not (a <= b or b <= a))


Profile = tuple[frozenset[str], frozenset[str], frozenset[str]]  # numbers, years, places


def _conflict(a: Profile, b: Profile) -> bool:
    """Titles that name other numbers, years or places are other stories."""
    (numbers_a, years_a, places_a), (numbers_b, years_b, places_b) = a, b
    return bool(
        _disagree(numbers_a, numbers_b) or (years_a and years_b and years_a != years_b) or _disagree(places_a, places_b)
    )


@dataclass
class Cluster:
    """Items reporting one story; the lead (first) is the one the desk shows."""

    items: list[Item]

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


class ClusterIndex:
    """Items grouped into stories, as they arrive."""

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self._items: list[Item] = []
        self._prints: list[Fingerprint] = []
        self._parent: list[int] = []
        # root -> the distinct (numbers, years, places) its titles name, to keep near-misses apart
        self._profiles: dict[int, set[Profile]] = {}
        self._position: dict[str, int] = {}
        self._by_url: dict[str, int] = {}
        self._postings: dict[str, list[int]] = {}
        self._by_figures: dict[frozenset[str], list[int]] = {}  # telling figures -> items
        self._joined: dict[int, int] | None = None  # stories joined across languages, once worked out
        self._title_df: Counter[str] = Counter()
        self._lede_df: Counter[str] = Counter()
        self._weights: dict[str, float] = {}
        self._lede_weights: dict[str, float] = {}
        self._totals: list[float] = []
        self._log_total = 0.0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._position

    # Adding ----------------------------------------------------------------

    def add(self, items: Iterable[Item]) -> None:
        """Index new items and join each to the stories it belongs to. A known item that
        changed takes its new version's place; if its fingerprint changed too (a feed
        rewrote its title or summary), everything is grouped again with the new version.

        Word weights (rarer words weigh more) are counted over everything indexed, the new
        batch included, and stay fixed while the batch joins.
        """
        items = list(items)
        regroup = False
        for item in items:
            at = self._position.get(item.id)
            if at is not None and _changed(self._items[at], item):
                regroup = regroup or Fingerprint.of(item) != self._prints[at]
                self._items[at] = item
        if regroup:
            indexed = self._items
            self._clear()
            self._add_batch(indexed)
        self._add_batch(items)

    def _add_batch(self, items: list[Item]) -> None:
        batch: list[tuple[Item, Fingerprint]] = []
        fresh: set[str] = set()
        for item in items:
            if item.id in self._position or item.id in fresh:
                continue
            fresh.add(item.id)
            mark = Fingerprint.of(item)
            batch.append((item, mark))
            self._title_df.update(mark.title)
            self._lede_df.update(mark.lede)
        if not batch:
            return
        self._weights, self._lede_weights = {}, {}
        log_total = self._log_total = math.log(len(self._items) + len(batch) + 1)
        for token, count in self._title_df.items():
            self._weights[token] = log_total - math.log(count + 1) + 1.0
        self._totals = [sum(self._weights[t] for t in mark.title) for mark in self._prints]
        self._joined = None
        for item, mark in batch:
            self._add(item, mark)

    def _add(self, item: Item, mark: Fingerprint) -> None:
        index = len(self._items)
        self._items.append(item)
        self._prints.append(mark)
        self._parent.append(index)
        self._profiles[index] = {(mark.numbers, mark.years, mark.places)}
        self._position[item.id] = index
        self._totals.append(sum(self._weights[t] for t in mark.title))

        if item.canonical_url:
            first = self._by_url.setdefault(item.canonical_url, index)
            if first != index:
                self._union(first, index, force=True)
        for other in self._candidates(index, mark):
            if self._find(other) != self._find(index) and self._same_story(index, other):
                self._union(other, index)
        if _telling(mark.numbers):
            self._by_figures.setdefault(mark.numbers, []).append(index)
        for token in mark.title:
            self._postings.setdefault(token, []).append(index)

    def _candidates(self, index: int, mark: Fingerprint) -> list[int]:
        """Indexed items within the window that could reach the grey zone with ``mark``.

        Words are probed rarest first; the commonest, whose weight together cannot make a
        match on its own, are never probed (their postings are the long ones). Each
        candidate's shared weight so far bounds how similar it can be, to skip the hopeless.
        """
        weights, postings = self._weights, self._postings
        cap = max(COMMON_MINIMUM, len(self._items) // COMMON_SHARE)
        ordered = sorted(mark.title, key=lambda t: -weights[t])
        own = self._totals[index]
        needed = TITLE_GREY * own / (2 - TITLE_GREY)  # the least shared weight of a match
        unprobed = own
        shared: dict[int, float] = {}
        for token in ordered:
            if unprobed < needed:
                break
            weight = weights[token]
            unprobed -= weight
            posting = postings.get(token, ())
            if len(posting) > cap:
                continue  # a word in most titles finds everything and proves nothing
            for other in posting:
                shared[other] = shared.get(other, 0.0) + weight
        prints, totals, when = self._prints, self._totals, mark.when
        out = []
        for other, weight in shared.items():
            if 2 * (weight + unprobed) < TITLE_GREY * (own + totals[other]):
                continue
            if abs(prints[other].when - when) <= WINDOW_SECONDS:
                out.append(other)
        if len(out) > MAX_CANDIDATES:  # titles of few, common words: only the closest are worth it
            out = heapq.nlargest(MAX_CANDIDATES, out, key=lambda other: shared[other] / totals[other])
        return out

    def _title_dice(self, a: int, b: int) -> float:
        common = self._prints[a].title & self._prints[b].title
        if not common:
            return 0.0
        weights = self._weights
        return 2 * sum(weights[t] for t in common) / (self._totals[a] + self._totals[b])

    def _lede_dice(self, a: frozenset[str], b: frozenset[str]) -> float:
        common = a & b
        if not common:
            return 0.0
        weights, df, log_total = self._lede_weights, self._lede_df, self._log_total

        def weight(token: str) -> float:
            if token not in weights:
                weights[token] = log_total - math.log(df[token] + 1) + 1.0
            return weights[token]

        return 2 * sum(map(weight, common)) / (sum(map(weight, a)) + sum(map(weight, b)))

    def _same_story(self, a_index: int, b_index: int) -> bool:
        a, b = self._prints[a_index], self._prints[b_index]
        if a.chinese != b.chinese or not self._compatible(a_index, b_index):
            return False
        if a.source == b.source:
            return a.title == b.title and abs(a.when - b.when) <= SAME_SOURCE_SECONDS
        title = self._title_dice(a_index, b_index)
        if title < TITLE_GREY:
            return False
        only_a, only_b = a.title - b.title, b.title - a.title
        # Titles that each have words the other lacks may be two stories with one word
        # swapped ("government integrity", "personal integrity"): the same story only if
        # one's summary says, in its own words, what the other's title says, or if the
        # summaries' openings agree closely.
        swapped = bool(only_a and only_b)
        explained = not swapped or self._explained(only_a, b.lede) or self._explained(only_b, a.lede)
        if title >= TITLE_MATCH and explained:
            return True
        lede = self._lede_dice(a.lede, b.lede)
        if explained:
            return (title + lede) / 2 >= TOGETHER_MATCH
        return lede >= LEDE_CLOSE

    def _across_languages(self) -> dict[int, int]:
        """The stories joined across languages, as child root -> root, worked out afresh
        from the stories as words made them (see the module): an English-only story and a
        Chinese-only one join when some pair of their titles, from different sources and
        within ACROSS_LANGUAGES_SECONDS, give the same telling figures, and when each is
        the other's only such partner. Being worked out whole, it does not depend on the
        order or the batches items came in."""
        if self._joined is not None:
            return self._joined
        prints, find = self._prints, self._find
        languages: dict[int, set[bool]] = {}  # story -> whether its titles are Chinese
        for index, mark in enumerate(prints):
            languages.setdefault(find(index), set()).add(mark.chinese)
        partners: dict[int, set[int]] = {}
        for posting in self._by_figures.values():
            ordered = sorted(posting, key=lambda i: prints[i].when)
            for n, a in enumerate(ordered):
                window = []
                for b in ordered[n + 1 :]:
                    if prints[b].when - prints[a].when > ACROSS_LANGUAGES_SECONDS:
                        break
                    window.append(b)
                if len(window) > MAX_CANDIDATES:
                    continue  # figures that many titles give within days tell nothing
                for b in window:
                    if prints[a].chinese == prints[b].chinese or prints[a].source == prints[b].source:
                        continue
                    english, chinese = (b, a) if prints[a].chinese else (a, b)
                    story_e, story_c = find(english), find(chinese)
                    if (
                        languages[story_e] == {False}
                        and languages[story_c] == {True}
                        and self._vouched(english, chinese)
                        and self._compatible(story_e, story_c)
                    ):
                        partners.setdefault(story_e, set()).add(story_c)
                        partners.setdefault(story_c, set()).add(story_e)
        joined: dict[int, int] = {}
        for story, others in partners.items():
            (other, *more) = others
            if not more and len(partners[other]) == 1 and story > other:  # two that could be it: a guess
                joined[story] = other
        self._joined = joined
        return joined

    def _vouched(self, english: int, chinese: int) -> bool:
        """A lone figure under LARGE_FIGURE that is a count ("318 drivers") tells only with
        the same place named in both titles."""
        figures, places = self._prints[english].numbers, self._prints[english].places
        (figure, *others) = figures
        count = not others and "." not in figure and float(figure) < LARGE_FIGURE
        return not count or bool(places and places == self._prints[chinese].places)

    def _story(self, index: int) -> int:
        root = self._find(index)
        return self._across_languages().get(root, root)

    def _explained(self, words: frozenset[str], lede: frozenset[str]) -> bool:
        """A good share (by weight) of one title's own words appear in the other's summary."""
        found = words & lede
        if not found:
            return False
        weights = self._weights
        return sum(weights[t] for t in found) >= EXPLAINED_SHARE * sum(weights[t] for t in words)

    def _compatible(self, a: int, b: int) -> bool:
        """No item of one story names other numbers or places than an item of the other."""
        for x in self._profiles[self._find(a)]:
            for y in self._profiles[self._find(b)]:
                if _conflict(x, y):
                    return False
        return True

    # Union-find ----------------------------------------------------------------

    def _find(self, index: int) -> int:
        parent = self._parent
        root = index
        while parent[root] != root:
            root = parent[root]
        while parent[index] != root:  # path compression
            parent[index], index = root, parent[index]
        return root

    def _union(self, a: int, b: int, *, force: bool = False) -> None:
        """Join two stories; unless forced (one URL), only when no near-miss would join."""
        ra, rb = self._find(a), self._find(b)
        if ra == rb or not (force or self._compatible(ra, rb)):
            return
        root, child = min(ra, rb), max(ra, rb)
        self._parent[child] = root
        self._profiles[root] |= self._profiles.pop(child)

    # Reading -------------------------------------------------------------------

    def groups(self, only: set[str] | None = None) -> list[list[Item]]:
        """Each story's items (of ``only``, when given), in the order they were added."""
        found: dict[int, list[Item]] = {}
        for index, item in enumerate(self._items):
            if only is None or item.id in only:
                found.setdefault(self._story(index), []).append(item)
        return list(found.values())

    def clusters(self, weights: dict[str, float] | None = None, only: set[str] | None = None) -> list[Cluster]:
        """The stories, each led by its item from the weightiest source (then the earliest)."""
        weights = weights or {}
        out = []
        for group in self.groups(only):
            lead = min(group, key=lambda i: (-weights.get(i.source, 1.0), i.when, i.id))
            out.append(Cluster([lead, *(i for i in group if i is not lead)]))
        return out

    def same_story(self, a: str, b: str) -> bool:
        return self._story(self._position[a]) == self._story(self._position[b])


def cluster_items(items: Iterable[Item], weights: dict[str, float] | None = None) -> list[Cluster]:
    """Group ``items`` into stories (see ClusterIndex)."""
    index = ClusterIndex()
    index.add(items)
    return index.clusters(weights)
