"""Debian's dnsmasq as a real DNS server on loopback, holding the zone a test gives it.

scripts/ci/dnsmasq.sh installs the program (no service); each test starts its own
``dnsmasq --no-daemon`` on 127.0.0.1 and a free port with ``--txt-record``,
``--mx-host`` and ``--host-record``, authoritative (``--local``) for its domains, so a
name it lacks is NXDOMAIN rather than a question for some upstream server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable

import dns.exception
import dns.resolver
import pytest
from smtp_server import free_port


def dnsmasq_program() -> str:
    found = shutil.which("dnsmasq") or ("/usr/sbin/dnsmasq" if os.path.exists("/usr/sbin/dnsmasq") else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("dnsmasq is missing: scripts/ci/dnsmasq.sh installs it")
        pytest.skip("dnsmasq is needed (scripts/ci/dnsmasq.sh installs it)")
    return found


def txt(name: str, value: str) -> str:
    """A --txt-record option: the value cut into strings of 255 characters (a TXT string's
    most), which a resolver joins again. The value must hold no comma."""
    assert "," not in value, value
    strings = [value[start : start + 255] for start in range(0, len(value), 255)] or [""]
    return f"--txt-record={name}," + ",".join(strings)


class Dnsmasq:
    """``dnsmasq`` answering for ``domains`` from ``records`` (its options) until the block ends."""

    def __init__(self, domains: Iterable[str], records: Iterable[str]) -> None:
        self.domains = list(domains)
        self.port = free_port()
        self.args = [
            dnsmasq_program(),
            "--no-daemon",
            f"--port={self.port}",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            "--conf-file=/dev/null",
            "--pid-file=",
            *(f"--local=/{domain}/" for domain in self.domains),
            *records,
        ]
        self.process: subprocess.Popen | None = None

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.lifetime = 2
        return resolver

    def __enter__(self) -> Dnsmasq:
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        resolver = self.resolver()
        resolver.lifetime = 0.2  # ask again soon while it is starting
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"dnsmasq exited: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                resolver.resolve(f"ready.{self.domains[0]}", "A")
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                break  # an answer: it is listening
            except (dns.exception.DNSException, OSError):
                if time.monotonic() > deadline:
                    self.__exit__()  # never left running
                    raise RuntimeError("dnsmasq did not answer") from None
                time.sleep(0.05)
            else:
                break
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(10)
        if self.process.stderr:
            self.process.stderr.close()
