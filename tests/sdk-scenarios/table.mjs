// Prints the SDK scenario results as one table: a row per scenario of scenarios.json, a column per runner,
// from the JSON lines the runners wrote to $TIMELY_TEST_OUTPUT/sdk-scenarios/ (or the folder given).
// Fails when a scenario failed, or did not run on a runner it is for.
//   node tests/sdk-scenarios/table.mjs [folder]
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const columns = [["csharp", "C#"], ["js-grpc", "JS-grpc"], ["js-grpc-web", "JS-grpc-web"], ["python-sync", "Python-sync"], ["python-asyncio", "Python-asyncio"]];
const { scenarios } = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "scenarios.json"), "utf8"));
const output = process.argv[2] ?? (process.env.TIMELY_TEST_OUTPUT && join(process.env.TIMELY_TEST_OUTPUT, "sdk-scenarios"));
if (!output) {
  console.error("usage: node tests/sdk-scenarios/table.mjs FOLDER (or set TIMELY_TEST_OUTPUT)");
  process.exit(2);
}

const results = new Map();   // "scenario\trunner" -> the last line written for it
for (const file of existsSync(output) ? readdirSync(output).filter((f) => f.endsWith(".jsonl")) : []) {
  for (const line of readFileSync(join(output, file), "utf8").split("\n").filter(Boolean)) {
    const result = JSON.parse(line);
    results.set(`${result.scenario}\t${result.runner}`, result);
  }
}

let failed = 0;
const rows = scenarios.map((scenario) => [scenario.name, ...columns.map(([runner]) => {
  if (scenario.only && !scenario.only.includes(runner)) return "-";
  const result = results.get(`${scenario.name}\t${runner}`);
  if (!result?.pass) failed++;
  return !result ? "NOT RUN" : `${result.pass ? "pass" : "FAIL"} ${(result.ms / 1000).toFixed(1)}s`;
})]);
const totals = ["total", ...columns.map(([runner]) => {
  const ms = [...results.values()].filter((r) => r.runner === runner).reduce((sum, r) => sum + r.ms, 0);
  return `${(ms / 1000).toFixed(1)}s`;
})];

const table = [["scenario", ...columns.map(([, title]) => title)], ...rows, totals];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
const format = (row) => row.map((cell, i) => cell.padEnd(widths[i])).join(" | ").trimEnd();
console.log("== SDK scenarios (tests/sdk-scenarios)");
console.log(format(table[0]));
console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
table.slice(1).forEach((row) => console.log(format(row)));
for (const result of results.values()) {
  if (!result.pass) console.log(`FAIL ${result.runner}: ${result.scenario}: ${result.error ?? ""}`);
}
if (failed > 0) {
  console.error(`${failed} scenario runs failed or did not run`);
  process.exit(1);
}
