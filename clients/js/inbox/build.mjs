// Builds the inbox page into the service's static files (src/Timely.Server/wwwroot/inbox): one
// minified ES module bundle, the HTML and the stylesheet. The output is committed and must not change
// when built again from the same sources (CI checks it), so nothing time- or path-dependent goes in.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "../../../src/Timely.Server/wwwroot/inbox");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
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
for (const file of ["index.html", "inbox.css"]) {
  copyFileSync(join(here, file), join(out, file));
}
