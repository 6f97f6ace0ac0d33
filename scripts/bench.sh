#!/usr/bin/env bash
# Builds the server and the benchmarks in Release and runs them; prints the figures.
#   scripts/bench.sh [all|feeds|throughput] [throughput options]
#     feeds       live-feed latency (also across two PostgreSQL replicas) and idle-stream memory
#     memory      only the idle-stream memory, in about a minute (options: N streams, default 10000;
#                 --baseline old/timely-server.dll, both builds in one run; --gcdump DIR, heap dumps with the streams open)
#     throughput  req/s of the RPCs against a bare grpc-dotnet server, on SQLite and a throwaway PostgreSQL
#                 (options: --baseline path/to/old/timely-server.dll to compare two builds side by side,
#                  --rounds N to alternate their order, --seconds S, --warm-up S, --stores LIST;
#                  see bench/Timely.Bench/ThroughputBenchmark.cs)
#     search      SearchMessages p50/p99 over N generated messages on SQLite, or with --postgres (first) on a
#                 throwaway PostgreSQL (options: N, default 1000000; --baseline old/timely-server.dll, same database)
#     webhooks    webhook events/s to a local receiver (options: N, default 5000; --baseline old/timely-server.dll)
#     feeds --fanout-only [--baseline old/timely-server.dll]
#                 only the fan-out latency rows (1/100/1,000 subscribers, with server and client CPU per delivered
#                 message), no PostgreSQL; with a baseline, each row on the old build, then on this one, in one run
#     all         feeds and throughput (the default)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
[ $# -eq 0 ] || shift
case "$what" in
  all | feeds | memory | throughput | search | webhooks) ;;
  *) echo "usage: $0 [all|feeds|memory|throughput|search|webhooks] [throughput options | N]" >&2; exit 2 ;;
esac

dotnet build -c Release src/Timely.Server --verbosity quiet
dotnet build -c Release bench/Timely.Bench --verbosity quiet

if [ "$what" = search ] && [ "${1:-}" = --postgres ]; then
  # Search on PostgreSQL: a throwaway cluster of its own, stopped however the run ends.
  shift
  pg_port=${TIMELY_BENCH_PG_PORT:-54339}
  trap 'bash scripts/postgres.sh stop "$pg_port"' EXIT
  trap 'exit 130' INT TERM
  bash scripts/postgres.sh start "$pg_port" >/dev/null
  dotnet run -c Release --no-build --project bench/Timely.Bench -- search "$@" --postgres-port "$pg_port"
  exit
fi
if [ "$what" = search ] || [ "$what" = webhooks ] || [ "$what" = memory ]; then
  exec dotnet run -c Release --no-build --project bench/Timely.Bench -- "$what" "$@"
fi

if [ "$what" = feeds ] && [ "${1:-}" = --fanout-only ]; then
  exec dotnet run -c Release --no-build --project bench/Timely.Bench -- feeds "$@"
fi

# A throwaway PostgreSQL of its own (not the tests' port 54329), stopped however the run ends: the feeds'
# cross-replica figures and the throughput benchmark's PostgreSQL rows.
pg_port=${TIMELY_BENCH_PG_PORT:-54339}
trap 'bash scripts/postgres.sh stop "$pg_port"' EXIT
trap 'exit 130' INT TERM
bash scripts/postgres.sh start "$pg_port" >/dev/null

if [ "$what" != throughput ]; then
  dotnet run -c Release --no-build --project bench/Timely.Bench -- feeds --postgres-port "$pg_port"
fi

if [ "$what" != feeds ]; then
  command -v h2load >/dev/null || { echo "h2load is missing: run scripts/install-deps.sh" >&2; exit 1; }
  dotnet build -c Release bench/BareServer --verbosity quiet
  # The library that makes one h2load send the bodies of the rows on many conversations in turn (bench/h2load-rotate).
  mkdir -p bench/h2load-rotate/bin
  gcc -shared -fPIC -O2 -Wall -o bench/h2load-rotate/bin/rotate.so bench/h2load-rotate/rotate.c
  TIMELY_BENCH_H2LOAD_ROTATE="$PWD/bench/h2load-rotate/bin/rotate.so" \
    dotnet run -c Release --no-build --project bench/Timely.Bench -- throughput --postgres-port "$pg_port" "$@"
fi
