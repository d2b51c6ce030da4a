"""Snapshots of the Chinese sources' part of the desk: the glossary beside the item, and
the screen that adds a term (cursor blink off, timers an hour away, a settled desk)."""

from __future__ import annotations

import pytest
from desk_helpers import desk, no_timers, quiet
from desk_helpers import settled as settle
from test_desk_chinese import GLOSSARY, to_item

from newsdesk.tui.candidate_list import CandidateList

SIZES = [(120, 40), (80, 24)]


@pytest.fixture(autouse=True)
def _no_timers(monkeypatch):
    no_timers(monkeypatch)


@pytest.fixture
def with_glossary(fetched):
    (fetched / "glossary.toml").write_text(GLOSSARY, encoding="utf-8")
    return fetched


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_glossary_beside_the_item(snap_compare, with_glossary, size):
    async def run_before(pilot):
        await settle(pilot)
        await to_item(pilot, pilot.app.query_one(CandidateList), "芜湖法院向联合惩戒成员单位推送失信被执行人名单")
        await quiet(pilot)

    assert snap_compare(desk(with_glossary), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_add_a_term(snap_compare, with_glossary, size):
    async def run_before(pilot):
        await settle(pilot)
        await quiet(pilot)
        await pilot.press("T", *"典型案例")
        await settle(pilot)

    assert snap_compare(desk(with_glossary), terminal_size=size, run_before=run_before)
