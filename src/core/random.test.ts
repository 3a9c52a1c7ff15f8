import assert from "node:assert/strict";
import { test } from "node:test";
import { randomHex } from "./random.js";

test("randomHex gives the asked length, hex, and does not repeat across pool refills", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const hex = randomHex(8);
    assert.match(hex, /^[0-9a-f]{16}$/);
    assert.ok(!seen.has(hex), `repeated ${hex} at ${i}`);
    seen.add(hex);
  }
  assert.equal(randomHex(4096).length, 8192);
  assert.throws(() => randomHex(4097), RangeError);
});
