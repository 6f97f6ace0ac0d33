// Builds the inbox page's script into the service's static files: src/Timely.Server/wwwroot/inbox/app.js,
// one minified ES module bundle, next to the page's index.html and inbox.css, which live there. The
// bundle is committed and must not change when built again from the same sources (CI checks it), so
// nothing time- or path-dependent goes in.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "../../../src/Timely.Server/wwwroot/inbox");

await build({
  entryPoints: [join(here, "app.ts")],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
