"""`newsdesk doctor`: will this newsroom's mail arrive? One check per line, each with its fix.

Gmail's and Yahoo's rules for bulk senders, checked where they live:

* **SPF**: the envelope sender's domain (the bounce address's, else the From address's)
  publishes an SPF record that authorises every address mail leaves from (``[doctor]
  sending_ips``, else the addresses of ``[smtp] host``), evaluated as RFC 7208 says
  (ip4, ip6, a, mx, include, exists, redirect, the 10-lookup limit).
* **DKIM**: each key in ``[dkim]`` has a TXT record at ``selector._domainkey.domain``, and a
  message signed with the key on disk verifies against it (dkimpy, through the resolver).
* **DMARC**: a record at ``_dmarc`` of the From domain (or its parents, as the DMARC tree
  walk finds it), and the From domain aligned with the DKIM signature's or the envelope's.
* **Bounces**: the bounce domain has an MX record (and not the null MX).
* **SMTP**: the server offers STARTTLS (or speaks TLS), takes the login and the sender.

With ``[delivery] provider`` ses or postmark the provider's view replaces the SMTP one
(newsdesk.mail.doctor_providers asks it): the SMTP line becomes the provider's (SES: the
credentials, the account's quota, the sender verified; Postmark: the server token answers,
the stream exists); SPF checks that the envelope domain (SES's custom MAIL FROM domain, else
the bounce or From domain) includes amazonses.com or spf.mtasv.net; DKIM checks Easy DKIM's
CNAME records (SES without a [dkim] key of ours) or Postmark's TXT record ([delivery]
dkim_selector); DMARC aligns with what the provider signs and the envelope it writes; the
bounce line says who receives the bounces and whether newsdesk hears of them.
* **One-click unsubscribe**: the link the messages carry answers an RFC 8058 POST with 2xx.
* **Postal address**: set (CAN-SPAM asks for it in every message).
* **Complaints**: nobody the list holds as complained is still subscribed in the file.

DNS goes through dnspython's resolver: the system's, or ``[doctor] nameserver``. A network
error is the failed line's detail, in one line; no check stops the others.
"""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
import re
import smtplib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import dkim
import dkim.crypto
import dns.exception
import dns.resolver
import httpx
from publicsuffixlist import PublicSuffixList

from newsdesk.config import Config, DoctorSettings
from newsdesk.errors import InvalidInput, NewsdeskError
from newsdesk.http import ERRORS, Http
from newsdesk.mail.doctor_providers import PostmarkFacts, ProviderProblem, SesFacts, postmark_facts, ses_facts
from newsdesk.mail.providers import provider_rate
from newsdesk.mail.signing import DkimKey, DkimSigner, load_signer
from newsdesk.newsroom import Newsroom
from newsdesk.urls import is_loopback

OK, WARN, FAIL = "ok", "warn", "fail"
SPF_LOOKUPS = 10  # RFC 7208 4.6.4: DNS-querying terms per evaluation
SES_SPF, POSTMARK_SPF = "amazonses.com", "spf.mtasv.net"  # what each provider's SPF include names
SES_SANDBOX_PER_DAY = 200  # a sandboxed SES account's quota
DMARC_WALK = 8  # labels the DMARC tree walk climbs at most
PROBE_ADDRESS = "doctor-probe@example.invalid"  # the one-click probe of an {email} template
_PROBE = b"From: doctor@example.invalid\r\nTo: doctor@example.invalid\r\nSubject: newsdesk doctor\r\n\r\nprobe\r\n"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, what was found, what to do."""

    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""


class DnsError(Exception):
    """A lookup that got no answer (timeout, SERVFAIL, REFUSED): the message is one line."""


class Dns:
    """Lookups through one resolver: the system's, or [doctor] nameserver."""

    def __init__(self, settings: DoctorSettings) -> None:
        server = settings.server
        if server is None:
            try:
                self.resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                raise DnsError("this machine has no DNS resolver configured: set [doctor] nameserver") from None
            self.where = "the system's resolver"
        else:
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.nameservers = [server[0]]
            self.resolver.port = server[1]
            self.where = f"the DNS server {settings.nameserver}"
        self.resolver.timeout = settings.timeout
        self.resolver.lifetime = settings.timeout
        self.timeout = settings.timeout

    def answers(self, name: str, kind: str) -> list:
        """The answer's records; [] when the name or the type does not exist."""
        try:
            return list(self.resolver.resolve(name, kind, search=False))
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.resolver.LifetimeTimeout:
            raise DnsError(f"{self.where} did not answer {name} {kind} within {self.timeout:g} s") from None
        except dns.resolver.NoNameservers:
            raise DnsError(f"{self.where} failed to answer {name} {kind} (SERVFAIL or REFUSED)") from None
        except dns.exception.DNSException as error:
            raise DnsError(f"{name} {kind}: {error}") from None

    def txt(self, name: str) -> list[str]:
        """Each TXT record's strings joined, as SPF, DKIM and DMARC read them."""
        return [b"".join(record.strings).decode("utf-8", "replace") for record in self.answers(name, "TXT")]

    def mx(self, name: str) -> list[tuple[int, str]]:
        found = [
            (record.preference, record.exchange.to_text(omit_final_dot=True)) for record in self.answers(name, "MX")
        ]
        return sorted(found)

    def addresses(self, name: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        try:
            return [ipaddress.ip_address(name)]
        except ValueError:
            pass
        return [ipaddress.ip_address(r.address) for kind in ("A", "AAAA") for r in self.answers(name, kind)]

    def dkim_record(self, name: bytes, timeout: int = 5) -> bytes | None:
        """dkimpy's dnsfunc: the TXT record at ``name`` (bytes, with its final dot), or None."""
        records = self.txt(name.decode("ascii").rstrip("."))
        return records[0].encode("utf-8") if records else None


# SPF (RFC 7208) -------------------------------------------------------------


class SpfPermError(Exception):
    pass


@dataclass
class Spf:
    """check_host() of RFC 7208 for one address, counting the lookups across includes."""

    dns: Dns
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    lookups: int = 0

    def record(self, domain: str) -> str | None:
        records = [t for t in self.dns.txt(domain) if t.lower() == "v=spf1" or t.lower().startswith("v=spf1 ")]
        if len(records) > 1:
            raise SpfPermError(f"{domain} publishes {len(records)} SPF records (one is allowed)")
        return records[0] if records else None

    def count(self) -> None:
        self.lookups += 1
        if self.lookups > SPF_LOOKUPS:
            raise SpfPermError(f"more than {SPF_LOOKUPS} DNS lookups (RFC 7208's limit)")

    def check(self, domain: str) -> str:
        """pass | fail | softfail | neutral | none; SpfPermError for a broken record."""
        record = self.record(domain)
        if record is None:
            return "none"
        redirect = None
        for term in record.split()[1:]:
            name, equals, value = term.partition("=")
            if equals and ":" not in name and "/" not in name:
                if name.lower() == "redirect":
                    redirect = value
                continue  # exp= and unknown modifiers change no result
            qualifier = term[0] if term[0] in "+-~?" else "+"
            mechanism = term[1:] if term[0] in "+-~?" else term
            if self.matches(mechanism, domain):
                return {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}[qualifier]
        if redirect:
            self.count()
            result = self.check(self.target(redirect, domain))
            if result == "none":
                raise SpfPermError(f"redirect={redirect} names a domain without an SPF record")
            return result
        return "neutral"

    def includes(self, domain: str, wanted: str) -> bool:
        """Whether ``domain``'s record reaches ``include:wanted`` (through includes and redirect)."""
        record = self.record(domain)
        if record is None:
            return False
        redirect = None
        for term in record.split()[1:]:
            name, equals, value = term.partition("=")
            if equals and ":" not in name and "/" not in name:
                if name.lower() == "redirect":
                    redirect = value
                continue
            qualifier = term[0] if term[0] in "+-~?" else "+"
            kind, _, argument = (term[1:] if term[0] in "+-~?" else term).partition(":")
            kind = kind.lower()
            if kind == "all":
                return False  # nothing after it counts, nor a redirect
            if kind == "include":
                self.count()
                included = self.target(argument, domain).lower().rstrip(".")
                if included == wanted:
                    return qualifier == "+"
                if self.includes(included, wanted):
                    return True
            elif _A_OR_MX.fullmatch(term.lstrip("+-~?")) or kind in ("exists", "ptr"):
                self.count()
        if redirect:
            self.count()
            return self.includes(self.target(redirect, domain), wanted)
        return False

    def target(self, spec: str, domain: str) -> str:
        if "%" in spec:
            raise SpfPermError(f"{spec}: SPF macros are not evaluated by newsdesk doctor")
        return spec or domain

    def matches(self, mechanism: str, domain: str) -> bool:
        if host := _A_OR_MX.fullmatch(mechanism):
            kind, spec, four, six = host.groups()
            self.count()
            spec = self.target(spec or "", domain)
            hosts = [spec] if kind.lower() == "a" else [name for _, name in self.dns.mx(spec)[:10]]
            lengths = {4: int(four or 32), 6: int(six or 128)}
            return any(
                address.version == self.ip.version
                and self.ip in ipaddress.ip_network(f"{address}/{lengths[address.version]}", strict=False)
                for name in hosts
                for address in self.dns.addresses(name)
            )
        kind, _, argument = mechanism.partition(":")
        kind = kind.lower()
        if kind == "all":
            return True
        if kind in ("ip4", "ip6"):
            try:
                network = ipaddress.ip_network(argument, strict=False)
            except ValueError:
                raise SpfPermError(f"{mechanism}: not a network") from None
            return network.version == self.ip.version and self.ip in network
        if kind == "include":
            self.count()
            result = self.check(self.target(argument, domain))
            if result == "none":
                raise SpfPermError(f"include:{argument} names a domain without an SPF record")
            return result == "pass"
        if kind == "exists":
            self.count()
            return bool(self.dns.answers(self.target(argument, domain), "A"))
        if kind == "ptr":
            self.count()
            return False  # deprecated (RFC 7208 5.5), and receivers may skip it: never counted on
        raise SpfPermError(f"unknown mechanism {mechanism!r}")


_A_OR_MX = re.compile(r"(a|mx)(?::([^/]+))?(?:/(\d+))?(?://(\d+))?", re.IGNORECASE)


# The checks -----------------------------------------------------------------


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


@dataclass
class Doctor:
    """The checks of one newsroom; each a method returning its Check, never raising."""

    room: Newsroom
    environ: dict[str, str] | None = None

    def __post_init__(self) -> None:
        self.config: Config = self.room.config
        self.settings = self.config.newsroom
        self.from_domain = domain_of(self.settings.sender_email)
        self.envelope_domain = domain_of(self.settings.bounce_address or self.settings.sender_email)
        self.dkim_domain = (self.config.dkim.domain or self.from_domain).lower()
        self.provider = self.config.delivery.provider
        self._dns: Dns | None = None
        self._ses: SesFacts | ProviderProblem | None = None
        self._postmark: PostmarkFacts | ProviderProblem | None = None

    @property
    def dns(self) -> Dns:
        if self._dns is None:
            self._dns = Dns(self.config.doctor)
        return self._dns

    def ses(self) -> SesFacts:
        """What SES says of the account and the sender (asked once); ProviderProblem when it cannot."""
        if self._ses is None:
            try:
                self._ses = ses_facts(self.config.delivery, self.settings.sender_email, self.config.doctor.timeout)
            except ProviderProblem as problem:
                self._ses = problem
        if isinstance(self._ses, ProviderProblem):
            raise self._ses
        return self._ses

    def postmark(self) -> PostmarkFacts:
        if self._postmark is None:
            try:
                self._postmark = postmark_facts(
                    self.config.delivery, self.config.doctor.timeout, self.config.fetch.user_agent
                )
            except ProviderProblem as problem:
                self._postmark = problem
        if isinstance(self._postmark, ProviderProblem):
            raise self._postmark
        return self._postmark

    def run(self) -> list[Check]:
        return list(self.checks())

    def checks(self) -> Iterator[Check]:
        server: tuple[str, Callable[[str], Iterator[Check]]] = {
            "ses": ("Amazon SES", self.ses_account),
            "postmark": ("Postmark", self.postmark_server),
        }.get(self.provider, ("SMTP", self.smtp))
        for name, check in (
            ("SPF", self.spf),
            ("DKIM", self.dkim),
            ("DMARC", self.dmarc),
            ("Bounce MX", self.bounce_mx),
            server,
            ("One-click unsubscribe", self.one_click),
            ("Postal address", self.postal_address),
            ("Complaints", self.complaints),
        ):
            yield from self.guarded(name, check)

    def guarded(self, name: str, check: Callable[[str], Iterator[Check]]) -> Iterator[Check]:
        """The check's lines; a network or input error is its one failed line."""
        try:
            yield from check(name)
        except DnsError as error:
            yield Check(name, FAIL, str(error), "check [doctor] nameserver, or try again when DNS answers")
        except ProviderProblem as problem:
            yield Check(name, FAIL, problem.detail, problem.fix)
        except NewsdeskError as error:
            yield Check(name, FAIL, error.message, "correct sources.toml (the line above says where)")

    def no_sender(self, name: str) -> Check | None:
        if not self.settings.sender_email:
            return Check(name, FAIL, "newsroom.sender_email is not set", 'set [newsroom] sender_email = "…"')
        return None

    # DNS --------------------------------------------------------------------

    def sending_addresses(self) -> tuple[list[ipaddress.IPv4Address | ipaddress.IPv6Address], str]:
        if self.config.doctor.sending_ips:
            return [ipaddress.ip_address(a) for a in self.config.doctor.sending_ips], "[doctor] sending_ips"
        return self.dns.addresses(self.config.smtp.host), f"[smtp] host {self.config.smtp.host}"

    def envelope(self) -> str:
        """The envelope sender's domain, as the provider writes it."""
        if self.provider == "ses":
            return self.ses().mail_from or SES_SPF
        return self.envelope_domain

    def spf(self, name: str) -> Iterator[Check]:
        if missing := self.no_sender(name):
            yield missing
            return
        if self.provider == "ses":
            mail_from = self.ses().mail_from
            whence = "SES's MAIL FROM domain" if mail_from else "no custom MAIL FROM domain in SES"
            yield from self.spf_include(name, mail_from or self.envelope_domain, SES_SPF, whence)
            return
        if self.provider == "postmark":
            yield from self.spf_include(name, self.envelope_domain, POSTMARK_SPF, "Postmark")
            return
        domain = self.envelope_domain
        addresses, whence = self.sending_addresses()
        if not addresses:
            yield Check(
                name,
                FAIL,
                f"{whence} has no address in DNS",
                "set [doctor] sending_ips to the addresses your mail leaves from",
            )
            return
        refused = []
        for address in addresses:
            try:
                result = Spf(self.dns, address).check(domain)
            except SpfPermError as error:
                yield Check(
                    name, FAIL, f"{domain}: the SPF record is broken: {error}", f"correct the TXT record of {domain}"
                )
                return
            if result == "none":
                mechanisms = " ".join(f"ip{a.version}:{a}" for a in addresses)
                yield Check(
                    name,
                    FAIL,
                    f"{domain} has no SPF record",
                    f'publish a TXT record at {domain}: "v=spf1 {mechanisms} -all" (or your provider\'s include:)',
                )
                return
            if result != "pass":
                refused.append((address, result))
        if refused:
            shown = ", ".join(f"{address} ({result})" for address, result in refused)
            mechanisms = " ".join(f"ip{address.version}:{address}" for address, _ in refused)
            yield Check(
                name,
                FAIL,
                f"the SPF record of {domain} does not authorise {shown}",
                f"add {mechanisms} to the TXT record of {domain} (before its all), or "
                "set [doctor] sending_ips if mail leaves from other addresses",
            )
            return
        shown = ", ".join(str(a) for a in addresses)
        record = Spf(self.dns, addresses[0]).record(domain) or ""
        if any(term.lower() in ("all", "+all") for term in record.split()):
            yield Check(
                name,
                WARN,
                f"{domain} authorises {shown}, and every other host too (+all)",
                f"end the TXT record of {domain} with -all or ~all: +all lets anyone send as you",
            )
            return
        yield Check(name, OK, f"{domain} authorises {shown} ({whence})")

    def spf_include(self, name: str, domain: str, wanted: str, whence: str) -> Iterator[Check]:
        """The SPF record of ``domain`` includes the provider's (``include:wanted``)."""
        spf = Spf(self.dns, ipaddress.ip_address("192.0.2.1"))  # no address is evaluated
        try:
            record = spf.record(domain)
            included = record is not None and spf.includes(domain, wanted)
        except SpfPermError as error:
            yield Check(
                name, FAIL, f"{domain}: the SPF record is broken: {error}", f"correct the TXT record of {domain}"
            )
            return
        if record is None:
            yield Check(
                name,
                FAIL,
                f"{domain} has no SPF record",
                f'publish a TXT record at {domain}: "v=spf1 include:{wanted} ~all"',
            )
        elif not included:
            yield Check(
                name,
                FAIL,
                f"the SPF record of {domain} does not include {wanted}",
                f"add include:{wanted} to the TXT record of {domain} (before its all)",
            )
        elif any(term.lower() in ("all", "+all") for term in record.split()):
            yield Check(
                name,
                WARN,
                f"{domain} includes {wanted}, and every other host too (+all)",
                f"end the TXT record of {domain} with -all or ~all: +all lets anyone send as you",
            )
        else:
            yield Check(name, OK, f"{domain} includes {wanted} ({whence})")

    def dkim(self, name: str) -> Iterator[Check]:
        if missing := self.no_sender(name):
            yield missing
            return
        if self.provider == "postmark":  # Postmark signs itself; our signatures are left out
            yield from self.dkim_postmark(name)
            return
        if self.provider == "ses" and not self.config.dkim.enabled:
            yield from self.dkim_ses(name)
            return
        settings = self.config.dkim
        if not settings.enabled:
            yield Check(
                name,
                FAIL,
                "the messages are not signed ([dkim] has no key)",
                "make a key with `dknewkey news2026` and set [dkim] rsa_selector and rsa_key (see README: Sending)",
            )
            return
        where = str(self.config.path or "sources.toml")
        signer = load_signer(settings, self.room.root, self.from_domain, where)
        assert signer is not None
        for key in signer.keys:
            label = f"{name} ({key.algorithm})"
            record_name = f"{key.selector}._domainkey.{signer.domain}"
            expected = public_record(key)
            records = [r for r in self.dns.txt(record_name) if "p=" in r]
            if not records:
                yield Check(
                    label, FAIL, f"no DKIM record at {record_name}", f'publish a TXT record there: "{expected}"'
                )
                continue
            signed = DkimSigner(signer.domain, [key]).sign(_PROBE)
            try:
                verified = dkim.DKIM(signed).verify(dnsfunc=self.dns.dkim_record)
            except (dkim.DKIMException, ValueError):  # a record dkimpy cannot read
                verified = False
            if verified:
                yield Check(label, OK, f"{record_name} holds the public half of {key_file(settings, key)}")
            else:
                yield Check(
                    label,
                    FAIL,
                    f"the record at {record_name} does not match {key_file(settings, key)}",
                    f'publish this TXT record there instead: "{expected}"',
                )

    def dkim_ses(self, name: str) -> Iterator[Check]:
        """Easy DKIM: SES signs for the From domain with the keys its three CNAME records name."""
        facts = self.ses()
        domain = self.from_domain
        if not facts.dkim_enabled or not facts.dkim_tokens:
            yield Check(
                name,
                FAIL,
                f"SES does not sign for {domain} (no Easy DKIM for the domain), and [dkim] has no key of yours",
                f"verify the domain {domain} in SES with Easy DKIM and publish its three CNAME records, "
                "or set [dkim] rsa_selector and rsa_key (see README: Sending)",
            )
            return
        for number, token in enumerate(facts.dkim_tokens, start=1):
            label = f"{name} (SES {number})"
            record = f"{token}._domainkey.{domain}"
            expected = f"{token}.dkim.amazonses.com"
            targets = [r.target.to_text(omit_final_dot=True).lower() for r in self.dns.answers(record, "CNAME")]
            fix = f"publish a CNAME record at {record} pointing at {expected}"
            if not targets:
                yield Check(label, FAIL, f"no CNAME record at {record}", fix)
            elif not any(
                t == expected or re.fullmatch(rf"{re.escape(token)}\.dkim\.[a-z0-9-]+\.amazonses\.com", t)
                for t in targets
            ):
                yield Check(label, FAIL, f"{record} points at {targets[0]}, not at {expected}", fix)
            elif facts.dkim_status.lower() != "success":
                yield Check(
                    label,
                    WARN,
                    f"{record} → {targets[0]}, but SES says its DKIM is {facts.dkim_status or 'not started'}",
                    "wait for SES to see the records (up to 72 hours), then run the doctor again",
                )
            else:
                yield Check(label, OK, f"{record} → {targets[0]} (Easy DKIM)")

    def dkim_postmark(self, name: str) -> Iterator[Check]:
        """Postmark signs with a key of its own, published as TXT at ``selector._domainkey``."""
        selector = self.config.delivery.dkim_selector
        domain = self.from_domain
        if not selector:
            yield Check(
                name,
                FAIL,
                f"Postmark signs for its own domain, not {domain}: no [delivery] dkim_selector",
                "in Postmark, add the domain (Sender Signatures → Domains), publish its DKIM TXT record, and set "
                "[delivery] dkim_selector to the part before ._domainkey (like 20240101123456pm)",
            )
            return
        record = f"{selector}._domainkey.{domain}"
        fix = f"publish the TXT record Postmark's DNS settings for {domain} show at {record}"
        records = [r for r in self.dns.txt(record) if "p=" in r]
        if not records:
            yield Check(name, FAIL, f"no DKIM record at {record}", fix)
            return
        tags = parse_tags(records[0])
        try:
            dkim.crypto.parse_public_key(base64.b64decode(tags.get("p", ""), validate=True))
            usable = tags.get("k", "rsa").lower() == "rsa"
        except (ValueError, dkim.crypto.UnparsableKeyError):
            usable = False
        if not usable:
            yield Check(name, FAIL, f"the record at {record} holds no usable RSA key", fix)
            return
        ours = " (newsdesk's own [dkim] signatures are not sent through Postmark)" if self.config.dkim.enabled else ""
        yield Check(name, OK, f"{record} holds Postmark's key for {domain}{ours}")

    def signing_domain(self) -> str | None:
        """The d= of the signature receivers see, as the provider signs; None: none aligned of ours."""
        if self.provider == "postmark":
            return self.from_domain if self.config.delivery.dkim_selector else None
        if self.config.dkim.enabled:
            return self.dkim_domain
        if self.provider == "ses":
            facts = self.ses()
            return self.from_domain if facts.dkim_enabled and facts.dkim_tokens else None
        return None

    def dmarc(self, name: str) -> Iterator[Check]:
        if missing := self.no_sender(name):
            yield missing
            return
        found = self.dmarc_record(self.from_domain)
        if found is None:
            organisational = organisational_domain(self.from_domain)
            yield Check(
                name,
                FAIL,
                f"no DMARC record for {self.from_domain}",
                f'publish a TXT record at _dmarc.{organisational}: "v=DMARC1; p=none; rua=mailto:dmarc@{organisational}"',
            )
            return
        at, tags = found
        policy = tags.get("p", "").lower()
        if policy not in ("none", "quarantine", "reject"):
            yield Check(
                name,
                FAIL,
                f"the DMARC record at _dmarc.{at} has no valid policy (p={policy or 'missing'})",
                "give it p=none, p=quarantine or p=reject",
            )
            return
        aligned = []
        modes = {"adkim": tags.get("adkim", "r").lower(), "aspf": tags.get("aspf", "r").lower()}
        signer, envelope = self.signing_domain(), self.envelope()
        if signer and aligns(signer, self.from_domain, modes["adkim"]):
            aligned.append(f"DKIM d={signer}")
        if aligns(envelope, self.from_domain, modes["aspf"]):
            aligned.append(f"the envelope's {envelope}")
        if not aligned:
            fix = {
                "ses": "use Easy DKIM for the From domain, or a custom MAIL FROM domain under it",
                "postmark": "add the From domain in Postmark and set [delivery] dkim_selector",
            }.get(self.provider, "sign with [dkim] domain under the From domain, or set newsroom.bounce_address there")
            yield Check(
                name,
                FAIL,
                f"p={policy} at _dmarc.{at}, but From's {self.from_domain} aligns with neither "
                f"DKIM d={signer or '(no signature)'} "
                f"nor the envelope's {envelope} (adkim={modes['adkim']}, aspf={modes['aspf']})",
                fix,
            )
            return
        note = " (monitoring only)" if policy == "none" else ""
        yield Check(name, OK, f"p={policy}{note} at _dmarc.{at}; From aligns with {' and '.join(aligned)}")

    def dmarc_record(self, domain: str) -> tuple[str, dict[str, str]] | None:
        """The DMARC record that applies to ``domain``: its own, else the nearest parent's."""
        labels = domain.split(".")
        for start in range(min(len(labels) - 1, DMARC_WALK)):
            at = ".".join(labels[start:])
            for record in self.dns.txt(f"_dmarc.{at}"):
                tags = parse_tags(record)
                if tags.get("v", "").upper() == "DMARC1":
                    return at, tags
        return None

    def bounce_mx(self, name: str) -> Iterator[Check]:
        if missing := self.no_sender(name):
            yield missing
            return
        delivery = self.config.delivery
        if self.provider == "postmark" or (self.provider == "ses" and not self.ses().mail_from):
            who = "Postmark" if self.provider == "postmark" else "Amazon SES (its own MAIL FROM domain)"
            hears = delivery.postmark_webhook_user if self.provider == "postmark" else delivery.sns_topics
            if hears:
                yield Check(name, OK, f"{who} receives the bounces and reports them to `newsdesk serve`")
            else:
                setting = "postmark_webhook_user" if self.provider == "postmark" else "sns_topics"
                yield Check(
                    name,
                    WARN,
                    f"{who} receives the bounces, but newsdesk never hears of them ([delivery] {setting} is empty)",
                    f"set [delivery] {setting} and the provider's webhook (see README: webhooks)",
                )
            return
        if self.provider == "ses":
            domain = self.ses().mail_from
            region = self.config.delivery.region or "REGION"
            fix = f"add an MX record for {domain}: 10 feedback-smtp.{region}.amazonses.com (SES's MAIL FROM setup)"
        else:
            domain = self.envelope_domain
            fix = f"add an MX record for {domain} pointing at the server of the mailbox [bounces] reads"
        exchanges = self.dns.mx(domain)
        if not exchanges:
            yield Check(name, FAIL, f"{domain} (the bounce domain) has no MX record", fix)
        elif exchanges == [(0, "")] or exchanges == [(0, ".")]:
            yield Check(name, FAIL, f"{domain} refuses all mail (a null MX)", fix)
        else:
            shown = ", ".join(f"{preference} {host}" for preference, host in exchanges)
            yield Check(name, OK, f"{domain}: MX {shown}")

    # The servers ------------------------------------------------------------

    def smtp(self, name: str) -> Iterator[Check]:
        from newsdesk.mail.smtp import SmtpFatal, SmtpTransport, Transient, smtp_target

        target = dataclasses.replace(smtp_target(self.config.smtp), timeout=self.config.doctor.timeout)
        where = f"{target.host}:{target.port}"
        fix_tls = 'use a server that offers STARTTLS, or security = "tls" (port 465)'
        if target.security == "none" and not is_loopback(target.host):
            yield Check(name, FAIL, f"{where} is used without TLS", f'set [smtp] security = "starttls" ({fix_tls})')
            return
        try:
            password = target.password()
        except InvalidInput as error:
            yield Check(name, FAIL, error.message, f"export the password in ${target.password_env}")
            return
        sender = self.settings.bounce_address or self.settings.sender_email or "doctor@example.invalid"
        try:
            with SmtpTransport(target, password) as transport:
                transport.connect()
                session = transport.session
                assert session is not None
                code, text = session.mail(sender)
                session.rset()
        except SmtpFatal as error:
            fix = fix_tls if "STARTTLS" in error.message or "TLS" in error.message else "correct [smtp] or the password"
            yield Check(name, FAIL, error.message, fix)
            return
        except Transient as error:
            yield Check(name, FAIL, error.reply, "check [smtp] host and port, and that the server runs")
            return
        except (smtplib.SMTPException, OSError) as error:
            yield Check(name, FAIL, f"{where}: {error}", "check [smtp] host and port, and that the server runs")
            return
        reply = f"{code} {text.decode('utf-8', 'replace')}".strip()
        if code == 530:
            yield Check(name, FAIL, f"{where} wants a login ({reply})", "set [smtp] user and its password variable")
            return
        if code != 250:
            yield Check(name, FAIL, f"{where} refused the sender {sender}: {reply}", "ask the provider to allow it")
            return
        tls = {"starttls": "STARTTLS", "tls": "TLS"}.get(target.security, "no TLS (loopback)")
        login = f"logged in as {target.user}" if target.user else "no login"
        status = WARN if target.security == "none" else OK
        yield Check(name, status, f"{where}: {tls}, {login}, sender {sender} accepted", "" if status == OK else fix_tls)

    def ses_account(self, name: str) -> Iterator[Check]:
        """The credentials work, the account answers, the sender is verified, the rate fits."""
        if missing := self.no_sender(name):
            yield missing
            return
        facts = self.ses()
        sender = self.settings.sender_email
        verified = [i for i in (sender, self.from_domain) if facts.verification.get(i, "").lower() == "success"]
        if not verified:
            known = ", ".join(f"{i}: {status}" for i, status in facts.verification.items())
            yield Check(
                name,
                FAIL,
                f"{facts.where}: neither {sender} nor {self.from_domain} is verified"
                + (f" ({known})" if known else ""),
                f"verify the domain {self.from_domain} in SES (Identities → Create identity), or the address {sender}",
            )
            return
        detail = (
            f"{facts.where}: credentials from {facts.credentials}, {verified[-1]} verified, "
            f"{facts.sent_today:g} of {facts.max_per_day:g} sent in 24 h, at most {facts.max_rate:g}/s"
        )
        rate = provider_rate(self.config, "ses")
        problems, fixes = [], []
        if 0 < facts.max_per_day <= SES_SANDBOX_PER_DAY:
            problems.append("the account looks sandboxed (it sends only to verified addresses)")
            fixes.append("ask AWS for production access (SES console → Account dashboard)")
        if facts.max_rate and (rate == 0 or rate > facts.max_rate):
            pace = "no limit" if rate == 0 else f"{rate:g}/s"
            problems.append(f"the send goes at {pace}, above the account's rate: SES would throttle it")
            fixes.append(f"set [delivery] rate = {facts.max_rate:g}")
        if problems:
            yield Check(name, WARN, f"{detail}; " + "; ".join(problems), "; ".join(fixes))
        else:
            yield Check(name, OK, detail)

    def postmark_server(self, name: str) -> Iterator[Check]:
        """The server token answers, the newsletter's message stream exists and broadcasts."""
        facts = self.postmark()
        detail = f"{facts.url}: the token opens server {facts.server!r} (ID {facts.server_id})"
        if facts.stream_type is None:
            yield Check(
                name,
                FAIL,
                f"{detail}, which has no message stream {facts.stream!r}",
                "create a Broadcasts stream in Postmark, or set [delivery] message_stream to yours",
            )
        elif facts.stream_type.lower() != "broadcasts":
            yield Check(
                name,
                WARN,
                f"{detail}; its stream {facts.stream!r} is {facts.stream_type}, not Broadcasts",
                "send the newsletter through a Broadcasts stream ([delivery] message_stream): Postmark asks it",
            )
        else:
            yield Check(name, OK, f"{detail}; stream {facts.stream!r} (Broadcasts)")

    def one_click(self, name: str) -> Iterator[Check]:
        from newsdesk.output.archive import unsubscribe_template
        from newsdesk.output.render import unsubscribe_link

        if self.config.web.public_url:
            from newsdesk.mail.tokens import signer_for, unsubscribe_url

            try:
                signer = signer_for(self.config, self.environ)
            except InvalidInput as error:
                yield Check(
                    name,
                    FAIL,
                    f"cannot make the signed link the messages carry: {error.message}",
                    "export NEWSDESK_SECRET as `newsdesk serve` and `newsdesk send` have it",
                )
                return
            # Member 0 is never in the list: the probe's POST unsubscribes nobody.
            url = unsubscribe_url(self.config.web.public_url, signer.unsubscribe_token(0))
            whence = "[web] public_url"
        else:
            template = unsubscribe_template(self.settings)
            if "{email}" not in template:
                yield Check(
                    name,
                    FAIL,
                    f"the unsubscribe link {template} does not say who is unsubscribing",
                    "run `newsdesk serve` and set [web] public_url, or set newsroom.unsubscribe_url with {email}",
                )
                return
            url = unsubscribe_link(template, PROBE_ADDRESS)
            whence = "newsroom.unsubscribe_url"
        shown = url if len(url) <= 60 else url[:57] + "…"
        if not url.lower().startswith("https://"):
            yield Check(
                name,
                FAIL,
                f"{shown} ({whence}) is not https: the messages carry no one-click header",
                "serve the unsubscribe link over https (Gmail and Yahoo ask for one-click)",
            )
            return
        timeout = self.config.doctor.timeout
        http = Http(self.config.fetch.user_agent, connect_timeout=timeout, read_timeout=timeout)
        try:
            with http.client(follow_redirects=False) as client:
                response = client.post(
                    url,
                    content=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
        except ERRORS as error:
            yield Check(
                name, FAIL, f"POST {shown}: {http.reason(error)}", "start `newsdesk serve` where the link points"
            )
            return
        if 200 <= response.status_code < 300:
            yield Check(name, OK, f"POST {shown} answered {response.status_code}")
        else:
            yield Check(
                name,
                FAIL,
                f"POST {shown} answered {response.status_code} {httpx.codes.get_reason_phrase(response.status_code)}",
                "the link must unsubscribe on a POST of List-Unsubscribe=One-Click, with no redirect (RFC 8058)",
            )

    # The list ---------------------------------------------------------------

    def postal_address(self, name: str) -> Iterator[Check]:
        if self.settings.postal_address.strip():
            yield Check(name, OK, " ".join(self.settings.postal_address.split()))
        else:
            yield Check(
                name,
                FAIL,
                "newsroom.postal_address is not set",
                'set [newsroom] postal_address = "…" (CAN-SPAM wants it in every message)',
            )

    def complaints(self, name: str) -> Iterator[Check]:
        from newsdesk.mail.roster import Roster
        from newsdesk.mail.subscribers import load_subscribers, subscribers_path

        path = subscribers_path(self.room.root, self.settings.subscribers)
        with self.room.store() as store:
            complained = [m for m in Roster(store).members() if m.state == "complained"]
        listing = load_subscribers(path) if path.exists() else None
        still = [m.address for m in complained if listing is not None and listing.find(m.address) is not None]
        if still:
            shown = ", ".join(still[:3]) + (f" and {len(still) - 3} more" if len(still) > 3 else "")
            yield Check(
                name,
                FAIL,
                f"{len(still)} who complained still subscribed in {path.name}: {shown}",
                f"set their status to unsubscribed in {path.name} (newsdesk keeps them suppressed; other tools would not)",
            )
        else:
            yield Check(name, OK, f"{len(complained)} complained, none still subscribed")


def parse_tags(record: str) -> dict[str, str]:
    """A DKIM or DMARC record's tags (``k=v; …``), names lower-cased."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        key, equals, value = part.partition("=")
        if equals:
            tags.setdefault(key.strip().lower(), "".join(value.split()))
    return tags


_PSL: PublicSuffixList | None = None


def organisational_domain(domain: str) -> str:
    """The registered domain (example.org of news.example.org; example.co.uk of a.example.co.uk)."""
    global _PSL
    if _PSL is None:
        _PSL = PublicSuffixList()
    return _PSL.privatesuffix(domain.lower()) or domain.lower()


def aligns(domain: str, from_domain: str, mode: str) -> bool:
    """DMARC identifier alignment: the same domain (strict) or the same organisation (relaxed)."""
    if mode == "s":
        return domain == from_domain
    return organisational_domain(domain) == organisational_domain(from_domain)


def key_file(settings: object, key: DkimKey) -> str:
    return str(getattr(settings, f"{key.algorithm}_key"))


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    length = (
        bytes([size])
        if size < 128
        else bytes([0x80 | ((size.bit_length() + 7) // 8)]) + size.to_bytes((size.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + length + body


def _der_integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


RSA_ENCRYPTION = bytes.fromhex("06092a864886f70d010101") + bytes.fromhex("0500")


def public_record(key: DkimKey) -> str:
    """The TXT record that publishes ``key``'s public half (as dknewkey writes it)."""
    if key.algorithm == "ed25519":
        import nacl.signing

        seed = base64.b64decode(key.private_key)
        public = nacl.signing.SigningKey(seed).verify_key.encode()
        return f"v=DKIM1; k=ed25519; p={base64.b64encode(public).decode()}"
    numbers = dkim.crypto.parse_pem_private_key(key.private_key)
    inner = _der(0x30, _der_integer(numbers["modulus"]) + _der_integer(numbers["publicExponent"]))
    spki = _der(0x30, _der(0x30, RSA_ENCRYPTION) + _der(0x03, b"\0" + inner))
    return f"v=DKIM1; k=rsa; h=sha256; p={base64.b64encode(spki).decode()}"
