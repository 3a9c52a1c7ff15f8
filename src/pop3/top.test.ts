import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TopFilter } from "./top.js";

/** What TOP sends of `message` for `lines`, fed as `chunks` (split points). */
function top(message: string, lines: number, splits: readonly number[] = []): string {
  const filter = new TopFilter(lines);
  const data = Buffer.from(message, "latin1");
  const out: Buffer[] = [];
  let from = 0;
  for (const at of [...splits, data.length]) {
    out.push(filter.push(data.subarray(from, at)));
    from = at;
    if (filter.done) break;
  }
  return Buffer.concat(out).toString("latin1");
}

const MESSAGE = "From: a@b\r\nSubject: s\r\n\r\nline 1\r\nline 2\r\nline 3\r\n";

void describe("TopFilter (RFC 1939 §7 TOP)", () => {
  void it("sends the header, the blank line, and n body lines", () => {
    assert.equal(top(MESSAGE, 0), "From: a@b\r\nSubject: s\r\n\r\n");
    assert.equal(top(MESSAGE, 1), "From: a@b\r\nSubject: s\r\n\r\nline 1\r\n");
    assert.equal(top(MESSAGE, 2), "From: a@b\r\nSubject: s\r\n\r\nline 1\r\nline 2\r\n");
    assert.equal(top(MESSAGE, 3), MESSAGE);
    assert.equal(top(MESSAGE, 100), MESSAGE, "more lines than the body has: the whole message");
  });

  void it("handles a message without a body, without a header, and without a final CRLF", () => {
    assert.equal(top("Subject: only\r\n", 5), "Subject: only\r\n");
    assert.equal(top("Subject: only\r\nX: y", 0), "Subject: only\r\nX: y");
    assert.equal(top("\r\nbody 1\r\nbody 2\r\n", 0), "\r\n");
    assert.equal(top("\r\nbody 1\r\nbody 2\r\n", 1), "\r\nbody 1\r\n");
    assert.equal(top("H: v\r\n\r\nlast line", 1), "H: v\r\n\r\nlast line");
    assert.equal(top("H: v\r\n\r\n\r\n\r\nx\r\n", 2), "H: v\r\n\r\n\r\n\r\n", "empty body lines count");
    assert.equal(top("H: v\n\nb1\nb2\n", 1), "H: v\n\nb1\n", "lone LFs end lines too");
    assert.equal(top("", 3), "");
  });

  void it("gives the same result at every split point, and stops reading when done", () => {
    for (let lines = 0; lines <= 4; lines++) {
      const expected = top(MESSAGE, lines);
      for (let a = 0; a <= MESSAGE.length; a++) {
        for (let b = a; b <= MESSAGE.length; b += 3) {
          assert.equal(top(MESSAGE, lines, [a, b]), expected, `lines=${lines} splits=${a},${b}`);
        }
      }
    }
    const filter = new TopFilter(0);
    filter.push(Buffer.from("H: v\r\n\r\nbody"));
    assert.equal(filter.done, true);
    assert.equal(filter.push(Buffer.from("more")).length, 0);
  });

  void it("returns views of the chunks, not copies", () => {
    const chunk = Buffer.from(MESSAGE);
    const out = new TopFilter(1).push(chunk);
    assert.equal(out.buffer, chunk.buffer);
  });

  void it("refuses a negative or fractional line count", () => {
    assert.throws(() => new TopFilter(-1), RangeError);
    assert.throws(() => new TopFilter(1.5), RangeError);
  });
});
