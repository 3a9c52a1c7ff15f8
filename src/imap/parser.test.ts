import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CommandReader,
  Cursor,
  ImapSyntaxError,
  literalAt,
  parseTagVerb,
  type ReaderEvent,
} from "./parser.js";

const LIMITS = { maxLineLength: 200, maxLiteralSize: 100, maxCommandSize: 1000 };

/** Feeds `input` and collects events, accepting every literal (or streaming APPEND's). */
function readAll(input: Buffer, split: number[] = []): ReaderEvent[] {
  const reader = new CommandReader(LIMITS);
  const events: ReaderEvent[] = [];
  let from = 0;
  for (const at of [...split, input.length]) {
    reader.push(input.subarray(from, at));
    from = at;
    for (let e = reader.next(); e !== null; e = reader.next()) {
      events.push(e);
      if (e.kind === "literal") {
        if (e.verb === "APPEND") reader.streamLiteral();
        else reader.acceptLiteral();
      }
    }
  }
  return events;
}

function describe(events: ReaderEvent[]): string[] {
  const out: string[] = [];
  let data = "";
  for (const e of events) {
    if (e.kind === "data") {
      data += e.chunk.toString();
      continue;
    }
    if (data !== "") {
      out.push(`data:${data}`);
      data = "";
    }
    if (e.kind === "command") {
      out.push(
        `command:${e.command.lines.map((l) => l.toString()).join("|")}/${e.command.literals.map((l) => l.toString()).join("|")}`,
      );
    } else if (e.kind === "literal")
      out.push(`literal:${e.tag}:${e.verb}:${e.size}:${e.sync ? "sync" : "nonsync"}`);
    else out.push(e.kind);
  }
  return out;
}

const SAMPLE = Buffer.from(
  'a1 LOGIN {4}\r\nuser {5+}\r\npass!\r\n\r\na2 APPEND INBOX (\\Seen) {12}\r\nHello\r\nWorld\r\na3 SELECT "IN\\"BOX"\r\n',
);

test("commands, literals and a streamed APPEND literal", () => {
  assert.deepEqual(describe(readAll(SAMPLE)), [
    "literal:a1:LOGIN:4:sync",
    "literal:a1:LOGIN:5:nonsync",
    "command:a1 LOGIN {4}| {5+}|/user|pass!",
    "literal:a2:APPEND:12:sync",
    "data:Hello\r\nWorld",
    "data-end",
    "command:a2 APPEND INBOX (\\Seen) {12}|/",
    'command:a3 SELECT "IN\\"BOX"/',
  ]);
});

test("the same events whatever the input is split at (every single offset, and pairs)", () => {
  const expected = describe(readAll(SAMPLE));
  for (let i = 1; i < SAMPLE.length; i++) {
    assert.deepEqual(describe(readAll(SAMPLE, [i])), expected, `split at ${i}`);
  }
  for (let i = 1; i < SAMPLE.length; i += 7) {
    for (let j = i + 1; j < SAMPLE.length; j += 5)
      assert.deepEqual(describe(readAll(SAMPLE, [i, j])), expected);
  }
});

test("a refused synchronising literal forgets the command; a skipped one is read into the void", () => {
  const reader = new CommandReader(LIMITS);
  reader.push(Buffer.from("a1 APPEND INBOX {500}\r\na2 NOOP\r\n"));
  const first = reader.next();
  assert.equal(first?.kind, "literal");
  reader.rejectLiteral();
  const next = reader.next();
  assert.equal(next?.kind, "command");
  assert.equal(next?.kind === "command" && next.command.lines[0]!.toString(), "a2 NOOP");

  const skipping = new CommandReader(LIMITS);
  skipping.push(Buffer.from("b1 SEARCH TEXT {10+}\r\n0123456789 TEXT {3+}\r\nabc\r\nb2 NOOP\r\n"));
  assert.equal(skipping.next()?.kind, "literal");
  skipping.skipLiteral();
  const skipped = skipping.next();
  assert.deepEqual(skipped, { kind: "skipped", tag: "b1" });
  const after = skipping.next();
  assert.equal(after?.kind === "command" && after.command.lines[0]!.toString(), "b2 NOOP");
  assert.throws(() => {
    skipping.acceptLiteral();
  }, TypeError);
});

test("expectLine gives the next line raw; discardBuffered drops what was read ahead", () => {
  const reader = new CommandReader(LIMITS);
  reader.expectLine();
  reader.push(Buffer.from("AGZvbwBiYXI= {5}\r\nx1 NOOP\r\n"));
  const line = reader.next();
  assert.equal(line?.kind === "line" && line.line.toString(), "AGZvbwBiYXI= {5}");
  assert.equal(reader.discardBuffered(), 9);
  assert.equal(reader.next(), null);
});

test("over-long lines, literals and commands are reported with the tag when known", () => {
  const reader = new CommandReader(LIMITS);
  reader.push(Buffer.from(`t1 NOOP ${"x".repeat(300)}`));
  assert.deepEqual(reader.next(), { kind: "too-long", tag: "t1", what: "line" });
  assert.equal(reader.next(), null);
  const commands = new CommandReader(LIMITS);
  commands.push(Buffer.from("t2 LOGIN {90}\r\n"));
  for (let i = 0; i < 12; i++) {
    const e = commands.next();
    if (e?.kind === "literal") {
      commands.acceptLiteral();
      commands.push(Buffer.from(`${"y".repeat(90)} {90}\r\n`));
    } else {
      assert.deepEqual(e, { kind: "too-long", tag: "t2", what: "command" });
      return;
    }
  }
  assert.fail("the command cap was not applied");
});

test("literalAt and parseTagVerb", () => {
  assert.deepEqual(literalAt(Buffer.from("a LOGIN {12}")), { size: 12, sync: true });
  assert.deepEqual(literalAt(Buffer.from("a LOGIN {0+}")), { size: 0, sync: false });
  assert.equal(literalAt(Buffer.from("a LOGIN {}")), undefined);
  assert.equal(literalAt(Buffer.from("a LOGIN {99999999999}")), undefined);
  assert.equal(literalAt(Buffer.from('a LOGIN "{5}"')), undefined);
  assert.deepEqual(parseTagVerb(Buffer.from("x1 uid fetch 1 FLAGS")), { tag: "x1", verb: "UID FETCH" });
  assert.deepEqual(parseTagVerb(Buffer.from("+ x")), { tag: undefined, verb: "" });
});

function cursor(text: string, literals: string[] = []): Cursor {
  return new Cursor({
    lines: text.split("\n").map((l) => Buffer.from(l)),
    literals: literals.map((l) => Buffer.from(l)),
  });
}

test("Cursor: atoms, quoted strings with escapes, literals, NIL, numbers", () => {
  const c = cursor('atom "a \\"q\\" \\\\" {3}\n NIL 42 ]x]', ["lit"]);
  assert.equal(c.atom(), "atom");
  c.sp();
  assert.equal(c.string().toString(), 'a "q" \\');
  c.sp();
  assert.equal(c.astring().toString(), "lit");
  c.sp();
  assert.equal(c.nstring(), null);
  c.sp();
  assert.equal(c.number(), 42);
  c.sp();
  assert.equal(c.astring().toString(), "]x]");
  c.end();
});

test("Cursor: syntax errors name what was expected", () => {
  assert.throws(() => cursor('"open').string(), /not closed/);
  assert.throws(() => cursor('"bad \\n"').string(), /escaped/);
  const twoSpaces = cursor("  two");
  twoSpaces.sp();
  assert.throws(() => twoSpaces.atom(), ImapSyntaxError); // RFC 3501 §9: SP is exactly one space
  assert.throws(() => {
    cursor("\ttab").sp();
  }, /Expected a space/);
  assert.throws(() => cursor("4294967296").number(), /out of range/);
  assert.throws(() => cursor("0").nzNumber(), ImapSyntaxError);
  assert.throws(() => cursor("{3} x", ["abc"]).astring(), /must end its line/);
});

test("Cursor: sequence sets, flags, dates", () => {
  assert.deepEqual(cursor("1:3,7,*:5,9").sequenceSet(), [
    { from: 1, to: 3 },
    { from: 7, to: 7 },
    { from: 5, to: Infinity },
    { from: 9, to: 9 },
  ]);
  assert.throws(() => cursor("0:3").sequenceSet(), ImapSyntaxError);
  assert.deepEqual(cursor("(\\Seen $Work \\Flagged)").flagList(), ["\\Seen", "$Work", "\\Flagged"]);
  assert.deepEqual(cursor('"1-Feb-1994"').date(), { year: 1994, month: 1, day: 1 });
  assert.deepEqual(cursor("28-dec-2024").date(), { year: 2024, month: 11, day: 28 });
  assert.equal(cursor('"17-Jul-1996 02:44:25 -0700"').dateTime().toISOString(), "1996-07-17T09:44:25.000Z");
  assert.equal(cursor('" 7-Jul-1996 02:44:25 +0000"').dateTime().toISOString(), "1996-07-07T02:44:25.000Z");
  assert.throws(() => cursor('"31-Feb-1996 02:44:25 +0000"').dateTime(), /not a real date/);
  assert.throws(() => cursor('"1-Foo-1996 02:44:25 +0000"').dateTime(), ImapSyntaxError);
});
