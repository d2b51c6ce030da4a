#!/usr/bin/env bash
# Debian's dovecot as the bounce mailbox of the tests (tests/functional/test_bounces.py):
# an IMAP server on 127.0.0.1:10143 only (no TLS: loopback), one user, its mail in
# $DIR/mail. Idempotent: installs the package if missing, writes the config, and starts
# the instance unless it already answers. Runs as root (CI=true); the tests run it too
# when dovecot is installed but the instance is not running.
#
# The test user: bounces / bounces-password (NEWSDESK_TEST_IMAP_* override them).
set -euo pipefail

DIR="${NEWSDESK_DOVECOT_DIR:-/var/lib/newsdesk-dovecot}"
PORT="${NEWSDESK_TEST_IMAP_PORT:-10143}"
USER_NAME="${NEWSDESK_TEST_IMAP_USER:-bounces}"
PASSWORD="${NEWSDESK_TEST_IMAP_PASSWORD:-bounces-password}"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }
    apt_get update >/dev/null
    apt_get install --no-install-recommends dovecot-imapd >/dev/null
fi
DOVECOT="$(command -v dovecot || echo /usr/sbin/dovecot)"

if answers; then
    exit 0
fi

# The mail belongs to an unprivileged user of its own.
if ! id newsdesk-mail >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir "$DIR/mail" --shell /usr/sbin/nologin newsdesk-mail
fi
mkdir -p "$DIR/mail" "$DIR/run"
chown newsdesk-mail:newsdesk-mail "$DIR/mail"
printf '%s:{PLAIN}%s\n' "$USER_NAME" "$PASSWORD" >"$DIR/users"
chmod 640 "$DIR/users"
chgrp dovecot "$DIR/users" 2>/dev/null || true
uid="$(id -u newsdesk-mail)"
gid="$(id -g newsdesk-mail)"

cat >"$DIR/dovecot.conf" <<CONF
# Written by scripts/ci/dovecot.sh: the tests' IMAP server, loopback only.
instance_name = newsdesk-test
base_dir = $DIR/run
state_dir = $DIR/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = $DIR/dovecot.log
mail_location = maildir:$DIR/mail/%u
first_valid_uid = $uid
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$DIR/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
CONF
mkdir -p "$DIR/state"

"$DOVECOT" -c "$DIR/dovecot.conf"
for _ in $(seq 1 100); do
    if answers; then
        echo "dovecot: $("$DOVECOT" --version) on 127.0.0.1:$PORT (user $USER_NAME)"
        exit 0
    fi
    sleep 0.1
done
echo "dovecot did not start; see $DIR/dovecot.log" >&2
tail -20 "$DIR/dovecot.log" >&2 || true
exit 1
