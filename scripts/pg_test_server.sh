#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL cluster for gisplan's store tests and print its URL.
#
#   export GISPLAN_TEST_PG_URL="$(scripts/pg_test_server.sh)"      # start or reuse, print URL
#   scripts/pg_test_server.sh stop                                  # stop the server
#   scripts/pg_test_server.sh destroy                               # stop it and delete the cluster
#
# Idempotent: a second run finds the running server and prints the same URL.  The cluster lives
# in $GISPLAN_PG_DIR (default /tmp/gisplan-pg-test), listens on 127.0.0.1 only, on a free port
# chosen at first start (kept in $GISPLAN_PG_DIR/port), with its Unix socket inside the cluster
# directory.  It has a role and database "gisplan" (password "gisplan": a test server, nothing
# secret), and the postgis extension when the Debian postgis package is installed.
#
# Works as root (CI): the server then runs as the "postgres" system user, since PostgreSQL
# refuses to run as root.  As an ordinary user it runs as that user.
# PostgreSQL binaries: $PG_BIN, else the newest /usr/lib/postgresql/*/bin.
# Only the URL goes to stdout; progress and errors go to stderr.
set -euo pipefail

DIR="${GISPLAN_PG_DIR:-/tmp/gisplan-pg-test}"
DATA="$DIR/data"
DB_NAME=gisplan
DB_USER=gisplan
DB_PASS=gisplan

log() { echo "pg_test_server: $*" >&2; }

if [[ -z "${PG_BIN:-}" ]]; then
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
fi
if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" ]]; then
    log "no PostgreSQL binaries found (set PG_BIN or apt-get install postgresql)"
    exit 1
fi

# Run a command as the cluster owner.
if [[ "$(id -u)" == 0 ]]; then
    OWNER=postgres
    as_owner() { runuser -u "$OWNER" -- "$@"; }
else
    OWNER="$(id -un)"
    as_owner() { "$@"; }
fi

pgctl() { as_owner "$PG_BIN/pg_ctl" -D "$DATA" "$@"; }
is_running() { [[ -f "$DATA/PG_VERSION" ]] && pgctl status >/dev/null 2>&1; }
psql_admin() {
    # psql_admin DBNAME [ARGS...]: superuser connection over the cluster's own Unix socket.
    local db="$1"
    shift
    as_owner "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$(cat "$DIR/port")" \
        -U "$OWNER" -d "$db" "$@"
}

case "${1:-start}" in
    stop)
        if is_running; then pgctl stop -m fast >&2; fi
        exit 0
        ;;
    destroy)
        if is_running; then pgctl stop -m fast >&2; fi
        rm -rf "$DIR"
        exit 0
        ;;
    start) ;;
    *)
        log "usage: $0 [start|stop|destroy]"
        exit 2
        ;;
esac

if [[ ! -f "$DATA/PG_VERSION" ]]; then
    log "initialising a cluster in $DATA"
    rm -rf "$DIR"
    mkdir -p "$DIR"
    chown "$OWNER" "$DIR"
    chmod 700 "$DIR"
    python3 - >"$DIR/port" <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
    as_owner "$PG_BIN/initdb" -D "$DATA" -U "$OWNER" --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2
fi
PORT="$(cat "$DIR/port")"

if ! is_running; then
    log "starting the server on 127.0.0.1:$PORT"
    pgctl -w -l "$DIR/server.log" \
        -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR -c fsync=on" \
        start >&2 || {
        log "server did not start; log follows"
        tail -n 30 "$DIR/server.log" >&2
        exit 1
    }
fi

# Role, database and (optionally) PostGIS: each step is a no-op when already done.
psql_admin postgres <<EOF
SELECT 'CREATE ROLE $DB_USER LOGIN PASSWORD ''$DB_PASS'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') \gexec
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME') \gexec
EOF
if psql_admin "$DB_NAME" -tAc \
    "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'" | grep -q 1; then
    psql_admin "$DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS postgis" >&2
else
    log "postgis extension not available; continuing without it"
fi

echo "postgresql://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB_NAME"
