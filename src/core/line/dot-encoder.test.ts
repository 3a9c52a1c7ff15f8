import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DotEncoder, dotStuff } from "./dot-encoder.js";
import { DotDecoder } from "./dot-decoder.js";

const bytes = (text: string): Buffer => Buffer.from(text, "latin1");
const stuff = (text: string): string => dotStuff(bytes(text)).toString("latin1");

function encodeChunks(chunks: readonly Buffer[]): string {
  const encoder = new DotEncoder();
  const out = chunks.map((chunk) => encoder.encode(chunk));
  out.push(encoder.end());
  return Buffer.concat(out).toString("latin1");
}

void describe("DotEncoder", () => {
  void it("stuffs lines that begin with a dot (RFC 5321 §4.5.2)", () => {
    assert.equal(stuff("a\r\n.\r\n..b\r\nc.d\r\n"), "a\r\n..\r\n...b\r\nc.d\r\n.\r\n");
    assert.equal(stuff(".start\r\n"), "..start\r\n.\r\n");
  });

  void it("ends the data with .CRLF, adding the missing CRLF", () => {
    assert.equal(stuff(""), ".\r\n");
    assert.equal(stuff("x\r\n"), "x\r\n.\r\n");
    assert.equal(stuff("x"), "x\r\n.\r\n");
    assert.equal(stuff("."), "..\r\n.\r\n");
  });

  void it("writes bare LF and bare CR as CRLF, and stuffs after them", () => {
    assert.equal(stuff("a\n.\nb"), "a\r\n..\r\nb\r\n.\r\n");
    assert.equal(stuff("a\r.\rb\r"), "a\r\n..\r\nb\r\n.\r\n");
    assert.equal(stuff("\r\r\n\n"), "\r\n\r\n\r\n.\r\n");
  });

  void it("gives the same bytes at every split point", () => {
    const input = bytes(".a\r\n.\n\r.\r\nb\r\r\n..\r");
    const expected = encodeChunks([input]);
    assert.equal(expected, "..a\r\n..\r\n\r\n..\r\nb\r\n\r\n...\r\n.\r\n");
    for (let a = 0; a <= input.length; a++) {
      for (let b = a; b <= input.length; b++) {
        assert.equal(encodeChunks([input.subarray(0, a), input.subarray(a, b), input.subarray(b)]), expected);
      }
    }
  });

  void it("returns a view when nothing needs changing", () => {
    const input = bytes("plain\r\ntext\r\n");
    assert.equal(new DotEncoder().encode(input).buffer, input.buffer);
  });

  void it("round-trips through the decoder to the CRLF-normalized message", () => {
    const message = bytes(".\r\n..\r\nx\n.\r\n\r\n.\r");
    const decoder = new DotDecoder();
    const wire = dotStuff(message);
    const result = decoder.decode(wire);
    assert.equal(result.done, true);
    assert.equal(result.consumed, wire.length);
    assert.equal(result.data.toString("latin1"), ".\r\n..\r\nx\r\n.\r\n\r\n.\r\n");
    assert.equal(decoder.bareCr || decoder.bareLf, false);
  });

  void it("refuses to go on after end()", () => {
    const encoder = new DotEncoder();
    encoder.end();
    assert.throws(() => encoder.encode(bytes("x")), TypeError);
    assert.throws(() => encoder.end(), TypeError);
  });
});
