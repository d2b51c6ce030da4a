"""newsdesk.feeds.dates reads the common date forms exactly as feedparser does, without
feedparser, and leaves every other form to it."""

from __future__ import annotations

import io
import subprocess
import sys
from xml.sax.saxutils import escape

import feedparser
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsdesk.feeds.dates import parse_date


def feedparser_reading(value: str):
    """The date feedparser gives an RSS item dated ``value``."""
    document = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>i</title><pubDate>{escape(value)}</pubDate></item></channel></rss>"
    )
    (entry,) = feedparser.parse(io.BytesIO(document.encode())).entries
    return entry.get("published_parsed")


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Out-of-range fields too: the fast reading must leave those to feedparser, not misread them.
year = st.integers(0, 9999)
two = st.integers(0, 99)
# And values in the ordinary ranges, which it must read: most of the above are not.
ORDINARY = {
    "year": st.integers(1990, 2040),
    "day": st.integers(1, 28),
    "month": st.integers(1, 12),
    "hour": st.integers(0, 23),
    "sixty": st.integers(0, 59),
    "zone_hours": st.integers(0, 14),
}


@st.composite
def rfc822(draw, ordinary: bool = False) -> str:
    day_name = draw(st.sampled_from(("", *(f"{d}, " for d in DAYS))))
    zone = draw(st.sampled_from(("GMT", "UT", "UTC", "Z", "EST", "+", "-")))
    o = ORDINARY if ordinary else dict.fromkeys(ORDINARY, two) | {"year": year, "day": st.integers(0, 39)}
    if zone in "+-":
        zone += f"{draw(o['zone_hours']):02d}{draw(o['sixty']):02d}"
    return (
        f"{day_name}{draw(o['day'])} {draw(st.sampled_from(MONTHS))} {draw(o['year']):04d} "
        f"{draw(o['hour']):02d}:{draw(o['sixty']):02d}:{draw(o['sixty']):02d} {zone}"
    )


@st.composite
def w3dtf(draw, ordinary: bool = False) -> str:
    fraction = draw(st.sampled_from(("", ".5", ".123456", ".123456789")))
    zone = draw(st.sampled_from(("Z", "z", "+", "-")))
    o = (
        ORDINARY
        if ordinary
        else dict.fromkeys(ORDINARY, two) | {"year": year, "month": st.integers(0, 13), "day": st.integers(0, 32)}
    )
    if zone in "+-":
        zone += f"{draw(o['zone_hours']):02d}:{draw(o['sixty']):02d}"
    separator = draw(st.sampled_from("Tt"))
    return (
        f"{draw(o['year']):04d}-{draw(o['month']):02d}-{draw(o['day']):02d}{separator}"
        f"{draw(o['hour']):02d}:{draw(o['sixty']):02d}:{draw(o['sixty']):02d}{fraction}{zone}"
    )


@settings(max_examples=3000, deadline=None)
@given(st.one_of(rfc822(), w3dtf(), rfc822(ordinary=True), w3dtf(ordinary=True)))
@example("Mon, 26 Jun 2017 08:00:00 +0000")
@example("2017-06-26T08:00:00.123456+08:00")
@example("2017-02-31T08:00:00Z")  # feedparser rolls into March
@example("2017-06-26T24:00:00Z")  # and past midnight
@example("0001-01-01T00:00:00+01:00")  # and into year 0
@example("Mon, 26 Jun 2017 08:00:00 +0860")
@example("Tue, 31 Feb 2017 08:00:00 GMT")  # which feedparser refuses
def test_dates_read_as_feedparser_reads_them_or_left_to_it(value):
    reading = parse_date(value)
    assert reading is None or reading == feedparser_reading(value)


def test_the_common_forms_in_range_are_read():
    for value in (
        "Mon, 26 Jun 2017 08:00:00 +0000",
        "26 Jun 2017 08:00:00 GMT",
        "2017-06-26T08:00:00Z",
        "2017-06-26T08:00:00.5+08:00",
        "2017-06-26t08:00:00-05:30",
    ):
        assert parse_date(value) is not None
        assert parse_date(value) == feedparser_reading(value)


def test_other_forms_and_odd_values_are_left_to_feedparser():
    for value in (
        "26 June 2017",
        "2017-06-26",
        "Monday, 26-Jun-17 08:00:00 GMT",
        "2017年6月26日",
        "",
        "soon",
        "Mon, 26 Jun 2017 08:00:00 EST",
        "2017-02-31T08:00:00Z",
        "2017-06-26T24:00:00Z",
    ):
        assert parse_date(value) is None


def test_the_common_forms_need_no_feedparser():
    code = (
        "import sys; from newsdesk.feeds.dates import parse_date; "
        "parse_date('Mon, 26 Jun 2017 08:00:00 +0000'); parse_date('2017-06-26T08:00:00Z'); "
        "print('feedparser' in sys.modules)"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
