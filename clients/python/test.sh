#!/usr/bin/env bash
# The Python SDK's tests, with Debian's python3 and packages (scripts/install-deps.sh installs them),
# against the server built at TIMELY_SERVER_DLL (default: the Release build of src/Timely.Server).
set -euo pipefail
cd "$(dirname "$0")"
status=0
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests || status=$?
# pytest's 5 means no test ran: that is a failure too.
exit "$status"
