/**
 * Random bytes, random chunkings: each streaming codec against a slow, obviously correct
 * reference that sees the whole input at once. PORTICO_FUZZ_ITERATIONS sets the count
 * (`npm run fuzz` runs a million); PORTICO_FUZZ_SEED replays a failure.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError } from "../errors.js";
import { DotDecoder } from "./dot-decoder.js";
import { DotEncoder } from "./dot-encoder.js";
import { LineReader } from "./line-reader.js";
import { ReplyParser } from "./reply-parser.js";
import type { Reply } from "./reply-parser.js";
import { seededRandom as random } from "../../../test/support/fuzz.js";

const ITERATIONS = Number(process.env.PORTICO_FUZZ_ITERATIONS ?? "400");
const SEED = Number(process.env.PORTICO_FUZZ_SEED ?? "20240229");
const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

class Fuzz {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = random(seed);
  }
  int(max: number): number {
    return Math.floor(this.#next() * max);
  }
  /** Bytes rich in the ones that matter: CR, LF, ".", and now and then anything. */
  bytes(maxLength: number): Buffer {
    const out = Buffer.alloc(this.int(maxLength + 1));
    for (let i = 0; i < out.length; i++) {
      const r = this.int(16);
      out[i] = r < 3 ? CR : r < 6 ? LF : r < 9 ? DOT : r < 14 ? 0x61 + this.int(3) : this.int(256);
    }
    return out;
  }
  /** `input` cut at random points (empty pieces included). */
  chunks(input: Buffer): Buffer[] {
    const cuts = Array.from({ length: this.int(8) }, () => this.int(input.length + 1)).sort((x, y) => x - y);
    const out: Buffer[] = [];
    let from = 0;
    for (const cut of cuts) {
      out.push(input.subarray(from, cut));
      from = cut;
    }
    out.push(input.subarray(from));
    return out;
  }
}

interface DotOutcome {
  done: boolean;
  consumed: number;
  output: Buffer;
  size: number;
  bareCr: boolean;
  bareLf: boolean;
}

/** RFC 5321 §4.5.2 read line by line: split at CRLF, "." ends, a leading "." goes. */
function referenceDotDecode(input: Buffer, normalize: boolean): DotOutcome {
  const output: number[] = [];
  let size = 0;
  let bareCr = false;
  let bareLf = false;
  let rejected = false;
  let pos = 0;
  for (;;) {
    let end = -1;
    for (let j = pos; j + 1 < input.length; j++) {
      if (input[j] === CR && input[j + 1] === LF) {
        end = j;
        break;
      }
    }
    if (end === -1)
      return { done: false, consumed: input.length, output: Buffer.from(output), size, bareCr, bareLf };
    let line = [...input.subarray(pos, end)];
    pos = end + 2;
    if (line.length === 1 && line[0] === DOT) {
      return { done: true, consumed: pos, output: Buffer.from(output), size, bareCr, bareLf };
    }
    if (line[0] === DOT) line = line.slice(1);
    for (const b of line) {
      if (b === CR || b === LF) {
        if (b === CR) bareCr = true;
        else bareLf = true;
        if (normalize) {
          output.push(CR, LF);
          size += 2;
          continue;
        }
        rejected = true;
      }
      if (!rejected) output.push(b);
      size += 1;
    }
    if (!rejected) output.push(CR, LF);
    size += 2;
  }
}

function streamDotDecode(
  chunks: readonly Buffer[],
  normalize: boolean,
  maxSize?: number,
): DotOutcome & { overLimit: boolean } {
  const decoder = new DotDecoder({
    bareLineEndings: normalize ? "normalize-to-crlf" : "reject",
    ...(maxSize === undefined ? {} : { maxSize }),
  });
  const out: Buffer[] = [];
  let fed = 0;
  for (const chunk of chunks) {
    const result = decoder.decode(chunk);
    out.push(result.data);
    if (result.done) {
      return {
        done: true,
        consumed: fed + result.consumed,
        output: Buffer.concat(out),
        size: decoder.size,
        bareCr: decoder.bareCr,
        bareLf: decoder.bareLf,
        overLimit: decoder.overLimit,
      };
    }
    assert.equal(result.consumed, chunk.length);
    fed += chunk.length;
  }
  return {
    done: false,
    consumed: fed,
    output: Buffer.concat(out),
    size: decoder.size,
    bareCr: decoder.bareCr,
    bareLf: decoder.bareLf,
    overLimit: decoder.overLimit,
  };
}

type Plain = string | { line: string; bareLf: boolean; bareCr: boolean };

/** Lines cut at every LF; the CR before it, if any, is the CRLF's. */
function referenceLines(input: Buffer, max: number, reject: boolean): { events: Plain[]; rest: string } {
  const events: Plain[] = [];
  let pos = 0;
  for (;;) {
    const lf = input.indexOf(LF, pos);
    if (lf === -1) {
      const partial = input.subarray(pos);
      const n = partial.length;
      // Over the cap for sure: more than max bytes even if the last one is a CRLF's CR.
      if (n > max + 1 || (n === max + 1 && partial[n - 1] !== CR)) {
        events.push("TOO LONG");
        return { events, rest: "" };
      }
      return { events, rest: partial.toString("latin1") };
    }
    const raw = input.subarray(pos, lf);
    pos = lf + 1;
    const crlf = raw.length > 0 && raw[raw.length - 1] === CR;
    const content = crlf ? raw.subarray(0, raw.length - 1) : raw;
    if (content.length > max) events.push("TOO LONG");
    else
      events.push({
        line: content.toString("latin1"),
        bareLf: reject && !crlf,
        bareCr: content.includes(CR),
      });
  }
}

/** A message with CR LF line endings: each CRLF kept, each lone CR or LF made one. */
function referenceNormalize(message: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < message.length; i++) {
    const b = message[i]!;
    if (b === CR && message[i + 1] === LF) {
      out.push(CR, LF);
      i++;
    } else if (b === CR || b === LF) out.push(CR, LF);
    else out.push(b);
  }
  if (out.length > 0 && !(out[out.length - 2] === CR && out[out.length - 1] === LF)) out.push(CR, LF);
  return Buffer.from(out);
}

void describe("line codecs fuzz", () => {
  void it("DotDecoder matches the line-by-line reference", () => {
    const fuzz = new Fuzz(SEED);
    for (let n = 0; n < ITERATIONS; n++) {
      // Most inputs carry a terminator somewhere; random bytes may hold an earlier one.
      const parts = [fuzz.bytes(120)];
      if (fuzz.int(4) !== 0) parts.push(Buffer.from("\r\n.\r\n"), fuzz.bytes(10));
      const input = Buffer.concat(parts);
      const normalize = fuzz.int(2) === 0;
      const maxSize = fuzz.int(3) === 0 ? fuzz.int(100) : undefined;
      const expected = referenceDotDecode(input, normalize);
      const actual = streamDotDecode(fuzz.chunks(input), normalize, maxSize);
      const context = `seed ${SEED} iteration ${n}: ${JSON.stringify(input.toString("latin1"))}`;

      assert.equal(actual.done, expected.done, context);
      assert.equal(actual.consumed, expected.consumed, context);
      if (!expected.done) {
        // What was delivered of an unfinished message stands whatever comes next (bytes whose
        // meaning depends on the next ones are held back).
        const finished = referenceDotDecode(Buffer.concat([input, Buffer.from("\r\n.\r\n")]), normalize);
        assert.ok(finished.output.subarray(0, actual.output.length).equals(actual.output), context);
        continue;
      }
      assert.equal(actual.bareCr, expected.bareCr, context);
      assert.equal(actual.bareLf, expected.bareLf, context);
      assert.equal(actual.size, expected.size, context);
      if (maxSize !== undefined && expected.size > maxSize) {
        assert.equal(actual.overLimit, true, context);
        assert.ok(actual.output.length <= maxSize, context);
        assert.ok(expected.output.subarray(0, actual.output.length).equals(actual.output), context);
      } else {
        assert.equal(actual.overLimit, false, context);
        assert.ok(actual.output.equals(expected.output), context);
      }
    }
  });

  void it("LineReader matches the split-at-LF reference", () => {
    const fuzz = new Fuzz(SEED + 1);
    for (let n = 0; n < ITERATIONS; n++) {
      const input = fuzz.bytes(100);
      const max = 1 + fuzz.int(20);
      const reject = fuzz.int(2) === 0;
      const expected = referenceLines(input, max, reject);
      const reader = new LineReader({ maxLineLength: max, bareLf: reject ? "reject" : "accept" });
      const events: Plain[] = [];
      for (const chunk of fuzz.chunks(input)) {
        reader.push(chunk);
        for (const event of reader) {
          events.push(
            event.tooLong
              ? "TOO LONG"
              : { line: event.line.toString("latin1"), bareLf: event.bareLf, bareCr: event.bareCr },
          );
        }
      }
      const context = `seed ${SEED + 1} iteration ${n}: ${JSON.stringify(input.toString("latin1"))} max ${max}`;
      assert.deepEqual(events, expected.events, context);
      assert.equal(reader.takeBuffered().toString("latin1"), expected.rest, context);
    }
  });

  void it("DotEncoder output decodes to the CRLF-normalized message, ending exactly at its terminator", () => {
    const fuzz = new Fuzz(SEED + 2);
    for (let n = 0; n < ITERATIONS; n++) {
      const message = fuzz.bytes(120);
      const encoder = new DotEncoder();
      const wire = Buffer.concat([
        ...fuzz.chunks(message).map((chunk) => encoder.encode(chunk)),
        encoder.end(),
      ]);
      const context = `seed ${SEED + 2} iteration ${n}: ${JSON.stringify(message.toString("latin1"))}`;
      assert.ok(!/\r(?!\n)|(?<!\r)\n/.test(wire.toString("latin1")), `no bare CR or LF: ${context}`);
      const decoded = streamDotDecode(fuzz.chunks(wire), false);
      assert.equal(decoded.done, true, context);
      assert.equal(decoded.consumed, wire.length, context);
      assert.equal(decoded.bareCr || decoded.bareLf, false, context);
      assert.ok(decoded.output.equals(referenceNormalize(message)), context);
    }
  });

  void it("ReplyParser throws nothing but ProtocolError, the same for every chunking", () => {
    const fuzz = new Fuzz(SEED + 3);
    const pieces = ["250", "250-", "250 ", "2.0.0 ", "251", "\r\n", "\n", "x", " ", "-", "5.7.1", "\r"];
    const parseAll = (
      chunks: readonly Buffer[],
      style: "smtp" | "ftp",
    ): { replies: Reply[]; failed: boolean } => {
      const parser = new ReplyParser({ style, maxLineLength: 30 });
      const replies: Reply[] = [];
      try {
        for (const chunk of chunks) {
          parser.push(chunk);
          for (const reply of parser) replies.push(reply);
        }
      } catch (error) {
        assert.ok(error instanceof ProtocolError, String(error));
        return { replies, failed: true };
      }
      return { replies, failed: false };
    };
    for (let n = 0; n < ITERATIONS; n++) {
      const text = Array.from({ length: fuzz.int(30) }, () => pieces[fuzz.int(pieces.length)]!).join("");
      const input = Buffer.concat([Buffer.from(text, "latin1"), fuzz.bytes(5)]);
      const style = fuzz.int(2) === 0 ? "smtp" : "ftp";
      const context = `seed ${SEED + 3} iteration ${n}: ${JSON.stringify(input.toString("latin1"))}`;
      assert.deepEqual(parseAll(fuzz.chunks(input), style), parseAll([input], style), context);
    }
  });
});
