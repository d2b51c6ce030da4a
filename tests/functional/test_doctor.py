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
        # The sample's unsubscribe link names a host of no DNS: one on loopback instead.
        newsroom={"bounce_address": f"bounces@{DOMAIN}", "unsubscribe_url": "http://127.0.0.1:9/u?email={email}"},
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
    configure(room, newsroom={"postal_address": ""}, doctor={"sending_ips": []})
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
    configure(room, doctor={"nameserver": f"127.0.0.1:{silent}", "timeout": 0.3})
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

    from newsdesk.mail.doctor import SpfPermError

    def spf(dns: Dns, address: str, domain: str = DOMAIN) -> str:
        return Spf(dns, ipaddress.ip_address(address)).check(domain)

    with good_zone() as zone:
        dns = Dns(DoctorSettings(nameserver=zone.nameserver, timeout=2))
        for address, expected in (
            ("192.0.2.10", "pass"),  # the include's ip4
            ("192.0.2.25", "pass"),  # the MX host's address
            ("192.0.2.200", "fail"),  # outside the /25
            ("2001:db8::1", "pass"),
            ("203.0.113.1", "fail"),
        ):
            assert spf(dns, address) == expected, address
        assert spf(dns, "192.0.2.10", "nothing.relay.example") == "none"
    records = [
        txt("loop.example", "v=spf1 include:loop.example -all"),
        txt("two.example", "v=spf1 -all"),
        txt("two.example", "v=spf1 +all"),
        txt("redirect.example", "v=spf1 redirect=_spf.relay.example"),
        txt("_spf.relay.example", "v=spf1 ip4:192.0.2.0/25 -all"),
        txt("cidr.example", "v=spf1 a:mx.cidr.example/24 ?all"),
        txt("macro.example", "v=spf1 exists:%{i}.spf.macro.example -all"),
        "--host-record=mx.cidr.example,198.51.100.1",
    ]
    with Dnsmasq(
        ["loop.example", "two.example", "redirect.example", "relay.example", "cidr.example", "macro.example"], records
    ) as zone:
        dns = Dns(DoctorSettings(nameserver=zone.nameserver, timeout=2))
        with pytest.raises(SpfPermError, match="more than 10 DNS lookups"):
            spf(dns, "192.0.2.10", "loop.example")
        with pytest.raises(SpfPermError, match="2 SPF records"):
            spf(dns, "192.0.2.10", "two.example")
        assert spf(dns, "192.0.2.10", "redirect.example") == "pass"
        assert spf(dns, "192.0.2.200", "redirect.example") == "fail"
        assert spf(dns, "198.51.100.77", "cidr.example") == "pass"
        assert spf(dns, "198.51.101.1", "cidr.example") == "neutral"
        with pytest.raises(SpfPermError, match="macros"):
            spf(dns, "192.0.2.10", "macro.example")


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


def smtp_and_one_click(run) -> dict[str, dict[str, str]]:
    checks = {c["name"]: c for c in json.loads(run("doctor", "--json").output)}
    return {name: checks[name] for name in ("SMTP", "One-click unsubscribe")}


def test_the_smtp_server_must_take_the_login_over_trusted_tls(room: Path, run, certificate, monkeypatch) -> None:
    configure(room, doctor={"nameserver": f"127.0.0.1:{free_port()}", "timeout": 0.2})
    with SmtpServer(login=("editor", "s3cret"), tls_context=server_context(certificate)) as smtp:
        configure_smtp(room, smtp.port, security="starttls", user="editor")
        assert smtp_and_one_click(run)["SMTP"]["detail"].startswith(
            "the SMTP user is 'editor' but $NEWSDESK_SMTP_PASSWORD"
        )
        monkeypatch.setenv("NEWSDESK_SMTP_PASSWORD", "wrong")
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        untrusted = smtp_and_one_click(run)["SMTP"]
        assert untrusted["status"] == "fail" and "the server's TLS certificate is not trusted" in untrusted["detail"]
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        refused = smtp_and_one_click(run)["SMTP"]
        assert refused["status"] == "fail" and "refused the login of 'editor'" in refused["detail"]
        assert smtp.recorder.logins == []


def test_a_signed_link_needs_the_secret(room: Path, run, monkeypatch) -> None:
    configure_web(room, free_port(), public_url="https://news.example.invalid")
    configure(room, doctor={"nameserver": f"127.0.0.1:{free_port()}", "timeout": 0.2})
    monkeypatch.delenv("NEWSDESK_SECRET")
    check = smtp_and_one_click(run)["One-click unsubscribe"]
    assert check["status"] == "fail" and "$NEWSDESK_SECRET is not set" in check["detail"]
    assert "export NEWSDESK_SECRET" in check["fix"]


def test_an_spf_record_that_lets_anyone_send_is_a_warning(room: Path, run) -> None:
    with Dnsmasq([DOMAIN], [txt(DOMAIN, "v=spf1 ip4:192.0.2.10 +all")]) as zone:
        configure(room, doctor={"nameserver": zone.nameserver})
        checks = {c["name"]: c for c in json.loads(run("doctor", "--json").output)}
    assert checks["SPF"]["status"] == "warn"
    assert "every other host too (+all)" in checks["SPF"]["detail"]


def test_dmarc_is_found_up_the_tree_and_alignment_is_checked(room: Path, run) -> None:
    # From a subdomain: the record of the registered domain applies (the DMARC tree walk).
    configure(
        room,
        newsroom={"sender_email": f"weekly@news.{DOMAIN}", "bounce_address": "bounces@esp.example"},
        dkim={"domain": "esp.example"},
    )

    def dmarc() -> dict[str, str]:
        return {c["name"]: c for c in json.loads(run("doctor", "--json").output)}["DMARC"]

    records = [txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=quarantine; aspf=s"), txt("_dmarc.esp.example", "v=DMARC1; p=none")]
    with Dnsmasq([DOMAIN, "esp.example"], records) as zone:
        configure(room, doctor={"nameserver": zone.nameserver})
        check = dmarc()
        assert check["status"] == "fail"
        assert f"p=quarantine at _dmarc.{DOMAIN}, but From's news.{DOMAIN} aligns with neither" in check["detail"]
        configure(room, dkim={"domain": DOMAIN})  # relaxed: the same registered domain
        check = dmarc()
        assert check["status"] == "ok" and f"DKIM d={DOMAIN}" in check["detail"]
        configure(room, newsroom={"bounce_address": f"bounces@news.{DOMAIN}"}, dkim={"domain": "esp.example"})
        check = dmarc()  # strict SPF alignment: the envelope's domain is the From's own
        assert check["status"] == "ok" and f"the envelope's news.{DOMAIN}" in check["detail"]
