/**
 * The zones of testdata/ are valid for BIND too: named-checkzone (Debian's bind9-utils)
 * accepts each, so a difference from NSD in nsd-diff.test.ts is never a zone-file quirk.
 * Skipped without named-checkzone, except in CI (`CI` set), where it fails.
 */

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { loadZones } from "../../src/dns/service.js";

const TESTDATA = join(import.meta.dirname, "../../../test/dns/testdata");
const ZONE_FILES = readdirSync(TESTDATA)
  .filter((f) => f.endsWith(".zone"))
  .sort();

const HAVE_CHECKZONE = spawnSync("named-checkzone", ["-v"]).status === 0;

test("named-checkzone accepts every test zone", async (t) => {
  if (!HAVE_CHECKZONE) {
    if (process.env.CI) assert.fail("named-checkzone is not installed; .ci/run must install bind9-utils");
    t.skip("named-checkzone is not installed (apt-get install bind9-utils)");
    return;
  }
  for (const file of ZONE_FILES) {
    const origin = file.replace(/\.zone$/, "");
    // -i local: names outside the zone are not looked up in the DNS (no network in tests).
    const { stdout } = await promisify(execFile)("named-checkzone", [
      "-i",
      "local",
      origin,
      join(TESTDATA, file),
    ]);
    assert.match(stdout, /\nOK\n?$/, `${file}: ${stdout}`);
  }
});

test("Portico loads every test zone", () => {
  const zones = loadZones(ZONE_FILES.map((f) => join(TESTDATA, f)));
  assert.equal(zones.size, ZONE_FILES.length);
});
