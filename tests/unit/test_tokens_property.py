"""The property: no token but one correctly signed for that subscriber and list unsubscribes
anyone. Random strings, tokens signed with another secret or for another list or purpose,
and every one-character change of a good token are all refused, and the list is unchanged;
the good token unsubscribes exactly its subscriber."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.mail.roster import Roster
from newsdesk.mail.subscribers import Subscriber, SubscriberList
from newsdesk.mail.tokens import Signer, TokenError
from newsdesk.newsroom import Newsroom
from newsdesk.store import Store
from newsdesk.web.app import BadRequest, Service

SECRET = b"property-secret-0123456789"
LIST = "weekly.socialcredit.example"
TOKEN_CHARS = string.ascii_letters + string.digits + "-_.=+/%"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, roster: Roster) -> Service:
    """The web service's own unsubscribe (no HTTP), over the list below."""
    from conftest import copy_sample_newsroom

    room = Newsroom.open(copy_sample_newsroom(tmp_path_factory.mktemp("room") / "newsroom"))
    return Service(room=room, signer=Signer(SECRET, LIST), smtp_password=None, store=roster.store)


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory):
    store = Store(Path(tmp_path_factory.mktemp("tokens")) / "store.sqlite3")
    listing = SubscriberList(path=Path("subscribers.csv"))
    listing.subscribed = [Subscriber(email=f"reader{n}@readers.example") for n in range(5)]
    listing.index = {s.key: s for s in listing.subscribed}
    roster = Roster(store)
    roster.sync_file(listing)
    yield roster
    store.close()


def states(roster: Roster) -> dict[str, str]:
    return {member.address: member.state for member in roster.members()}


def attempt(service: Service, token: str) -> bool:
    """The service's one-click unsubscribe with ``token``: True when it unsubscribed someone
    (a refused token is the 400 page: BadRequest)."""
    before = {m.id: m.state for m in service.roster.members()}
    try:
        member = service.unsubscribe(token, "test")
    except BadRequest as refused:
        assert refused.status == 400
        return False
    return member is not None and before[member.id] != "unsubscribed" and member.state == "unsubscribed"


def mutations(token: str) -> list[str]:
    """Every token one character away from ``token`` (changed, dropped or added)."""
    out = set()
    for index in range(len(token)):
        for char in string.ascii_letters + string.digits + "-_.":
            out.add(token[:index] + char + token[index + 1 :])
        out.add(token[:index] + token[index + 1 :])
        out.add(token[:index] + "x" + token[index:])
    out.discard(token)
    return sorted(out)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=TOKEN_CHARS, max_size=80) | st.text(max_size=40))
def test_random_strings_unsubscribe_nobody(roster: Roster, service: Service, token: str) -> None:
    before = states(roster)
    assert not attempt(service, token)
    assert states(roster) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    member_id=st.integers(min_value=1, max_value=5),
    secret=st.binary(min_size=16, max_size=40),
    list_id=st.sampled_from([LIST, "other.example", "weekly.socialcredit.exampl"]),
    purpose=st.sampled_from(["unsubscribe", "confirm", "Unsubscribe"]),
)
def test_tokens_signed_otherwise_unsubscribe_nobody(
    roster: Roster, service: Service, member_id: int, secret: bytes, list_id: str, purpose: str
) -> None:
    theirs = Signer(secret, list_id)
    token = theirs.sign(purpose, str(member_id))
    before = states(roster)
    signed_by_us = secret == SECRET and list_id == LIST and purpose == "unsubscribe"
    already = roster.by_id(member_id).state == "unsubscribed"
    assert attempt(service, token) == (signed_by_us and not already)
    if not signed_by_us:
        assert states(roster) == before


def test_every_change_to_a_good_token_is_refused_and_the_good_one_works(roster: Roster, service: Service) -> None:
    signer = Signer(SECRET, LIST)
    target = roster.get("reader3@readers.example")
    token = signer.unsubscribe_token(target.id)
    before = states(roster)
    for changed in mutations(token):
        assert not attempt(service, changed), changed
    assert states(roster) == before

    assert attempt(service, token)
    after = states(roster)
    assert after["reader3@readers.example"] == "unsubscribed"
    assert {a: s for a, s in after.items() if a != "reader3@readers.example"} == {
        a: s for a, s in before.items() if a != "reader3@readers.example"
    }


def test_a_token_names_no_address_and_expires_when_it_says() -> None:
    signer = Signer(SECRET, LIST)
    token = signer.confirm_token(7, "nonce", issued=1_000)
    assert "@" not in token and "readers" not in token
    assert signer.read_confirm(token, max_age=3600, now=1_000 + 3600).member_id == 7
    with pytest.raises(TokenError, match="expired"):
        signer.read_confirm(token, max_age=3600, now=1_000 + 3601)
    with pytest.raises(TokenError):
        signer.read_unsubscribe(token)  # a confirmation is not an unsubscribe
