/**
 * Seeded fuzzing of the message codec: random and mutated packets must either decode or
 * throw DecodeError (nothing else, no hang), and whatever decodes must encode again and
 * decode to the same message.
 *
 * PORTICO_FUZZ_ITERATIONS sets the number of packets (default 20000); PORTICO_FUZZ_SEED the
 * seed, printed on failure so a run can be replayed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DecodeError } from "../../core/errors.js";
import type { Message } from "../types.js";
import { decodeMessage, encodeMessage, encodeResponse } from "./index.js";
import { everyType, message, NO_FLAGS, rr, seededRandom, text } from "./testing.js";

const ITERATIONS = Number(process.env.PORTICO_FUZZ_ITERATIONS ?? "20000");
const SEED = Number(process.env.PORTICO_FUZZ_SEED ?? "1035");

/** Valid messages to mutate: small and large, with and without EDNS and compression. */
function corpus(): Uint8Array[] {
  const edns = {
    udpPayloadSize: 1232,
    extendedRcode: 0,
    version: 0,
    dnssecOk: true,
    flags: 0,
    options: [{ code: 10, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }],
  };
  const messages: Message[] = [
    message({
      flags: { ...NO_FLAGS, rd: true },
      questions: [{ name: "www.example.test.", type: 1, class: 1 }],
    }),
    message({ questions: [{ name: "example.test.", type: 28, class: 1 }], edns }),
    message({
      flags: { ...NO_FLAGS, qr: true, aa: true },
      questions: [{ name: "www.example.test.", type: 255, class: 1 }],
      answers: everyType("www.example.test."),
      authority: [rr("example.test.", 2, { kind: "NS", target: "ns1.example.test." })],
      additional: [rr("ns1.example.test.", 1, { kind: "A", address: "192.0.2.53" })],
      edns,
    }),
    message({
      flags: { ...NO_FLAGS, qr: true },
      rcode: 3,
      questions: [{ name: "nx.example.test.", type: 1, class: 1 }],
      authority: [
        rr("example.test.", 6, {
          kind: "SOA",
          mname: "ns1.example.test.",
          rname: "hostmaster.example.test.",
          serial: 1,
          refresh: 2,
          retry: 3,
          expire: 4,
          minimum: 5,
        }),
      ],
    }),
    message({
      answers: [
        rr("a.b.c.d.e.test.", 16, { kind: "TXT", strings: [text("x".repeat(200)), text("y")] }),
        rr("b.c.d.e.test.", 15, { kind: "MX", preference: 1, exchange: "c.d.e.test." }),
        rr("\\000\\.x.e.test.", 5, { kind: "CNAME", target: "d.e.test." }),
      ],
    }),
  ];
  return messages.map((m) => encodeMessage(m));
}

function mutate(seed: Uint8Array, random: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(random() * n);
  const bytes = Array.from(seed);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const at = int(bytes.length + 1);
    switch (int(7)) {
      case 0: // flip a bit
        if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << int(8));
        break;
      case 1: // set a random byte
        if (at < bytes.length) bytes[at] = int(256);
        break;
      case 2: // insert bytes
        bytes.splice(at, 0, ...Array.from({ length: 1 + int(4) }, () => int(256)));
        break;
      case 3: // delete bytes
        bytes.splice(at, 1 + int(4));
        break;
      case 4: // truncate
        bytes.length = Math.min(bytes.length, at);
        break;
      case 5: // plant a compression pointer
        if (at + 1 < bytes.length) {
          bytes[at] = 0xc0 | (random() < 0.9 ? 0 : int(0x40));
          bytes[at + 1] = int(Math.max(1, bytes.length));
        }
        break;
      default: // bump a section count
        if (bytes.length >= 12) bytes[4 + 2 * int(4) + 1] = int(8);
        break;
    }
  }
  return Uint8Array.from(bytes);
}

function randomPacket(random: () => number): Uint8Array {
  const length = Math.floor(random() * 64);
  const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
  // Keep the counts small so a random packet sometimes gets past the header.
  if (length >= 12) for (let i = 4; i < 12; i += 2) bytes[i] = 0;
  return bytes;
}

/** An empty TXT decodes as no strings and re-encodes as one empty string (RFC 1035 §3.3.14). */
function normalize(msg: Message): Message {
  const fix = msg.answers
    .concat(msg.authority, msg.additional)
    .some((r) => r.data.kind === "TXT" && r.data.strings.length === 0);
  if (!fix) return msg;
  const section = (records: Message["answers"]): Message["answers"] =>
    records.map((r) =>
      r.data.kind === "TXT" && r.data.strings.length === 0
        ? { ...r, data: { kind: "TXT", strings: [new Uint8Array(0)] } }
        : r,
    );
  return {
    ...msg,
    answers: section(msg.answers),
    authority: section(msg.authority),
    additional: section(msg.additional),
  };
}

void test(`codec survives ${ITERATIONS} random and mutated packets (seed ${SEED})`, () => {
  const random = seededRandom(SEED);
  const seeds = corpus();
  let decoded = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const packet = random() < 0.1 ? randomPacket(random) : mutate(seeds[i % seeds.length]!, random);
    let msg: Message;
    try {
      msg = decodeMessage(packet);
    } catch (err) {
      if (err instanceof DecodeError) continue;
      assert.fail(
        `iteration ${i} (seed ${SEED}): ${String(err)} decoding ${Buffer.from(packet).toString("hex")}`,
      );
    }
    decoded++;
    try {
      const again = encodeMessage(msg);
      assert.deepEqual(decodeMessage(again), normalize(msg));
      encodeResponse(msg, 512);
    } catch (err) {
      assert.fail(
        `iteration ${i} (seed ${SEED}): ${String(err)} re-encoding ${Buffer.from(packet).toString("hex")}`,
      );
    }
  }
  // The mutations should leave a fair share decodable, or the test proves little.
  assert.ok(decoded > ITERATIONS / 20, `only ${decoded} of ${ITERATIONS} packets decoded`);
});
