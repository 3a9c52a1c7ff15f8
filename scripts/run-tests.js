#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node's test runner, so `npm test`
// works the same on Node 20 (no globs in --test) and later. Extra arguments select files by
// substring: `npm test -- config` runs only tests whose path contains "config".
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("-"));

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.name.endsWith(".test.js")) yield path;
  }
}

const files = [...walk("dist")]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error("Cannot run tests: no dist/**/*.test.js matched (run `npm run build` first)");
  process.exit(2);
}
const reporter = process.env.CI ? ["--test-reporter=spec"] : [];
const result = spawnSync(process.execPath, ["--test", ...reporter, ...flags, ...files], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
