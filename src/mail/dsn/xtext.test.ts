import assert from "node:assert/strict";
import { test } from "node:test";
import { DecodeError } from "../../core/errors.js";
import { decodeUtf8AddrXtext, decodeXtext, encodeUtf8AddrXtext, encodeXtext, isXtext } from "./xtext.js";

test("xtext: printable ASCII but '+' and '=' as itself, every other octet as +XX (RFC 3461 §4)", () => {
  assert.equal(encodeXtext("user+tag@example.test"), "user+2Btag@example.test");
  assert.equal(encodeXtext("a=b c"), "a+3Db+20c");
  assert.equal(encodeXtext("caf\u00e9"), "caf+C3+A9");
  assert.equal(encodeXtext("\r\n\x7f"), "+0D+0A+7F");
  assert.equal(encodeXtext(""), "");
  for (const value of ["user+tag@example.test", "a=b c", "caf\u00e9 \u{1f600}", '!~"(),;<>[]\\']) {
    const encoded = encodeXtext(value);
    assert.ok(isXtext(encoded), encoded);
    assert.equal(decodeXtext(encoded), value);
  }
});

test("xtext decoding: lower-case hex is accepted, anything else is a DecodeError at its offset", () => {
  assert.equal(decodeXtext("QQ314159+2Bx"), "QQ314159+x");
  assert.equal(decodeXtext("a+2bb"), "a+b");
  const cases: [string, number][] = [
    ["a b", 1],
    ["a=b", 1],
    ["ab+", 2],
    ["ab+4", 2],
    ["ab+4G", 2],
    ["\u00e9", 0],
    ["a\tb", 1],
  ];
  for (const [input, offset] of cases) {
    assert.throws(
      () => decodeXtext(input),
      (error: unknown) => error instanceof DecodeError && error.offset === offset,
      JSON.stringify(input),
    );
  }
});

test("isXtext wants upper-case hexchars and no '=' or space", () => {
  assert.equal(isXtext("rfc822+3Buser@example.test"), true);
  assert.equal(isXtext(""), true);
  assert.equal(isXtext("a+2b"), false);
  assert.equal(isXtext("a=b"), false);
  assert.equal(isXtext("a b"), false);
  assert.equal(isXtext("a+"), false);
});

test("utf-8-addr-xtext (RFC 6533 §3): non-QCHARs as \\x{HEX}, and back", () => {
  assert.equal(encodeUtf8AddrXtext("b\u00fccher@example.test"), "b\\x{FC}cher@example.test");
  assert.equal(encodeUtf8AddrXtext("a\\b+c=d e"), "a\\x{5C}b\\x{2B}c\\x{3D}d\\x{20}e");
  assert.equal(encodeUtf8AddrXtext("\u{1f600}@\u6f22.example"), "\\x{1F600}@\\x{6F22}.example");
  for (const address of [
    "b\u00fccher@b\u00fccher.example",
    "plain@example.test",
    "a\\b+c=d e",
    "\u{1f600}@x",
  ]) {
    const encoded = encodeUtf8AddrXtext(address);
    assert.match(encoded, /^[\x21-\x7e]*$/);
    assert.ok(isXtext(encoded), "usable as an ORCPT value as it is");
    assert.equal(decodeUtf8AddrXtext(encoded), address);
  }
  // utf-8-addr-unitext: raw UTF-8 may stand beside escapes.
  assert.equal(decodeUtf8AddrXtext("b\u00fccher\\x{40}example"), "b\u00fccher@example");
  for (const [bad, offset] of [
    ["a\\b", 1],
    ["a\\x{}", 1],
    ["a\\x{110000}", 1],
    ["a\\x{D800}", 1],
    ["a\\x{41", 1],
    ["ab\\", 2],
  ] as const) {
    assert.throws(
      () => decodeUtf8AddrXtext(bad),
      (error: unknown) => error instanceof DecodeError && error.offset === offset,
      bad,
    );
  }
});
