"""Feed dates in the two common forms, read exactly as feedparser reads them.

Nearly every feed dates its entries in one of two forms: RSS's "Mon, 26 Jun 2017
08:00:00 +0000" (RFC 822) and Atom's "2017-06-26T08:00:00+08:00" (W3C-DTF). These are
read here, by one regular expression each. Any other form, and any value out of the
ordinary ranges, is feedparser's to read by its own rules: the fast engine
(newsdesk.feeds.fastparse) then declines the document, and feedparser parses it whole.
tests/unit/test_feeddates.py checks these readings against what ``feedparser.parse``
gives for a feed dated so.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{4}) (\d{2}):(\d{2}):(\d{2}) (?:([+-])(\d{2})(\d{2})|GMT|UTC?|Z)"
)
_W3DTF = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))")


def parse_date(value: str) -> time.struct_time | None:
    """The date in UTC as feedparser reads it, or None when ``value`` is not in one of the
    two common forms with every field in its ordinary range."""
    if match := _W3DTF.fullmatch(value):
        year, month, day, hour, minute, second, sign, off_hours, off_minutes = match.groups()
    elif match := _RFC822.fullmatch(value):
        day, month_name, year, hour, minute, second, sign, off_hours, off_minutes = match.groups()
        month = _MONTHS[month_name.lower()]
    else:
        return None
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
        if sign:
            offset = timedelta(hours=int(off_hours), minutes=int(off_minutes))
            moment = moment - offset if sign == "+" else moment + offset
    except (ValueError, OverflowError):  # Feb 30, hour 24, year 1 less an hour: feedparser's own rules
        return None
    return moment.utctimetuple()
