import assert from "node:assert/strict";
import { test } from "node:test";
import { TTL_RANGE, TTL_SYNTAX, parseDecimal, parseTtl } from "./ttl.js";

test("plain numbers of seconds", () => {
  assert.equal(parseTtl("0"), 0);
  assert.equal(parseTtl("3600"), 3600);
  assert.equal(parseTtl("0003600"), 3600);
  assert.equal(parseTtl("4294967295"), 4294967295);
});

test("units, in any case and any order, summed", () => {
  assert.equal(parseTtl("1h30m"), 5400);
  assert.equal(parseTtl("1H30M"), 5400);
  assert.equal(parseTtl("1w"), 604800);
  assert.equal(parseTtl("1W2d3h4m5s"), 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
  assert.equal(parseTtl("30s1h"), 3630);
  assert.equal(parseTtl("1d1d"), 172800);
});

test("a trailing plain number after a unit is not a TTL (BIND)", () => {
  assert.equal(parseTtl("1h30"), TTL_SYNTAX);
  // ...unless everything before it added up to zero, which BIND lets through.
  assert.equal(parseTtl("0h30"), 30);
});

test("syntax errors", () => {
  for (const bad of ["", "h", "1x", "-1", "+1", "1.5", "1hh", "A", "IN", " 1", "1 ", "x".repeat(64)]) {
    assert.equal(parseTtl(bad), TTL_SYNTAX, bad);
  }
  // Each number must fit in 32 bits...
  assert.equal(parseTtl("4294967296"), TTL_SYNTAX);
});

test("...and so must the sum", () => {
  assert.equal(parseTtl("7102w"), TTL_RANGE);
  assert.equal(parseTtl("4294967295s1s"), TTL_RANGE);
});

test("parses a slice of a larger string", () => {
  assert.equal(parseTtl("a 1h b", 2, 4), 3600);
});

test("parseDecimal takes digits only, up to a maximum", () => {
  assert.equal(parseDecimal("65535", 0xffff), 65535);
  assert.equal(parseDecimal("0000000000010", 0xffff), 10);
  assert.equal(parseDecimal("65536", 0xffff), -1);
  assert.equal(parseDecimal("", 10), -1);
  assert.equal(parseDecimal("1h", 10), -1);
  assert.equal(parseDecimal("-1", 10), -1);
});
