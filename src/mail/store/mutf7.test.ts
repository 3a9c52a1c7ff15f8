import { test } from "node:test";
import assert from "node:assert/strict";
import { DecodeError } from "../../core/errors.js";
import { decodeMutf7, encodeMutf7 } from "./mutf7.js";

test("RFC 3501 §5.1.3's example and other known encodings", () => {
  const cases: [string, string][] = [
    ["~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"],
    ["&", "&-"],
    ["R&D", "R&-D"],
    ["Entwürfe", "Entw&APw-rfe"],
    ["Gelöschte Elemente", "Gel&APY-schte Elemente"],
    ["😀", "&2D3eAA-"],
    ["plain ASCII", "plain ASCII"],
    ["", ""],
  ];
  for (const [decoded, encoded] of cases) {
    assert.equal(encodeMutf7(decoded), encoded);
    assert.equal(decodeMutf7(encoded), decoded);
  }
});

test("decoding is strict, as RFC 3501 §5.1.3 asks", () => {
  for (const bad of [
    "&",
    "&AGE-",
    "&U,BTFw-&ZeVnLIqe-",
    "&Jjo!",
    "&2D3-",
    "&3gA-",
    "&AOkA-",
    "é",
    "a\u0001",
    "&APw",
  ]) {
    assert.throws(() => decodeMutf7(bad), DecodeError, bad);
  }
});
