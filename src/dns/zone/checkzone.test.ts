/**
 * Conformance with BIND's named-checkzone on the corpus in testdata/: every `.zone` file
 * there (except `*-part.zone` and `*-include.zone`, which other files include) starts with
 * `; good: …` or `; bad: …`, and optionally `; origin: NAME` (default example.test).
 *
 * Always: Portico accepts exactly the good files, and refuses each bad one with an error that
 * names a file and line. When named-checkzone is on PATH (CI installs bind9-utils): it gives
 * the same verdict on every file, and for accepted zones the same number of records as
 * `named-checkzone -D -o - ORIGIN FILE` prints. Both run with the corpus directory as the
 * working directory, where BIND resolves `$INCLUDE` paths; Portico resolves them from the
 * including file's directory, which is the same place here.
 */

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../core/errors.js";
import { loadZoneFile } from "./load.js";

const DIR = fileURLToPath(new URL("../../../../src/dns/zone/testdata/", import.meta.url));

interface Case {
  readonly file: string;
  readonly origin: string;
  readonly good: boolean;
  readonly what: string;
}

function corpus(): Case[] {
  const cases: Case[] = [];
  for (const file of readdirSync(DIR).sort()) {
    if (!file.endsWith(".zone") || file.endsWith("-part.zone") || file.endsWith("-include.zone")) continue;
    const head = readFileSync(join(DIR, file), "latin1").split("\n", 3).join("\n");
    const verdict = /^; (good|bad): (.*)$/m.exec(head);
    assert.ok(verdict !== null, `${file} must start with '; good: …' or '; bad: …'`);
    const origin = /^; origin: (\S+)$/m.exec(head)?.[1] ?? "example.test";
    cases.push({ file, origin, good: verdict[1] === "good", what: verdict[2]! });
  }
  return cases;
}

/** Portico's verdict: the number of records, or the error. */
function ours(c: Case): number | ConfigError {
  try {
    return loadZoneFile(join(DIR, c.file), c.origin).records.length;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

/** named-checkzone's verdict: the number of records it prints, or -1 if it refuses the zone. */
function bind(c: Case): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      "named-checkzone",
      ["-D", "-o", "-", c.origin, c.file],
      { cwd: DIR, encoding: "latin1" },
      (error, stdout) => {
        if (error !== null) {
          resolve(-1);
          return;
        }
        resolve(stdout.split("\n").filter((line) => line.length > 0 && !line.startsWith(";")).length);
      },
    );
  });
}

function hasNamedCheckzone(): boolean {
  const r = spawnSync("named-checkzone", ["-v"], { encoding: "utf8" });
  return r.error === undefined && r.status === 0;
}

test("the corpus: good zones load, bad zones are refused naming FILE:LINE", () => {
  const cases = corpus();
  assert.ok(cases.filter((c) => c.good).length >= 10);
  assert.ok(cases.filter((c) => !c.good).length >= 50);
  for (const c of cases) {
    const result = ours(c);
    if (c.good) {
      assert.equal(
        typeof result,
        "number",
        `${c.file} (${c.what}): ${result instanceof Error ? result.message : ""}`,
      );
    } else {
      assert.ok(result instanceof ConfigError, `${c.file} (${c.what}) should be refused`);
      assert.ok(result.file !== undefined && result.line !== undefined && result.line >= 1, result.message);
      assert.ok(result.message.startsWith(`${result.file}:${result.line}: `), result.message);
    }
  }
});

test("the corpus: the same verdicts and record counts as named-checkzone", async (t) => {
  if (!hasNamedCheckzone()) {
    t.skip("named-checkzone is not on PATH (apt-get install bind9-utils)");
    return;
  }
  const cases = corpus();
  // A few at a time: each run is a short process.
  const verdicts: number[] = [];
  for (let i = 0; i < cases.length; i += 8) {
    verdicts.push(...(await Promise.all(cases.slice(i, i + 8).map(bind))));
  }
  for (const [i, c] of cases.entries()) {
    const theirs = verdicts[i]!;
    const mine = ours(c);
    const mineText = mine instanceof ConfigError ? `refused (${mine.message})` : `${mine} records`;
    const theirsText = theirs < 0 ? "refused" : `${theirs} records`;
    assert.equal(
      mine instanceof ConfigError ? -1 : mine,
      theirs,
      `${c.file} (${c.what}): Portico ${mineText}, named-checkzone ${theirsText}`,
    );
  }
});
