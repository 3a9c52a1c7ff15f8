import assert from "node:assert/strict";
import { test } from "node:test";
import { uniqueBoundary } from "./boundary.js";

test("a boundary never occurs in the parts, even when chance picks one that does", () => {
  const first = Buffer.alloc(16, 0xab);
  const second = Buffer.alloc(16, 0xcd);
  const clashing = `=_portico_${first.toString("hex")}`;
  const body = Buffer.from(`text\r\n--${clashing}\r\nmore`);
  let calls = 0;
  const boundary = uniqueBoundary([Buffer.from("x"), body], () => (calls++ === 0 ? first : second));
  assert.equal(calls, 2);
  assert.equal(boundary, `=_portico_${second.toString("hex")}`);
  // RFC 2046 §5.1.1: 1 to 70 characters of bchars.
  const random = uniqueBoundary([]);
  assert.match(random, /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/);
  assert.notEqual(random, uniqueBoundary([]));
});
