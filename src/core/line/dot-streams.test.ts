import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ProtocolError } from "../errors.js";
import { DotDecoderStream, DotEncoderStream } from "./dot-streams.js";

const bytes = (text: string): Buffer => Buffer.from(text, "latin1");

/** A writable that collects what it is given. */
function collector(): { sink: Writable; text: () => string } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  return { sink, text: () => Buffer.concat(parts).toString("latin1") };
}

void describe("DotEncoderStream", () => {
  void it("dot-stuffs a streamed message", async () => {
    const { sink, text } = collector();
    await pipeline(
      Readable.from([bytes(".hidden\n"), bytes("line\r"), bytes("\nend")]),
      new DotEncoderStream(),
      sink,
    );
    assert.equal(text(), "..hidden\r\nline\r\nend\r\n.\r\n");
  });
});

void describe("DotDecoderStream", () => {
  void it("ends at the terminator and keeps what follows", async () => {
    const { sink, text } = collector();
    const decoder = new DotDecoderStream();
    await pipeline(
      Readable.from([
        bytes("Subject: x\r\n\r\n..b"),
        bytes("ody\r\n.\r"),
        bytes("\nQUIT\r\n"),
        bytes("NOOP\r\n"),
      ]),
      decoder,
      sink,
    );
    assert.equal(text(), "Subject: x\r\n\r\n.body\r\n");
    assert.equal(decoder.done, true);
    assert.equal(decoder.size, 21);
    assert.equal(decoder.takeTrailing().toString(), "QUIT\r\nNOOP\r\n");
    assert.equal(decoder.takeTrailing().length, 0);
  });

  void it("fails when the input ends before the terminator", async () => {
    const { sink } = collector();
    await assert.rejects(
      pipeline(Readable.from([bytes("half a message\r\n.")]), new DotDecoderStream(), sink),
      ProtocolError,
    );
  });

  void it("reads on past the size limit and reports it", async () => {
    const { sink, text } = collector();
    const decoder = new DotDecoderStream({ maxSize: 4 });
    await pipeline(Readable.from([bytes("1234"), bytes("5678\r\n.\r\n")]), decoder, sink);
    assert.equal(decoder.overLimit, true);
    assert.equal(decoder.size, 10);
    assert.equal(text(), "1234");
  });

  void it("round-trips with the encoder", async () => {
    const message = bytes(".\r\nfrom\r\n..\r\n\r\n.x");
    const { sink, text } = collector();
    const decoder = new DotDecoderStream();
    await pipeline(Readable.from([message]), new DotEncoderStream(), decoder, sink);
    assert.equal(text(), ".\r\nfrom\r\n..\r\n\r\n.x\r\n");
    assert.equal(decoder.bareCr || decoder.bareLf, false);
  });
});
