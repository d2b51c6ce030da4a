"""Romanization, segmentation and script folding (newsdesk.chinese)."""

from pathlib import Path

import pytest

from newsdesk import chinese
from newsdesk.config import RomanizationSettings, parse_config
from newsdesk.errors import ConfigError
from newsdesk.output.render import make_environment


def test_words_joined_without_tones_as_english_summaries_cite_them():
    assert chinese.romanize("上海市社会信用条例") == "Shanghaishi shehui xinyong tiaoli"
    assert chinese.annotate("上海市社会信用条例") == "上海市社会信用条例 Shanghaishi shehui xinyong tiaoli"
    assert chinese.romanize("失信被执行人") == "Shixin beizhixingren"


def test_each_word_read_as_a_word_with_apostrophes_and_umlauts():
    assert chinese.romanize("银行") == "Yinhang"  # 行 read as in the word, not xing
    assert chinese.romanize("西安市档案馆") == "Xi'anshi dang'anguan"
    assert chinese.romanize("绿色") == "Lüse"


def test_tones_capitals_and_syllables_as_configured():
    marks = RomanizationSettings(tones="marks", capitalize="words")
    assert chinese.romanize("社会信用体系", marks) == "Shèhuì Xìnyòng Tǐxì"
    numbers = RomanizationSettings(tones="numbers", join_words=False, capitalize="none")
    assert chinese.romanize("社会信用", numbers) == "she4 hui4 xin4 yong4"
    formatted = RomanizationSettings(format="{pinyin} ({hanzi})")
    assert chinese.annotate("诚信", formatted) == "Chengxin (诚信)"


def test_other_text_kept_and_chinese_punctuation_written_as_english():
    assert (
        chinese.romanize("关于《2017年诚信建设》的通知：试行")
        == "Guanyu 2017 nian chengxin jianshe de tongzhi: shixing"
    )
    assert chinese.annotate("plain English") == "plain English"
    assert chinese.romanize("") == ""


def test_annotating_runs_inside_english_and_twice_changes_nothing():
    once = chinese.annotate_runs("the Regulations (上海市社会信用条例) on 失信被执行人.")
    assert once == (
        "the Regulations (上海市社会信用条例 Shanghaishi shehui xinyong tiaoli) on 失信被执行人 Shixin beizhixingren."
    )
    assert chinese.annotate_runs(once) == once


def test_traditional_folds_to_simplified():
    assert chinese.fold("資訊 誠信") == "资讯 诚信"
    assert chinese.fold("資訊") == chinese.fold("资讯")
    assert chinese.fold("no Chinese here") == "no Chinese here"
    assert chinese.romanize("誠信") == chinese.romanize("诚信")


def test_segment_gives_words():
    assert chinese.segment("上海市社会信用条例") == ["上海市", "社会", "信用", "条例"]


def test_template_filters():
    env = make_environment(None, romanization=RomanizationSettings(capitalize="none"))
    template = env.from_string("{{ '诚信建设' | pinyin }} / {{ 'the 诚信 plan' | romanized }}")
    assert template.render() == "chengxin jianshe / the 诚信 chengxin plan"


def test_romanization_settings_are_checked():
    path = Path("sources.toml")
    config = parse_config('[romanization]\ntones = "marks"\njoin_words = false\n', path)
    assert config.romanization == RomanizationSettings(tones="marks", join_words=False)
    with pytest.raises(ConfigError, match=r"sources.toml:2: romanization.tones must be one of none, marks, numbers"):
        parse_config('[romanization]\ntones = "accents"\n', path)
    with pytest.raises(ConfigError, match=r"sources.toml:2: romanization.format must contain \{pinyin\}"):
        parse_config('[romanization]\nformat = "{hanzi}"\n', path)
    with pytest.raises(
        ConfigError, match=r"sources.toml:2: romanization.format '\{hanzi\} \{tone\}' is not a template"
    ):
        parse_config('[romanization]\nformat = "{hanzi} {tone}"\n', path)


def test_figures_stay_in_the_term_and_in_its_pinyin():
    text = "2017年上半年全国法院新增失信被执行人146万人次"
    assert chinese.romanize(text) == "2017 nian shangbannian quanguo fayuan xinzeng shixin beizhixingren 146 wanrenci"
    assert chinese.annotate_runs(text) == f"{text} {chinese.romanize(text)}"
    assert chinese.annotate(text) == f"{text} {chinese.romanize(text)}"
    assert chinese.annotate_runs(f"In {text}.") == f"In {text} {chinese.romanize(text)}."
    assert chinese.romanize("第2条") == "Di 2 tiao"


@pytest.mark.parametrize("form", ["{pinyin} ({hanzi})", "{hanzi} ({pinyin})", "{hanzi} {pinyin}", "[{pinyin}] {hanzi}"])
def test_annotating_twice_changes_nothing_whatever_the_format(form):
    settings = RomanizationSettings(format=form)
    once = chinese.annotate_runs("the 诚信 plan of 上海市社会信用条例, and 失信被执行人.", settings)
    assert chinese.annotate_runs(once, settings) == once
    assert once.count("诚信") == 1


def test_names_of_people_places_and_organizations_keep_their_capitals():
    assert chinese.romanize("习近平在北京") == "Xi Jinping zai Beijing"
    assert chinese.romanize("in 厦门") == "in Xiamen"
    assert chinese.romanize("重庆市、长沙。很好") == "Chongqingshi, Changsha. Hen hao"
    assert chinese.romanize("欧阳修") == "Ouyang Xiu"
    assert chinese.romanize("最高人民法院") == "Zuigaorenminfayuan"
    none = RomanizationSettings(capitalize="none")
    assert chinese.romanize("习近平在北京", none) == "xi jinping zai beijing"


def test_chinese_punctuation_becomes_english_in_the_pinyin_only():
    assert chinese.annotate_runs("「诚信」建设") == "「诚信」建设 “Chengxin” jianshe"
    assert chinese.annotate_runs("北京，重庆市。") == "北京，重庆市 Beijing, Chongqingshi。"


def test_a_term_in_brackets_of_its_own_is_romanized_inside_them():
    once = chinese.annotate_runs("（上海市社会信用条例）")
    assert once == "（上海市社会信用条例 Shanghaishi shehui xinyong tiaoli）"
    assert chinese.annotate_runs(once) == once
    assert chinese.annotate_runs("《诚信") == "《诚信 Chengxin"  # half a pair stays outside
