"""Property: any issue newsdesk can hold survives the issue file unchanged.

parse_issue(dump_issue(issue)) == issue, and dump_issue is a fixed point: a file that
newsdesk wrote is written back byte for byte.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsdesk.issue import STATUSES, Development, Issue, dump_issue, parse_issue

# Everything but surrogates (not encodable) and the carriage return (a file's newline
# is chosen when it is read); line and paragraph separators and controls are included.
CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r")
# Characters that str.splitlines() and Markdown disagree about, and the format's markers.
TRICKY = st.sampled_from(
    [
        "\u2028",
        "\u2029",
        "\x0c",
        "\x0b",
        "\x1c",
        "\x85",
        "## ",
        "# ",
        "```",
        "+++",
        "<!-- item: ",
        "[Read more](https://x.example/)",
    ]
)
PIECES = st.one_of(st.text(CHARACTERS, max_size=8), TRICKY)
STRUCTURE = re.compile(r"^(#|```|~~~|\+\+\+\s*$|\[read more|<!--\s*item:)", re.IGNORECASE)


def is_prose(text: str) -> bool:
    """Text an editor writes in an intro or annotation: no line the format reserves."""
    return not any(STRUCTURE.match(line.strip()) for line in text.split("\n"))


# Titles and headlines hold no control character but the tab (the feeds could not carry one).
one_line = st.text(CHARACTERS.filter(lambda c: c == "\t" or unicodedata.category(c) != "Cc"), min_size=1, max_size=40)
headlines = one_line.map(lambda s: " ".join(s.split())).filter(bool)
prose = (
    st.lists(st.lists(PIECES, max_size=6).map("".join), max_size=4)
    .map(lambda parts: "\n\n".join(parts).strip())
    .filter(is_prose)
)
item_ids = st.from_regex(r"[0-9a-f]{12}", fullmatch=True)
urls = st.from_regex(r"https?://[a-z0-9.-]{1,20}\.example(/[A-Za-z0-9._~%?=&/-]{0,30})?", fullmatch=True)


@st.composite
def developments(draw) -> Development:
    item_id = draw(st.none() | item_ids)
    return Development(
        headline=draw(headlines),
        annotation=draw(prose),
        read_more=draw(st.just("") | urls),
        item_id=item_id,
        also=draw(st.lists(item_ids, max_size=3)),
    )


@st.composite
def issues(draw, min_developments: int = 0) -> Issue:
    start = draw(st.dates())
    end = draw(st.dates(min_value=start))
    return Issue(
        title=draw(one_line),
        date=draw(st.dates()),
        week_start=start,
        week_end=end,
        status=draw(st.sampled_from(STATUSES)),
        intro=draw(prose),
        developments=draw(st.lists(developments(), min_size=min_developments, max_size=4)),
        post_url=draw(st.none() | urls),
        wordpress_id=draw(st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1)),
    )


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


PASTED = Issue(
    title="t",
    date=date(2017, 7, 3),
    week_start=date(2017, 6, 26),
    week_end=date(2017, 7, 2),
    intro="Pasted\u2028## not a headline",
    developments=[
        Development(headline="h", annotation="x\x0c[Read more here](https://a.example/)\u2029<!-- item: abc -->")
    ],
)


@SETTINGS
@given(issues())
@example(PASTED)
def test_parse_of_dump_is_the_issue(issue):
    text = dump_issue(issue)
    assert parse_issue(text) == issue


@SETTINGS
@given(issues())
@example(PASTED)
def test_dump_is_a_fixed_point(issue):
    text = dump_issue(issue)
    assert dump_issue(parse_issue(text)) == text


@SETTINGS
@given(issues(min_developments=1), st.data())  # drawn with a development to edit, not assumed
def test_an_edited_development_round_trips_and_others_keep_their_bytes(issue, data):
    text = dump_issue(issue)
    loaded = parse_issue(text)
    index = data.draw(st.integers(0, len(loaded.developments) - 1))
    loaded.developments[index].annotation = data.draw(prose)
    edited = dump_issue(loaded)
    again = parse_issue(edited)
    assert again.developments[index].annotation == loaded.developments[index].annotation
    assert again == loaded
