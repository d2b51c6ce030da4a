"""Clustering: copies of one story join, near-misses (other numbers, places, years, a word
swapped) stay apart, and the index grows incrementally."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.curation.clusters import ClusterIndex, cluster_items, comparable_title, numbers_in, tokens
from newsdesk.curation.places import places_in
from newsdesk.items import Item, item_id
from newsdesk.urls import canonical_url

START = datetime(2017, 7, 3, 8, tzinfo=UTC)
_serial = itertools.count()


def item(source: str, title: str, summary: str = "", *, url: str | None = None, day: float = 0) -> Item:
    url = url or f"https://{abs(hash(source)) % 10_000}.example/{next(_serial)}"
    when = START + timedelta(days=day)
    return Item(
        id=item_id(source, url),
        source=source,
        guid=url,
        title=title,
        url=url,
        canonical_url=canonical_url(url),
        summary_text=summary,
        published=when,
        first_seen=when,
    )


def together(*items: Item) -> bool:
    return len(cluster_items(items)) == 1


# Background items, so that word weights are those of a real week and not of two titles.
BACKGROUND = [
    item("Wire", "Banks tighten loan checks on blacklisted borrowers"),
    item("Wire", "Rating agencies eye China's local credit services market"),
    item("Wire", "Online lenders seek access to court blacklist data"),
    item("Daily", "Credit repair: how blacklisted firms can clear their names"),
    item("Daily", "Provincial tax bureaus publish 2016 A-grade taxpayer rosters"),
    item("法院", "最高法发布一批失信惩戒典型案例"),
    item("法院", "失信名单信息有误怎么办？法官详解纠错程序"),
    item("地方", "芜湖市召开社会信用体系建设联席会议"),
]


def clusters_of(*items: Item) -> list[set[str]]:
    found = cluster_items([*BACKGROUND, *items])
    return [{i.title for i in c} for c in found if not set(c.items) & set(BACKGROUND)]


def test_the_same_canonical_url_is_one_story_whatever_the_title():
    a = item("Credit Policy Daily", "Shanghai adopts credit regulation", url="https://cpd.example/sh?id=3")
    b = item("Wire Digest", "Landmark law in Shanghai", url="https://CPD.example/sh?utm_source=rss&id=3&fbclid=x")
    assert together(a, b)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "Courts Add 1.46 Million to Defaulter List in First Half",
            "Courts Add 1.46 Million to Defaulter List in First Half - Reuters Asia",
        ),
        (
            "Xi visits Hong Kong for 20th anniversary of handover",
            "Xi visits Hong Kong for 20th anniversary of handover | Xinhua English",
        ),
        ("宿迁为公务员建立诚信档案 失信记录与考核晋升挂钩", "宿迁为公务员建立诚信档案 失信记录与考核晋升挂钩_新华网"),
        ("《上海市社会信用条例》表决通过", "《上海市社会信用条例》表决通过-澎湃新闻"),
    ],
)
def test_syndicated_copies_with_a_site_suffix_join(first, second):
    assert clusters_of(item("Origin", first), item("Aggregator", second, day=0.5)) == [{first, second}]


def test_rewritten_titles_join_when_the_summaries_tell_the_same_story():
    a = item(
        "Credit Policy Daily",
        "Courts Added 1.46 Million Entries to Defaulter List in First Half of 2017",
        "Supreme People's Court figures show 1.46 million new entries on the list of judgment defaulters between January and June.",
    )
    b = item(
        "Asia Business Wire",
        "Chinese Courts Add 1.46 Million to Defaulter List in First Half",
        "The Supreme People's Court said 1.46 million entries were added to its list of judgment defaulters in the first six months of 2017.",
    )
    c = item(
        "新华",
        "最高法：上半年新增失信被执行人146万人次 41万人主动履行",
        "最高人民法院数据显示，今年上半年全国法院新增失信被执行人146万人次，约41万名被执行人主动履行了义务。",
    )
    d = item(
        "法院",
        "2017年上半年全国法院新增失信被执行人146万人次",
        "最高人民法院发布数据显示，今年1至6月全国法院新增失信被执行人146万人次，约41万名被执行人主动履行了义务。",
    )
    assert clusters_of(a, b) == [{a.title, b.title}]
    assert clusters_of(c, d) == [{c.title, d.title}]
    # The same figure (1.46 million is 146万), the same days: one story in both languages.
    assert clusters_of(a, b, c, d) == [{a.title, b.title, c.title, d.title}]


def test_english_and_chinese_reports_join_by_their_figures():
    english = item("Credit Policy Daily", "Xiamen Names 215 Firms and 38 Individuals on Its First Credit Red List")
    chinese = item("新华信用观察", "厦门发布首批守信“红名单” 215家企业38名个人上榜", day=0.5)
    assert clusters_of(english, chinese) == [{english.title, chinese.title}]


@pytest.mark.parametrize(
    "chinese",
    [
        item("新华信用观察", "厦门发布首批守信“红名单” 216家企业38名个人上榜"),  # other figures
        item("新华信用观察", "福州发布首批守信“红名单” 215家企业38名个人上榜"),  # another city
        item("新华信用观察", "厦门发布首批守信“红名单” 215家企业38名个人上榜", day=8),  # more than a week later
        item("Credit Policy Daily", "厦门发布首批守信“红名单” 215家企业38名个人上榜"),  # the same source
    ],
)
def test_figures_alone_do_not_join_near_misses_across_languages(chinese):
    english = item("Credit Policy Daily", "Xiamen Names 215 Firms and 38 Individuals on Its First Credit Red List")
    assert len(clusters_of(english, chinese)) == 2


def test_a_round_figure_joins_with_the_same_place_and_words():
    # Issue 24: the figure is round, but the place and every word agree (红名单 = red list):
    # one story, where the figures-only rule before it kept them apart.
    english = item("Credit Policy Daily", "Shanghai Adds 100 Firms to Its Red List")
    chinese = item("新华信用观察", "上海100家企业列入诚信红名单")
    assert clusters_of(english, chinese) == [{english.title, chinese.title}]


@pytest.mark.xfail(
    strict=True,
    reason="issue 24, not done: titles alone that differ by one verb (adds, removes) are as alike as copies "
    "to a bag of words; only summaries that differ tell them apart",
)
@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_two_stories_with_the_figures_of_one_report_are_a_guess_not_a_join(order):
    removes = item("Governance Watch", "Hefei Removes 3,046 Firms From Its Business Anomaly List")
    chinese = item("地方信用", "合肥3046家企业移出经营异常名录", day=0.1)
    adds = item("Credit Policy Daily", "Hefei Adds 3,046 Firms to Its Business Anomaly List", day=0.2)
    shuffled = [(removes, chinese, adds)[i] for i in order]
    # Whichever arrives first (the desk adds the newest first): all three stay apart.
    assert len(clusters_of(*shuffled)) == 3


@pytest.mark.parametrize("batches", [[3], [2, 1], [1, 2], [1, 1, 1]])
def test_batches_do_not_change_a_join_across_languages(batches):
    english = item("Asia Business Wire", "Shenzhen Penalises 318 Ride-Hailing Drivers Under Credit Rules")
    shenzhen = item("人民网信用", "深圳318名网约车司机因失信受到处罚", day=0.2)
    hubei = item("法院诚信新闻", "湖北318家企业因拖欠工资被列入黑名单", day=0.5)
    index, pending = ClusterIndex(), [hubei, english, shenzhen]
    index.add(BACKGROUND)
    for size in batches:  # as the desk adds each fetch's items
        index.add(pending[:size])
        pending = pending[size:]
    assert index.same_story(english.id, shenzhen.id)
    assert not index.same_story(english.id, hubei.id) and not index.same_story(shenzhen.id, hubei.id)


def test_each_pair_of_reports_is_within_a_week():
    # Issue 24: the independent set has reports of one story in two languages 3.4 days
    # apart, and two Chinese reports of the figures are one story with the English one,
    # not a guess between two (the window was three days, and two candidates refused).
    english = item(
        "Credit Policy Daily", "Xiamen Names 215 Firms and 38 Individuals on Its First Credit Red List", day=3
    )
    early = item("新华信用观察", "厦门发布首批守信“红名单” 215家企业38名个人上榜", day=0.5)
    late = item("人民网信用", "厦门首批红名单公布 215家企业和38名个人入选", day=5.5)
    for order in itertools.permutations([english, early, late]):
        assert len(clusters_of(*order)) == 1
    assert (
        len(
            clusters_of(
                item("A", "Xiamen Names 215 Firms and 38 Individuals"),
                replace(late, published=START + timedelta(days=8)),
            )
        )
        == 2
    )


def test_a_count_joins_in_its_own_city_when_another_city_gives_it_too():
    english = item("Asia Business Wire", "Shenzhen Penalises 318 Ride-Hailing Drivers Under Credit Rules")
    shenzhen = item("人民网信用", "深圳318名网约车司机因失信受到处罚", day=0.2)
    hubei = item("法院诚信新闻", "湖北318家企业因拖欠工资被列入黑名单", day=0.5)
    nowhere = item("法院诚信新闻", "318家企业因拖欠工资被列入黑名单", day=0.5)
    assert {english.title, shenzhen.title} in clusters_of(hubei, shenzhen, english)
    assert len(clusters_of(english, nowhere)) == 2  # a lone count with no place tells nothing


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # different places
        (
            "Hebei Adopts China's First Comprehensive Local Social Credit Regulation",
            "Shanghai Adopts China's First Comprehensive Local Social Credit Regulation",
        ),
        ("《河北省社会信用信息条例》获表决通过", "《上海市社会信用信息条例》获表决通过"),
        # the same notice issued by two cities the hand list does not name (China's divisions)
        ("泰州市关于公布2024年度失信被执行人名单的公告", "宿州市关于公布2024年度失信被执行人名单的公告"),
        ("关于公布昆山市诚信示范企业名单的通知", "关于公布江阴市诚信示范企业名单的通知"),
        ("Jinhua publishes its list of credit-repair firms", "Shaoxing publishes its list of credit-repair firms"),
        (
            "EU Chamber Warns of Corporate Social Credit Compliance Burden",
            "US Chamber Warns of Corporate Social Credit Compliance Burden",
        ),
        # different numbers
        ("Courts Added 1.46 Million Entries to Defaulter List", "Courts Added 7.61 Million Entries to Defaulter List"),
        ("全国法院新增失信被执行人146万人次", "全国法院新增失信被执行人210万人次"),
        # different years
        ("Jiangsu publishes 2016 A-grade taxpayer list", "Jiangsu publishes 2017 A-grade taxpayer list"),
        # one word swapped, nothing to say it is the same story
        (
            "State Council Issues Guideline on Government Integrity",
            "State Council Issues Guideline on Personal Integrity",
        ),
        pytest.param(
            "China's factory activity expands at fastest pace in five months",
            "China's services activity expands at fastest pace in five months",
            marks=pytest.mark.xfail(
                strict=True, reason="issue 24, not done: titles alone, one word swapped, are as alike as copies"
            ),
        ),
    ],
)
def test_near_misses_stay_apart(first, second):
    assert len(clusters_of(item("One", first), item("Other", second))) == 2


def test_the_same_title_weeks_apart_or_from_one_source_is_not_one_story():
    assert (
        len(
            clusters_of(
                item("Watch", "This Week in Social Credit"), item("Digest", "This Week in Social Credit", day=21)
            )
        )
        == 2
    )
    a = item("Daily", "Court adds defaulters to blacklist in Wuhu")
    b = item("Daily", "Court adds 30 defaulters to blacklist in Wuhu", day=1)
    assert len(clusters_of(a, b)) == 2  # one outlet's follow-up is its own story
    c = item("Daily", "Court adds defaulters to blacklist in Wuhu", day=0.2)
    assert {a.title} in clusters_of(a, c) and len(clusters_of(a, c)) == 1  # a repost under a new id


def test_a_story_never_takes_in_a_near_miss_through_a_third_item():
    vague = item(
        "Wire",
        "China to build credit records for drivers",
        "The transport ministry will create credit records for truck and taxi drivers.",
    )
    trucks = item(
        "Daily",
        "China to build credit records for 4 million truck drivers",
        "The transport ministry will create credit records for truck drivers.",
    )
    taxis = item(
        "Post",
        "China to build credit records for 2 million taxi drivers",
        "The transport ministry will create credit records for taxi drivers.",
    )
    index = ClusterIndex()
    index.add([*BACKGROUND, trucks, taxis, vague])
    assert not index.same_story(trucks.id, taxis.id)


def test_new_items_join_existing_stories_without_regrouping_the_rest():
    original = item("Origin", "Xiamen Names 215 Firms and 38 Individuals on Its First Credit Red List")
    index = ClusterIndex()
    index.add([*BACKGROUND, original])
    before = index.clusters()
    copy = item("Aggregator", original.title + " - Origin", day=1)
    index.add([copy, original])  # a known item is skipped
    after = index.clusters()
    assert len(index) == len(BACKGROUND) + 2 and len(after) == len(before)
    assert index.same_story(original.id, copy.id)
    assert [c.lead.id for c in after] == [c.lead.id for c in before]


def test_an_item_a_feed_rewrote_leaves_its_old_story():
    original = item("Origin", "Xiamen Names 215 Firms and 38 Individuals on Its First Credit Red List")
    copy = item("Aggregator", original.title + " - Origin", day=1)
    index = ClusterIndex()
    index.add([*BACKGROUND, original, copy])
    assert index.same_story(original.id, copy.id)
    rewritten = replace(copy, title="Provincial tax bureaus name this year's A-grade taxpayers", content_hash="v2")
    index.add([rewritten, original])
    assert not index.same_story(original.id, copy.id)
    assert len(index) == len(BACKGROUND) + 2
    shown = {i.id: i for c in index.clusters() for i in c}
    assert shown[copy.id] is rewritten  # the desk shows and picks the new version
    unchanged = replace(rewritten)
    index.add([unchanged])  # the same content again: nothing to do
    assert {i.id: i for c in index.clusters() for i in c}[copy.id] is rewritten


def test_an_item_changed_where_grouping_does_not_look_keeps_every_story_as_it_was():
    original = item("Origin", "Xiamen Names 215 Firms and 38 Individuals on Its First Credit Red List")
    copy = item("Aggregator", original.title + " - Origin", day=1)
    index = ClusterIndex()
    index.add([*BACKGROUND, original, copy])
    before = [[i.id for i in c] for c in index.clusters()]
    prints = list(index._prints)
    recategorized = replace(copy, categories=("credit",), content_hash="v2")
    index.add([recategorized])
    assert [[i.id for i in c] for c in index.clusters()] == before
    assert all(a is b for a, b in zip(prints, index._prints, strict=True))  # nothing indexed again
    assert {i.id: i for c in index.clusters() for i in c}[copy.id] is recategorized


def test_the_lead_is_the_weightiest_source_then_the_earliest():
    a = item("Small", "Xiamen Names 215 Firms on Its First Credit Red List", day=0)
    b = item("Big", "Xiamen Names 215 Firms on Its First Credit Red List - Big", day=1)
    c = item("Other", "Xiamen Names 215 Firms on Its First Credit Red List | Other", day=0.5)
    [story] = cluster_items([a, b, c], {"Big": 1.5})
    assert story.lead is b and story.items[1:] == [a, c] and story.sources == ["Big", "Small", "Other"]
    [story] = cluster_items([b, c, a])
    assert story.lead is a


def test_the_pieces_compare_what_they_should():
    assert comparable_title("Hebei hearing on credit rules - Xinhua", "Wire") == "Hebei hearing on credit rules"
    assert comparable_title("厦门发布首批守信红名单_新华信用观察", "新华信用观察") == "厦门发布首批守信红名单"
    assert numbers_in("1.46 million") == numbers_in("146万") == numbers_in("1,460,000") == {"1460000"}
    assert numbers_in("2.35万亿") == numbers_in("2.35 trillion") and numbers_in("1.2千万") == numbers_in("12 million")
    assert numbers_in("2.01万亿") == numbers_in("20100亿") == numbers_in("2.01 trillion") == {"2010000000000"}
    assert numbers_in("64.1亿") == numbers_in("6.41 billion") == {"6410000000"}
    assert (
        numbers_in("51.7%") == {"51.7"} and numbers_in("1,283 firms") == {"1283"} and numbers_in("100 firms") == {"100"}
    )
    assert numbers_in("hearing on 6 july") == set() and numbers_in("6月20日召开") == set()
    assert places_in("Xi'an and Hong Kong") == {"xian", "hong-kong"} and places_in("厦门市") == {"xiamen"}
    assert places_in("tell us about it") == set() and places_in("US chamber") == {"united-states"}
    assert tokens("Courts added entries") == tokens("court adds entry")


def test_the_labelled_sets_meet_the_quality_targets():
    from cluster_quality import DATA, TUNING, quality

    # The tuning half of the independent set (the held-out half is only measured, in bench/).
    precision, recall, items, pairs = quality(path=TUNING)
    assert items >= 150 and pairs >= 250
    assert precision >= 0.95 and recall >= 0.90
    # The project's own set, kept as a regression set (its convention differs: commentary
    # on a development is its own story there, the same story in the independent set).
    precision, recall, items, pairs = quality(path=DATA)
    assert items >= 300 and pairs >= 200
    assert precision >= 0.90 and recall >= 0.90


def test_traditional_and_simplified_reports_are_one_story():
    # 萬 is 万, 執行 is 执行, 廈門 is 厦门: folded to one script before anything is compared.
    simplified = item(
        "人民法院报",
        "厦门中院公布第七批失信被执行人名单 共1203名",
        "厦门市中级人民法院集中公布第七批失信被执行人名单，共计1203名，其中企业317家。",
    )
    traditional = item(
        "聯合新聞網",
        "廈門法院公布1203名失信者 機場大螢幕輪播",
        "廈門市中級人民法院公布第七批失信被執行人名單，共1203人（家），其中企業317家。",
        day=0.3,
    )
    assert clusters_of(simplified, traditional) == [{simplified.title, traditional.title}]
    assert numbers_in("217.4萬") == numbers_in("217.4万") == {"2174000"}
    assert numbers_in("11億") == numbers_in("1.1 bln") == numbers_in("11亿") == {"1100000000"}


def test_an_english_and_a_chinese_report_join_by_their_words_and_say_why():
    english = item(
        "ECNS Wire",
        "Xiamen court names debt dodgers on airport screens",
        "A court in Xiamen has published its seventh batch of dishonest judgment debtors and will display "
        "the names on screens at the airport.",
    )
    chinese = item(
        "信用厦门",
        "市中院第七批失信被执行人名单发布",
        "厦门市中级人民法院发布第七批失信被执行人名单，名单将在机场大屏幕滚动播放。",
        day=0.2,
    )
    fuzhou = item(
        "信用福州",
        "我市法院集中公布一批失信被执行人名单",
        "福州市中级人民法院公布第七批失信被执行人名单，名单将在机场大屏幕滚动播放。",
        day=0.2,
    )
    [story] = [c for c in cluster_items([*BACKGROUND, english, chinese, fuzhou]) if english in c.items]
    assert set(story.items) == {english, chinese}  # Fuzhou's portal is another city's list
    why = story.reasons[story.items[1].id]
    assert "Xiamen = 厦门" in why or "厦门 = Xiamen" in why


def test_the_cached_article_text_counts_too():
    english = item("Wire", "A new list of names", "Officials published a list.")
    chinese = item("新华网", "名单公布", "有关部门公布了一份名单。", day=0.1)
    assert len(clusters_of(english, chinese)) == 2
    article = "厦门市中级人民法院公布第七批失信被执行人名单1203名，名单将在机场滚动播放。" * 3
    texts = {
        english.canonical_url: "Xiamen's court listed 1,203 judgment debtors at the airport. " * 3,
        chinese.canonical_url: article,
    }
    index = ClusterIndex()
    index.add([*BACKGROUND, english, chinese], texts)
    assert index.same_story(english.id, chinese.id)
