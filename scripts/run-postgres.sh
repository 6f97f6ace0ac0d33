#!/usr/bin/env bash
# Tries the service on PostgreSQL: starts a throwaway local cluster (scripts/postgres.sh), creates the
# database `timely` if missing, and runs the server against it. Extra arguments go to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
server=$(bash scripts/postgres.sh start | tail -n 1)
port=$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$server")
psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = 'timely'" | grep -q 1 \
  || psql "host=127.0.0.1 port=$port user=postgres dbname=postgres" -qc "CREATE DATABASE timely"
echo "PostgreSQL on 127.0.0.1:$port, database timely (stop it with: bash scripts/postgres.sh stop)"
export Storage__Provider=postgres
export ConnectionStrings__Timely="Host=127.0.0.1;Port=$port;Username=postgres;Database=timely"
exec dotnet run --project src/Timely.Server -- "$@"
