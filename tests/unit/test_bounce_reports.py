"""The DSN (RFC 3464) and ARF (RFC 5965) samples of tests/fixtures/bounces/ read by the
standard email package: who bounced, how hard, and why; anything else is not a report,
and no message, however broken, makes the parser raise."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.mail.bounces import Finding, parse_report

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "bounces"
NAMES = sorted(path.name for path in SAMPLES.glob("*.eml"))


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_a_hard_bounce_names_the_recipient_the_status_and_the_server() -> None:
    [finding] = parse_report(sample("hard_bounce.eml"))
    assert finding.kind == "hard" and finding.address == "reader00002@readers.example"
    assert finding.reason == (
        "hard bounce: 5.1.1 (smtp; 550 5.1.1 <reader00002@readers.example>: Recipient address rejected: "
        "User unknown in virtual mailbox table) from mx.socialcredit.example"
    )


def test_a_4xx_failure_is_soft_and_a_delay_is_no_bounce() -> None:
    assert parse_report(sample("soft_bounce.eml")) == [
        Finding(
            "soft",
            "Reader00004@Readers.example",
            "soft bounce: 4.2.2 (smtp; 452 4.2.2 Mailbox full) from relay.example",
        )
    ]
    assert parse_report(sample("delayed.eml")) == []


def test_complaints_name_the_recipient_from_the_report_or_the_reported_message() -> None:
    assert parse_report(sample("complaint_arf.eml")) == [
        Finding("complaint", "reader00006@readers.example", "complaint (ARF abuse) from mail.example")
    ]
    assert parse_report(sample("complaint_arf_redacted.eml")) == [
        Finding("complaint", "reader00007@readers.example", "complaint (ARF abuse) from ISPFBL/2.1")
    ]


def test_a_not_spam_report_and_a_reply_are_not_complaints() -> None:
    not_spam = sample("complaint_arf.eml").replace(b"Feedback-Type: abuse", b"Feedback-Type: not-spam")
    assert parse_report(not_spam) == []
    assert parse_report(sample("out_of_office.eml")) is None


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(NAMES), cut=st.integers(min_value=0, max_value=4000), junk=st.binary(max_size=64))
def test_broken_reports_never_raise(name: str, cut: int, junk: bytes) -> None:
    data = sample(name)
    broken = data[:cut] + junk + data[cut + len(junk) :]
    found = parse_report(broken)
    assert found is None or all(f.kind in ("hard", "soft", "complaint") and "@" in f.address for f in found)


def test_a_report_to_a_verp_address_carries_its_token() -> None:
    [finding] = parse_report(sample("hard_bounce_forwarded.eml"))
    assert (finding.kind, finding.address, finding.verp) == ("hard", "old.reader@forwarded.example", "VERP_TOKEN")
    [plain] = parse_report(sample("hard_bounce.eml"))
    assert plain.verp is None  # it came back to the plain sender
