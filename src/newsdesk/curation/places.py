"""Place names in titles, in English and Chinese, so that "Hebei adopts its credit regulation"
and "Shanghai adopts its credit regulation" are told apart as two stories.

A small gazetteer, not a geocoder: China's provinces and the cities that news about its
credit system most often names, plus the economies it is most often compared with. Each
place has one key, whatever the language, so the same place matches itself across scripts.
"""

from __future__ import annotations

import re

# key: (English names, Chinese names). China itself is left out: nearly every story names it.
GAZETTEER: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "beijing": (("beijing", "peking"), ("北京",)),
    "tianjin": (("tianjin",), ("天津",)),
    "hebei": (("hebei",), ("河北",)),
    "shanxi": (("shanxi",), ("山西",)),
    "inner-mongolia": (("inner mongolia",), ("内蒙古",)),
    "liaoning": (("liaoning",), ("辽宁",)),
    "jilin": (("jilin",), ("吉林",)),
    "heilongjiang": (("heilongjiang",), ("黑龙江",)),
    "shanghai": (("shanghai",), ("上海",)),
    "jiangsu": (("jiangsu",), ("江苏",)),
    "zhejiang": (("zhejiang",), ("浙江",)),
    "anhui": (("anhui",), ("安徽",)),
    "fujian": (("fujian",), ("福建",)),
    "jiangxi": (("jiangxi",), ("江西",)),
    "shandong": (("shandong",), ("山东",)),
    "henan": (("henan",), ("河南",)),
    "hubei": (("hubei",), ("湖北",)),
    "hunan": (("hunan",), ("湖南",)),
    "guangdong": (("guangdong",), ("广东",)),
    "guangxi": (("guangxi",), ("广西",)),
    "hainan": (("hainan",), ("海南",)),
    "chongqing": (("chongqing",), ("重庆",)),
    "sichuan": (("sichuan",), ("四川",)),
    "guizhou": (("guizhou",), ("贵州",)),
    "yunnan": (("yunnan",), ("云南",)),
    "tibet": (("tibet", "xizang"), ("西藏",)),
    "shaanxi": (("shaanxi",), ("陕西",)),
    "gansu": (("gansu",), ("甘肃",)),
    "qinghai": (("qinghai",), ("青海",)),
    "ningxia": (("ningxia",), ("宁夏",)),
    "xinjiang": (("xinjiang",), ("新疆",)),
    "hong-kong": (("hong kong",), ("香港",)),
    "macau": (("macau", "macao"), ("澳门",)),
    "taiwan": (("taiwan",), ("台湾",)),
    # Cities
    "shenzhen": (("shenzhen",), ("深圳",)),
    "guangzhou": (("guangzhou",), ("广州",)),
    "hangzhou": (("hangzhou",), ("杭州",)),
    "nanjing": (("nanjing",), ("南京",)),
    "suzhou": (("suzhou",), ("苏州",)),
    "wuxi": (("wuxi",), ("无锡",)),
    "changzhou": (("changzhou",), ("常州",)),
    "nantong": (("nantong",), ("南通",)),
    "xuzhou": (("xuzhou",), ("徐州",)),
    "suqian": (("suqian",), ("宿迁",)),
    "yancheng": (("yancheng",), ("盐城",)),
    "wuhan": (("wuhan",), ("武汉",)),
    "chengdu": (("chengdu",), ("成都",)),
    "xiamen": (("xiamen", "amoy"), ("厦门",)),
    "fuzhou": (("fuzhou",), ("福州",)),
    "wuhu": (("wuhu",), ("芜湖",)),
    "hefei": (("hefei",), ("合肥",)),
    "ningbo": (("ningbo",), ("宁波",)),
    "wenzhou": (("wenzhou",), ("温州",)),
    "yiwu": (("yiwu",), ("义乌",)),
    "rongcheng": (("rongcheng",), ("荣成",)),
    "qingdao": (("qingdao",), ("青岛",)),
    "jinan": (("jinan",), ("济南",)),
    "zhengzhou": (("zhengzhou",), ("郑州",)),
    "changsha": (("changsha",), ("长沙",)),
    "nanchang": (("nanchang",), ("南昌",)),
    "xian": (("xi'an", "xian"), ("西安",)),
    "shenyang": (("shenyang",), ("沈阳",)),
    "dalian": (("dalian",), ("大连",)),
    "harbin": (("harbin",), ("哈尔滨",)),
    "changchun": (("changchun",), ("长春",)),
    "shijiazhuang": (("shijiazhuang",), ("石家庄",)),
    "taiyuan": (("taiyuan",), ("太原",)),
    "kunming": (("kunming",), ("昆明",)),
    "guiyang": (("guiyang",), ("贵阳",)),
    "nanning": (("nanning",), ("南宁",)),
    "haikou": (("haikou",), ("海口",)),
    "lanzhou": (("lanzhou",), ("兰州",)),
    "urumqi": (("urumqi",), ("乌鲁木齐",)),
    "lhasa": (("lhasa",), ("拉萨",)),
    "hohhot": (("hohhot",), ("呼和浩特",)),
    "dongguan": (("dongguan",), ("东莞",)),
    "foshan": (("foshan",), ("佛山",)),
    "zhuhai": (("zhuhai",), ("珠海",)),
    "xiongan": (("xiong'an", "xiongan"), ("雄安",)),
    # Elsewhere
    "united-states": (("united states", "america", "washington"), ("美国",)),
    "european-union": (("european union", "brussels"), ("欧盟",)),
    "united-kingdom": (("britain", "united kingdom", "london"), ("英国",)),
    "germany": (("germany", "berlin"), ("德国",)),
    "france": (("france", "paris"), ("法国",)),
    "japan": (("japan", "tokyo"), ("日本",)),
    "south-korea": (("south korea", "korea", "seoul"), ("韩国",)),
    "india": (("india",), ("印度",)),
    "russia": (("russia", "moscow"), ("俄罗斯",)),
    "singapore": (("singapore",), ("新加坡",)),
    "australia": (("australia",), ("澳大利亚",)),
    "canada": (("canada",), ("加拿大",)),
    "vietnam": (("vietnam",), ("越南",)),
}


def _english_pattern() -> re.Pattern[str]:
    names = sorted((n for en, _ in GAZETTEER.values() for n in en), key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
    return re.compile(rf"(?<![a-z0-9])({alternatives})(?:'s)?(?![a-z0-9])")


def _chinese_pattern() -> re.Pattern[str]:
    names = sorted((n for _, zh in GAZETTEER.values() for n in zh), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)))


_ENGLISH = _english_pattern()
_CHINESE = _chinese_pattern()
_KEY_OF = {name: key for key, (en, zh) in GAZETTEER.items() for name in (*en, *zh)}
# "US" and "EU" only count in capitals: in lower case "us" is a pronoun.
_ABBREVIATIONS = re.compile(r"(?<![A-Za-z])(U\.S\.|US|USA|EU|UK)(?![A-Za-z])")
_ABBREVIATION_KEYS = {"U.S.": "united-states", "US": "united-states", "USA": "united-states",
                      "EU": "european-union", "UK": "united-kingdom"}


def places_in(text: str) -> frozenset[str]:
    """The gazetteer keys of the places named in ``text`` (any case, either script)."""
    found = {_ABBREVIATION_KEYS[m] for m in _ABBREVIATIONS.findall(text)}
    folded = text.casefold()
    for match in _ENGLISH.finditer(folded):
        found.add(_KEY_OF[" ".join(match.group(1).split())])
    for match in _CHINESE.finditer(text):
        found.add(_KEY_OF[match.group(0)])
    return frozenset(found)
