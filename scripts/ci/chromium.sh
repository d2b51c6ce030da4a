#!/usr/bin/env bash
# Install Debian's chromium for the static site's browser tests (tests/integration/test_site_browser.py).
# Idempotent and quick when chromium is already there; runs as root with no stdin (CI=true).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }
apt_get update >/dev/null
# fonts-noto-cjk: the sample issues carry Chinese names, which should not render as boxes.
apt_get install --no-install-recommends chromium fonts-liberation fonts-noto-cjk >/dev/null
command -v chromium >/dev/null
echo "chromium: $(chromium --version 2>/dev/null || echo installed)"
