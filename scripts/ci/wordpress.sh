#!/usr/bin/env bash
# A real WordPress on loopback for tests/integration/test_wordpress.py, from Debian's packages.
#
# Installs wordpress, PHP and MariaDB (apt), starts MariaDB on a private socket and PHP's
# built-in server on 127.0.0.1:$NEWSDESK_WP_PORT, installs the site without a browser,
# creates an editor with an application password, and writes URL, user and password to
# $NEWSDESK_WP_DIR/env for the tests. Idempotent: when the site already answers with the
# recorded password it only says so. Runs as root with no stdin (CI=true).
set -euo pipefail

PORT="${NEWSDESK_WP_PORT:-8089}"
DIR="${NEWSDESK_WP_DIR:-/tmp/newsdesk-wp}"
HOST="127.0.0.1"
URL="http://$HOST:$PORT"
ENV_FILE="$DIR/env"
SOCKET="$DIR/mysql/mysqld.sock"
WP=/usr/share/wordpress
EDITOR_USER=newsdesk
CONTRIBUTOR_USER=newsdesk-contributor  # may write drafts but not publish: for the refusal tests

log() { echo "wordpress.sh: $*" >&2; }

# The site answers and the recorded application password is accepted: nothing to do.
if [[ -f "$ENV_FILE" ]] && grep -q NEWSDESK_WP_CONTRIBUTOR_PASSWORD "$ENV_FILE"; then
    # shellcheck disable=SC1090
    source "$ENV_FILE"
    if curl -fsS -m 5 -u "$NEWSDESK_WP_USER:$NEWSDESK_WP_PASSWORD" \
        "$NEWSDESK_WP_URL/?rest_route=/wp/v2/users/me" >/dev/null 2>&1; then
        log "already running at $NEWSDESK_WP_URL"
        exit 0
    fi
fi

# 1. Packages. policy-rc.d keeps apt from starting apache2 and MariaDB as services: we
#    start what we need ourselves, as the right user, on loopback only.
# The theme: without one (it is only a Recommends) every public page is empty.
THEME=$WP/wp-content/themes/twentytwentythree
if ! command -v mariadbd >/dev/null || ! command -v php >/dev/null || [[ ! -f $WP/wp-load.php ]] || [[ ! -d $THEME ]]; then
    export DEBIAN_FRONTEND=noninteractive
    made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    apt-get -o DPkg::Lock::Timeout=600 -y -q update >/dev/null
    apt-get -o DPkg::Lock::Timeout=600 -y -q install --no-install-recommends \
        wordpress wordpress-theme-twentytwentythree php-cli php-mysql mariadb-server curl >/dev/null
    if [[ $made_policy == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
fi

mkdir -p "$DIR"
chmod 755 "$DIR"

# 2. MariaDB: its own data folder owned by mysql (it refuses to run as root), no TCP.
if ! mariadb --socket="$SOCKET" -u root -e 'SELECT 1' >/dev/null 2>&1; then
    if [[ ! -d "$DIR/mysql/data/mysql" ]]; then
        rm -rf "$DIR/mysql"
        mkdir -p "$DIR/mysql/data"
        chown -R mysql:mysql "$DIR/mysql"
        mariadb-install-db --user=mysql --datadir="$DIR/mysql/data" \
            --auth-root-authentication-method=socket --skip-test-db >"$DIR/mariadb-install.log" 2>&1
    fi
    chown -R mysql:mysql "$DIR/mysql"
    setsid nohup mariadbd --user=mysql --datadir="$DIR/mysql/data" --socket="$SOCKET" \
        --pid-file="$DIR/mysql/mariadbd.pid" --skip-networking --skip-log-bin \
        --innodb-buffer-pool-size=64M >"$DIR/mariadbd.log" 2>&1 </dev/null &
    for _ in $(seq 1 100); do
        mariadb --socket="$SOCKET" -u root -e 'SELECT 1' >/dev/null 2>&1 && break
        sleep 0.2
    done
    mariadb --socket="$SOCKET" -u root -e 'SELECT 1' >/dev/null || { log "MariaDB did not start; see $DIR/mariadbd.log"; exit 1; }
fi

# 3. The database and WordPress's config for this host (Debian's wp-config.php loads
#    /etc/wordpress/config-<host>.php, the port stripped).
DB_PASSWORD_FILE="$DIR/db-password"
[[ -s $DB_PASSWORD_FILE ]] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DB_PASSWORD_FILE"; chmod 600 "$DB_PASSWORD_FILE"; }
DB_PASSWORD="$(cat "$DB_PASSWORD_FILE")"
mariadb --socket="$SOCKET" -u root <<SQL
CREATE DATABASE IF NOT EXISTS newsdesk_wp CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'newsdesk_wp'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER 'newsdesk_wp'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON newsdesk_wp.* TO 'newsdesk_wp'@'localhost';
FLUSH PRIVILEGES;
SQL

mkdir -p /etc/wordpress
salt() { head -c 48 /dev/urandom | base64 | tr -d '/+=\n'; }
CONFIG="/etc/wordpress/config-$HOST.php"
cat >"$CONFIG.tmp" <<PHP
<?php
// Written by newsdesk's scripts/ci/wordpress.sh: a test site on loopback only.
define('DB_NAME', 'newsdesk_wp');
define('DB_USER', 'newsdesk_wp');
define('DB_PASSWORD', '$DB_PASSWORD');
define('DB_HOST', 'localhost:$SOCKET');
define('DB_CHARSET', 'utf8mb4');
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
// Application passwords work without HTTPS only in a local environment.
define('WP_ENVIRONMENT_TYPE', 'local');
// Nothing may wait on the outside world: no update checks, no cron requests.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('AUTH_KEY', '$(salt)');
define('SECURE_AUTH_KEY', '$(salt)');
define('LOGGED_IN_KEY', '$(salt)');
define('NONCE_KEY', '$(salt)');
define('AUTH_SALT', '$(salt)');
define('SECURE_AUTH_SALT', '$(salt)');
define('LOGGED_IN_SALT', '$(salt)');
define('NONCE_SALT', '$(salt)');
PHP
# Keep the old keys when the file exists, so running again does not log anyone out.
if [[ -f $CONFIG ]] && grep -q newsdesk "$CONFIG" && grep -q "'$DB_PASSWORD'" "$CONFIG"; then
    rm -f "$CONFIG.tmp"
else
    mv "$CONFIG.tmp" "$CONFIG"
fi
chmod 644 "$CONFIG"

# 4. PHP's built-in server. Debian's layout needs more than one worker: the installer
#    and the site health checks request the site from inside a request.
if ! curl -fsS -m 5 -o /dev/null "$URL/wp-includes/version.php" 2>/dev/null \
    && ! curl -sS -m 5 -o /dev/null "$URL/" 2>/dev/null; then
    PHP_CLI_SERVER_WORKERS=4 setsid nohup php -S "$HOST:$PORT" -t "$WP" \
        >"$DIR/php-server.log" 2>&1 </dev/null &
    echo $! >"$DIR/php-server.pid"
    for _ in $(seq 1 50); do
        curl -sS -m 2 -o /dev/null "$URL/" 2>/dev/null && break
        sleep 0.2
    done
fi
curl -sS -m 5 -o /dev/null "$URL/" || { log "PHP's server did not start on $URL; see $DIR/php-server.log"; exit 1; }

# 5. Install the site the way the installer's form does, unless it is installed.
ADMIN_PASSWORD_FILE="$DIR/admin-password"
[[ -s $ADMIN_PASSWORD_FILE ]] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$ADMIN_PASSWORD_FILE"; chmod 600 "$ADMIN_PASSWORD_FILE"; }
if ! mariadb --socket="$SOCKET" -u root -N -e "SELECT 1 FROM newsdesk_wp.wp_options WHERE option_name='siteurl'" 2>/dev/null | grep -q 1; then
    curl -fsS -m 120 -o "$DIR/install.html" "$URL/wp-admin/install.php?step=2" \
        --data-urlencode "weblog_title=Newsdesk test blog" \
        --data-urlencode "user_name=admin" \
        --data-urlencode "admin_password=$(cat "$ADMIN_PASSWORD_FILE")" \
        --data-urlencode "admin_password2=$(cat "$ADMIN_PASSWORD_FILE")" \
        --data-urlencode "pw_weak=1" \
        --data-urlencode "admin_email=admin@newsdesk.invalid" \
        --data-urlencode "blog_public=0" \
        --data-urlencode "language="
    grep -q "wp-login.php" "$DIR/install.html" || { log "the site did not install; see $DIR/install.html"; exit 1; }
fi

# 6. An editor (not an administrator: what newsdesk needs is to write posts and terms),
#    and a contributor, each with a fresh application password made by WordPress's API.
cat >"$DIR/app-password.php" <<'PHP'
<?php
$_SERVER['HTTP_HOST'] = getenv('WP_HOST');
$_SERVER['REQUEST_URI'] = '/';
require '/usr/share/wordpress/wp-load.php';
$login = getenv('WP_LOGIN');
$user = get_user_by('login', $login);
if (!$user) {
    $id = wp_insert_user([
        'user_login' => $login,
        'user_pass' => wp_generate_password(32),
        'user_email' => $login . '@newsdesk.invalid',
        'role' => getenv('WP_ROLE'),
    ]);
    if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message() . "\n"); exit(1); }
    $user = get_user_by('id', $id);
}
if (!wp_is_application_passwords_available_for_user($user)) {
    fwrite(STDERR, "application passwords are not available (WP_ENVIRONMENT_TYPE?)\n");
    exit(1);
}
WP_Application_Passwords::delete_all_application_passwords($user->ID);
$made = WP_Application_Passwords::create_new_application_password($user->ID, ['name' => 'newsdesk tests']);
if (is_wp_error($made)) { fwrite(STDERR, $made->get_error_message() . "\n"); exit(1); }
echo $made[0];
PHP
APP_PASSWORD="$(WP_HOST="$HOST:$PORT" WP_LOGIN="$EDITOR_USER" WP_ROLE=editor php "$DIR/app-password.php")"
CONTRIBUTOR_PASSWORD="$(WP_HOST="$HOST:$PORT" WP_LOGIN="$CONTRIBUTOR_USER" WP_ROLE=contributor php "$DIR/app-password.php")"

umask 077
cat >"$ENV_FILE.tmp" <<ENV
NEWSDESK_WP_URL=$URL
NEWSDESK_WP_USER=$EDITOR_USER
NEWSDESK_WP_PASSWORD='$APP_PASSWORD'
NEWSDESK_WP_CONTRIBUTOR=$CONTRIBUTOR_USER
NEWSDESK_WP_CONTRIBUTOR_PASSWORD='$CONTRIBUTOR_PASSWORD'
ENV
mv "$ENV_FILE.tmp" "$ENV_FILE"

curl -fsS -m 10 -u "$EDITOR_USER:$APP_PASSWORD" "$URL/?rest_route=/wp/v2/users/me" >/dev/null \
    || { log "the REST API refused the new application password"; exit 1; }
log "WordPress at $URL, user $EDITOR_USER; credentials in $ENV_FILE"
