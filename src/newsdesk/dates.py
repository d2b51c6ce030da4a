"""Publication dates, week windows and the English way of writing them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from newsdesk.config import NewsroomSettings


def ordinal(day: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    if 11 <= day % 100 <= 13:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def long_date(value: date) -> str:
    """'3rd July 2017'."""
    return f"{ordinal(value.day)} {value:%B} {value.year}"


def date_range(start: date, end: date) -> str:
    """'26th June to 2nd July 2017'; the year is written once when both share it."""
    if start.year == end.year:
        return f"{ordinal(start.day)} {start:%B} to {long_date(end)}"
    return f"{long_date(start)} to {long_date(end)}"


# The hour (UTC) an issue has always been given in feeds and posts: kept wherever it falls
# on the publication day, so that entries already out do not move.
_USUAL_HOUR = time(6, 0)


def publication_instant(day: date, *zones: tzinfo) -> datetime | None:
    """When an issue of ``day`` appears: a UTC time that is on ``day`` in every zone given
    (the newsroom's, a blog's), so each dates it on its publication day.

    06:00 UTC when that is the day everywhere; otherwise the middle of the hours that are,
    to the minute, as far from either end of the day as can be. None when there are none
    (zones a day or more apart)."""
    usual = datetime.combine(day, _USUAL_HOUR, tzinfo=UTC)
    if all(usual.astimezone(zone).date() == day for zone in zones):
        return usual
    starts, ends = [], []
    for zone in zones:
        starts.append(datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC))
        ends.append(datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC))
    first, after = max(starts), min(ends)
    if first >= after:
        return None
    middle = (first + (after - first) / 2).replace(second=0, microsecond=0)
    return max(middle, first)


@dataclass(frozen=True)
class Week:
    """The days an issue covers, inclusive, in the newsroom's timezone."""

    start: date
    end: date
    zone: ZoneInfo

    def bounds_utc(self) -> tuple[datetime, datetime]:
        """The window as a half-open UTC interval [start, end + 1 day)."""
        first = datetime.combine(self.start, time.min, tzinfo=self.zone)
        after = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)
        return first.astimezone(UTC), after.astimezone(UTC)


def week_before(publication: date, settings: NewsroomSettings) -> Week:
    """The last full week (starting on the newsroom's week-start day) before ``publication``."""
    last_day_index = (settings.week_start_index - 1) % 7
    end = publication - timedelta(days=1)
    end -= timedelta(days=(end.weekday() - last_day_index) % 7)
    return Week(start=end - timedelta(days=6), end=end, zone=settings.zone)


def next_publication(settings: NewsroomSettings, today: date | None = None) -> date:
    """The next publication day, today included."""
    today = today or datetime.now(settings.zone).date()
    return today + timedelta(days=(settings.publication_index - today.weekday()) % 7)


def parse_date(text: str) -> date:
    """Parse YYYY-MM-DD, raising ValueError with a readable message."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2017-07-03") from None


# A date as Chinese pages write it: 2017年7月4日 (年月日), 2017.07.04, 2017/7/4, 2017-07-04.
_CHINESE_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)\s*(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]|([./-])(\d{1,2})\4(\d{1,2})(?!\d))"
)
# The labels a page puts before its own date (发布日期：2017年7月4日), not a date it mentions.
_DATE_LABEL = re.compile(r"(?:发布|发表|发稿|更新|成文|印发)?(?:日期|时间)\s*[:：]?\s*$")


def chinese_date(text: str) -> date | None:
    """The date a page written in Chinese gives for itself: the first one after a label such
    as 发布日期： or 发布时间:, else the first full date (year, month and day) in ``text``;
    None when it has none (a year alone, 2017年, is no date)."""
    text = unicodedata.normalize("NFKC", text)
    first: date | None = None
    for match in _CHINESE_DATE.finditer(text):
        year, month, day = int(match[1]), int(match[2] or match[5]), int(match[3] or match[6])
        try:
            value = date(year, month, day)
        except ValueError:
            continue
        if _DATE_LABEL.search(text[max(0, match.start() - 8) : match.start()]):
            return value
        first = first or value
    return first
