import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzzIterations, fuzzLine, fuzzSeed, seededRandom } from "../../test/support/fuzz.js";
import { createLocalPolicy } from "./policy.js";
import { SmtpSession } from "./session.js";

const WORDS = [
  "HELO x",
  "EHLO x",
  "MAIL FROM:<a@b.example>",
  "MAIL FROM:<>",
  "RCPT TO:<user@example.org>",
  "RCPT TO:<x@remote.test>",
  "DATA",
  "BDAT 5",
  "BDAT 0 LAST",
  "RSET",
  "VRFY user@example.org",
  "EXPN staff@example.org",
  "HELP",
  "NOOP",
  "STARTTLS",
  "AUTH PLAIN",
  "AUTH LOGIN",
  "AUTH PLAIN AHVzZXJAZXhhbXBsZS5vcmcAcHc=",
  "*",
  "QUIT",
];

test("random command lines give replies and never throw", async () => {
  const random = seededRandom(fuzzSeed(4));
  const iterations = fuzzIterations(300);
  const policy = createLocalPolicy({
    localDomains: ["example.org"],
    aliases: new Map([["staff@example.org", ["a@example.org", "b@example.org"]]]),
    accountExists: (a) => Promise.resolve(a === "user@example.org"),
  });
  for (let i = 0; i < iterations; i++) {
    const session = new SmtpSession({
      hostname: "mx.example.org",
      kind: random() < 0.5 ? "mta" : "submission",
      clientAddress: "192.0.2.1",
      trusted: random() < 0.3,
      loopback: random() < 0.3,
      tls: random() < 0.3,
      starttls: true,
      maxMessageSize: 100,
      maxErrors: 1000,
      policy,
      authenticate: (c) =>
        Promise.resolve(c.password === "pw" ? { ok: true, user: c.username } : { ok: false, blocked: false }),
    });
    for (let n = 0; n < 20 && !session.closed; n++) {
      const line = fuzzLine(random, WORDS, { plain: 0.5, spliced: 0.3, junkMax: 40 });
      const output = await session.command(line);
      assert.ok(output.replies === "" || /^[2-5][0-9]{2}[ -]/.test(output.replies), output.replies);
      switch (output.action?.kind) {
        case "data":
          session.endData(random() < 0.5 ? { kind: "queued", id: "Q" } : { kind: "too-large" });
          break;
        case "bdat":
          if (output.action.envelope === undefined) {
            assert.match(session.endChunk({ kind: "discarded" }).replies, /^[45]/);
          } else {
            session.endChunk(output.action.last ? { kind: "queued", id: "Q" } : { kind: "stored" });
          }
          break;
        case "starttls":
          session.tlsStarted();
          break;
        case "close":
        case undefined:
          break;
      }
    }
  }
});
