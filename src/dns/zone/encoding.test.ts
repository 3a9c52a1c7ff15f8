import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeBase32Hex,
  decodeBase64,
  decodeCharString,
  decodeHex,
  encodeBase32Hex,
  encodeBase64,
  encodeCharString,
  encodeHex,
  escapeNameToken,
} from "./encoding.js";

const bytes = (...b: number[]) => Uint8Array.from(b);
const decode = (s: string, asBytes = false) => decodeCharString(s, 0, s.length, asBytes);

test("character-string escapes: \\X and \\DDD", () => {
  assert.deepEqual(decode("abc"), bytes(0x61, 0x62, 0x63));
  assert.deepEqual(decode('a\\"b\\\\c\\;'), bytes(0x61, 0x22, 0x62, 0x5c, 0x63, 0x3b));
  assert.deepEqual(decode("\\000\\255\\065x"), bytes(0, 255, 65, 0x78));
  for (const bad of ["\\256", "\\25", "\\2x5", "\\", "a\\1"]) assert.equal(decode(bad), null, bad);
});

test("characters above 0x7F are UTF-8, or bytes in byte mode", () => {
  assert.deepEqual(decode("é"), bytes(0xc3, 0xa9));
  assert.deepEqual(decode("\u00c3\u00a9", true), bytes(0xc3, 0xa9));
  assert.deepEqual(decode("😀"), bytes(0xf0, 0x9f, 0x98, 0x80));
});

test("encodeCharString escapes as dig does", () => {
  assert.equal(
    encodeCharString(bytes(0x61, 0x22, 0x5c, 0x3b, 0x20, 0x09, 0xc8, 0x7f)),
    'a\\"\\\\; \\009\\200\\127',
  );
  assert.equal(encodeCharString(new TextEncoder().encode("plain text")), "plain text");
});

test("escapeNameToken writes non-ASCII and control characters as \\DDD", () => {
  assert.equal(escapeNameToken("plain", false), "plain");
  assert.equal(escapeNameToken("é", false), "\\195\\169");
  assert.equal(escapeNameToken("\u00e9", true), "\\233");
  assert.equal(escapeNameToken("a\\\u0001b", false), "a\\001b");
  assert.equal(escapeNameToken("a\\.b", false), "a\\.b");
});

test("hex", () => {
  assert.deepEqual(decodeHex("00fFa0"), bytes(0, 255, 160));
  assert.deepEqual(decodeHex(""), bytes());
  assert.equal(decodeHex("abc"), null);
  assert.equal(decodeHex("zz"), null);
  assert.equal(encodeHex(bytes(0, 255, 160)), "00FFA0");
});

test("base64 is decoded strictly", () => {
  assert.deepEqual(decodeBase64("AAECAw=="), bytes(0, 1, 2, 3));
  assert.deepEqual(decodeBase64("AAECAwQ="), bytes(0, 1, 2, 3, 4));
  assert.deepEqual(decodeBase64("AAECAwQF"), bytes(0, 1, 2, 3, 4, 5));
  for (const bad of ["", "AAE", "AAECAw=", "AA==AA==", "AA=A", "AAE-", "AAECAx==", "AAECAwR="]) {
    assert.equal(decodeBase64(bad), null, bad);
  }
  assert.equal(encodeBase64(bytes(0, 1, 2, 3)), "AAECAw==");
});

test("base32hex without padding, either case", () => {
  const data = bytes(...Array.from({ length: 20 }, (_, i) => i));
  const text = encodeBase32Hex(data);
  assert.equal(text, "000G40O40K30E209185GO38E1S8124GJ");
  assert.deepEqual(decodeBase32Hex(text), data);
  assert.deepEqual(decodeBase32Hex(text.toLowerCase()), data);
  assert.deepEqual(decodeBase32Hex("CC"), bytes(0x63));
  for (const bad of ["0", "000", "000000", "W0", "C1"]) assert.equal(decodeBase32Hex(bad), null, bad);
});
