"""`newsdesk doctor` with [delivery] provider = "ses" or "postmark": the provider's line
instead of the SMTP one, and SPF, DKIM, DMARC and bounces as the provider sends. SES is
moto's standalone server on loopback (through the tests' front), Postmark the tests' own
loopback server of its documented API, DNS Debian's dnsmasq holding a good zone and a
broken one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import tomlkit
from dns_server import Dnsmasq, txt
from postmark_server import PostmarkServer
from ses_server import REGION, SesServer
from smtp_server import free_port

pytestmark = pytest.mark.slow
KEYS = Path(__file__).resolve().parent.parent / "fixtures" / "dkim"
RSA_RECORD = (KEYS / "rsa.dns").read_text(encoding="utf-8").strip()
ED_RECORD = (KEYS / "ed25519.dns").read_text(encoding="utf-8").strip()
DOMAIN = "socialcredit.example"
SENDER = f"weekly@{DOMAIN}"
MAIL_FROM = f"mail.{DOMAIN}"
TOKEN = "a-test-server-token"
PM_SELECTOR = "20240101123456pm"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:newsletter-events"


def configure(root: Path, **tables: dict) -> None:
    path = root / "sources.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    for table, values in tables.items():
        section = document.setdefault(table, tomlkit.table())
        for key, value in values.items():
            section[key] = value
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def doctor(run) -> tuple[int, dict[str, dict[str, str]]]:
    result = run("doctor", "--json")
    assert "Traceback" not in result.output
    return result.exit_code, {check["name"]: check for check in json.loads(result.output)}


@pytest.fixture
def room(newsroom_dir: Path, monkeypatch) -> Path:
    configure(
        newsroom_dir,
        newsroom={"sender_email": SENDER, "bounce_address": f"bounces@{DOMAIN}"},
        doctor={"timeout": 3},
    )
    return newsroom_dir


# Amazon SES --------------------------------------------------------------------


@pytest.fixture
def ses(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    with SesServer() as server:
        yield server


def ses_room(room: Path, ses: SesServer, **delivery: object) -> Path:
    configure(
        room,
        delivery={"provider": "ses", "region": REGION, "endpoint_url": ses.url, "timeout": 5, **delivery},
    )
    return room


def easy_dkim_zone(tokens: list[str], *, spf: str, mail_from_mx: bool = True) -> Dnsmasq:
    records = [
        txt(MAIL_FROM, "v=spf1 include:amazonses.com ~all"),
        txt(DOMAIN, spf),
        txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject; rua=mailto:dmarc@socialcredit.example"),
    ]
    if mail_from_mx:
        records.append(f"--mx-host={MAIL_FROM},feedback-smtp.{REGION}.amazonses.com,10")
    for token in tokens:
        # dnsmasq serves a CNAME only to a name it knows: the target gets an address.
        records.append(f"--host-record={token}.dkim.amazonses.com,192.0.2.53")
        records.append(f"--cname={token}._domainkey.{DOMAIN},{token}.dkim.amazonses.com")
    return Dnsmasq([DOMAIN, "amazonses.com"], records)


def test_ses_with_easy_dkim_and_a_mail_from_domain_passes(room: Path, ses: SesServer, run) -> None:
    ses.verify(SENDER)
    ses.backend.verify_domain(DOMAIN)
    ses.backend.set_identity_mail_from_domain(DOMAIN, mail_from_domain=MAIL_FROM)
    tokens = ses.backend.get_identity_dkim_attributes([DOMAIN])[DOMAIN]["DkimTokens"]
    ses_room(room, ses, rate=1, sns_topics=[TOPIC])
    with easy_dkim_zone(tokens, spf="v=spf1 -all") as zone:
        configure(room, doctor={"nameserver": zone.nameserver})
        code, checks = doctor(run)
    assert "SMTP" not in checks
    lines = {name: checks[name]["status"] for name in checks if name not in ("One-click unsubscribe", "Complaints")}
    assert lines == {
        "SPF": "ok",
        "DKIM (SES 1)": "ok",
        "DKIM (SES 2)": "ok",
        "DKIM (SES 3)": "ok",
        "DMARC": "ok",
        "Bounce MX": "ok",
        "Amazon SES": "warn",  # moto's account has the sandbox's quota: 200 a day
        "Postal address": "ok",
    }, checks
    assert checks["SPF"]["detail"] == f"{MAIL_FROM} includes amazonses.com (SES's MAIL FROM domain)"
    assert checks["DKIM (SES 1)"]["detail"] == (
        f"{tokens[0]}._domainkey.{DOMAIN} → {tokens[0]}.dkim.amazonses.com (Easy DKIM)"
    )
    assert f"DKIM d={DOMAIN} and the envelope's {MAIL_FROM}" in checks["DMARC"]["detail"]
    assert checks["Bounce MX"]["detail"] == f"{MAIL_FROM}: MX 10 feedback-smtp.{REGION}.amazonses.com"
    account = checks["Amazon SES"]
    assert account["detail"].startswith(f"Amazon SES ({ses.url}): credentials from env, {DOMAIN} verified")
    assert "looks sandboxed" in account["detail"] and "production access" in account["fix"]
    assert "SES would throttle" not in account["detail"]  # rate = 1: the account's
    assert ses.sent() == []  # nothing was sent


def test_ses_without_easy_dkim_or_mail_from_fails_with_a_fix_for_each(room: Path, ses: SesServer, run) -> None:
    ses.verify(SENDER)  # the address only: no domain, so no Easy DKIM
    ses_room(room, ses)
    with easy_dkim_zone([], spf="v=spf1 ip4:198.51.100.7 ~all", mail_from_mx=False) as zone:
        configure(room, doctor={"nameserver": zone.nameserver})
        code, checks = doctor(run)
    assert code == 1
    assert checks["SPF"]["status"] == "fail"
    assert checks["SPF"]["detail"] == f"the SPF record of {DOMAIN} does not include amazonses.com"
    assert checks["SPF"]["fix"] == f"add include:amazonses.com to the TXT record of {DOMAIN} (before its all)"
    assert checks["DKIM"]["status"] == "fail" and "no Easy DKIM for the domain" in checks["DKIM"]["detail"]
    assert checks["DMARC"]["status"] == "fail"
    assert "DKIM d=(no signature) nor the envelope's amazonses.com" in checks["DMARC"]["detail"]
    assert checks["Bounce MX"]["status"] == "warn" and "sns_topics is empty" in checks["Bounce MX"]["detail"]
    assert checks["Amazon SES"]["detail"].startswith(f"Amazon SES ({ses.url}): credentials from env, {SENDER} verified")


def test_ses_dkim_records_that_are_missing_or_point_elsewhere(room: Path, ses: SesServer, run) -> None:
    ses.verify(SENDER)
    ses.backend.verify_domain(DOMAIN)
    tokens = ses.backend.get_identity_dkim_attributes([DOMAIN])[DOMAIN]["DkimTokens"]
    ses_room(room, ses, sns_topics=[TOPIC])
    records = [
        txt(DOMAIN, "v=spf1 include:_spf.relay.example -all"),
        txt("_spf.relay.example", "v=spf1 include:amazonses.com -all"),  # found through an include
        "--host-record=elsewhere.example,192.0.2.54",
        f"--cname={tokens[1]}._domainkey.{DOMAIN},elsewhere.example",
        f"--host-record={tokens[2]}.dkim.amazonses.com,192.0.2.53",
        f"--cname={tokens[2]}._domainkey.{DOMAIN},{tokens[2]}.dkim.amazonses.com",
    ]
    with Dnsmasq([DOMAIN, "relay.example", "amazonses.com", "elsewhere.example"], records) as zone:
        configure(room, doctor={"nameserver": zone.nameserver})
        code, checks = doctor(run)
    assert checks["SPF"]["status"] == "ok", checks["SPF"]
    assert checks["SPF"]["detail"] == f"{DOMAIN} includes amazonses.com (no custom MAIL FROM domain in SES)"
    first, second, third = (checks[f"DKIM (SES {n})"] for n in (1, 2, 3))
    assert first["status"] == "fail" and first["detail"] == f"no CNAME record at {tokens[0]}._domainkey.{DOMAIN}"
    assert first["fix"] == (
        f"publish a CNAME record at {tokens[0]}._domainkey.{DOMAIN} pointing at {tokens[0]}.dkim.amazonses.com"
    )
    assert second["status"] == "fail" and "points at elsewhere.example, not at" in second["detail"]
    assert third["status"] == "ok"
    assert checks["Bounce MX"]["status"] == "ok" and "Amazon SES" in checks["Bounce MX"]["detail"]


def test_ses_with_a_key_of_ours_checks_our_records(room: Path, ses: SesServer, run) -> None:
    ses.verify(SENDER)
    shutil.copytree(KEYS, room / "dkim")
    configure(
        room,
        dkim={
            "rsa_selector": "news",
            "rsa_key": "dkim/rsa.key",
            "ed25519_selector": "news-ed",
            "ed25519_key": "dkim/ed25519.key",
        },
    )
    ses_room(room, ses)
    records = [txt(f"news._domainkey.{DOMAIN}", RSA_RECORD), txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=none")]
    with Dnsmasq([DOMAIN], records) as zone:
        configure(room, doctor={"nameserver": zone.nameserver})
        code, checks = doctor(run)
    assert checks["DKIM (rsa)"]["status"] == "ok"
    assert checks["DKIM (ed25519)"]["status"] == "fail"  # its record is missing
    assert "DKIM (SES 1)" not in checks
    assert checks["DMARC"]["status"] == "ok" and f"DKIM d={DOMAIN}" in checks["DMARC"]["detail"]


def test_ses_unverified_sender_unreachable_or_no_credentials_is_one_line(
    room: Path, ses: SesServer, run, monkeypatch, tmp_path
) -> None:
    configure(room, doctor={"nameserver": f"127.0.0.1:{free_port()}", "timeout": 0.3})
    ses_room(room, ses, rate=0)
    code, checks = doctor(run)
    assert code == 1
    account = checks["Amazon SES"]
    assert account["status"] == "fail"
    assert account["detail"].startswith(f"Amazon SES ({ses.url}): neither {SENDER} nor {DOMAIN} is verified")
    assert f"verify the domain {DOMAIN} in SES" in account["fix"]

    ses.verify(SENDER)
    code, checks = doctor(run)  # verified now; rate = 0 is no limit, above the account's 1/s
    account = checks["Amazon SES"]
    assert account["status"] == "warn"
    assert "looks sandboxed" in account["detail"]
    assert "the send goes at no limit, above the account's rate: SES would throttle it" in account["detail"]
    assert account["fix"].endswith("; set [delivery] rate = 1")
    ses_room(room, ses, rate=1)
    assert "throttle" not in doctor(run)[1]["Amazon SES"]["detail"]
    ses_room(room, ses, endpoint_url=f"http://127.0.0.1:{free_port()}", timeout=1)  # nothing listens there
    code, checks = doctor(run)
    assert checks["Amazon SES"]["status"] == "fail"
    assert checks["Amazon SES"]["detail"].startswith("cannot reach Amazon SES")
    assert checks["SPF"]["detail"].startswith("cannot reach Amazon SES")  # it needs the MAIL FROM domain

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    table = run("doctor")
    assert table.exit_code == 1 and "Traceback" not in table.output
    code, checks = doctor(run)
    assert checks["Amazon SES"]["detail"] == "no AWS credentials were found: export AWS_ACCESS_KEY_ID and " + (
        "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run where an IAM role provides them"
    )


# Postmark --------------------------------------------------------------------


@pytest.fixture
def postmark(monkeypatch):
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", TOKEN)
    with PostmarkServer(TOKEN, senders=(SENDER,)) as server:
        yield server


def postmark_room(room: Path, postmark: PostmarkServer, **delivery: object) -> Path:
    configure(room, delivery={"provider": "postmark", "endpoint_url": postmark.url, "timeout": 5, **delivery})
    return room


def test_postmark_with_its_dkim_record_and_spf_include_passes(room: Path, postmark: PostmarkServer, run) -> None:
    postmark_room(room, postmark, dkim_selector=PM_SELECTOR, postmark_webhook_user="postmark")
    records = [
        txt(DOMAIN, "v=spf1 a include:spf.mtasv.net ~all"),
        txt(f"{PM_SELECTOR}._domainkey.{DOMAIN}", RSA_RECORD.replace("v=DKIM1; ", "").replace(" h=sha256;", "")),
        txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=quarantine; adkim=s"),
    ]
    with Dnsmasq([DOMAIN], records) as zone:
        configure(room, doctor={"nameserver": zone.nameserver})
        code, checks = doctor(run)
    lines = {name: checks[name]["status"] for name in checks if name not in ("One-click unsubscribe", "Complaints")}
    assert lines == {
        "SPF": "ok",
        "DKIM": "ok",
        "DMARC": "ok",
        "Bounce MX": "ok",
        "Postmark": "ok",
        "Postal address": "ok",
    }, checks
    assert checks["SPF"]["detail"] == f"{DOMAIN} includes spf.mtasv.net (Postmark)"
    assert checks["DKIM"]["detail"] == f"{PM_SELECTOR}._domainkey.{DOMAIN} holds Postmark's key for {DOMAIN}"
    assert f"DKIM d={DOMAIN}" in checks["DMARC"]["detail"]
    assert checks["Postmark"]["detail"] == (
        f"{postmark.url}: the token opens server 'Social Credit Weekly' (ID 1); stream 'broadcast' (Broadcasts)"
    )
    assert postmark.gets == ["/server", "/message-streams/broadcast"] and postmark.received == []


def test_postmark_broken_fails_with_a_fix_for_each(room: Path, postmark: PostmarkServer, run, monkeypatch) -> None:
    postmark_room(room, postmark)
    records = [txt(DOMAIN, "v=spf1 ip4:198.51.100.7 -all"), txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject; aspf=s")]
    with Dnsmasq([DOMAIN], records) as zone:
        configure(room, doctor={"nameserver": zone.nameserver})
        code, checks = doctor(run)
        assert code == 1
        assert checks["SPF"]["detail"] == f"the SPF record of {DOMAIN} does not include spf.mtasv.net"
        assert checks["DKIM"]["status"] == "fail" and "no [delivery] dkim_selector" in checks["DKIM"]["detail"]
        assert "set [delivery] dkim_selector" in checks["DKIM"]["fix"]
        assert checks["Bounce MX"]["status"] == "warn"
        assert "postmark_webhook_user is empty" in checks["Bounce MX"]["detail"]
        assert checks["Postmark"]["status"] == "ok"

        postmark_room(room, postmark, dkim_selector=PM_SELECTOR, message_stream="newsletter")
        code, checks = doctor(run)
        assert checks["DKIM"]["detail"] == f"no DKIM record at {PM_SELECTOR}._domainkey.{DOMAIN}"
        assert (
            checks["Postmark"]["status"] == "fail"
            and "has no message stream 'newsletter'" in (checks["Postmark"]["detail"])
        )

        postmark_room(room, postmark, message_stream="outbound")
        postmark.streams.add("outbound")
        code, checks = doctor(run)
        assert (
            checks["Postmark"]["status"] == "warn"
            and "is Transactional, not Broadcasts" in (checks["Postmark"]["detail"])
        )

        monkeypatch.setenv("POSTMARK_SERVER_TOKEN", "not-the-token")
        code, checks = doctor(run)
        assert checks["Postmark"]["status"] == "fail"
        assert (
            checks["Postmark"]["detail"]
            == f"{postmark.url} refused the server token in $POSTMARK_SERVER_TOKEN (ErrorCode 10)"
        )

        monkeypatch.delenv("POSTMARK_SERVER_TOKEN")
        code, checks = doctor(run)
        assert checks["Postmark"]["detail"].startswith("$POSTMARK_SERVER_TOKEN is empty")
        assert "POSTMARK_SERVER_TOKEN" in checks["Postmark"]["fix"]

        postmark_room(room, postmark, endpoint_url=f"http://127.0.0.1:{free_port()}")
        monkeypatch.setenv("POSTMARK_SERVER_TOKEN", TOKEN)
        code, checks = doctor(run)
        assert checks["Postmark"]["detail"].startswith("cannot reach Postmark at http://127.0.0.1:")
