// Every `ts` block of this package's README and of the root README's "Client SDKs" section runs as pasted
// against the real server: its address in place of localhost:50051, TIMELY_API_KEY set. A block passes when
// it exits 0, or, when it keeps running (a stream it follows, a receiver it serves), once it has written
// to stdout and nothing to stderr for a second.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { TestServer } from "./server.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageFolder = resolve(here, "..");
// Inside the package, so that `import ... from "@timely/client"` resolves to it (a package's self-reference).
const scratch = join(packageFolder, ".readme-snippets");
const server = new TestServer();
before(async () => {
  await server.start();
  mkdirSync(scratch, { recursive: true });
});
after(async () => {
  await server.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

/** The fenced blocks of `language` in `markdown` (indented ones too, as under a list item), without their indent. */
export function codeBlocks(markdown: string, language: string): string[] {
  const blocks: string[] = [];
  const fence = new RegExp("^( *)```" + language + "\\n([\\s\\S]*?)^\\1```", "gm");
  for (const match of markdown.matchAll(fence)) {
    const indent = match[1].length;
    blocks.push(match[2].split("\n").map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length))).join("\n"));
  }
  return blocks;
}

const readme = readFileSync(join(packageFolder, "README.md"), "utf8");
const root = readFileSync(join(packageFolder, "../../README.md"), "utf8");
const sdkSection = root.slice(root.indexOf("## Client SDKs"), root.indexOf("\n## ", root.indexOf("## Client SDKs") + 1));
const snippets = [
  ...codeBlocks(readme, "ts").map((code, i) => ({ name: `clients/js/README.md block ${i + 1}`, code })),
  ...codeBlocks(sdkSection, "ts").map((code, i) => ({ name: `README.md, Client SDKs, ts block ${i + 1}`, code })),
];

test("the READMEs have ts blocks to run", () => assert.ok(snippets.length >= 4, `${snippets.length} blocks found`));

for (const [index, snippet] of snippets.entries()) {
  test(`${snippet.name} runs as pasted`, async () => {
    const file = join(scratch, `snippet-${index}.ts`);
    writeFileSync(file, snippet.code.replaceAll("http://localhost:50051", server.grpcUrl));
    const child = spawn(process.execPath, ["--import", "tsx", file], {
      cwd: packageFolder,
      env: { ...process.env, TIMELY_API_KEY: server.apiKey, TIMELY_WEBHOOK_SECRET: "whsec_" + randomBytes(32).toString("base64"), PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const running = (async (): Promise<"running"> => {
      for (let waited = 0; stdout === "" && waited < 60_000; waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1000));
      return "running";
    })();
    const code = await Promise.race([exited, running]);
    if (code === "running") {
      child.kill("SIGKILL");
      await exited;
    }
    assert.equal(stderr, "", `${snippet.name} wrote to stderr:\n${stderr}`);
    assert.ok(code === 0 || (code === "running" && stdout !== ""), `${snippet.name} ended with ${code}, output:\n${stdout}`);
  });
}
