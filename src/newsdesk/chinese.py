"""Working from Chinese: romanization, word segmentation and script folding.

- ``romanize`` writes Chinese in pinyin the way an English summary cites it: each word's
  syllables joined, no tone marks (``上海市社会信用条例`` → ``Shanghaishi shehui xinyong
  tiaoli``), or as ``[romanization]`` in sources.toml asks. Words come from jieba, the
  syllables from pypinyin (which reads each word's characters as that word is read, so
  银行 is yinhang, not yinxing). Both are offline.
- ``annotate`` gives the term and its romanization together, ``汉字 Pinyin``.
- ``fold`` writes traditional characters as simplified (OpenCC's t2s), so 資訊 and 资讯
  compare equal in search, filters, clustering and the glossary.

jieba reads its dictionary on first use (about a second, then cached in the temporary
folder); ``warm_up`` does that ahead of time, in a worker, for the desk.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from typing import TYPE_CHECKING, Any

from newsdesk.config import RomanizationSettings

if TYPE_CHECKING:
    import opencc

DEFAULT = RomanizationSettings()
# The CJK Unified Ideographs, extension A and the compatibility block: the characters to read.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_RUN = re.compile(f"[{_HAN}]+")
_ANY_HAN = re.compile(f"[{_HAN}]")
# Chinese punctuation as English writes it (NFKC takes care of the full-width forms).
_PUNCTUATION = str.maketrans({"。": ". ", "、": ", ", "《": "", "》": "", "〈": "", "〉": "", "「": "“", "」": "”"})
_PUNCTUATION.update({ord("『"): "‘", ord("』"): "’", ord("【"): "[", ord("】"): "]", ord("·"): " "})
_SPACE_BEFORE = re.compile(r"\s+([,.;:!?)\]”’])")
_SPACE_AFTER = re.compile(r"([(\[“‘])\s+")
_lock = threading.Lock()


def has_han(text: str) -> bool:
    """Whether ``text`` has a Chinese character in it."""
    return _ANY_HAN.search(text) is not None


@functools.cache
def _converter() -> opencc.OpenCC:
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """``text`` with traditional characters written as simplified (資訊 → 资讯); text
    without Chinese is returned as it is, at the cost of one regex search."""
    if not has_han(text):
        return text
    return _converter().convert(text)


# The blocks of Chinese characters, as ranges of code points (those of _HAN).
_HAN_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


@functools.cache
def fold_table() -> dict[str, str]:
    """Each Chinese character that ``fold`` writes as another single character, alone
    (遷 → 迁, 發 → 发): the table a page's script folds typed text with, one character at a
    time (so without OpenCC's phrases). About 4,000 pairs, made in a few hundredths of a second."""
    characters = [chr(code) for first, last in _HAN_BLOCKS for code in range(first, last + 1)]
    # One character a line: no phrase spans two of them.
    folded = fold("\n".join(characters)).split("\n")
    if len(folded) != len(characters):  # never seen; a table out of step would be wrong
        return {}
    return {t: s for t, s in zip(characters, folded, strict=True) if s != t and len(s) == 1}


@functools.cache
def _tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict..." on stderr
    with _lock:
        jieba.initialize()
    return jieba


def warm_up() -> None:
    """Load the segmenter's dictionary and the converter now (about a second), not on the
    first keystroke that needs them."""
    _tokenizer()
    _converter()
    romanize("中文")


def segment(text: str) -> list[str]:
    """The words of a Chinese text (other runs of text come through as they are)."""
    return [word for word in _tokenizer().cut(text) if word]


def search_words(text: str) -> list[str]:
    """The words of a Chinese text and, for a long word, the shorter words inside it too
    (失信被执行人: 失信, 执行, 被执行人), as a search engine indexes them."""
    return [word for word in _tokenizer().cut_for_search(text) if word.strip()]


def _syllables(word: str, tones: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    style = {"none": Style.NORMAL, "marks": Style.TONE, "numbers": Style.TONE3}[tones]
    return lazy_pinyin(word, style=style, v_to_u=True, neutral_tone_with_five=tones == "numbers")


def _joined(syllables: list[str], tones: str) -> str:
    """A word's syllables written together, with an apostrophe before a syllable that starts
    with a, o or e (Xi'an, dang'an) unless tone numbers already divide them."""
    out = syllables[0]
    for syllable in syllables[1:]:
        first = unicodedata.normalize("NFD", syllable[:1])[:1]
        out += ("'" if first in "aoe" and tones != "numbers" else "") + syllable
    return out


def _capital(word: str) -> str:
    return word[:1].upper() + word[1:]


# A term: Chinese characters with the figures and Chinese punctuation among them
# (2017年上半年, 146万人次, 「诚信」建设, 北京，重庆市), read and romanized as one. It may open with
# figures or an opening bracket and ends on a character, a figure or a closing bracket, so
# a comma or full stop after it stays outside.
_OPEN = "「『《〈【（〔"
_CLOSE = "」』》〉】）〕"
_INNER = "，、；：。！？·・…—"
_DIGITS = "0-9０-９"
TERM = re.compile(
    f"[{_OPEN}]*(?:[{_DIGITS}]+(?:[.．][{_DIGITS}]+)*)?[{_HAN}]"
    f"(?:[{_HAN}{_DIGITS}{_OPEN}{_CLOSE}{_INNER}.．]*[{_HAN}{_DIGITS}{_CLOSE}])?"
)
_WRAPPERS = {"（": "）", "【": "】", "〔": "〕"}  # brackets a term may stand in, as in (…)
_PAIRS = dict(zip(_OPEN + _CLOSE, _CLOSE + _OPEN, strict=True))  # each bracket and its other half
_HAN_OR_NOT = re.compile(f"([{_HAN}]+)")
# jieba's part-of-speech tags of proper nouns: people (nr, nrfg; nrt a transliterated
# name, written as one word), places (ns) and organizations (nt). Not nz ("other proper
# noun"), which jieba gives common words too (诚信).
_PEOPLE = ("nr", "nrfg")
_PROPER = ("nr", "nrfg", "nrt", "ns", "nt")
# The surnames of two characters; any other name's first character is its surname.
_DOUBLE_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 令狐 慕容 司徒 夏侯 尉迟 公孙 长孙 宇文 轩辕 端木 独孤 南宫 "
    "闻人 万俟 申屠 百里 东郭 西门 呼延 赫连 澹台 太史 钟离 宗政 濮阳 淳于 单于".split()
)
_SENTENCE_END = re.compile(r"[.!?。！？]\s*$")
_WORDLIKE = re.compile(r"\w")


@functools.cache
def _tagger() -> Any:
    _tokenizer()
    import jieba.posseg

    return jieba.posseg


def tagged(text: str) -> list[tuple[str, str]]:
    """The words of a run of Chinese characters with jieba's part-of-speech tags
    (习近平 nrfg, 北京 ns), found in its simplified form (jieba's dictionary is simplified),
    so 誠信 is one word as 诚信 is."""
    return [(pair.word, pair.flag) for pair in _tagger().cut(fold(text)) if pair.word]


def _romanized_word(word: str, flag: str, settings: RomanizationSettings) -> list[tuple[str, bool]]:
    """A word's romanization as (piece, capitalized) pairs: one piece for a word whose
    syllables are joined, two for a person's name (Xi Jinping), one a syllable otherwise."""
    syllables = _syllables(word, settings.tones)
    proper = flag in _PROPER and settings.capitalize != "none"
    if flag in _PEOPLE and 2 <= len(word) <= 4 and len(syllables) == len(word):
        surname = 2 if word[:2] in _DOUBLE_SURNAMES and len(word) > 2 else 1
        parts = [syllables[:surname], syllables[surname:]]
    else:
        parts = [syllables]
    if not settings.join_words:
        return [(syllable, proper and i == 0) for part in parts for i, syllable in enumerate(part)]
    return [(_joined(part, settings.tones), proper) for part in parts]


def romanize(text: str, settings: RomanizationSettings = DEFAULT) -> str:
    """The pinyin of ``text``: its Chinese terms romanized (figures kept as they are),
    anything else kept, Chinese punctuation as English writes it. The names of people,
    places and organizations are capitalized (unless ``capitalize = "none"``), and a
    person's surname is written apart (Xi Jinping)."""
    # (text, kind): "kept" (as written), "word" (romanized, to capitalize or not).
    pieces: list[tuple[str, str]] = []
    position = 0
    for term in TERM.finditer(text):
        pieces.append((text[position : term.start()], "kept"))
        for index, chunk in enumerate(_HAN_OR_NOT.split(term.group())):
            if index % 2 == 0:
                pieces.append((chunk, "kept"))
                continue
            for word, flag in tagged(chunk):
                for piece, proper in _romanized_word(word, flag, settings):
                    pieces.append((_capital(piece) if proper else piece, "word"))
        position = term.end()
    pieces.append((text[position:], "kept"))
    out: list[str] = []
    sentence_start = True
    for piece, kind in pieces:
        piece = unicodedata.normalize("NFKC", piece.translate(_PUNCTUATION)).strip()
        if not piece:
            continue
        if kind == "word" and (settings.capitalize == "words" or (settings.capitalize == "first" and sentence_start)):
            piece = _capital(piece)
        out.append(piece)
        if _WORDLIKE.search(piece):
            sentence_start = False
        if _SENTENCE_END.search(piece):
            sentence_start = True
    joined = " ".join(" ".join(out).split())
    return _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", joined))


def annotate(text: str, settings: RomanizationSettings = DEFAULT) -> str:
    """``text`` followed by its romanization, as ``[romanization] format`` says
    (``上海市社会信用条例 Shanghaishi shehui xinyong tiaoli``); text without Chinese as it is."""
    text = text.strip()
    if not has_han(text):
        return text
    return settings.format.format(hanzi=text, pinyin=romanize(text, settings))


def annotate_runs(text: str, settings: RomanizationSettings = DEFAULT) -> str:
    """``text`` with each Chinese term followed by its romanization, as in "the Regulations
    (上海市社会信用条例 Shanghaishi shehui xinyong tiaoli)"; a term already written with its
    romanization as ``[romanization] format`` says (followed by it, or wrapped in it, as
    ``{pinyin} ({hanzi})`` does) is left alone, so filtering twice changes nothing."""
    out: list[str] = []
    position = 0
    for term in TERM.finditer(text):
        start, end = term.span()
        hanzi = term.group()
        if hanzi[0] in _WRAPPERS and hanzi[-1] == _WRAPPERS[hanzi[0]] and hanzi.count(hanzi[0]) == 1:
            # A term in brackets of its own, （上海市社会信用条例）: romanized inside them, as in (…).
            start, end, hanzi = start + 1, end - 1, hanzi[1:-1]
        # A bracket at an edge whose other half is not in the term stays outside it.
        while hanzi[0] in _PAIRS and _PAIRS[hanzi[0]] not in hanzi:
            start, hanzi = start + 1, hanzi[1:]
        while hanzi[-1] in _PAIRS and _PAIRS[hanzi[-1]] not in hanzi:
            end, hanzi = end - 1, hanzi[:-1]
        pinyin = romanize(hanzi, settings)
        out.append(text[position:start])
        # The format around the term: what comes before and after it once written.
        before, _, after = settings.format.format(hanzi="\0", pinyin=pinyin).partition("\0")
        written_before = text[max(0, start - len(before)) : start]
        written_after = text[end : end + len(after)]
        if written_before.casefold() == before.casefold() and written_after.casefold() == after.casefold():
            out.append(hanzi)
        else:
            out.append(settings.format.format(hanzi=hanzi, pinyin=pinyin))
        position = end
    out.append(text[position:])
    return "".join(out)
