from datetime import UTC, date, datetime

from newsdesk.config import NewsroomSettings
from newsdesk.dates import date_range, long_date, next_publication, ordinal, week_before


def test_ordinals():
    assert [ordinal(d) for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "31st",
    ]


def test_titles_and_ranges_read_like_the_model():
    assert long_date(date(2017, 7, 3)) == "3rd July 2017"
    assert date_range(date(2017, 6, 26), date(2017, 7, 2)) == "26th June to 2nd July 2017"
    assert date_range(date(2017, 12, 25), date(2018, 1, 1)) == "25th December 2017 to 1st January 2018"


def test_the_week_before_a_monday_issue_runs_monday_to_sunday():
    week = week_before(date(2017, 7, 3), NewsroomSettings())
    assert (week.start, week.end) == (date(2017, 6, 26), date(2017, 7, 2))


def test_week_start_and_publication_day_are_configurable():
    settings = NewsroomSettings(week_start="saturday", publication_day="wednesday")
    week = week_before(date(2017, 7, 5), settings)
    assert (week.start, week.end) == (date(2017, 6, 24), date(2017, 6, 30))


def test_next_publication_includes_today():
    settings = NewsroomSettings(publication_day="monday")
    assert next_publication(settings, date(2017, 7, 3)) == date(2017, 7, 3)
    assert next_publication(settings, date(2017, 7, 4)) == date(2017, 7, 10)


def test_week_bounds_are_in_the_newsroom_timezone():
    week = week_before(date(2017, 7, 3), NewsroomSettings(timezone="Asia/Shanghai"))
    start, end = week.bounds_utc()
    assert start == datetime(2017, 6, 25, 16, 0, tzinfo=UTC)
    assert end == datetime(2017, 7, 2, 16, 0, tzinfo=UTC)


def test_an_issue_appears_at_a_time_that_is_its_day_in_every_timezone_given():
    from zoneinfo import ZoneInfo

    from newsdesk.dates import publication_instant

    day = date(2017, 7, 3)
    shanghai, los_angeles = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Los_Angeles")
    # 06:00 UTC where that is the day everywhere: the time feeds and posts already out have.
    assert publication_instant(day, shanghai) == datetime(2017, 7, 3, 6, 0, tzinfo=UTC)
    assert publication_instant(day, UTC) == datetime(2017, 7, 3, 6, 0, tzinfo=UTC)
    # West of UTC 06:00 UTC is still the day before; between zones, a time both agree on.
    for zones in [
        (los_angeles,),
        (UTC, los_angeles),
        (shanghai, los_angeles),
        (ZoneInfo("Pacific/Honolulu"),),
        (ZoneInfo("Pacific/Kiritimati"), los_angeles),
    ]:
        instant = publication_instant(day, *zones)
        assert instant is not None and instant.tzinfo is UTC
        assert all(instant.astimezone(zone).date() == day for zone in zones), (zones, instant)
    # 24 hours apart or more: no moment is the same day in both.
    assert publication_instant(day, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Honolulu")) is None


def test_dates_written_the_chinese_way():
    from newsdesk.dates import chinese_date

    july_4 = date(2017, 7, 4)
    assert chinese_date("2017年07月04日 最高人民法院") == july_4
    assert chinese_date("见2017年1月1日的通知 发布时间：2017年7月4日 10:00") == july_4  # the labelled one
    assert chinese_date("2017.07.04") == chinese_date("2017/7/4") == chinese_date("２０１７年７月４日") == july_4
    assert chinese_date("2017年上半年") is None  # a year is no date
    assert chinese_date("2017年2月30日") is None
