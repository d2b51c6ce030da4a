#!/usr/bin/env bash
# The openssl command, which tests/functional/test_send_transport.py uses to make a self-signed
# certificate for its STARTTLS and implicit-TLS tests against aiosmtpd on loopback.
# Idempotent and quick when openssl is already there; runs as root with no stdin (CI=true).
set -euo pipefail

if command -v openssl >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }
apt_get update >/dev/null
apt_get install --no-install-recommends openssl >/dev/null
command -v openssl >/dev/null
echo "openssl: $(openssl version)"
