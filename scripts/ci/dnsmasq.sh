#!/usr/bin/env bash
# Debian's dnsmasq as the tests' DNS server (tests/functional/test_doctor.py): only the
# program (dnsmasq-base, no service), which each test starts itself on 127.0.0.1 and a
# free port with the zone it needs (--txt-record, --mx-host). Nothing is started here.
# Idempotent and quick when dnsmasq is already there; runs as root with no stdin (CI=true).
set -euo pipefail

if command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }
apt_get update >/dev/null
apt_get install --no-install-recommends dnsmasq-base >/dev/null
DNSMASQ="$(command -v dnsmasq || echo /usr/sbin/dnsmasq)"
echo "dnsmasq: $("$DNSMASQ" --version | head -1)"
