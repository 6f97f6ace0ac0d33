#!/usr/bin/env bash
# Installs each SDK as its README says a user outside this repository does, into scratch projects, and
# checks that it builds or imports there:
#   C#      dotnet add package Timely.Client --source <folder of the .nupkg>, in a net8.0 and a net10.0 console app
#   JS/TS   npm pack (prepack builds dist/), npm install <the .tgz> in a project of its own, tsc --noEmit
#   Python  a venv with Debian's packages (--system-site-packages), pip install --no-build-isolation
#   bash scripts/check-packages.sh PACKAGES_FOLDER   (where `dotnet pack` put Timely.Client.<version>.nupkg)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: scripts/check-packages.sh PACKAGES_FOLDER" >&2; exit 2; }
packages=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
root=$(pwd)
version=$(cat VERSION)
scratch=$(mktemp -d /tmp/timely-packages-XXXXXX)
trap 'rm -rf "$scratch"' EXIT

echo "== C#: Timely.Client $version from $packages in net8.0 and net10.0 apps"
# Every build of this version has the same number: drop the copy a previous run left in NuGet's cache.
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/timely.client/$version"
for framework in net8.0 net10.0; do
  mkdir -p "$scratch/csharp-$framework"
  cd "$scratch/csharp-$framework"
  dotnet new console --output . --name App >/dev/null
  sed -i "s|<TargetFramework>[^<]*</TargetFramework>|<TargetFramework>$framework</TargetFramework>|" App.csproj
  dotnet add package Timely.Client --version "$version" --source "$packages" >/dev/null
  cat > Program.cs <<'CS'
using Timely.Client;
using Timely.Conversations.V1;

using var timely = new TimelyClient(new TimelyClientOptions { Address = new Uri("http://localhost:50051"), ApiKey = "tly_..." });
var request = new SendMessageRequest { ConversationId = Guid.NewGuid().ToString(), SenderType = SenderType.AiAgent, Content = "Hi" };
var verifier = new WebhookVerifier("whsec_" + Convert.ToBase64String(new byte[32]));
Console.WriteLine($"{request.SenderType} {verifier.Tolerance}");
CS
  dotnet build --verbosity quiet -nologo
  echo "$framework: built"
  cd "$root"
done

echo "== JS/TS: npm pack, then npm install of the .tgz into a project of its own, type-checked"
tarball=$(cd clients/js && npm pack --silent --pack-destination "$scratch" | tail -n 1)
typescript=$(node -p "require('./clients/js/package.json').devDependencies.typescript")
mkdir -p "$scratch/js"
cd "$scratch/js"
printf '{ "name": "app", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --loglevel=error "$scratch/$tarball" "typescript@$typescript" >/dev/null
cat > index.ts <<'TS'
import { SenderType, WebhookVerifier, createTimelyClient } from "@timely/client";

const timely = createTimelyClient({ baseUrl: "http://localhost:50051", apiKey: "tly_..." });
const send: Parameters<typeof timely.sendMessage>[0] = { conversationId: crypto.randomUUID(), senderType: SenderType.AI_AGENT, content: "Hi" };
const verifier = new WebhookVerifier("whsec_" + btoa("0".repeat(32)));
console.log(send.senderType, typeof verifier.verify);
TS
printf '{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true, "noEmit": true, "skipLibCheck": true, "lib": ["ES2022", "DOM"] } }\n' > tsconfig.json
npx tsc --noEmit
node --input-type=module -e "import { createTimelyClient } from '@timely/client'; if (typeof createTimelyClient !== 'function') process.exit(1);"
echo "$tarball: installed, type-checked, imported"
cd "$root"

echo "== Python: pip install into a venv with Debian's packages"
python3=/usr/bin/python3
cp -r clients/python "$scratch/python-source"   # pip builds in the source folder: not in the checkout
rm -rf "$scratch/python-source/build" "$scratch/python-source"/*.egg-info
$python3 -m venv --system-site-packages "$scratch/venv"
"$scratch/venv/bin/pip" install --quiet --no-build-isolation --no-index "$scratch/python-source"
(cd "$scratch" && "$scratch/venv/bin/python" -c "
import importlib.metadata, os, sysconfig, timely_client
from timely_client import TimelyClient, WebhookVerifier, SenderType
import google.rpc.status_pb2
assert importlib.metadata.version('timely-client') == '$version', importlib.metadata.version('timely-client')
# Nothing top-level under google/ (googleapis-common-protos' place): google.rpc comes from inside the package.
assert not os.path.exists(os.path.join(sysconfig.get_paths()['purelib'], 'google')), 'a top-level google/ was installed'
assert os.path.dirname(timely_client.__file__) in google.rpc.status_pb2.__file__, google.rpc.status_pb2.__file__
print('timely-client', importlib.metadata.version('timely-client') + ': installed and imported from', timely_client.__file__)
")
