import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeMaildrop } from "../../test/pop3/fake-maildrop.js";
import { fuzzIterations, fuzzLine, fuzzSeed, seededRandom } from "../../test/support/fuzz.js";
import { parseCommand, parseNumbers } from "./codec.js";
import { Pop3Session } from "./session.js";
import { TopFilter } from "./top.js";

const WORDS = [
  "CAPA",
  "USER user@example.org",
  "USER other@example.org",
  "PASS pw",
  "PASS wrong",
  "AUTH",
  "AUTH PLAIN",
  "AUTH LOGIN",
  "AUTH PLAIN AHVzZXJAZXhhbXBsZS5vcmcAcHc=",
  "AUTH PLAIN =",
  "dXNlckBleGFtcGxlLm9yZw==",
  "cHc=",
  "*",
  "STLS",
  "STAT",
  "LIST",
  "LIST 1",
  "LIST 3",
  "UIDL",
  "UIDL 2",
  "RETR 1",
  "RETR 2",
  "TOP 1 0",
  "TOP 2 1",
  "DELE 1",
  "DELE 2",
  "NOOP",
  "RSET",
  "QUIT",
];

/** A status line as RFC 2449 §3 allows, or a SASL challenge, and each line within 512 octets. */
const REPLY = /^(?:\+OK|-ERR|\+ )/;

test("random command lines get well-formed replies and never throw", async () => {
  const random = seededRandom(fuzzSeed(5));
  const iterations = fuzzIterations(300);
  for (let i = 0; i < iterations; i++) {
    const drop = new FakeMaildrop(["Subject: a\r\n\r\nbody\r\n", "Subject: b\r\n\r\n.x\r\n"]);
    if (random() < 0.2) drop.gone.add(2);
    const session = new Pop3Session({
      hostname: "pop.example.org",
      loopback: random() < 0.5,
      tls: random() < 0.5,
      stls: random() < 0.7,
      maxErrors: 1 + Math.floor(random() * 30),
      authenticate: (username, password) =>
        Promise.resolve(
          password === "pw" && username === "user@example.org"
            ? { ok: true, user: username }
            : { ok: false, blocked: random() < 0.1 },
        ),
      openMaildrop: () => Promise.resolve(drop),
    });
    for (let n = 0; n < 25 && !session.closed; n++) {
      const line = fuzzLine(random, WORDS, { plain: 0.55, spliced: 0.3, junkMax: 300 });
      const output = await session.command(line);
      if (output.replies !== "") {
        assert.match(output.replies, REPLY, output.replies);
        assert.ok(output.replies.endsWith("\r\n"));
        for (const reply of output.replies.split("\r\n")) assert.ok(Buffer.byteLength(reply) <= 510);
      }
      switch (output.action?.kind) {
        case "body":
          output.action.stream.destroy();
          session.bodySent(random() < 0.8);
          break;
        case "stls":
          session.tlsStarted();
          break;
        case "close":
        case undefined:
          break;
      }
    }
    await session.release();
    assert.ok(drop.released <= 1);
    // Nothing is removed without QUIT, and only messages marked deleted are.
    for (const uids of drop.removed) for (const uid of uids) assert.ok(uid === 1 || uid === 2);
  }
});

test("the codec and TopFilter take any bytes without throwing", () => {
  const random = seededRandom(fuzzSeed(6));
  const iterations = fuzzIterations(2000);
  for (let i = 0; i < iterations; i++) {
    const bytes = Buffer.from(
      Array.from({ length: Math.floor(random() * 40) }, () => {
        const r = random();
        return r < 0.3
          ? 0x30 + Math.floor(random() * 10)
          : r < 0.5
            ? 0x20
            : r < 0.6
              ? 0x0a
              : Math.floor(random() * 256);
      }),
    );
    const command = parseCommand(bytes);
    if (command) assert.match(command.verb, /^[A-Z]{3,4}$/);
    const numbers = parseNumbers(bytes, 0, 3);
    if (numbers) for (const n of numbers) assert.ok(Number.isSafeInteger(n) && n >= 0);
    const lines = Math.floor(random() * 4);
    const whole = new TopFilter(lines).push(bytes);
    const split = new TopFilter(lines);
    const at = Math.floor(random() * (bytes.length + 1));
    const parts = Buffer.concat([split.push(bytes.subarray(0, at)), split.push(bytes.subarray(at))]);
    assert.deepEqual(parts, whole);
  }
});
