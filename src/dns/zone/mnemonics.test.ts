import assert from "node:assert/strict";
import { test } from "node:test";
import {
  classToText,
  rcodeToText,
  textToAlgorithm,
  textToClass,
  textToDigestType,
  textToType,
  typeToText,
} from "./mnemonics.js";

test("type mnemonics both ways, case-insensitive, with TYPEnnn", () => {
  assert.equal(typeToText(1), "A");
  assert.equal(typeToText(65), "HTTPS");
  assert.equal(typeToText(23), "NSAP-PTR");
  assert.equal(typeToText(65280), "TYPE65280");
  assert.equal(textToType("aaaa"), 28);
  assert.equal(textToType("Ns"), 2);
  assert.equal(textToType("TYPE1"), 1);
  assert.equal(textToType("type65535"), 65535);
  assert.equal(textToType("TYPE007"), 7);
  for (const bad of ["", "FOO", "TYPE", "TYPE65536", "TYPE-1", "TYPE1x", "1"])
    assert.equal(textToType(bad), -1, bad);
});

test("class mnemonics both ways, with CLASSnnn and the long names", () => {
  assert.equal(classToText(1), "IN");
  assert.equal(classToText(3), "CH");
  assert.equal(classToText(42), "CLASS42");
  assert.equal(textToClass("in"), 1);
  assert.equal(textToClass("CHAOS"), 3);
  assert.equal(textToClass("hesiod"), 4);
  assert.equal(textToClass("CLASS1"), 1);
  assert.equal(textToClass("A"), -1);
  assert.equal(textToClass("3600"), -1);
});

test("rcodes as dig prints them", () => {
  assert.equal(rcodeToText(0), "NOERROR");
  assert.equal(rcodeToText(3), "NXDOMAIN");
  assert.equal(rcodeToText(16), "BADVERS");
  assert.equal(rcodeToText(4000), "4000");
});

test("DNSSEC algorithm and digest mnemonics", () => {
  assert.equal(textToAlgorithm("ecdsap256sha256"), 13);
  assert.equal(textToAlgorithm("RSASHA256"), 8);
  assert.equal(textToAlgorithm("NOPE"), -1);
  assert.equal(textToDigestType("SHA-256"), 2);
  assert.equal(textToDigestType("sha384"), 4);
});
