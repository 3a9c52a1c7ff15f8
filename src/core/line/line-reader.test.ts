import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LineReader } from "./line-reader.js";
import type { LineEvent, LineReaderOptions } from "./line-reader.js";

const bytes = (text: string): Buffer => Buffer.from(text, "latin1");

/** A comparable rendering of events. */
type Plain = string | { line: string; bareLf?: true; bareCr?: true };
function plain(event: LineEvent): Plain {
  if (event.tooLong) return "TOO LONG";
  const out: { line: string; bareLf?: true; bareCr?: true } = { line: event.line.toString("latin1") };
  if (event.bareLf) out.bareLf = true;
  if (event.bareCr) out.bareCr = true;
  return out;
}

/** Pushes `chunks` one by one, draining after each, and returns every event. */
function read(chunks: readonly Buffer[], options?: LineReaderOptions): Plain[] {
  const reader = new LineReader(options);
  const events: Plain[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (const event of reader) events.push(plain(event));
  }
  return events;
}

/** Every way to cut `input` into two and three pieces, plus one byte at a time. */
function* splits(input: Buffer): Generator<Buffer[]> {
  for (let a = 0; a <= input.length; a++) {
    yield [input.subarray(0, a), input.subarray(a)];
    for (let b = a; b <= input.length; b++)
      yield [input.subarray(0, a), input.subarray(a, b), input.subarray(b)];
  }
  yield [...input].map((byte) => Buffer.from([byte]));
}

void describe("LineReader", () => {
  void it("cuts CRLF lines and returns views into the chunk", () => {
    const chunk = bytes("EHLO a\r\n\r\nQUIT\r\npartial");
    const reader = new LineReader();
    reader.push(chunk);
    const first = reader.next();
    assert.ok(first !== null && !first.tooLong);
    assert.equal(first.line.toString(), "EHLO a");
    assert.equal(first.line.buffer, chunk.buffer, "a line inside one chunk is not copied");
    assert.deepEqual([...reader].map(plain), [{ line: "" }, { line: "QUIT" }]);
    assert.equal(reader.next(), null);
    assert.equal(reader.bufferedLength, 7);
    reader.push(bytes("\r\n"));
    assert.deepEqual([...reader].map(plain), [{ line: "partial" }]);
    assert.equal(reader.bufferedLength, 0);
  });

  void it("gives the same lines at every split point", () => {
    const input = bytes("MAIL FROM:<a@b>\r\n\r\nx\ry\r\nbare\nz\r\r\n\r\r\nlast\r\nrest");
    const expected = read([input], { bareLf: "reject" });
    assert.deepEqual(expected, [
      { line: "MAIL FROM:<a@b>" },
      { line: "" },
      { line: "x\ry", bareCr: true },
      { line: "bare", bareLf: true },
      { line: "z\r", bareCr: true },
      { line: "\r", bareCr: true },
      { line: "last" },
    ]);
    for (const chunks of splits(input)) {
      assert.deepEqual(read(chunks, { bareLf: "reject" }), expected, chunks.map((c) => c.length).join("+"));
    }
  });

  void it("ends a line at a bare LF, flagging it only under reject", () => {
    const input = [bytes("QUIT\nNOOP\r\n")];
    assert.deepEqual(read(input), [{ line: "QUIT" }, { line: "NOOP" }]);
    assert.deepEqual(read(input, { bareLf: "accept" }), [{ line: "QUIT" }, { line: "NOOP" }]);
    assert.deepEqual(read(input, { bareLf: "reject" }), [{ line: "QUIT", bareLf: true }, { line: "NOOP" }]);
    assert.deepEqual(read([bytes("\n")], { bareLf: "reject" }), [{ line: "", bareLf: true }]);
  });

  void it("reports a bare CR and keeps it in the line", () => {
    assert.deepEqual(read([bytes("DATA\r"), bytes("\r\n")]), [{ line: "DATA\r", bareCr: true }]);
    assert.deepEqual(read([bytes("a\r"), bytes("\n")]), [{ line: "a" }]);
    assert.deepEqual(read([bytes("\rX\r\n")]), [{ line: "\rX", bareCr: true }]);
  });

  void describe("maxLineLength", () => {
    const max = 8;
    void it("accepts a line of exactly the cap, the CRLF not counted", () => {
      for (const chunks of splits(bytes("12345678\r\nok\r\n"))) {
        assert.deepEqual(read(chunks, { maxLineLength: max }), [{ line: "12345678" }, { line: "ok" }]);
      }
    });

    void it("reports a longer line once and drops the rest of it", () => {
      const input = bytes("123456789\r\nok\r\n1234567890123456789\nnext\r\n12345678\r\r\n");
      const expected = ["TOO LONG", { line: "ok" }, "TOO LONG", { line: "next" }, "TOO LONG"];
      for (const chunks of splits(input)) {
        assert.deepEqual(
          read(chunks, { maxLineLength: max }),
          expected,
          chunks.map((c) => c.length).join("+"),
        );
      }
    });

    void it("reports the over-long line before it ends", () => {
      const reader = new LineReader({ maxLineLength: max });
      reader.push(bytes("12345678"));
      assert.equal(reader.next(), null, "8 bytes may still be a whole line");
      reader.push(bytes("\r"));
      assert.equal(reader.next(), null, "and so may 8 bytes and a CR");
      reader.push(bytes("x"));
      assert.deepEqual(plain(reader.next()!), "TOO LONG");
      assert.equal(reader.discarding, true);
      reader.push(bytes("more and more"));
      assert.equal(reader.next(), null);
      assert.equal(reader.bufferedLength, 0, "the rest of the line is not kept");
      reader.push(bytes("...\r\nQUIT\r\n"));
      assert.deepEqual([...reader].map(plain), [{ line: "QUIT" }]);
      assert.equal(reader.discarding, false);
    });

    void it("stays flat on a 1 GB line with no newline", () => {
      const reader = new LineReader({ maxLineLength: 1000 });
      const chunk = Buffer.alloc(1 << 20, 0x61);
      const before = process.memoryUsage().arrayBuffers;
      const events: Plain[] = [];
      for (let i = 0; i < 1024; i++) {
        reader.push(chunk);
        for (const event of reader) events.push(plain(event));
        assert.equal(reader.bufferedLength, 0);
      }
      assert.deepEqual(events, ["TOO LONG"]);
      assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, "no buffering of the line");
      reader.push(bytes("\r\nok\r\n"));
      assert.deepEqual([...reader].map(plain), [{ line: "ok" }]);
    });

    void it("rejects a cap that is not a positive integer", () => {
      assert.throws(() => new LineReader({ maxLineLength: 0 }), RangeError);
      assert.throws(() => new LineReader({ maxLineLength: 1.5 }), RangeError);
      assert.throws(() => new LineReader({ bareLf: "maybe" as "accept" }), RangeError);
    });
  });

  void describe("raw mode", () => {
    void it("takes the buffered remainder after a line (an IMAP literal)", () => {
      const reader = new LineReader();
      reader.push(bytes("A1 APPEND box {10}\r\n0123"));
      assert.deepEqual(plain(reader.next()!), { line: "A1 APPEND box {10}" });
      assert.equal(reader.takeBuffered(10).toString(), "0123");
      reader.push(bytes("45"));
      reader.push(bytes("6789)\r\nA2 NOOP\r\n"));
      assert.equal(reader.takeBuffered(6).toString(), "456789");
      assert.deepEqual([...reader].map(plain), [{ line: ")" }, { line: "A2 NOOP" }]);
    });

    void it("takes a begun line's bytes too, in order", () => {
      const reader = new LineReader();
      reader.push(bytes("abc"));
      assert.equal(reader.next(), null);
      reader.push(bytes("def"));
      reader.push(bytes("gh\r\n"));
      assert.equal(reader.bufferedLength, 10);
      assert.equal(reader.takeBuffered(2).toString(), "ab");
      assert.equal(reader.takeBuffered(5).toString(), "cdefg");
      assert.equal(reader.takeBuffered().toString(), "h\r\n");
      assert.equal(reader.takeBuffered().length, 0);
      assert.equal(reader.next(), null);
    });

    void it("discards what follows STARTTLS (RFC 3207 §4.2 command injection)", () => {
      const reader = new LineReader();
      reader.push(bytes("STARTTLS\r\nRSET\r\nMAIL FROM:<evil>\r\npart"));
      assert.deepEqual(plain(reader.next()!), { line: "STARTTLS" });
      assert.equal(reader.discardBuffered(), 28);
      assert.equal(reader.next(), null);
      reader.push(bytes("EHLO x\r\n"));
      assert.deepEqual([...reader].map(plain), [{ line: "EHLO x" }]);
    });

    void it("ends the dropping of an over-long line", () => {
      const reader = new LineReader({ maxLineLength: 4 });
      reader.push(bytes("123456"));
      assert.deepEqual(plain(reader.next()!), "TOO LONG");
      reader.push(bytes("78\r\n"));
      assert.equal(reader.takeBuffered().toString(), "78\r\n");
      reader.push(bytes("ok\r\n"));
      assert.deepEqual([...reader].map(plain), [{ line: "ok" }]);
    });

    void it("rejects a bad max", () => {
      assert.throws(() => new LineReader().takeBuffered(-1), RangeError);
      assert.throws(() => new LineReader().takeBuffered(Number.NaN), RangeError);
    });
  });

  void it("accepts Uint8Array chunks", () => {
    const reader = new LineReader();
    reader.push(new TextEncoder().encode("HELO x\r\n"));
    assert.deepEqual([...reader].map(plain), [{ line: "HELO x" }]);
  });
});
