"""The editor's operations on issues, shared by the command line and the desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsdesk.config import NewsroomSettings
from newsdesk.curation.candidates import week_candidates
from newsdesk.curation.clusters import ARTICLE_CHARACTERS, cluster_items
from newsdesk.curation.headlines import headline_from_title
from newsdesk.dates import date_range, long_date, next_publication, parse_date, week_before
from newsdesk.errors import InvalidInput, IssueFileError, Refused
from newsdesk.issue import Development, Issue, load_issue, save_issue
from newsdesk.items import Item
from newsdesk.newsroom import Newsroom
from newsdesk.store import Store

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count_words(number: int) -> str:
    return NUMBER_WORDS[number] if number < len(NUMBER_WORDS) else str(number)


def issue_title(newsroom: Newsroom, day: date) -> str:
    return f"{newsroom.config.newsroom.name} – {long_date(day)}"


def default_intro(newsroom: Newsroom, week_start: date, week_end: date) -> str:
    settings = newsroom.config.newsroom
    return (
        f"Welcome to this week's edition of the {settings.name}, which brings you the "
        f"{count_words(settings.developments)} most important developments in the field "
        f"from {date_range(week_start, week_end)}."
    )


def blank_issue(newsroom: Newsroom, day: date) -> Issue:
    week = week_before(day, newsroom.config.newsroom)
    return Issue(
        title=issue_title(newsroom, day),
        date=day,
        week_start=week.start,
        week_end=week.end,
        status="draft",
        intro=default_intro(newsroom, week.start, week.end),
        path=newsroom.issue_path(day),
    )


def create_issue(newsroom: Newsroom, day: date | None = None) -> Issue:
    """Write a new draft for the issue published on ``day``; never overwrites."""
    day = day or next_publication(newsroom.config.newsroom)
    path = newsroom.issue_path(day)
    if path.exists():
        raise Refused(f"{path}: already exists; edit it, or choose another --date")
    issue = blank_issue(newsroom, day)
    covering = issue_covering(newsroom, issue.week_start, issue.week_end)
    if covering is not None:
        raise Refused(
            f"{path}: the week of {date_range(issue.week_start, issue.week_end)} is already covered "
            f"by {covering}; edit that issue, or choose another --date"
        )
    save_issue(issue, path)
    return issue


def issue_covering(newsroom: Newsroom, start: date, end: date) -> Path | None:
    """The file of an issue whose week shares a day with start..end, if there is one: two
    issues of one week would put the same news out twice."""
    for day in newsroom.issue_dates():
        path = newsroom.issue_path(day)
        try:
            issue = load_issue(path)
            week_start, week_end = issue.week_start, issue.week_end  # as the editor set them
        except IssueFileError:
            # A broken file still holds its week: the one its name's date gives.
            week = week_before(day, newsroom.config.newsroom)
            week_start, week_end = week.start, week.end
        if week_start <= end and start <= week_end:
            return path
    return None


def next_issue_path(newsroom: Newsroom) -> Path:
    """The issue the editor is working on: the earliest draft, else the next publication day's."""
    for day in newsroom.issue_dates():
        path = newsroom.issue_path(day)
        try:
            if load_issue(path).status == "draft":
                return path
        except IssueFileError:
            return path  # a broken draft is still the one to open (and fix)
    return newsroom.issue_path(next_publication(newsroom.config.newsroom))


def resolve_issue(newsroom: Newsroom, value: str) -> Path:
    """An issue named by its date (2017-07-03) or its file path."""
    candidate = Path(value)
    if value.endswith(".md") or candidate.parent != Path("."):
        return candidate if candidate.is_absolute() else (Path.cwd() / candidate)
    try:
        return newsroom.issue_path(parse_date(value))
    except ValueError as error:
        raise InvalidInput(
            f"issue {value!r}: give a date like 2017-07-03 or a path to an issue file ({error})"
        ) from None


def find_item(store: Store, wanted: str) -> Item:
    """An item by id, or by a unique prefix of at least 4 characters."""
    item = store.item(wanted)
    if item:
        return item
    if len(wanted) >= 4:
        matches = store.items_with_prefix(wanted)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidInput(f"item id {wanted!r} is ambiguous ({len(matches)} items start with it)")
    raise InvalidInput(f"unknown item id {wanted!r} (see `newsdesk candidates`)")


def development_from(item: Item, settings: NewsroomSettings) -> Development:
    return Development(
        headline=headline_from_title(item.title, item.source),
        annotation="",
        read_more=settings.read_more_link(item.url) if item.url else "",
        item_id=item.id,
    )


@dataclass
class PickResult:
    added: list[Item]
    already: list[Item]


def picked_ids(issue: Issue) -> set[str]:
    """The items the issue's developments came from, the other sources (`also`) included."""
    return {i for d in issue.developments for i in (d.item_id, *d.also) if i}


def pick(
    issue: Issue, items: list[Item], settings: NewsroomSettings, *, also: dict[str, list[Item]] | None = None
) -> PickResult:
    """Add items as developments, up to the newsroom's number; refuses rather than dropping
    a pick. Read-more links are written as ``settings`` say (without tracking parameters).

    ``also`` maps an item's id to the other items reporting its story (see
    ``other_reports``): they are listed with its development, as the desk lists them, and
    a story already picked through any of them is not picked again.
    """
    also = also or {}
    limit = settings.developments
    picked = picked_ids(issue)
    fresh: list[Item] = []
    already: list[Item] = []
    for item in dict.fromkeys(items):
        story = {item.id, *(other.id for other in also.get(item.id, ()))}
        if story & picked:
            already.append(item)
        else:
            fresh.append(item)
            picked |= story
    if len(issue.developments) + len(fresh) > limit:
        raise Refused(
            f"{issue.path}: would have {len(issue.developments) + len(fresh)} developments, "
            f"the newsroom publishes {limit}; unpick one first (`newsdesk unpick`)"
        )
    for item in fresh:
        development = development_from(item, settings)
        development.also = [other.id for other in also.get(item.id, ()) if other.id != item.id]
        issue.developments.append(development)
    return PickResult(added=fresh, already=already)


def other_reports(newsroom: Newsroom, publication: date, items: list[Item]) -> dict[str, list[Item]]:
    """For each of ``items``, the other items of the issue's week that report the same story,
    as the desk groups them (its `also`)."""
    week = week_candidates(newsroom, publication).items
    in_week = {item.id for item in week}
    reports: dict[str, list[Item]] = {}
    from newsdesk.curation.articles import cached_texts  # the article fetcher's imports, only here

    with newsroom.store() as store:
        texts = cached_texts(store, ARTICLE_CHARACTERS)
    for story in cluster_items([*week, *items], articles=texts):
        for item in story:
            others = [other for other in story if other.id != item.id and other.id in in_week]
            if others:
                reports[item.id] = others
    return reports


def unpick(issue: Issue, which: str) -> Development:
    """Remove a development by its number (1-based), or its item id or a unique prefix of 4+."""
    if which.isdigit() and len(which) < 4:
        if 1 <= int(which) <= len(issue.developments):
            return issue.developments.pop(int(which) - 1)
        raise InvalidInput(f"{issue.path}: no development {which} (it has {len(issue.developments)})")
    matches = [i for i, d in enumerate(issue.developments) if d.item_id and d.item_id.startswith(which)]
    if len(which) >= 4 and len(matches) == 1:
        return issue.developments.pop(matches[0])
    raise InvalidInput(f"{issue.path}: no development {which!r} (give its number, or its item id)")
