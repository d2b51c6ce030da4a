#!/usr/bin/env bash
# tmux, the real terminal tests/integration/test_desk_terminal.py types into (Debian's
# package). Idempotent and quick when tmux is already there; runs as root with no stdin
# (CI=true).
set -euo pipefail

if command -v tmux >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }
apt_get update >/dev/null
apt_get install --no-install-recommends tmux >/dev/null
command -v tmux >/dev/null
echo "tmux: $(tmux -V)"
