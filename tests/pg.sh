#!/usr/bin/env bash
# Installs (Debian package) and starts a throwaway PostgreSQL on loopback for the test suite and benchmarks.
# Usage: eval "$(bash tests/pg.sh start)"   -> exports DIALER_TEST_PG_URL
#        bash tests/pg.sh stop
# Honours an existing DIALER_TEST_PG_URL (then it does nothing). Diagnostics go to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
port="${DIALER_TEST_PG_PORT:-55432}"
data="${DIALER_TEST_PG_DIR:-$here/var/pgtest}"
url="postgresql+asyncpg://dialer:dialer@127.0.0.1:${port}/dialer_test"

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

as_owner() {
  # PostgreSQL refuses to run as root: run it as the postgres system user when we are root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  if [ -n "${DIALER_TEST_PG_URL:-}" ]; then echo "export DIALER_TEST_PG_URL='$DIALER_TEST_PG_URL'"; return; fi
  local bin
  if ! bin="$(find_bin)"; then
    echo "tests/pg.sh: installing Debian postgresql" >&2
    if [ "$(id -u)" != 0 ]; then echo "tests/pg.sh: need root to install postgresql" >&2; exit 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin="$(find_bin)"
  fi
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    # A server already listens there (another checkout's, or a CI service): reuse it.
    ensure_db "$bin"
    echo "export DIALER_TEST_PG_URL='$url'"
    return
  fi
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$data"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
CONF
  fi
  if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null
  fi
  ensure_db "$bin"
  echo "export DIALER_TEST_PG_URL='$url'"
}

ensure_db() {
  local psql=("$1/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qtA)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='dialer'")" != 1 ]; then
    "${psql[@]}" -c "create role dialer login superuser password 'dialer'" >/dev/null
  fi
  if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='dialer_test'")" != 1 ]; then
    "${psql[@]}" -c "create database dialer_test owner dialer" >/dev/null
  fi
}

stop() {
  local bin
  bin="$(find_bin)" || exit 0
  [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
