#!/usr/bin/env bash
# newsboat, the feed reader bench/bench_fetch.py measures newsdesk against (Debian's
# package). Only the benchmark uses it, never the tests. Idempotent and quick when
# newsboat is already there; runs as root with no stdin (CI=true).
set -euo pipefail

if command -v newsboat >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }
apt_get update >/dev/null
apt_get install --no-install-recommends newsboat >/dev/null
command -v newsboat >/dev/null
echo "newsboat: $(newsboat --version | head -n 1)"
