import { test } from "node:test";
import assert from "node:assert/strict";
import {
  canonicalName,
  isAbsoluteName,
  isSubdomain,
  joinName,
  labelCount,
  labelsToName,
  nameToLabels,
  nameToWire,
  namesEqual,
  normalizeName,
  parentName,
} from "./name.js";

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const label = (...b: number[]): Uint8Array => Uint8Array.from(b);

void test("nameToLabels parses plain names and the root", () => {
  assert.deepEqual(nameToLabels("."), []);
  assert.deepEqual(nameToLabels("www.Example.test."), [bytes("www"), bytes("Example"), bytes("test")]);
  assert.deepEqual(nameToLabels("*._tcp.a-b."), [bytes("*"), bytes("_tcp"), bytes("a-b")]);
});

void test("nameToLabels honours \\X and \\DDD escapes", () => {
  assert.deepEqual(nameToLabels("a\\.b.c."), [bytes("a.b"), bytes("c")]);
  assert.deepEqual(nameToLabels("a\\\\.c."), [bytes("a\\"), bytes("c")]);
  assert.deepEqual(nameToLabels("\\065\\000\\255."), [label(65, 0, 255)]);
  assert.deepEqual(nameToLabels("\\q\\@."), [bytes("q@")]);
  assert.deepEqual(nameToLabels("a b."), [bytes("a b")]);
});

void test("nameToLabels rejects malformed names with TypeError", () => {
  for (const bad of [
    "",
    "www.example.test", // relative
    "a..b.",
    "..",
    ".a.",
    "a\\",
    "a\\.",
    "\\25.",
    "\\2x5.",
    "\\256.",
    "caf\u00e9.",
    "a\tb.",
    "a\\\u00e9.",
    `${"a".repeat(64)}.`,
    `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}.`, // 256 octets
  ]) {
    assert.throws(() => nameToLabels(bad), TypeError, JSON.stringify(bad));
  }
  // 255 octets exactly is fine.
  const max = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}.`;
  assert.equal(nameToLabels(max).length, 4);
  assert.equal(nameToWire(max).length, 255);
  assert.deepEqual(nameToLabels(`${"\\065".repeat(63)}.`), [new Uint8Array(63).fill(65)]);
  assert.throws(() => nameToLabels(`${"\\065".repeat(64)}.`), TypeError);
});

void test("labelsToName escapes exactly the bytes RFC 1035 §5.1 needs", () => {
  assert.equal(labelsToName([]), ".");
  assert.equal(labelsToName([bytes("www"), bytes("Ex-am_ple"), bytes("*")]), "www.Ex-am_ple.*.");
  assert.equal(labelsToName([bytes('.\\"();@$'), bytes("a+b=c~")]), '\\.\\\\\\"\\(\\)\\;\\@\\$.a+b=c~.');
  assert.equal(labelsToName([label(0, 32, 127, 200, 255)]), "\\000\\032\\127\\200\\255.");
  assert.throws(() => labelsToName([new Uint8Array(0)]), TypeError);
  assert.throws(() => labelsToName([new Uint8Array(64)]), TypeError);
  assert.throws(() => labelsToName([1, 2, 3, 4].map(() => new Uint8Array(63))), TypeError);
});

void test("every byte value round-trips through labelsToName and nameToLabels", () => {
  for (let b = 0; b < 256; b++) {
    const labels = [label(b), label(b, b, 0x41)];
    const text = labelsToName(labels);
    assert.deepEqual(nameToLabels(text), labels);
    assert.equal(labelsToName(nameToLabels(text)), text);
    assert.equal(normalizeName(text), text);
  }
});

void test("normalizeName gives the one form, case kept", () => {
  assert.equal(normalizeName("Www.Example."), "Www.Example.");
  assert.equal(normalizeName("\\065\\b.\\046."), "Ab.\\..");
  assert.equal(normalizeName("a@b."), "a\\@b.");
  assert.throws(() => normalizeName("a.b"), TypeError);
});

void test("canonicalName folds only A-Z and normalizes escapes", () => {
  const plain = "www.example.test.";
  assert.equal(canonicalName(plain), plain);
  assert.equal(canonicalName("WWW.Example.TEST."), plain);
  assert.equal(canonicalName("\\087ww.example.test."), plain);
  assert.equal(canonicalName("A\\200\\.B."), "a\\200\\.b.");
  assert.equal(canonicalName("\\192."), "\\192."); // 'À' in Latin-1 is not folded
  assert.equal(canonicalName("."), ".");
  assert.throws(() => canonicalName("A..B."), TypeError);
  assert.throws(() => canonicalName("noDot"), TypeError);
});

void test("namesEqual ignores ASCII case only", () => {
  assert.ok(namesEqual("A.test.", "a.TEST."));
  assert.ok(namesEqual("\\065.", "a."));
  assert.ok(!namesEqual("\\192.", "\\224."));
  assert.ok(!namesEqual("a.test.", "a.test.test."));
});

void test("isSubdomain", () => {
  assert.ok(isSubdomain("www.example.test.", "example.test."));
  assert.ok(isSubdomain("WWW.EXAMPLE.TEST.", "Example.Test."));
  assert.ok(isSubdomain("example.test.", "example.test."));
  assert.ok(isSubdomain("example.test.", "."));
  assert.ok(isSubdomain(".", "."));
  assert.ok(!isSubdomain(".", "test."));
  assert.ok(!isSubdomain("badexample.test.", "example.test."));
  assert.ok(!isSubdomain("example.test.", "www.example.test."));
  assert.ok(!isSubdomain("a\\.example.test.", "example.test.")); // one label "a.example"
  assert.ok(isSubdomain("a\\\\.example.test.", "example.test.")); // label "a\" then example
  assert.ok(!isSubdomain("a\\\\\\.example.test.", "example.test.")); // "a\.example"
  assert.ok(isSubdomain("x.a\\.b.", "A\\046b."));
});

void test("parentName and labelCount honour escapes", () => {
  assert.equal(parentName("www.example.test."), "example.test.");
  assert.equal(parentName("test."), ".");
  assert.equal(parentName("a\\.b.c."), "c.");
  assert.equal(parentName("a\\\\.b.c."), "b.c.");
  assert.equal(parentName("\\046.c."), "c.");
  assert.throws(() => parentName("."), RangeError);
  assert.equal(labelCount("."), 0);
  assert.equal(labelCount("test."), 1);
  assert.equal(labelCount("a\\.b.c."), 2);
  assert.equal(labelCount("a\\\\.b.c."), 3);
  assert.equal(labelCount("\\046\\046.x."), 2);
});

void test("joinName resolves zone-file names against the origin", () => {
  assert.equal(joinName("www", "example.test."), "www.example.test.");
  assert.equal(joinName("a.b", "Example.test."), "a.b.Example.test.");
  assert.equal(joinName("@", "example.test."), "example.test.");
  assert.equal(joinName("other.test.", "example.test."), "other.test.");
  assert.equal(joinName("www", "."), "www.");
  assert.equal(joinName("a\\.", "example.test."), "a\\..example.test."); // escaped dot: relative
  assert.equal(joinName("a\\\\.", "example.test."), "a\\\\."); // escaped backslash: absolute
  assert.equal(joinName("\\065", "test."), "A.test.");
  assert.throws(() => joinName("", "test."), TypeError);
  assert.throws(() => joinName("www", "test"), TypeError);
  assert.throws(() => joinName("a..b", "test."), TypeError);
  assert.throws(() => joinName("a".repeat(64), "test."), TypeError);
});

void test("isAbsoluteName", () => {
  assert.ok(isAbsoluteName("."));
  assert.ok(isAbsoluteName("a.b."));
  assert.ok(!isAbsoluteName("a.b"));
  assert.ok(!isAbsoluteName("a\\."));
  assert.ok(isAbsoluteName("a\\\\."));
  assert.ok(!isAbsoluteName(""));
});

void test("nameToWire", () => {
  assert.deepEqual(nameToWire("."), label(0));
  assert.deepEqual(nameToWire("ab.C."), label(2, 0x61, 0x62, 1, 0x43, 0));
});

test("joinName refuses a relative name ending in a lone backslash", () => {
  assert.throws(() => joinName("mail\\", "example.test."), /unfinished escape/);
  assert.equal(joinName("mail\\\\", "example.test."), "mail\\\\.example.test.");
});
