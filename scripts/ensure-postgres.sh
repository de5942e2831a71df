#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for user postgres, then print its URL.
#
# Why: clusterhub's tests run every storage test on SQLite and on PostgreSQL; on a fresh Debian or
# Ubuntu machine (a CI runner, a dev container) this gets the server there in one step.
#
#   sudo scripts/ensure-postgres.sh                       # prints the URL on stdout
#   export CLUSTERHUB_TEST_POSTGRES_URL="$(sudo scripts/ensure-postgres.sh)"
#
# What it does, in order, and stops at the first step that suffices:
#   1. a server already answers (pg_isready): nothing is changed at all;
#   2. PostgreSQL is installed but stopped: its first cluster is started (if none exists, one is
#      created and configured as in 3.);
#   3. PostgreSQL is not installed: apt-get installs it, and the new cluster is set to trust user
#      postgres on the loopback interface only (127.0.0.1 and ::1), then started.
# Trust on loopback means any local user may connect as postgres without a password: fine for a
# test machine or a container, not for a shared server. An existing installation's
# authentication is never changed; if it asks for a password, give the URL with one yourself
# (postgresql+psycopg://postgres:PASSWORD@127.0.0.1:5432/postgres).
# Safe to run again: every step checks first.
set -euo pipefail

HOST=127.0.0.1
PORT=5432
URL="postgresql+psycopg://postgres@${HOST}:${PORT}/postgres"
MARK="# added by clusterhub scripts/ensure-postgres.sh"

say() { echo "ensure-postgres: $*" >&2; }
die() { say "$*"; exit 1; }
ready() { pg_isready -q -h "$HOST" -p "$PORT" 2>/dev/null; }
need_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root; run: sudo $0"; }

wait_ready() {
    for _ in $(seq 1 60); do
        ready && return 0
        sleep 0.5
    done
    pg_lsclusters >&2 2>/dev/null || true
    die "PostgreSQL did not accept connections on ${HOST}:${PORT} within 30 s"
}

newest_version() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1; }

trust_loopback() {
    # Only for a cluster this script installed or created: put trust lines for postgres on loopback first.
    local version=$1 hba
    hba=$(find "/etc/postgresql/${version}/main" -name pg_hba.conf | head -1)
    [ -n "$hba" ] || die "no pg_hba.conf for cluster ${version}/main"
    if ! grep -qF "$MARK" "$hba"; then
        local tmp
        tmp=$(mktemp)
        {
            echo "$MARK"
            echo "host    all    postgres    127.0.0.1/32    trust"
            echo "host    all    postgres    ::1/128         trust"
            cat "$hba"
        } >"$tmp"
        cat "$tmp" >"$hba" # keep the file's owner and mode
        rm -f "$tmp"
        say "trusting user postgres on loopback in $hba"
    fi
}

start_cluster() {
    local version mode=${1:-existing}
    version=$(ls /etc/postgresql 2>/dev/null | head -1)
    if [ -z "$version" ]; then
        version=$(newest_version)
        [ -n "$version" ] || die "PostgreSQL binaries not found under /usr/lib/postgresql"
        say "creating cluster ${version}/main on port ${PORT}"
        pg_createcluster --port "$PORT" "$version" main >&2
        mode=fresh # a cluster this script made is its own to configure
    fi
    if [ "$mode" = "fresh" ]; then
        trust_loopback "$version"
    fi
    say "starting cluster ${version}/main"
    # "already running" is not an error here: the port may simply differ (reported by wait_ready)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
    if [ "$mode" = "fresh" ]; then
        pg_ctlcluster --skip-systemctl-redirect "$version" main reload >&2 || true
    fi
}

if ready; then
    say "a server already answers on ${HOST}:${PORT}; nothing changed"
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -n "$(newest_version)" ]; then
    need_root "starting PostgreSQL"
    start_cluster
    wait_ready
else
    need_root "installing PostgreSQL"
    say "installing PostgreSQL with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y postgresql >&2
    start_cluster fresh
    wait_ready
fi

if command -v psql >/dev/null 2>&1 &&
    ! psql -h "$HOST" -p "$PORT" -U postgres -d postgres -w -Atc 'select 1' >/dev/null 2>&1; then
    say "the server answers but refused user postgres without a password;"
    say "set CLUSTERHUB_TEST_POSTGRES_URL=postgresql+psycopg://postgres:PASSWORD@${HOST}:${PORT}/postgres"
fi
echo "$URL"
