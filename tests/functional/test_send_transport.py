"""The SMTP transport on its own: --smtp URLs, TLS (STARTTLS and implicit), pacing, ids."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import server_context
from smtp_server import SmtpServer

from newsdesk.config import SmtpSettings
from newsdesk.errors import InvalidInput
from newsdesk.issue import Issue
from newsdesk.mail.message import message_id
from newsdesk.mail.send import RateLimiter
from newsdesk.mail.smtp import Permanent, SmtpFatal, SmtpTarget, SmtpTransport, smtp_target

MESSAGE = b"Subject: hello\r\nMessage-ID: <1@x.example>\r\n\r\nhello\r\n"


def test_smtp_urls_override_the_settings() -> None:
    settings = SmtpSettings(host="mail.example.org", port=587, security="starttls", user="weekly")
    assert smtp_target(settings) == SmtpTarget("mail.example.org", 587, "starttls", "weekly")
    assert smtp_target(settings, "smtps://editor@relay.example.org") == SmtpTarget(
        "relay.example.org", 465, "tls", "editor"
    )
    assert smtp_target(settings, "smtp://127.0.0.1:2525") == SmtpTarget("127.0.0.1", 2525, "starttls", "")
    plain = SmtpSettings(host="127.0.0.1", port=8025, security="none")
    assert smtp_target(plain, "smtp://127.0.0.1:2525").security == "none"
    with pytest.raises(InvalidInput, match="leave the password out of the URL"):
        smtp_target(settings, "smtp://user:secret@host.example:25")
    with pytest.raises(InvalidInput, match="expected smtp://"):
        smtp_target(settings, "http://host.example")
    with pytest.raises(InvalidInput, match="Port out of range|port"):
        smtp_target(settings, "smtp://host.example:99999")


def test_a_password_is_never_sent_in_the_clear_beyond_loopback() -> None:
    with pytest.raises(InvalidInput, match="refusing to send the SMTP password unencrypted"):
        SmtpTransport(SmtpTarget("mail.example.org", 25, "none", "weekly"), "secret")
    SmtpTransport(SmtpTarget("127.0.0.1", 25, "none", "weekly"), "secret")  # loopback is fine


def test_message_ids_are_stable_per_issue_and_recipient() -> None:
    issue = Issue(title="t", date=date(2017, 7, 10), week_start=date(2017, 7, 3), week_end=date(2017, 7, 9))
    first = message_id(issue, "Reader@Example.org", "socialcredit.example")
    assert first == message_id(issue, "reader@example.org", "socialcredit.example")
    assert first != message_id(issue, "other@example.org", "socialcredit.example")
    later = Issue(title="t", date=date(2017, 7, 17), week_start=date(2017, 7, 10), week_end=date(2017, 7, 16))
    assert first != message_id(later, "reader@example.org", "socialcredit.example")
    assert first.startswith("<") and first.endswith("@socialcredit.example>")


def test_the_rate_limit_spaces_messages_evenly() -> None:
    now = [100.0]
    slept = []

    def clock() -> float:
        return now[0]

    import newsdesk.mail.send

    limiter = RateLimiter(4.0, clock=clock)
    original = newsdesk.mail.send.time.sleep
    try:
        newsdesk.mail.send.time.sleep = lambda seconds: (slept.append(seconds), now.__setitem__(0, now[0] + seconds))
        for _ in range(5):
            limiter.wait()
    finally:
        newsdesk.mail.send.time.sleep = original
    assert slept == [0.25, 0.25, 0.25, 0.25]
    assert RateLimiter(0).interval == 0  # 0: no limit


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # implicit TLS is TLS
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_login(certificate, security: str, monkeypatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test certificate
    context = server_context(certificate)
    with SmtpServer(login=("editor", "s3cret"), tls_context=context, implicit_tls=security == "tls") as server:
        target = SmtpTarget("127.0.0.1", server.port, security, "editor")
        with SmtpTransport(target, "s3cret") as transport:
            reply = transport.send("weekly@socialcredit.example", "reader@readers.example", MESSAGE)
            transport.send("weekly@socialcredit.example", "second@readers.example", MESSAGE)
        assert reply.startswith("250")
        assert server.recorder.logins == ["editor"]
        assert server.recorder.connections == (2 if security == "starttls" else 1)  # EHLO again after STARTTLS
        assert server.recorder.delivered == 2


@pytest.mark.slow
def test_an_untrusted_certificate_is_a_clear_error(certificate, monkeypatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with SmtpServer(tls_context=server_context(certificate), implicit_tls=True) as server:
        with pytest.raises(SmtpFatal, match="the server's TLS certificate is not trusted"):
            SmtpTransport(SmtpTarget("127.0.0.1", server.port, "tls")).connect()


@pytest.mark.slow
def test_starttls_required_but_not_offered_is_a_clear_error() -> None:
    with SmtpServer() as server:
        with pytest.raises(SmtpFatal, match="does not offer STARTTLS"):
            SmtpTransport(SmtpTarget("127.0.0.1", server.port, "starttls")).connect()


@pytest.mark.slow
def test_a_refused_recipient_leaves_the_session_usable() -> None:
    with SmtpServer() as server:
        server.recorder.rcpt_replies["gone@readers.example"] = ["550 5.1.1 User unknown"]
        with SmtpTransport(SmtpTarget("127.0.0.1", server.port, "none")) as transport:
            with pytest.raises(Permanent, match="550 5.1.1 User unknown"):
                transport.send("weekly@socialcredit.example", "gone@readers.example", MESSAGE)
            transport.send("weekly@socialcredit.example", "here@readers.example", MESSAGE)
        assert server.recorder.connections == 1
        assert list(server.recorder.by_recipient()) == ["here@readers.example"]
