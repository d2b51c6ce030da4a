"""`newsdesk doctor` against real servers on loopback: Debian's dnsmasq holding a good zone
and a broken one, aiosmtpd with STARTTLS and a login, and `newsdesk serve` over https
answering the one-click POST. The DKIM test verifies the signatures of messages really
sent, through the DNS server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dkim
import pytest
import tomlkit
from conftest import server_context
from dns_server import Dnsmasq, txt
from mail_newsroom import ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers
from smtp_server import SmtpServer, free_port
from web_service import SECRET, RunningService, configure_web

from newsdesk import http as nethttp
from newsdesk.config import DoctorSettings
from newsdesk.mail.doctor import Dns, Spf
from newsdesk.mail.roster import Roster
from newsdesk.newsroom import Newsroom

pytestmark = pytest.mark.slow
KEYS = Path(__file__).resolve().parent.parent / "fixtures" / "dkim"
DOMAIN = "socialcredit.example"
RSA_RECORD = (KEYS / "rsa.dns").read_text(encoding="utf-8").strip()
ED_RECORD = (KEYS / "ed25519.dns").read_text(encoding="utf-8").strip()
SENDING_IP = "192.0.2.10"  # documentation range: only ever evaluated against SPF, never contacted


def good_zone() -> Dnsmasq:
    return Dnsmasq(
        [DOMAIN, "relay.example"],
        [
            # SPF through an include and an mx mechanism, as a provider's record reads.
            txt(DOMAIN, "v=spf1 mx include:_spf.relay.example -all"),
            txt("_spf.relay.example", "v=spf1 ip4:198.51.100.0/24 ip4:192.0.2.0/25 ip6:2001:db8::/32 -all"),
            txt(f"news._domainkey.{DOMAIN}", RSA_RECORD),
            txt(f"news-ed._domainkey.{DOMAIN}", ED_RECORD),
            txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject; adkim=s; rua=mailto:dmarc@socialcredit.example"),
            f"--mx-host={DOMAIN},mx.{DOMAIN},10",
            f"--host-record=mx.{DOMAIN},192.0.2.25",
        ],
    )


def broken_zone() -> Dnsmasq:
    # An RSA record whose key is not the one on disk (a few characters of it changed).
    wrong = RSA_RECORD[:-40] + "A" * 32 + RSA_RECORD[-8:]
    return Dnsmasq(
        [DOMAIN],
        [
            txt(DOMAIN, "v=spf1 ip4:198.51.100.7 ~all"),
            txt(f"news._domainkey.{DOMAIN}", wrong),
            # no Ed25519 record, no DMARC record, no MX
            txt(f"_dmarc.other.{DOMAIN}", "v=DMARC1; p=none"),
        ],
    )


def configure(root: Path, **tables: dict) -> None:
    path = root / "sources.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    for table, values in tables.items():
        section = document.setdefault(table, tomlkit.table())
        for key, value in values.items():
            section[key] = value
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


@pytest.fixture
def room(newsroom_dir: Path, monkeypatch) -> Path:
    shutil.copytree(KEYS, newsroom_dir / "dkim")
    configure(
        newsroom_dir,
        dkim={
            "rsa_selector": "news",
            "rsa_key": "dkim/rsa.key",
            "ed25519_selector": "news-ed",
            "ed25519_key": "dkim/ed25519.key",
        },
        newsroom={"bounce_address": f"bounces@{DOMAIN}"},
        doctor={"sending_ips": [SENDING_IP], "timeout": 3},
    )
    monkeypatch.setenv("NEWSDESK_SECRET", SECRET)
    return newsroom_dir


@pytest.fixture
def trusted(certificate, monkeypatch):
    """The test certificate trusted by newsdesk's HTTP client and by smtplib."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    nethttp.tls_context.cache_clear()
    yield certificate
    nethttp.tls_context.cache_clear()


def https_service(root: Path, certificate) -> RunningService:
    running = RunningService(root, web_port_of(root))
    running.server.config.ssl_certfile = str(certificate[0])
    running.server.config.ssl_keyfile = str(certificate[1])
    return running


def web_port_of(root: Path) -> int:
    return Newsroom.open(root).config.web.port


def statuses(output: str) -> dict[str, str]:
    return {check["name"]: check["status"] for check in json.loads(output)}


def test_a_good_newsroom_passes_every_check(room: Path, run, trusted, monkeypatch) -> None:
    monkeypatch.setenv("NEWSDESK_SMTP_PASSWORD", "s3cret")
    port = free_port()
    configure_web(room, port, public_url=f"https://127.0.0.1:{port}")
    with Newsroom.open(room).store() as store:  # someone complained, and the file says so
        roster = Roster(store)
        write_subscribers(room, subscriber_rows(3), extra=[["angry@readers.example", "", "unsubscribed", "2017-06-01"]])
        from newsdesk.mail.subscribers import load_subscribers

        roster.sync_file(load_subscribers(room / "subscribers.csv"))
        assert roster.suppress("angry@readers.example", "complained", "feedback report")
    with (
        good_zone() as zone,
        SmtpServer(login=("editor", "s3cret"), tls_context=server_context(trusted)) as smtp,
        https_service(room, trusted),
    ):
        configure_smtp(room, smtp.port, security="starttls", user="editor")
        configure(room, doctor={"nameserver": zone.nameserver})
        result = run("doctor")
        as_json = run("doctor", "--json")
        with Newsroom.open(room).store() as store:
            members = {m.address: m.state for m in Roster(store).members()}
    assert result.exit_code == 0, result.output
    assert "all 9 checks passed" in result.output
    assert statuses(as_json.output) == {
        "SPF": "ok",
        "DKIM (rsa)": "ok",
        "DKIM (ed25519)": "ok",
        "DMARC": "ok",
        "Bounce MX": "ok",
        "SMTP": "ok",
        "One-click unsubscribe": "ok",
        "Postal address": "ok",
        "Complaints": "ok",
    }, as_json.output
    details = {c["name"]: c["detail"] for c in json.loads(as_json.output)}
    assert details["SPF"] == f"{DOMAIN} authorises {SENDING_IP} ([doctor] sending_ips)"
    assert "STARTTLS, logged in as editor" in details["SMTP"]
    assert "answered 200" in details["One-click unsubscribe"]
    assert f"DKIM d={DOMAIN}" in details["DMARC"]
    assert (
        smtp.recorder.logins == ["editor", "editor"] and smtp.recorder.delivered == 0
    )  # one login a run, nothing sent
    # The probe unsubscribed nobody.
    assert members["reader00000@readers.example"] == "subscribed"


def test_a_broken_newsroom_fails_with_a_fix_for_each(room: Path, run, trusted) -> None:
    configure(
        room,
        newsroom={"postal_address": "", "unsubscribe_url": "http://127.0.0.1:9/unsubscribe?email={email}"},
        doctor={"sending_ips": []},
    )
    write_subscribers(room, subscriber_rows(2), extra=[["angry@readers.example", "", "subscribed", "2017-06-01"]])
    with Newsroom.open(room).store() as store:
        roster = Roster(store)
        from newsdesk.mail.subscribers import load_subscribers

        roster.sync_file(load_subscribers(room / "subscribers.csv"))
        roster.suppress("angry@readers.example", "complained", "feedback report")
    with broken_zone() as zone, SmtpServer() as smtp:  # no STARTTLS on offer
        configure_smtp(room, smtp.port, security="starttls")
        configure(room, doctor={"nameserver": zone.nameserver})
        result = run("doctor")
        checks = {c["name"]: c for c in json.loads(run("doctor", "--json").output)}
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert {name: c["status"] for name, c in checks.items()} == dict.fromkeys(checks, "fail")
    assert checks["SPF"]["detail"] == f"the SPF record of {DOMAIN} does not authorise 127.0.0.1 (softfail)"
    assert checks["DKIM (rsa)"]["detail"] == f"the record at news._domainkey.{DOMAIN} does not match dkim/rsa.key"
    assert RSA_RECORD in checks["DKIM (rsa)"]["fix"]
    assert checks["DKIM (ed25519)"]["detail"] == f"no DKIM record at news-ed._domainkey.{DOMAIN}"
    assert ED_RECORD in checks["DKIM (ed25519)"]["fix"]
    assert checks["DMARC"]["detail"] == f"no DMARC record for {DOMAIN}"
    assert f"_dmarc.{DOMAIN}" in checks["DMARC"]["fix"]
    assert "has no MX record" in checks["Bounce MX"]["detail"]
    assert "does not offer STARTTLS" in checks["SMTP"]["detail"]
    assert "is not https" in checks["One-click unsubscribe"]["detail"]
    assert checks["Postal address"]["detail"] == "newsroom.postal_address is not set"
    assert "angry@readers.example" in checks["Complaints"]["detail"]
    for check in checks.values():
        assert check["fix"], check


def test_the_one_click_link_must_be_https_and_answer(room: Path, run, trusted) -> None:
    port = free_port()
    configure_web(room, port)  # http://127.0.0.1:port
    checks = {c["name"]: c for c in json.loads(run("doctor", "--json").output)}
    assert "is not https: the messages carry no one-click header" in checks["One-click unsubscribe"]["detail"]
    configure_web(room, port, public_url=f"https://127.0.0.1:{port}")  # nothing listens there
    checks = {c["name"]: c for c in json.loads(run("doctor", "--json").output)}
    assert "connection refused" in checks["One-click unsubscribe"]["detail"]


def test_a_dns_server_that_does_not_answer_is_one_line_per_check(room: Path, run) -> None:
    silent = free_port()  # nothing listens there
    configure(
        room,
        doctor={"nameserver": f"127.0.0.1:{silent}", "timeout": 0.3},
        newsroom={"unsubscribe_url": "http://127.0.0.1:9/unsubscribe?email={email}"},
    )
    result = run("doctor", "--json")
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.output)}
    for name in ("SPF", "DKIM (rsa)", "DKIM (ed25519)", "DMARC", "Bounce MX"):
        assert checks.get(name, checks.get("DKIM"))["status"] == "fail"
    assert (
        checks["DMARC"]["detail"]
        == f"the DNS server 127.0.0.1:{silent} did not answer _dmarc.{DOMAIN} TXT within 0.3 s"
    )
    table = run("doctor")
    assert "Traceback" not in table.output and "did not answer" in table.output


def test_a_bad_nameserver_setting_names_its_line(room: Path, run) -> None:
    configure(room, doctor={"nameserver": "dns.example.org"})
    result = run("doctor")
    assert result.exit_code == 2
    assert "sources.toml:" in result.output and "doctor.nameserver must be an IP address" in result.output


def test_spf_evaluation_follows_the_rfc(room: Path) -> None:
    import ipaddress

    with good_zone() as zone:
        dns = Dns(DoctorSettings(nameserver=zone.nameserver, timeout=2))
        for address, expected in (
            ("192.0.2.10", "pass"),  # the include's ip4
            ("192.0.2.25", "pass"),  # the MX host's address
            ("192.0.2.200", "fail"),  # outside the /25
            ("2001:db8::1", "pass"),
            ("203.0.113.1", "fail"),
        ):
            assert Spf(dns, ipaddress.ip_address(address)).check(DOMAIN) == expected, address
        assert Spf(dns, ipaddress.ip_address("192.0.2.10")).check("nothing.relay.example") == "none"


def test_sent_messages_verify_through_the_dns_server(room: Path, run) -> None:
    """dkimpy verifies both signatures of what the SMTP server received, its key records
    looked up in dnsmasq through dnspython."""
    write_ready_issue(room, lambda path: f"https://links.example.org{path}")
    write_subscribers(room, subscriber_rows(3))
    with good_zone() as zone, SmtpServer() as server:
        configure_smtp(room, server.port)
        result = run("send", ISSUE, "--yes", "--force")
        assert result.exit_code == 0, result.output
        dns = Dns(DoctorSettings(nameserver=zone.nameserver, timeout=2))
        assert len(server.recorder.messages) == 3
        for message in server.recorder.messages:
            checker = dkim.DKIM(message.data)
            assert checker.verify(idx=0, dnsfunc=dns.dkim_record)
            assert checker.verify(idx=1, dnsfunc=dns.dkim_record)
            tampered = message.data.replace(b"Subject: ", b"Subject: Re: ", 1)
            assert not dkim.DKIM(tampered).verify(idx=0, dnsfunc=dns.dkim_record)
    with broken_zone() as zone:
        dns = Dns(DoctorSettings(nameserver=zone.nameserver, timeout=2))
        checker = dkim.DKIM(server.recorder.messages[0].data)
        assert not checker.verify(idx=0, dnsfunc=dns.dkim_record)  # the record's key is not ours
        assert not checker.verify(idx=1, dnsfunc=dns.dkim_record)  # no record
