#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what the tests need, checks the
# contracts and the generated code, then runs the .NET, JavaScript and Python suites.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# A section's heading, with how far into the run it starts (where the minutes go).
section() { printf '== %s (%dm%02ds into the run)\n' "$1" $((SECONDS / 60)) $((SECONDS % 60)); }

bash scripts/install-deps.sh
export PATH="$root/node_modules/.bin:$PATH"   # buf finds its plugins (protoc-gen-es) on PATH

section "Contracts: buf lint, no break of the released contract, one version, deploy/ manifests, generated code up to date"
bash scripts/contract.sh
bash scripts/version.sh
node tests/deploy/validate-manifests.mjs
buf generate
if [ -e .git ] && [ -n "$(git status --porcelain -- clients)" ]; then
  git status --porcelain -- clients
  echo "buf generate changed the committed generated code: run 'npx buf generate' and commit the result." >&2
  exit 1
fi

# Runs one suite with its output also appended to test-output/LOG; a failing suite ends the run.
mkdir -p test-output
rm -f test-output/*.log test-output/figures.txt
export TIMELY_TEST_OUTPUT="$root/test-output"   # tests that measure something write their figures there
run_suite() {
  local log=$1 name=$2 status=0
  shift 2
  "$@" 2>&1 | tee -a "test-output/$log" || status=$?   # pipefail: the suite's status, not tee's
  [ "$status" -eq 0 ] || { echo "$name failed" >&2; exit "$status"; }
}

section ".NET: build, publish (what the container image runs), test on SQLite"
dotnet build Timely.Grpc.sln -c Release --no-restore -warnaserror --verbosity quiet
bash scripts/publish.sh test-output/publish
export TIMELY_PUBLISHED_SERVER="$root/test-output/publish"
run_suite dotnet.log ".NET tests" dotnet test Timely.Grpc.sln -c Release --no-build --logger "console;verbosity=minimal"

section ".NET: the C# client SDK packs"
dotnet pack clients/csharp/Timely.Client -c Release --no-build --verbosity quiet -o test-output/packages
ls "test-output/packages/Timely.Client.$(cat VERSION).nupkg"

section "The three SDK packages install outside the repository as their READMEs say"
run_suite packages.log "SDK packages" bash scripts/check-packages.sh test-output/packages

section ".NET: the service suite again on PostgreSQL (with replica and fault tests)"
pg_port=${TIMELY_PG_PORT:-54329}
trap 'bash scripts/postgres.sh stop "$pg_port"' EXIT
export TIMELY_TEST_POSTGRES
TIMELY_TEST_POSTGRES=$(bash scripts/postgres.sh start "$pg_port" | tail -n 1)
run_suite dotnet.log ".NET tests on PostgreSQL" dotnet test tests/Timely.Server.Tests -c Release --no-build --logger "console;verbosity=minimal"
unset TIMELY_TEST_POSTGRES

export TIMELY_SERVER_DLL="$root/src/Timely.Server/bin/Release/net10.0/timely-server.dll"
section "clients/js: the JS/TS SDK (Node, grpc-web) and the inbox page in Chromium"
run_suite js.log "JS tests" bash clients/js/test.sh

section "clients/python: the Python SDK"
run_suite python.log "Python tests" bash clients/python/test.sh

section "SDK scenarios: the results of the C#, JS and Python runners of tests/sdk-scenarios in one table"
run_suite scenarios.log "SDK scenarios" node tests/sdk-scenarios/table.mjs

[ ! -f test-output/figures.txt ] || cat test-output/figures.txt
# One plain closing line for the whole run.
passed=$(grep -oE 'Passed: +[0-9]+' test-output/dotnet.log | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' test-output/dotnet.log | awk '{s+=$2} END {print s+0}')
js_passed=$(grep -oE '^# pass [0-9]+' test-output/js.log | awk '{print $3}')
python_passed=$(grep -oE '[0-9]+ passed' test-output/python.log | tail -n 1 | awk '{print $1}')
section "done"
echo "dotnet: $passed passed, $failed failed; js: ${js_passed:-0} passed; python: ${python_passed:-0} passed"
