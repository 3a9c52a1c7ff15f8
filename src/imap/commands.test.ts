import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeMailbox, parseAppend, parseCommand, type Command } from "./commands.js";

function parse(text: string, literals: string[] = []): ReturnType<typeof parseCommand> {
  return parseCommand({
    lines: text.split("\n").map((l) => Buffer.from(l)),
    literals: literals.map((l) => Buffer.from(l)),
  });
}

function command(text: string, literals: string[] = []): Command {
  const result = parse(text, literals);
  if (result.kind !== "command") assert.fail(`${text}: ${JSON.stringify(result)}`);
  return result.command;
}

test("verbs are case-insensitive; UID forms; tags keep their case", () => {
  assert.deepEqual(command("Ab1 noop"), { tag: "Ab1", name: "NOOP" });
  const fetch = command('t uid fetch 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From "To")]<0.100>)');
  assert.equal(fetch.name, "FETCH");
  assert.ok(fetch.name === "FETCH" && fetch.uid);
  assert.deepEqual(fetch.name === "FETCH" && fetch.items[1], {
    kind: "section",
    peek: true,
    section: { part: [], text: "HEADER.FIELDS", fields: ["From", "To"] },
    partial: { start: 0, length: 100 },
    label: "BODY[HEADER.FIELDS (From To)]<0>",
  });
  assert.deepEqual(command("t UID EXPUNGE 3:5"), { tag: "t", name: "EXPUNGE", uids: [{ from: 3, to: 5 }] });
});

test("FETCH macros and section forms", () => {
  const all = command("t FETCH 1 ALL");
  assert.deepEqual(all.name === "FETCH" && all.items.map((i) => i.kind), [
    "FLAGS",
    "INTERNALDATE",
    "RFC822.SIZE",
    "ENVELOPE",
  ]);
  const full = command("t FETCH 1 full");
  assert.deepEqual(full.name === "FETCH" && full.items.map((i) => i.kind), [
    "FLAGS",
    "INTERNALDATE",
    "RFC822.SIZE",
    "ENVELOPE",
    "BODY",
  ]);
  const labels = command("t FETCH 1 (BODY[] BODY[1.2.MIME] BODY[2.TEXT] RFC822.HEADER RFC822 BODY[1])");
  assert.deepEqual(
    labels.name === "FETCH" && labels.items.map((i) => (i.kind === "section" ? i.label : i.kind)),
    ["BODY[]", "BODY[1.2.MIME]", "BODY[2.TEXT]", "RFC822.HEADER", "RFC822", "BODY[1]"],
  );
  for (const bad of [
    "t FETCH 1 (BODY[MIME])",
    "t FETCH 1 BODY[1.]",
    "t FETCH 1 BODY[0]",
    "t FETCH 1 BODY.PEEK",
    "t FETCH 1 BODY[]<1.0>",
    "t FETCH 1 ()",
    "t FETCH 1 FROB",
  ]) {
    assert.equal(parse(bad).kind, "bad", bad);
  }
});

test("STORE, SEARCH, APPEND, LIST, STATUS, ID arguments", () => {
  assert.deepEqual(command("t STORE 1,2 -FLAGS.SILENT \\Seen \\Deleted"), {
    tag: "t",
    name: "STORE",
    uid: false,
    set: [
      { from: 1, to: 1 },
      { from: 2, to: 2 },
    ],
    mode: "remove",
    silent: true,
    flags: ["\\Seen", "\\Deleted"],
  });
  const search = command('t SEARCH CHARSET utf-8 OR (FROM "a b" SINCE 1-Jan-2020) NOT 2:4');
  assert.ok(search.name === "SEARCH");
  assert.equal(search.program.charset, "UTF-8");
  assert.equal(search.program.key.op, "or");
  const append = parseAppend({
    lines: [Buffer.from('t APPEND "Sent" (\\Seen) " 5-Jan-2024 10:00:00 +0100" {5}')],
    literals: [],
  });
  assert.ok(append.kind === "ok");
  assert.equal(append.command.mailbox.name, "Sent");
  assert.deepEqual(append.command.flags, ["\\Seen"]);
  assert.equal(append.command.date?.toISOString(), "2024-01-05T09:00:00.000Z");
  assert.equal(parseAppend({ lines: [Buffer.from("t APPEND INBOX hello")], literals: [] }).kind, "bad");
  const list = command(
    't LIST (SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" Work/%) RETURN (CHILDREN STATUS (MESSAGES))',
  );
  assert.ok(list.name === "LIST");
  assert.deepEqual(list.patterns, ["INBOX", "Work/%"]);
  assert.equal(list.options.subscribed && list.options.recursiveMatch && list.options.extended, true);
  assert.deepEqual(list.options.returnStatus, ["MESSAGES"]);
  assert.equal(parse('t LIST (RECURSIVEMATCH) "" *').kind, "bad");
  assert.deepEqual(
    command("t STATUS INBOX (MESSAGES UIDNEXT SIZE)").name === "STATUS" &&
      command("t STATUS INBOX (MESSAGES UIDNEXT SIZE)"),
    {
      tag: "t",
      name: "STATUS",
      mailbox: { name: "INBOX", wire: "INBOX" },
      items: ["MESSAGES", "UIDNEXT", "SIZE"],
    },
  );
  assert.equal(parse("t STATUS INBOX ()").kind, "bad");
  const id = command('t ID ("name" "x" "version" NIL)');
  assert.ok(id.name === "ID");
  assert.deepEqual(
    [...(id.params ?? [])],
    [
      ["name", "x"],
      ["version", null],
    ],
  );
});

test("bad commands: no tag, no verb, unknown verb, trailing junk", () => {
  assert.deepEqual(parse("*"), { kind: "bad", tag: undefined, text: "Error in IMAP command: no valid tag" });
  assert.deepEqual(parse("t "), { kind: "bad", tag: "t", text: "Error in IMAP command: no command name" });
  assert.deepEqual(parse("t XYZZY 1"), { kind: "unknown", tag: "t", verb: "XYZZY" });
  assert.equal(parse("t NOOP now").kind, "bad");
  assert.equal(parse("t LOGIN a").kind, "bad");
  assert.equal(parse("t SELECT INBOX (CONDSTORE)").kind, "bad");
});

test("mailbox names: modified UTF-7 decoded, raw UTF-8 taken, control characters refused", () => {
  assert.equal(decodeMailbox("Entw&APw-rfe"), "Entwürfe");
  assert.equal(decodeMailbox("Entwürfe"), "Entwürfe");
  assert.equal(decodeMailbox("a&Jjo"), undefined);
  assert.equal(decodeMailbox("a\u0001b"), undefined);
  const select = command("t SELECT Entw&APw-rfe");
  assert.deepEqual(select.name === "SELECT" && select.mailbox, { name: "Entwürfe", wire: "Entw&APw-rfe" });
});
