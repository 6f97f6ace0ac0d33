#!/usr/bin/env bash
# Builds the server and the benchmarks in Release and runs them; prints the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/Timely.Server --verbosity quiet
dotnet build -c Release bench/Timely.Bench --verbosity quiet
dotnet run -c Release --no-build --project bench/Timely.Bench
