#!/usr/bin/env bash
# Installs everything the tests and tools need on a fresh Debian 12 machine. Idempotent: a second
# run installs nothing. The .NET SDK and Node.js are expected on the machine already.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  python3-grpcio python3-protobuf python3-pytest   # Python SDK runtime and tests
  protobuf-compiler protobuf-compiler-grpc         # protoc and grpc_python_plugin for buf generate
  postgresql                                       # the PostgreSQL store's tests
  chromium                                         # the inbox page's browser test
  nghttp2-client                                   # h2load, for the benchmarks
  gcc libc6-dev                                    # the benchmarks' h2load body rotation (bench/h2load-rotate)
  nginx                                            # the load balancer of the rolling-restart test (deploy/nginx)
  curl jq                                          # README's HTTP/JSON examples, run by a test
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, pinned in each package-lock.json: the contract tooling (buf, protoc-gen-es) at the
# root, the JS SDK's runtime and test tools (tsx, esbuild, playwright-core) in clients/js.
for package in . clients/js; do
  if [ ! -f "$package/node_modules/.package-lock.json" ] || [ "$package/package-lock.json" -nt "$package/node_modules/.package-lock.json" ]; then
    (cd "$package" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

dotnet restore Timely.Grpc.sln --verbosity quiet
