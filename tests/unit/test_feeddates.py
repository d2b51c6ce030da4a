"""newsdesk.feeds.dates reads dates exactly as feedparser does, without feedparser for the common forms."""

from __future__ import annotations

import subprocess
import sys

from feedparser.datetimes import _parse_date
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsdesk.feeds.dates import parse_date

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Out-of-range fields too: the fast reading must hand those to feedparser, not misread them.
year = st.integers(0, 9999)
two = st.integers(0, 99)


@st.composite
def rfc822(draw) -> str:
    day_name = draw(st.sampled_from(("", *(f"{d}, " for d in DAYS))))
    zone = draw(st.sampled_from(("GMT", "UT", "UTC", "Z", "EST", "+", "-")))
    if zone in "+-":
        zone += f"{draw(two):02d}{draw(two):02d}"
    return (
        f"{day_name}{draw(st.integers(0, 39))} {draw(st.sampled_from(MONTHS))} {draw(year):04d} "
        f"{draw(two):02d}:{draw(two):02d}:{draw(two):02d} {zone}"
    )


@st.composite
def w3dtf(draw) -> str:
    fraction = draw(st.sampled_from(("", ".5", ".123456", ".123456789")))
    zone = draw(st.sampled_from(("Z", "z", "+", "-")))
    if zone in "+-":
        zone += f"{draw(two):02d}:{draw(two):02d}"
    separator = draw(st.sampled_from("Tt"))
    return (
        f"{draw(year):04d}-{draw(st.integers(0, 13)):02d}-{draw(st.integers(0, 32)):02d}{separator}"
        f"{draw(two):02d}:{draw(two):02d}:{draw(two):02d}{fraction}{zone}"
    )


@settings(max_examples=3000, deadline=None)
@given(st.one_of(rfc822(), w3dtf()))
@example("Mon, 26 Jun 2017 08:00:00 +0000")
@example("2017-06-26T08:00:00.123456+08:00")
@example("2017-02-31T08:00:00Z")  # feedparser rolls into March
@example("2017-06-26T24:00:00Z")  # and past midnight
@example("0001-01-01T00:00:00+01:00")  # and into year 0
@example("Mon, 26 Jun 2017 08:00:00 +0860")
@example("Tue, 31 Feb 2017 08:00:00 GMT")  # which feedparser refuses
def test_dates_read_as_feedparser_reads_them(value):
    assert parse_date(value) == _parse_date(value)


def test_other_forms_go_to_feedparser():
    for value in ("26 June 2017", "2017-06-26", "Monday, 26-Jun-17 08:00:00 GMT", "2017年6月26日", "", "soon"):
        assert parse_date(value) == _parse_date(value)


def test_the_common_forms_need_no_feedparser():
    code = (
        "import sys; from newsdesk.feeds.dates import parse_date; "
        "parse_date('Mon, 26 Jun 2017 08:00:00 +0000'); parse_date('2017-06-26T08:00:00Z'); "
        "print('feedparser' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
