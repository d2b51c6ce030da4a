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


def test_the_packaged_outlet_endings_strip_a_chinese_sites_name():
    assert headlines._OUTLET_ENDINGS == ("网", "报", "社", "台", "观察", "新闻", "日报", "在线", "频道", "动态")
    assert headline_from_title("社会信用体系建设取得新进展_人民日报", "People") == "社会信用体系建设取得新进展"
    assert headline_from_title("社会信用体系建设取得新进展_某某公司", "People") == "社会信用体系建设取得新进展_某某公司"


def test_the_data_files_are_in_the_package():
    assert {entry.name for entry in DATA.iterdir()} >= {"places.toml", "outlets.toml"}


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
