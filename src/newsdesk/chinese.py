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


def romanize(text: str, settings: RomanizationSettings = DEFAULT) -> str:
    """The pinyin of ``text``: its Chinese words romanized, anything else kept, Chinese
    punctuation as English writes it."""
    pieces: list[str] = []
    words: list[str] = []  # the romanized words, to capitalize
    position = 0
    for run in HAN_RUN.finditer(text):
        if run.start() > position:
            pieces.append(text[position : run.start()])
        for word in segment(run.group()):
            syllables = _syllables(word, settings.tones)
            if settings.join_words:
                romanized = [_joined(syllables, settings.tones)]
            else:
                romanized = syllables
            for piece in romanized:
                words.append(piece)
                pieces.append(f"\0{len(words) - 1}\0")
        position = run.end()
    pieces.append(text[position:])
    if settings.capitalize == "words":
        words = [_capital(word) for word in words]
    elif settings.capitalize == "first" and words:
        words[0] = _capital(words[0])
    out = " ".join(piece.strip() for piece in pieces if piece.strip())
    out = re.sub(r"\0(\d+)\0", lambda match: words[int(match.group(1))], out)
    out = unicodedata.normalize("NFKC", out.translate(_PUNCTUATION))
    out = _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", " ".join(out.split())))
    return out


def annotate(text: str, settings: RomanizationSettings = DEFAULT) -> str:
    """``text`` followed by its romanization, as ``[romanization] format`` says
    (``上海市社会信用条例 Shanghaishi shehui xinyong tiaoli``); text without Chinese as it is."""
    text = text.strip()
    if not has_han(text):
        return text
    return settings.format.format(hanzi=text, pinyin=romanize(text, settings))


def annotate_runs(text: str, settings: RomanizationSettings = DEFAULT) -> str:
    """``text`` with each run of Chinese characters followed by its romanization, as in
    "the Regulations (上海市社会信用条例 Shanghaishi shehui xinyong tiaoli)"; a run already
    followed by its romanization is left alone, so filtering twice changes nothing."""
    out: list[str] = []
    position = 0
    for run in HAN_RUN.finditer(text):
        pinyin = romanize(run.group(), settings)
        out.append(text[position : run.start()])
        written = settings.format.format(hanzi=run.group(), pinyin=pinyin)
        following = text[run.start() : run.start() + len(written)]
        out.append(run.group() if following.casefold() == written.casefold() else written)
        position = run.end()
    out.append(text[position:])
    return "".join(out)
