import { test } from "node:test";
import assert from "node:assert/strict";
import { DecodeError } from "../../core/errors.js";
import { decodeMutf7, encodeMutf7 } from "./mutf7.js";

const ITERATIONS = Number(process.env.PORTICO_FUZZ_ITERATIONS ?? "2000");

/** xorshift32: seeded, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

test("encode then decode gives back any string of valid UTF-16", () => {
  const next = random(0x5eed);
  const alphabet = ["a", "&", "-", " ", "é", "台", "😀", "\u0000", "\u007f", ",", "+", "/"];
  for (let i = 0; i < ITERATIONS; i++) {
    let s = "";
    const length = Math.floor(next() * 12);
    for (let j = 0; j < length; j++) s += alphabet[Math.floor(next() * alphabet.length)] ?? "";
    assert.equal(decodeMutf7(encodeMutf7(s)), s);
  }
});

test("decoding random text throws nothing but DecodeError", () => {
  const next = random(0xbeef);
  const alphabet = "&-AZaz09+,/ é\u0001";
  for (let i = 0; i < ITERATIONS; i++) {
    let s = "";
    const length = Math.floor(next() * 16);
    for (let j = 0; j < length; j++) s += alphabet[Math.floor(next() * alphabet.length)] ?? "";
    try {
      const decoded = decodeMutf7(s);
      // What decodes must encode back to the same text (the encoding is canonical).
      assert.equal(encodeMutf7(decoded), s);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
    }
  }
});
