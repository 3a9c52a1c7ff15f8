#!/usr/bin/env node
// Long fuzz run: every *.fuzz.test.js with a million iterations (override with
// PORTICO_FUZZ_ITERATIONS; pick a seed with PORTICO_FUZZ_SEED).
import { spawnSync } from "node:child_process";

const env = { ...process.env, PORTICO_FUZZ_ITERATIONS: process.env.PORTICO_FUZZ_ITERATIONS ?? "1000000" };
const result = spawnSync(process.execPath, ["scripts/run-tests.js", "fuzz", "--test-timeout=0"], {
  stdio: "inherit",
  env,
});
process.exit(result.status ?? 1);
