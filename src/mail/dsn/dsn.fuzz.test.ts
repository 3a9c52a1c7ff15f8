/**
 * Seeded fuzzing of composeDsn with hostile input: replies, addresses and diagnostics full of
 * controls, UTF-8 and long words; originals with NUL, bare CR/LF, 8-bit octets and long lines.
 * Every result must be a well-formed message: CRLF line ends only, no line over 998 octets,
 * the boundary delimiter exactly where the structure puts it. PORTICO_FUZZ_ITERATIONS sets
 * the count, PORTICO_FUZZ_SEED replays a failure.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzzIterations, fuzzSeed, seededRandom } from "../../../test/support/fuzz.js";
import { composeDsn, type DsnAction, type DsnRecipient } from "./dsn.js";

const ITERATIONS = fuzzIterations(300);
const SEED = fuzzSeed(3464);

const ALPHABET = [
  "a",
  "Z",
  "0",
  " ",
  " ",
  "\t",
  "\r",
  "\n",
  "\r\n",
  "\u0000",
  "\u007f",
  "é",
  "ü",
  "漢",
  "😀",
  "+",
  "=",
  ";",
  "(",
  ")",
  "\\",
  "-",
  ".",
];

test(`composeDsn gives a well-formed message for any input (${ITERATIONS} reports, seed ${SEED})`, () => {
  const next = seededRandom(SEED);
  const int = (max: number): number => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const text = (max: number): string => {
    let out = "";
    const n = int(max + 1);
    for (let i = 0; i < n; i++) out += int(10) === 0 ? "x".repeat(int(1200)) : pick(ALPHABET);
    return out;
  };
  const bytes = (max: number): Buffer => {
    const out = Buffer.alloc(int(max + 1));
    for (let i = 0; i < out.length; i++) {
      const r = int(12);
      out[i] = r < 2 ? 0x0d : r < 4 ? 0x0a : r < 5 ? 0 : r < 6 ? 0x80 + int(128) : 0x20 + int(95);
    }
    return out;
  };

  for (let i = 0; i < ITERATIONS; i++) {
    const kind = pick(["failure", "delay", "success"] as const);
    const recipients: DsnRecipient[] = Array.from({ length: 1 + int(3) }, () => {
      const action: DsnAction = pick(["failed", "delayed", "delivered", "relayed", "expanded"]);
      const reply = int(2) === 0;
      return {
        finalRecipient: `${text(20)}@example.test`,
        ...(int(2) === 0 && { originalRecipient: `${pick(["rfc822", "utf-8", "x"])};${text(20)}` }),
        action,
        status: pick(["5.1.1", "4.4.7", "2.0.0", "5.7.26"]),
        ...(int(2) === 0 && { remoteMta: text(10) }),
        ...(reply
          ? int(2) === 0
            ? { diagnosticCode: { code: 550, lines: Array.from({ length: int(4) }, () => text(30)) } }
            : { diagnosticCode: text(60) }
          : int(2) === 0
            ? { diagnosticCode: { type: text(5), text: text(40) } }
            : {}),
        ...(int(2) === 0 && { inReplyTo: text(8) }),
        ...(action === "delayed" && int(2) === 0 && { willRetryUntil: new Date(2_000_000_000_000) }),
        ...(int(3) === 0 && { finalLogId: text(10) }),
      };
    });
    const original =
      int(4) === 0 ? Buffer.concat([Buffer.from("Subject: x\r\n\r\n"), bytes(1500)]) : bytes(1500);
    const input = {
      reportingMta: "mta.example.test",
      sender: `${text(20)}@example.test`,
      kind,
      recipients,
      original,
      arrivalDate: new Date(1_800_000_000_000),
      ...(int(2) === 0 && { envid: text(20) }),
      ...(int(3) === 0 && { ret: pick(["FULL", "HDRS"] as const) }),
      ...(int(3) === 0 && { smtputf8: true }),
      ...(int(3) === 0 && { receivedFrom: { helo: text(10), address: text(10) } }),
      ...(int(3) === 0 && { queueId: text(10) }),
      ...(int(3) === 0 && { returnLimit: int(4000) }),
    };
    try {
      const dsn = composeDsn(input);
      const message = dsn.message.toString("latin1");
      assert.ok(message.endsWith("\r\n"));
      assert.equal(/\r(?!\n)|(?<!\r)\n/.test(message), false, "a bare CR or LF");
      const lines = message.split("\r\n");
      for (const line of lines) assert.ok(line.length <= 998, `a line of ${line.length} octets`);
      const boundary = /boundary="([^"]+)"/.exec(message)![1]!;
      assert.equal(lines.filter((line) => line === `--${boundary}`).length, 3);
      assert.equal(lines.filter((line) => line === `--${boundary}--`).length, 1);
      assert.equal(message.split(`--${boundary}`).length - 1, 4, "the delimiter only where it belongs");
      // 8-bit octets in the body need BODY=8BITMIME; in the header (a UTF-8 To:) SMTPUTF8.
      const [head, ...body] = message.split("\r\n\r\n");
      assert.equal(dsn.envelope.body === "8BITMIME", /[\x80-\xff]/.test(body.join("")));
      if (/[\x80-\xff]/.test(head!)) assert.equal(dsn.envelope.smtputf8, true);
    } catch (error) {
      throw new Error(`seed ${SEED}, iteration ${i}`, { cause: error });
    }
  }
});
