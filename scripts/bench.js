#!/usr/bin/env node
// `npm run bench -- PROTOCOL [--smoke]`: runs bench/PROTOCOL (compiled) — Portico and the
// reference server under the same load, in one run. Without a protocol: every benchmark.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith("-"));
const named = args.filter((a) => !a.startsWith("-"));
const all = readdirSync("dist/bench", { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(`dist/bench/${e.name}/run.js`))
  .map((e) => e.name);
const chosen = named.length > 0 ? named : all;
let status = 0;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`bench: no benchmark "${name}" (have: ${all.join(", ")})`);
    process.exit(2);
  }
  const result = spawnSync(process.execPath, [`dist/bench/${name}/run.js`, ...flags], { stdio: "inherit" });
  if (result.status !== 0) status = 1;
}
process.exit(status);
