#!/usr/bin/env bash
# A throwaway local PostgreSQL on loopback, with its own port and data folder (Debian's postgresql
# package; scripts/install-deps.sh installs it). Idempotent: starting a running cluster does nothing.
#   scripts/postgres.sh start [PORT]   prints the connection string on its last line
#   scripts/postgres.sh stop [PORT]
# Durability is off (fsync=off): this cluster is for tests and for trying the service, not for data.
set -euo pipefail
command=${1:-start}
port=${2:-${TIMELY_PG_PORT:-54329}}
dir="${TIMELY_PG_DIR:-${TMPDIR:-/tmp}/timely-postgres-$port}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed: run scripts/install-deps.sh" >&2; exit 1; }

# The server refuses to run as root: as root, run it as the postgres user the package created.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case "$command" in
  start)
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
      chmod 700 "$dir"
      as_owner "'$bin/initdb' -D '$dir' --auth=trust --username=postgres --no-sync --encoding=UTF8 --locale=C.UTF-8" >/dev/null
    fi
    if ! as_owner "'$bin/pg_ctl' -D '$dir' status" >/dev/null 2>&1; then
      as_owner "'$bin/pg_ctl' -D '$dir' -w -t 30 -l '$dir/server.log' -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500\" start" >/dev/null
    fi
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    ;;
  stop)
    if [ -f "$dir/PG_VERSION" ]; then
      as_owner "'$bin/pg_ctl' -D '$dir' -w -m fast stop" >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: $0 start|stop [PORT]" >&2
    exit 2
    ;;
esac
