"""The webhooks' pure parts: which SNS URLs are allowed, SNS's canonical string, and what SES's
and Postmark's notifications say about whom."""

from __future__ import annotations

import pytest

from newsdesk.web.webhooks import (
    WebhookError,
    _basic_auth_matches,
    allowed_sns_url,
    postmark_findings,
    ses_findings,
    sns_string_to_sign,
)

AWS = ("sns.*.amazonaws.com", "sns.*.amazonaws.com.cn")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem", True),
        ("http://sns.eu-west-1.amazonaws.com/x.pem", False),  # https only
        ("https://sns.eu-west-1.amazonaws.com.evil.example/x.pem", False),
        ("https://evil.example/sns.eu-west-1.amazonaws.com/x.pem", False),
        ("https://a.b.sns.eu-west-1.amazonaws.com/x.pem", False),  # * is one label
        ("https://sns.eu-west-1.amazonaws.com:8443/x.pem", False),
        ("https://user@sns.eu-west-1.amazonaws.com/x.pem", False),
        ("https://sns..amazonaws.com/x.pem", False),
    ],
)
def test_only_https_urls_of_the_allowed_hosts(url: str, allowed: bool) -> None:
    assert allowed_sns_url(url, AWS) is allowed


def test_the_canonical_string_takes_the_signed_keys_in_order() -> None:
    message = {"Type": "Notification", "TopicArn": "t", "Message": "m", "MessageId": "i", "Timestamp": "ts", "X": "no"}
    assert sns_string_to_sign(message) == b"Message\nm\nMessageId\ni\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n"
    with pytest.raises(WebhookError):
        sns_string_to_sign({"Type": "Other"})


def test_ses_bounces_and_complaints() -> None:
    found = ses_findings(
        {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Undetermined",
                "bouncedRecipients": [{"emailAddress": "a@x.example"}, {"emailAddress": ""}],
            },
        }
    )
    assert [(f.kind, f.address) for f in found] == [("soft", "a@x.example")]
    complaint = ses_findings(
        {"eventType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "b@x"}]}}
    )
    assert [(f.kind, f.address) for f in complaint] == [("complaint", "b@x")]
    assert ses_findings({"notificationType": "Delivery"}) == []


def test_postmark_kinds() -> None:
    assert postmark_findings({"RecordType": "Bounce", "Type": "BadEmailAddress", "Email": "a@x"})[0].kind == "hard"
    assert postmark_findings({"RecordType": "Bounce", "Type": "DnsError", "Email": "a@x"})[0].kind == "soft"
    assert postmark_findings({"RecordType": "Bounce", "Type": "AutoResponder", "Email": "a@x"}) == []
    assert postmark_findings({"RecordType": "Delivery", "Email": "a@x"}) == []
    assert postmark_findings({"RecordType": "SpamComplaint", "Type": "SpamComplaint"}) == []  # no address


def test_basic_auth() -> None:
    expected = ("postmark", "secret")
    assert _basic_auth_matches("Basic cG9zdG1hcms6c2VjcmV0", expected)
    assert not _basic_auth_matches("Basic cG9zdG1hcms6c2VjcmV1", expected)
    assert not _basic_auth_matches("Bearer cG9zdG1hcms6c2VjcmV0", expected)
    assert not _basic_auth_matches("Basic !!!", expected)
