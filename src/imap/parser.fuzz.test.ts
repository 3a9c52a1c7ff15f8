/**
 * Fuzz test of the command reader, the grammar and the session's answers: random commands
 * built from IMAP's pieces (literals of both kinds, nested lists, quoted strings with
 * escapes, sections, sequence sets, junk) never make them throw, and every command that
 * is not valid gets a BAD — tagged when it has a tag.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fuzzIterations, fuzzSeed, seededRandom } from "../../test/support/fuzz.js";
import { parseCommand } from "./commands.js";
import { IMAP_LIMITS } from "./limits.js";
import { CommandReader } from "./parser.js";
import { ImapSession } from "./session.js";
import { Collector } from "./test-support.js";

const ITERATIONS = fuzzIterations(1500);
const SEED = fuzzSeed(0x1a9);

const VERBS = [
  "FETCH",
  "UID FETCH",
  "SEARCH",
  "STORE",
  "LOGIN",
  "LIST",
  "STATUS",
  "APPEND",
  "SELECT",
  "COPY",
  "ID",
  "ENABLE",
  "NOOP",
  "X",
];
const PIECES = [
  "1",
  "1:*",
  "*",
  "2,4:7",
  "0",
  "INBOX",
  '"quoted \\" \\\\ str"',
  '"unterminated',
  "(",
  ")",
  "()",
  "((a b) (c (d)))",
  "BODY[HEADER.FIELDS (From To)]<0.10>",
  "BODY.PEEK[1.2.MIME]",
  "BODY[",
  "]",
  "\\Seen",
  "\\",
  "NIL",
  "CHARSET",
  "UTF-8",
  "OR",
  "NOT",
  "{",
  "}",
  "%",
  "\u00e9",
  "\x00",
  "\t",
  '"17-Jul-1996 02:44:25 -0700"',
  "1-Feb-1994",
  "RETURN",
  "(MESSAGES UNSEEN)",
];

function randomCommand(rand: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  let text = rand() < 0.9 ? `t${Math.floor(rand() * 100)} ` : "";
  text += pick(VERBS);
  const n = Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) {
    text += rand() < 0.9 ? " " : "";
    if (rand() < 0.15) {
      const size = Math.floor(rand() * 12);
      const sync = rand() < 0.5;
      const body = Array.from({ length: size }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join(
        "",
      );
      text += `{${size}${sync ? "" : "+"}}\r\n${body}`;
    } else {
      text += pick(PIECES);
    }
  }
  return `${text}\r\n`;
}

test("random commands: the reader and the grammar never throw; a tagged command gets a tagged answer", () => {
  const rand = seededRandom(SEED);
  for (let i = 0; i < ITERATIONS; i++) {
    const input = Buffer.from(randomCommand(rand), "latin1");
    const reader = new CommandReader({ maxLineLength: 500, maxLiteralSize: 8, maxCommandSize: 2000 });
    // Split the input at a random point, as TCP may.
    const at = Math.floor(rand() * input.length);
    reader.push(input.subarray(0, at));
    let pushed = false;
    for (let guard = 0; guard < 100; guard++) {
      const event = reader.next();
      if (event === null) {
        if (pushed) break;
        reader.push(input.subarray(at));
        pushed = true;
        continue;
      }
      if (event.kind === "literal") {
        if (event.size > 8) {
          if (event.sync) reader.rejectLiteral();
          else reader.skipLiteral();
        } else {
          reader.acceptLiteral();
        }
      } else if (event.kind === "command") {
        const result = parseCommand(event.command);
        assert.ok(["command", "bad", "unknown"].includes(result.kind));
      }
    }
  }
});

test("random command streams through a session: every answer is well-formed, nothing throws", async () => {
  const rand = seededRandom(SEED + 1);
  const rounds = Math.max(1, Math.floor(ITERATIONS / 20));
  for (let round = 0; round < rounds; round++) {
    const session = new ImapSession({
      hostname: "fuzz.test",
      tls: false,
      starttls: false,
      loopback: true,
      maxMessageSize: 100,
      limits: { ...IMAP_LIMITS, maxBadCommands: 1000, maxLiteralSize: 8 },
      authenticate: () => Promise.resolve({ ok: false, blocked: false }),
      openStore: () => {
        throw new Error("never authenticated");
      },
    });
    const sink = new Collector();
    for (let i = 0; i < 20 && !session.closed; i++) {
      session.push(Buffer.from(randomCommand(rand), "latin1"));
      for (let guard = 0; guard < 50; guard++) {
        const result = await session.step(sink);
        if (!result.progressed || result.action === "close") break;
      }
    }
    for (const line of sink.text.split("\r\n")) {
      if (line === "") continue;
      // Every response line is untagged (*), a continuation (+), or tagged with a status.
      assert.match(line, /^(\* (OK|NO|BAD|BYE|CAPABILITY|ID)\b|\+ |[^ ]+ (OK|NO|BAD) )/, line);
    }
    session.close();
  }
});
