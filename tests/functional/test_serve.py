"""`newsdesk serve` for real: uvicorn on loopback, the confirmation emails received by a real
SMTP server (aiosmtpd), the links followed from the received messages, the one-click
unsubscribe of a real send's List-Unsubscribe header."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from link_server import LinkServer
from mail_newsroom import ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers
from smtp_server import SmtpServer, free_port
from web_service import SECRET, RunningService, configure_web, confirmation_link

from newsdesk.mail.roster import Roster
from newsdesk.store import Store

pytestmark = pytest.mark.slow


class Clock:
    """The service's clock, moved by the test (no waiting for an hour to pass)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def room(newsroom_dir: Path, smtp: SmtpServer, monkeypatch) -> Path:
    monkeypatch.setenv("NEWSDESK_SECRET", SECRET)
    configure_smtp(newsroom_dir, smtp.port)
    return newsroom_dir


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(room: Path, clock: Clock):
    port = free_port()
    configure_web(room, port, signups_per_hour=5)
    with RunningService(room, port, clock) as running:
        yield running


def member(room: Path, address: str):
    with Store(room / ".newsdesk" / "store.sqlite3") as store:
        return Roster(store).get(address)


def no_traceback(response: httpx.Response) -> None:
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_a_sign_up_is_confirmed_by_following_the_emailed_link(room: Path, smtp: SmtpServer, service) -> None:
    form = httpx.get(service.url("/subscribe"))
    assert form.status_code == 200 and 'name="website"' in form.text

    answer = httpx.post(service.url("/subscribe"), data={"email": "new.reader@readers.example", "name": "李明"})
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert member(room, "new.reader@readers.example").state == "pending"

    [message] = smtp.recorder.messages
    assert message.recipient == "new.reader@readers.example"
    assert message.parsed()["Subject"] == "Confirm your subscription to Social Credit Weekly News Summary"
    assert message.parsed()["Reply-To"] == "editors@socialcredit.example"  # [newsroom] reply_to, as the issues
    assert message.parsed()["From"] == "Social Credit Weekly <weekly@socialcredit.example>"
    link = confirmation_link(message)
    assert link.startswith(service.url("/confirm/")) and "new.reader" not in link

    page = httpx.get(link)  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and "Confirm subscription" in page.text
    assert member(room, "new.reader@readers.example").state == "pending"

    confirmed = httpx.post(link)
    assert confirmed.status_code == 200 and "You are subscribed" in confirmed.text
    subscribed = member(room, "new.reader@readers.example")
    assert (subscribed.state, subscribed.name, subscribed.reason) == ("subscribed", "李明", "confirmed sign-up")
    assert subscribed.confirmed_at == "2027-01-15T08:00:00Z"

    replayed = httpx.post(link)
    assert replayed.status_code == 410 and "already used" in replayed.text
    assert httpx.get(link).status_code == 410
    no_traceback(replayed)


def test_one_confirmation_an_hour_for_one_address(room: Path, smtp: SmtpServer, service, clock: Clock) -> None:
    first_answer = httpx.post(service.url("/subscribe"), data={"email": "twice@readers.example"})
    assert "a message with a confirmation link is on its way" in first_answer.text
    for _ in range(2):
        again = httpx.post(service.url("/subscribe"), data={"email": "twice@readers.example"})
        assert again.status_code == 200
        # The truth: nothing new was sent, the link sent before still works.
        assert "on its way" not in again.text
        assert "A message was sent to twice@readers.example less than an hour ago" in again.text
        assert "or try again after 09:00 UTC" in again.text  # the first went at 08:00 UTC
    assert len(smtp.recorder.messages) == 1
    first = confirmation_link(smtp.recorder.messages[0])

    clock.now += 3601
    assert httpx.post(service.url("/subscribe"), data={"email": "TWICE@readers.example"}).status_code == 200
    assert len(smtp.recorder.messages) == 2
    second = confirmation_link(smtp.recorder.messages[1])
    # The newer link replaces the older one.
    assert httpx.post(first).status_code == 410
    assert httpx.post(second).status_code == 200
    assert member(room, "twice@readers.example").state == "subscribed"


def test_an_expired_link_gets_410_and_subscribes_nobody(room: Path, smtp: SmtpServer, service, clock) -> None:
    httpx.post(service.url("/subscribe"), data={"email": "late@readers.example"})
    link = confirmation_link(smtp.recorder.messages[0])
    clock.now += 48 * 3600 + 1
    late = httpx.post(link)
    assert late.status_code == 410 and "expired" in late.text
    assert member(room, "late@readers.example").state == "pending"


def test_the_honeypot_and_the_per_ip_limit_keep_robots_off(room: Path, smtp: SmtpServer, service) -> None:
    robot = httpx.post(service.url("/subscribe"), data={"email": "bot@readers.example", "website": "http://spam"})
    assert robot.status_code == 200 and "Check your inbox" in robot.text  # told nothing
    assert member(room, "bot@readers.example") is None and smtp.recorder.messages == []

    answers = [httpx.post(service.url("/subscribe"), data={"email": f"r{n}@readers.example"}) for n in range(6)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 429]  # 5 an hour; not the robot's
    assert answers[5].headers["Retry-After"] == "3600"  # the clock stood still: the first frees in an hour
    assert len(smtp.recorder.messages) == 5
    assert member(room, "r5@readers.example") is None


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"email=not-an-address&name=X", 400, "is not an email address"),
        (b"email=ok%40readers.example&name=" + b"n" * 101, 400, "at most 100 characters"),
        (b"email=ok%40readers.example&name=\xff\xfe", 400, "not sent as UTF-8"),
        (b"email=ok%40readers.example&name=%FF", 400, "could not be read"),
        (b"email=ok%40readers.example&name=" + b"n" * 5000, 413, "more than a sign-up needs"),
        (b"email=ok%40readers.example&name=a%07b", 400, "control character"),
        (b"email=ok%40readers.example&name=Bob%0D%0ABcc%3A+evil%40x.example", 400, "control character"),
        (b"email=ok%40readers.example&name=Bob%0ABcc", 400, "control character"),
        (b"email=ok%40readers.example&name=Bob%09Tab", 400, "control character"),
        (b"email=ok%40readers.example&name=Bob%E2%80%A8Bcc", 400, "control character"),
        (b"", 400, "No email address"),
    ],
)
def test_bad_input_gets_a_plain_page_and_stores_nothing(
    room: Path, smtp: SmtpServer, service, body: bytes, status: int, words: str
) -> None:
    answer = httpx.post(
        service.url("/subscribe"), content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == status, answer.text
    assert words in answer.text
    no_traceback(answer)
    assert member(room, "ok@readers.example") is None and smtp.recorder.messages == []


def test_a_forged_confirmation_link_is_refused(room: Path, smtp: SmtpServer, service) -> None:
    httpx.post(service.url("/subscribe"), data={"email": "victim@readers.example"})
    link = confirmation_link(smtp.recorder.messages[0])
    altered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    for url in (altered, service.url("/confirm/garbage"), service.url("/confirm/a.b")):
        answer = httpx.post(url)
        assert answer.status_code == 400, url
        no_traceback(answer)
    assert member(room, "victim@readers.example").state == "pending"


def test_unknown_pages_and_methods_are_plain_pages(service) -> None:
    missing = httpx.get(service.url("/nothing/here"))
    assert missing.status_code == 404
    no_traceback(missing)
    wrong = httpx.delete(service.url("/subscribe"))
    assert wrong.status_code == 405
    no_traceback(wrong)


def test_a_sign_up_whose_email_cannot_be_sent_leaves_nothing_behind(room: Path, smtp: SmtpServer, service) -> None:
    smtp.recorder.rcpt_replies["unlucky@readers.example"] = ["451 4.3.0 try later"]
    answer = httpx.post(service.url("/subscribe"), data={"email": "unlucky@readers.example"})
    assert answer.status_code == 503 and "could not be sent" in answer.text
    assert member(room, "unlucky@readers.example") is None
    again = httpx.post(service.url("/subscribe"), data={"email": "unlucky@readers.example"})
    assert again.status_code == 200 and len(smtp.recorder.messages) == 1  # not held back an hour


def test_sign_ups_that_fail_for_the_mail_server_do_not_count_toward_the_limit(
    room: Path, smtp: SmtpServer, service
) -> None:
    smtp.recorder.rcpt_replies["unlucky@readers.example"] = ["451 4.3.0 try later"] * 10
    for _ in range(6):  # the limit is 5 an hour
        assert httpx.post(service.url("/subscribe"), data={"email": "unlucky@readers.example"}).status_code == 503
    assert httpx.post(service.url("/subscribe"), data={"email": "lucky@readers.example"}).status_code == 200


def test_the_one_click_post_of_a_sent_issue_unsubscribes_and_a_get_does_not(
    room: Path, smtp: SmtpServer, service, run
) -> None:
    links = LinkServer().start()
    try:
        write_ready_issue(room, links.url)
        rows = subscriber_rows(3)
        write_subscribers(room, rows)
        result = run("send", ISSUE, "--yes")
    finally:
        links.stop()
    assert result.exit_code == 0, result.output
    received = smtp.recorder.by_recipient()
    message = received[rows[1][0]][0].parsed()
    header = message["List-Unsubscribe"]
    assert rows[1][0] not in header and "email=" not in header
    url = re.search(r"<(http://[^>]+/unsubscribe/[^>]+)>", header).group(1)
    text = message.get_body(("plain",)).get_content()
    assert url in " ".join(text.split()) or url in text.replace("\n", "")

    page = httpx.get(url)
    assert page.status_code == 200 and "Unsubscribe" in page.text and rows[1][0] in page.text
    assert member(room, rows[1][0]).state == "subscribed"

    altered = url[:-2] + ("xy" if not url.endswith("xy") else "zz")
    forged = httpx.post(altered, data={"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 400
    no_traceback(forged)
    assert member(room, rows[1][0]).state == "subscribed"

    one_click = httpx.post(url, data={"List-Unsubscribe": "One-Click"})  # no cookies, no second step
    assert one_click.status_code == 200 and "You are unsubscribed" in one_click.text
    gone = member(room, rows[1][0])
    assert (gone.state, gone.reason) == ("unsubscribed", "one-click unsubscribe (RFC 8058)")
    assert member(room, rows[0][0]).state == "subscribed"  # nobody else
    assert httpx.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # again: still fine
    assert "You are unsubscribed" in httpx.get(url).text


def test_serve_without_the_secret_is_one_clear_line(room: Path, run, monkeypatch) -> None:
    monkeypatch.delenv("NEWSDESK_SECRET")
    result = run("serve")
    assert result.exit_code == 2
    assert result.output.startswith("newsdesk: error: $NEWSDESK_SECRET is not set")
    assert len(result.output.strip().splitlines()) == 1


def test_send_with_the_service_configured_needs_the_secret(room: Path, run, monkeypatch) -> None:
    configure_web(room, 8443, public_url="https://news.socialcredit.example")
    links = LinkServer().start()
    try:
        write_ready_issue(room, links.url)
        write_subscribers(room, subscriber_rows(2))
        monkeypatch.delenv("NEWSDESK_SECRET")
        result = run("send", ISSUE, "--yes", "--force")
    finally:
        links.stop()
    assert result.exit_code == 2
    assert "$NEWSDESK_SECRET is not set" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("mode", [["--test", "editor@readers.example"], ["--dry-run"], ["--yes"]])
def test_a_missing_secret_is_said_once(room: Path, run, monkeypatch, mode: list[str]) -> None:
    configure_web(room, 8443, public_url="https://news.socialcredit.example")
    links = LinkServer().start()
    try:
        write_ready_issue(room, links.url)
        write_subscribers(room, subscriber_rows(2))
        monkeypatch.delenv("NEWSDESK_SECRET")
        result = run("send", ISSUE, *mode)
    finally:
        links.stop()
    assert result.exit_code == 2, result.output
    assert result.output.count("$NEWSDESK_SECRET is not set") == 1, result.output
    assert result.output.startswith("newsdesk: error: $NEWSDESK_SECRET is not set")


def test_a_send_with_an_https_service_offers_one_click(room: Path, smtp: SmtpServer, run) -> None:
    configure_web(room, 8443, public_url="https://news.socialcredit.example")
    links = LinkServer().start()
    try:
        write_ready_issue(room, links.url)
        write_subscribers(room, subscriber_rows(2))
        result = run("send", ISSUE, "--yes")
    finally:
        links.stop()
    assert result.exit_code == 0, result.output
    message = smtp.recorder.messages[0].parsed()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<https://news.socialcredit.example/unsubscribe/" in message["List-Unsubscribe"]


def test_the_checks_look_for_the_services_link_and_the_secret(newsroom_dir: Path, monkeypatch) -> None:
    from newsdesk.issue import load_issue
    from newsdesk.mail.checks import check_issue
    from newsdesk.newsroom import Newsroom

    links = LinkServer().start()
    try:
        path = write_ready_issue(newsroom_dir, links.url)
        configure_web(newsroom_dir, 8443, public_url="http://news.socialcredit.example")

        def findings() -> list[str]:
            room = Newsroom.open(newsroom_dir)
            found = [f.line() for f in check_issue(room, load_issue(path), links=False).findings]
            return [line for line in found if "a name reserved for examples" not in line]  # the sample's domain

        monkeypatch.delenv("NEWSDESK_SECRET", raising=False)
        found = findings()
        assert any(line.startswith("error: $NEWSDESK_SECRET is not set") for line in found), found
        assert "warning: web.public_url is not https, so mail clients will not offer one-click unsubscribe" in found
        assert not any("unsubscribe_url" in line for line in found), found

        monkeypatch.setenv("NEWSDESK_SECRET", SECRET)
        configure_web(newsroom_dir, 8443, public_url="https://news.socialcredit.example")
        assert not any("unsubscribe" in line or "SECRET" in line for line in findings())
    finally:
        links.stop()


def test_behind_a_proxy_the_limit_counts_each_forwarded_client(room: Path, smtp: SmtpServer, clock: Clock) -> None:
    port = free_port()
    configure_web(room, port, signups_per_hour=2, trusted_proxy=True)
    with RunningService(room, port, clock) as running:

        def sign_up(n: int, client: str) -> int:
            return httpx.post(
                running.url("/subscribe"),
                data={"email": f"p{n}@readers.example"},
                headers={"X-Forwarded-For": client},
            ).status_code

        assert [sign_up(n, "198.51.100.1") for n in range(3)] == [200, 200, 429]
        assert [sign_up(n, "198.51.100.2") for n in range(3, 5)] == [200, 200]  # another reader


def test_a_reader_unsubscribed_in_the_file_who_confirms_a_new_sign_up_stays_subscribed(
    room: Path, smtp: SmtpServer, service, run
) -> None:
    # The sample file: m.schmidt@uni.example,Marta Schmidt,unsubscribed,2017-02-14
    assert run("subscribers").exit_code == 0
    assert member(room, "m.schmidt@uni.example").state == "unsubscribed"

    assert httpx.post(service.url("/subscribe"), data={"email": "m.schmidt@uni.example"}).status_code == 200
    confirmed = httpx.post(confirmation_link(smtp.recorder.messages[0]))
    assert "You are subscribed" in confirmed.text

    # Her confirmation (2027-01-15) is newer than the file's line (2017-02-14): it wins.
    result = run("subscribers")
    assert result.exit_code == 0, result.output
    assert "list: 0 pending, 5 subscribed, 0 unsubscribed" in result.output
    assert member(room, "m.schmidt@uni.example").state == "subscribed"

    links = LinkServer().start()
    try:
        write_ready_issue(room, links.url)
        sent = run("send", ISSUE, "--yes")
    finally:
        links.stop()
    assert sent.exit_code == 0, sent.output
    assert "m.schmidt@uni.example" in smtp.recorder.by_recipient()


def test_an_undated_unsubscribe_line_written_after_a_confirmation_applies(
    room: Path, smtp: SmtpServer, service, run
) -> None:
    import os

    listing = room / "subscribers.csv"
    listing.write_text("email,name,status\nm.schmidt@uni.example,Marta,unsubscribed\n", encoding="utf-8")
    os.utime(listing, (1_700_000_000, 1_700_000_000))  # written in 2023
    assert run("subscribers").exit_code == 0
    httpx.post(service.url("/subscribe"), data={"email": "m.schmidt@uni.example"})
    assert "You are subscribed" in httpx.post(confirmation_link(smtp.recorder.messages[0])).text  # in 2027

    assert run("subscribers").exit_code == 0
    assert member(room, "m.schmidt@uni.example").state == "subscribed"  # the file's line is older

    os.utime(listing, (1_900_000_000, 1_900_000_000))  # the editor wrote the file again, after it
    assert run("subscribers").exit_code == 0
    assert member(room, "m.schmidt@uni.example").state == "unsubscribed"


def test_the_files_line_counts_the_files_lines_and_the_list_line_the_list(
    room: Path, smtp: SmtpServer, service, run
) -> None:
    httpx.post(service.url("/subscribe"), data={"email": "web.reader@readers.example"})
    httpx.post(confirmation_link(smtp.recorder.messages[0]))
    result = run("subscribers")
    assert result.exit_code == 0, result.output
    # The sample file's lines, whoever else the list holds; then the list, by state.
    assert "subscribers.csv: 4 subscribed, 1 unsubscribed, 1 invalid line skipped, 1 duplicate collapsed" in (
        result.output
    )
    assert "list: 0 pending, 5 subscribed, 1 unsubscribed, 0 bounced, 0 complained" in result.output
    as_json = run("subscribers", "--json")
    assert '"subscribed": 4' in as_json.output and '"recipients": 5' in as_json.output


def test_a_multipart_sign_up_is_a_sign_up_and_json_gets_415(room: Path, smtp: SmtpServer, service) -> None:
    answer = httpx.post(
        service.url("/subscribe"),
        data={"email": "multi@readers.example", "name": "李明"},
        files={"website": (None, "")},  # httpx sends multipart/form-data when files are given
    )
    assert answer.request.headers["content-type"].startswith("multipart/form-data")
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert member(room, "multi@readers.example").name == "李明"
    assert len(smtp.recorder.messages) == 1

    robot = httpx.post(
        service.url("/subscribe"), data={"email": "bot@readers.example"}, files={"website": (None, "http://x")}
    )
    assert robot.status_code == 200 and member(room, "bot@readers.example") is None

    uploaded = httpx.post(
        service.url("/subscribe"), data={"email": "f@readers.example"}, files={"cv": ("cv.txt", b"hello")}
    )
    assert uploaded.status_code == 400 and member(room, "f@readers.example") is None
    no_traceback(uploaded)

    latin = httpx.post(
        service.url("/subscribe"),
        content=(
            b'--XX\r\nContent-Disposition: form-data; name="email"\r\n\r\nl@readers.example\r\n'
            b'--XX\r\nContent-Disposition: form-data; name="name"\r\n\r\n\xe9\r\n--XX--\r\n'
        ),
        headers={"content-type": "multipart/form-data; boundary=XX"},
    )
    assert latin.status_code == 400 and "UTF-8" in latin.text

    as_json = httpx.post(service.url("/subscribe"), json={"email": "json@readers.example"})
    assert as_json.status_code == 415, as_json.text
    assert "application/x-www-form-urlencoded or multipart/form-data" in as_json.text
    no_traceback(as_json)
    assert member(room, "json@readers.example") is None and len(smtp.recorder.messages) == 1


def test_a_one_click_post_sent_as_multipart_is_recorded_as_one_click(room: Path, smtp: SmtpServer, service) -> None:
    httpx.post(service.url("/subscribe"), data={"email": "leaver@readers.example"})
    httpx.post(confirmation_link(smtp.recorder.messages[0]))
    token = service.service.signer.unsubscribe_token(member(room, "leaver@readers.example").id)
    answer = httpx.post(service.url(f"/unsubscribe/{token}"), files={"List-Unsubscribe": (None, "One-Click")})
    assert answer.status_code == 200
    gone = member(room, "leaver@readers.example")
    assert (gone.state, gone.reason) == ("unsubscribed", "one-click unsubscribe (RFC 8058)")


def test_signing_up_again_when_subscribed_sends_a_notice_not_a_link(
    room: Path, smtp: SmtpServer, service, clock: Clock
) -> None:
    httpx.post(service.url("/subscribe"), data={"email": "happy@readers.example"})
    httpx.post(confirmation_link(smtp.recorder.messages[0]))
    clock.now += 3601
    again = httpx.post(service.url("/subscribe"), data={"email": "happy@readers.example"})
    # The same page as anyone's (the page never tells who is subscribed), and it is true:
    assert again.status_code == 200 and "is on its way" in again.text
    notice = smtp.recorder.messages[1].parsed()
    assert notice["Subject"] == "You are already subscribed to Social Credit Weekly News Summary"
    text = notice.get_body(("plain",)).get_content()
    assert "already" in text and "/confirm/" not in text
    assert member(room, "happy@readers.example").state == "subscribed"

    third = httpx.post(service.url("/subscribe"), data={"email": "happy@readers.example"})
    assert "less than an hour ago" in third.text and len(smtp.recorder.messages) == 2
