#!/usr/bin/env bash
# The JS/TS SDK's checks: the package builds (dist/, ESM + .d.ts) and loads in plain Node, types,
# the inbox bundle up to date with its sources, then the Node tests
# (both transports, resume across a restart) and the inbox page in headless Chromium, against the
# server built at TIMELY_SERVER_DLL (default: the Release build of src/Timely.Server).
# scripts/install-deps.sh installs the npm packages and Chromium.
set -euo pipefail
cd "$(dirname "$0")"

npm run --silent build
node --input-type=module -e "import { createTimelyClient } from '@timely/client'; if (typeof createTimelyClient !== 'function') process.exit(1);"
npx tsc --noEmit

npm run --silent build:inbox
if [ -e ../../.git ] && [ -n "$(git status --porcelain -- ../../src/Timely.Server/wwwroot)" ]; then
  git status --porcelain -- ../../src/Timely.Server/wwwroot
  echo "The inbox bundle is out of date: run 'npm run build:inbox' in clients/js and commit the result." >&2
  exit 1
fi

npm test
