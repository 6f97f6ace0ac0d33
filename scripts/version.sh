#!/usr/bin/env bash
# The one version of the server and the three SDKs lives in VERSION. MSBuild reads it
# (Directory.Build.props); npm and Python packages cannot, so this script writes it into them.
#   bash scripts/version.sh            check that every package carries VERSION (CI runs this)
#   bash scripts/version.sh set 0.3.0  write a new version into VERSION and every package
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-check}" = set ]; then
  [[ "${2:-}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "usage: scripts/version.sh set MAJOR.MINOR.PATCH" >&2; exit 2; }
  echo "$2" > VERSION
fi

/usr/bin/python3 - "${1:-check}" <<'PY'
import json, re, sys
mode = sys.argv[1]
version = open("VERSION").read().strip()
def npm(path):
    doc = json.load(open(path))
    found = [doc["version"]] + ([doc["packages"][""]["version"]] if "packages" in doc else [])
    if mode == "set":
        doc["version"] = version
        if "packages" in doc:
            doc["packages"][""]["version"] = version
        open(path, "w").write(json.dumps(doc, indent=2) + "\n")
    return found
def pyproject(path):
    text = open(path).read()
    found = re.findall(r'(?m)^version = "([^"]*)"', text)
    if mode == "set":
        open(path, "w").write(re.sub(r'(?m)^version = "[^"]*"', f'version = "{version}"', text, count=1))
    return found
found = {
    "clients/js/package.json": npm("clients/js/package.json"),
    "clients/js/package-lock.json": npm("clients/js/package-lock.json"),
    "clients/python/pyproject.toml": pyproject("clients/python/pyproject.toml"),
}
wrong = {path: versions for path, versions in found.items() if any(v != version for v in versions)}
if mode != "set" and wrong:
    for path, versions in wrong.items():
        print(f"{path} has version {', '.join(versions)}, VERSION says {version}", file=sys.stderr)
    print("Run: bash scripts/version.sh set " + version, file=sys.stderr)
    sys.exit(1)
print(f"version {version}")
PY
