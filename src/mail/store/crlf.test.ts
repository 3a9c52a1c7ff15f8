import { test } from "node:test";
import assert from "node:assert/strict";
import { CrlfNormalizer } from "./crlf.js";

test("bare LFs become CRLF at every split point; CRLF and bare CR stay", () => {
  const input = Buffer.from("a\nb\r\nc\rd\n\n\r\ne\r");
  const expected = "a\r\nb\r\nc\rd\r\n\r\n\r\ne\r";
  for (let i = 0; i <= input.length; i++) {
    for (let j = i; j <= input.length; j++) {
      const n = new CrlfNormalizer();
      const out = Buffer.concat([
        n.push(input.subarray(0, i)),
        n.push(input.subarray(i, j)),
        n.push(input.subarray(j)),
      ]);
      assert.equal(out.toString("latin1"), expected, `split at ${i},${j}`);
    }
  }
});

test("a chunk without bare LF is returned without a copy", () => {
  const chunk = Buffer.from("x\r\ny\r\n");
  assert.equal(new CrlfNormalizer().push(chunk), chunk);
});
