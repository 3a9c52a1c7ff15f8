import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DotDecoder } from "./dot-decoder.js";
import type { DotDecoderOptions } from "./dot-decoder.js";

const bytes = (text: string): Buffer => Buffer.from(text, "latin1");

interface Decoded {
  output: string;
  /** Bytes of the input consumed in total (-1: never done). */
  consumed: number;
  size: number;
  overLimit: boolean;
  bareCr: boolean;
  bareLf: boolean;
}

/** Feeds `chunks` until done; what is left of the input is not fed. */
function decode(chunks: readonly Buffer[], options?: DotDecoderOptions): Decoded {
  const decoder = new DotDecoder(options);
  const out: Buffer[] = [];
  let consumed = -1;
  let fed = 0;
  for (const chunk of chunks) {
    const result = decoder.decode(chunk);
    out.push(result.data);
    assert.ok(result.done || result.consumed === chunk.length, "consumes the whole chunk until done");
    if (result.done) {
      consumed = fed + result.consumed;
      break;
    }
    fed += chunk.length;
  }
  if (consumed !== -1) assert.equal(decoder.consumed, consumed);
  return {
    output: Buffer.concat(out).toString("latin1"),
    consumed,
    size: decoder.size,
    overLimit: decoder.overLimit,
    bareCr: decoder.bareCr,
    bareLf: decoder.bareLf,
  };
}

function* splits(input: Buffer): Generator<Buffer[]> {
  for (let a = 0; a <= input.length; a++) {
    yield [input.subarray(0, a), input.subarray(a)];
    for (let b = a; b <= input.length; b++)
      yield [input.subarray(0, a), input.subarray(a, b), input.subarray(b)];
  }
  yield [...input].map((byte) => Buffer.from([byte]));
}

const clean = { overLimit: false, bareCr: false, bareLf: false };

void describe("DotDecoder", () => {
  void it("decodes a message and stops at the terminator", () => {
    const input = bytes("Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
    const decoder = new DotDecoder();
    const result = decoder.decode(input);
    assert.equal(result.data.toString(), "Subject: hi\r\n\r\nbody\r\n");
    assert.equal(result.data.buffer, input.buffer, "nothing to rewrite: a view, not a copy");
    assert.equal(result.done, true);
    assert.equal(result.consumed, input.length - 6, "QUIT is the next command");
    assert.equal(decoder.size, 21);
    assert.equal(result.overLimit, false);
    assert.throws(() => decoder.decode(bytes("x")), TypeError);
  });

  void it("decodes the empty message", () => {
    assert.deepEqual(decode([bytes(".\r\nRSET\r\n")]), { output: "", consumed: 3, size: 0, ...clean });
  });

  void it("removes the stuffed dot (RFC 5321 §4.5.2)", () => {
    const input = bytes("..\r\n...\r\n.x\r\nmid.dle\r\n .\r\n..\r\n.\r\n");
    assert.deepEqual(decode([input]), {
      output: ".\r\n..\r\nx\r\nmid.dle\r\n .\r\n.\r\n",
      consumed: input.length,
      size: 26,
      ...clean,
    });
  });

  void it("finds the terminator split at every offset", () => {
    const input = bytes("From: a\r\n\r\n..dot\r\nx\r\n.\r\nNOOP\r\n");
    const expected: Decoded = { output: "From: a\r\n\r\n.dot\r\nx\r\n", consumed: 24, size: 20, ...clean };
    for (const chunks of splits(input)) {
      assert.deepEqual(decode(chunks), expected, chunks.map((c) => c.length).join("+"));
    }
  });

  void it("is not done without the terminator", () => {
    const decoder = new DotDecoder();
    const result = decoder.decode(bytes("abc\r\n.\r"));
    assert.equal(result.done, false);
    assert.equal(result.consumed, 7);
    assert.equal(result.data.toString(), "abc\r\n");
    assert.equal(decoder.done, false);
  });

  void describe("SMTP smuggling: only <CRLF>.<CRLF> ends the data", () => {
    const variants = ["\n.\n", "\n.\r\n", "\r.\n", "\r\n.\n", "\r\n.\rX", "\r.\r\n", "\r\n.\r\r\n"];
    for (const variant of variants) {
      const input = bytes(`a${variant}MAIL FROM:<x>\r\n.\r\nQUIT\r\n`);
      const end = input.length - 6;

      void it(`does not end at ${JSON.stringify(variant)} (reject)`, () => {
        for (const chunks of splits(input)) {
          const result = decode(chunks);
          assert.equal(result.consumed, end);
          assert.ok(result.bareCr || result.bareLf);
          const delivered = variant.startsWith("\r\n") ? "a\r\n" : "a";
          assert.equal(result.output, delivered, "nothing from the bare CR/LF on is delivered");
        }
      });

      void it(`does not end at ${JSON.stringify(variant)} (normalize-to-crlf)`, () => {
        const expected = decode([input], { bareLineEndings: "normalize-to-crlf" });
        assert.equal(expected.consumed, end);
        assert.ok(!/\r(?!\n)|(?<!\r)\n/.test(expected.output), "only CRLF in the output");
        for (const chunks of splits(input)) {
          assert.deepEqual(decode(chunks, { bareLineEndings: "normalize-to-crlf" }), expected);
        }
      });
    }

    void it("normalizes as documented", () => {
      const normalize = { bareLineEndings: "normalize-to-crlf" } as const;
      assert.deepEqual(decode([bytes("a\nb\rc\r\r\n.\r\n")], normalize), {
        output: "a\r\nb\r\nc\r\n\r\n",
        consumed: 11,
        size: 11,
        overLimit: false,
        bareCr: true,
        bareLf: true,
      });
      // The dot of ".\n" and of ".\rX" is stuffing: the line has more than the dot.
      assert.equal(decode([bytes("\r\n.\nx\r\n.\r\n")], normalize).output, "\r\n\r\nx\r\n");
      assert.equal(decode([bytes(".\rX\r\n.\r\n")], normalize).output, "\r\nX\r\n");
      assert.equal(decode([bytes(".\r\rX\r\n.\r\n")], normalize).output, "\r\n\r\nX\r\n");
    });

    void it("counts a rejected message's size with bare bytes as received", () => {
      const result = decode([bytes("a\nb\r\n..c\r\n.\r\n")]);
      assert.deepEqual(result, {
        output: "a",
        consumed: 13,
        size: 9,
        overLimit: false,
        bareCr: false,
        bareLf: true,
      });
    });
  });

  void describe("maxSize", () => {
    const input = bytes("12345\r\n..678\r\n.\r\nQUIT\r\n");

    void it("delivers a message of exactly the limit (stuffing not counted)", () => {
      for (const chunks of splits(input)) {
        assert.deepEqual(decode(chunks, { maxSize: 13 }), {
          output: "12345\r\n.678\r\n",
          consumed: 17,
          size: 13,
          ...clean,
        });
      }
    });

    void it("stops delivering past the limit and reads on to the terminator", () => {
      for (const chunks of splits(input)) {
        const result = decode(chunks, { maxSize: 12 });
        assert.equal(result.overLimit, true);
        assert.equal(result.consumed, 17);
        assert.equal(result.size, 13);
        assert.ok(result.output.length <= 12 && "12345\r\n.678\r\n".startsWith(result.output));
      }
    });

    void it("says so in the result of the chunk that crossed the limit", () => {
      const decoder = new DotDecoder({ maxSize: 5 });
      assert.deepEqual(decoder.decode(bytes("1234")), {
        data: bytes("1234"),
        consumed: 4,
        done: false,
        overLimit: false,
      });
      assert.deepEqual(decoder.decode(bytes("56\r\n")), {
        data: bytes(""),
        consumed: 4,
        done: false,
        overLimit: true,
      });
      assert.deepEqual(decoder.decode(bytes(".\r\n")), {
        data: bytes(""),
        consumed: 3,
        done: true,
        overLimit: true,
      });
    });

    void it("rejects bad options", () => {
      assert.throws(() => new DotDecoder({ maxSize: -1 }), RangeError);
      assert.throws(() => new DotDecoder({ bareLineEndings: "strip" as "reject" }), RangeError);
    });
  });
});
