#!/usr/bin/env bash
# The contract check: protos/ against the released contract, protos/baseline/v1.binpb.
#   bash scripts/contract.sh [ROOT]           buf lint, then buf breaking (WIRE_JSON, buf.yaml) against
#                                             the baseline; fails with buf's message on a break
#   bash scripts/contract.sh baseline [ROOT]  the release step: the current protos become the baseline
# ROOT is a checkout of this repository (default: this one); buf comes from this one's node_modules.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
buf="$here/node_modules/.bin/buf"
[ -x "$buf" ] || { echo "buf is missing: run bash scripts/install-deps.sh" >&2; exit 1; }
mode=check
if [ "${1:-}" = baseline ]; then mode=baseline; shift; fi
cd "${1:-$here}"
baseline=protos/baseline/v1.binpb

if [ "$mode" = baseline ]; then
  "$buf" build --exclude-source-info -o "$baseline"
  echo "wrote $baseline"
  exit 0
fi

"$buf" lint
# A break of the released contract is a new package (timely.conversations.v2), never a new baseline.
if ! "$buf" breaking --against "$baseline"; then
  echo "The contract breaks released clients (rules WIRE_JSON, against $baseline). Keep field names," \
    "numbers and types; add new fields or RPCs instead, or a new package version (v2)." >&2
  exit 1
fi
echo "contract: lint clean, compatible with $baseline"
