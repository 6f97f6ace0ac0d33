#!/usr/bin/env bash
# Publishes the server (framework-dependent, Release) into a folder: what the container image runs
# (deploy/Dockerfile) and what the test script publishes and starts, so the two cannot differ.
#   bash scripts/publish.sh OUT_FOLDER
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: scripts/publish.sh OUT_FOLDER" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd)
cd "$(dirname "$0")/.."
dotnet publish src/Timely.Server -c Release -o "$out" --verbosity quiet
echo "published to $out"
