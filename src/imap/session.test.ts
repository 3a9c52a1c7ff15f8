import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FolderRegistry } from "../mail/store/folder-state.js";
import { MailStore } from "../mail/store/store.js";
import { IMAP_LIMITS } from "./limits.js";
import { Collector } from "./test-support.js";
import { ImapSession, type ImapSessionOptions, type StepResult } from "./session.js";

interface Harness {
  session: ImapSession;
  store: MailStore;
  /** Sends lines (CRLF added) and returns what the session answered. */
  send(input: string): Promise<string>;
  actions: StepResult["action"][];
}

async function harness(t: TestContext, options: Partial<ImapSessionOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "portico-imap-session-"));
  const registry = new FolderRegistry();
  const store = new MailStore(join(dir, "Maildir"), { registry, pollIntervalMs: 50 });
  const session = new ImapSession({
    hostname: "imap.test",
    tls: false,
    starttls: true,
    loopback: true,
    maxMessageSize: 10_000,
    limits: { ...IMAP_LIMITS },
    authenticate: (user, password) =>
      Promise.resolve(
        user === "u@x.test" && password === "pw" ? { ok: true, user } : { ok: false, blocked: false },
      ),
    openStore: () => store,
    ...options,
  });
  t.after(async () => {
    session.close();
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const actions: StepResult["action"][] = [];
  return {
    session,
    store,
    actions,
    async send(input: string): Promise<string> {
      const out = new Collector();
      session.push(Buffer.from(input.replace(/\n/g, "\r\n")));
      for (;;) {
        const result = await session.step(out);
        if (result.action !== undefined) actions.push(result.action);
        if (!result.progressed) break;
      }
      return out.text;
    },
  };
}

const MESSAGE = (n: number): Buffer =>
  Buffer.from(
    `From: a@b.test\r\nSubject: m${n}\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\npart one ${n}\r\n--x\r\nContent-Type: text/html\r\n\r\n<b>two</b>\r\n--x--\r\n`,
  );

test("greeting and capabilities: LOGINDISABLED off loopback without TLS (RFC 3501 §6.2.3)", async (t) => {
  const open = await harness(t);
  assert.match(
    open.session.greeting(),
    /^\* OK \[CAPABILITY IMAP4rev1 .*STARTTLS AUTH=PLAIN AUTH=LOGIN\] imap\.test /,
  );
  const remote = await harness(t, { loopback: false });
  assert.match(remote.session.greeting(), /STARTTLS LOGINDISABLED\]/);
  assert.doesNotMatch(remote.session.greeting(), /AUTH=PLAIN/);
  assert.match(await remote.send("a LOGIN u@x.test pw\n"), /^a NO \[PRIVACYREQUIRED\]/);
  assert.match(await remote.send("b AUTHENTICATE PLAIN\n"), /^b NO \[PRIVACYREQUIRED\]/);
  assert.match(await remote.send("c STARTTLS\n"), /^c OK Begin TLS/);
  assert.deepEqual(remote.actions, ["starttls"]);
  remote.session.tlsStarted();
  assert.match(await remote.send("d CAPABILITY\n"), /AUTH=PLAIN/);
  assert.doesNotMatch(await remote.send("e CAPABILITY\n"), /STARTTLS|LOGINDISABLED/);
  assert.match(await remote.send("f LOGIN u@x.test pw\n"), /^f OK \[CAPABILITY .*UIDPLUS/);
});

test("commands in the wrong state are refused; LOGOUT ends with BYE and close", async (t) => {
  const h = await harness(t);
  assert.equal(await h.send("a SELECT INBOX\n"), "a BAD Not authenticated\r\n");
  assert.match(await h.send("a LOGIN u@x.test wrong\n"), /^a NO \[AUTHENTICATIONFAILED\]/);
  assert.match(await h.send("b LOGIN u@x.test pw\n"), /^b OK/);
  assert.equal(await h.send("c LOGIN u@x.test pw\n"), "c BAD Already authenticated\r\n");
  assert.equal(await h.send("d FETCH 1 FLAGS\n"), "d BAD No mailbox selected\r\n");
  assert.match(await h.send("e SELECT INBOX\n"), /e OK \[READ-WRITE\]/);
  assert.match(await h.send("f ENABLE UTF8=ACCEPT\n"), /f BAD ENABLE is valid only before/);
  assert.equal(await h.send("g LOGOUT\n"), "* BYE Logging out\r\ng OK Logout completed\r\n");
  assert.deepEqual(h.actions, ["close"]);
  assert.equal(h.session.closed, true);
});

test("AUTHENTICATE PLAIN with an initial response (RFC 4959), in two steps, and cancelled", async (t) => {
  const h = await harness(t);
  const plain = Buffer.from("\0u@x.test\0pw").toString("base64");
  assert.match(await h.send("x AUTHENTICATE PLAIN *\n"), /x BAD/);
  assert.equal(await h.send("a AUTHENTICATE PLAIN\n"), "+ \r\n");
  assert.match(await h.send("*\n"), /^a BAD .*cancelled/);
  assert.equal(await h.send("b AUTHENTICATE PLAIN\n"), "+ \r\n");
  assert.match(await h.send(`${plain}\n`), /^b OK \[CAPABILITY/);
  const other = await harness(t);
  assert.match(await other.send(`c AUTHENTICATE PLAIN ${plain}\n`), /^c OK/);
  const wrong = await harness(t);
  assert.match(
    await wrong.send(`d AUTHENTICATE plain ${Buffer.from("\0u@x.test\0no").toString("base64")}\n`),
    /^d NO \[AUTHENTICATIONFAILED\]/,
  );
  assert.match(await wrong.send("e AUTHENTICATE CRAM-MD5\n"), /^e NO .*unsupported/);
});

test("SELECT reports FLAGS, EXISTS, RECENT, UNSEEN, UIDVALIDITY, UIDNEXT; EXAMINE is read-only", async (t) => {
  const h = await harness(t);
  for (let i = 1; i <= 3; i++) await h.store.deliver(MESSAGE(i));
  await h.send("a LOGIN u@x.test pw\n");
  // This view sees the messages first, so they are \Recent to it, not to the session.
  const box = await h.store.open("INBOX");
  await box.setFlags([1], ["\\Seen"]);
  box.close();
  const selected = await h.send("b SELECT inbox\n");
  assert.match(
    selected,
    /^\* FLAGS \(\\Answered \\Flagged \\Deleted \\Seen \\Draft \$Forwarded\)\r\n\* OK \[PERMANENTFLAGS \([^)]*\\\*\)\] .*\r\n\* 3 EXISTS\r\n\* 0 RECENT\r\n\* OK \[UNSEEN 2\] .*\r\n\* OK \[UIDVALIDITY \d+\] .*\r\n\* OK \[UIDNEXT 4\] .*\r\nb OK \[READ-WRITE\] Select completed\r\n$/,
  );
  const examined = await h.send("c EXAMINE INBOX\n");
  assert.match(examined, /PERMANENTFLAGS \(\)/);
  assert.match(examined, /\* 0 RECENT/);
  assert.match(examined, /c OK \[READ-ONLY\]/);
  assert.match(await h.send("d STORE 1 +FLAGS (\\Flagged)\n"), /d NO \[READ-ONLY\]/);
  // RFC 3501 §6.4.5: FETCH BODY[] of a read-only mailbox does not set \Seen.
  assert.doesNotMatch(await h.send("e FETCH 2 (BODY[])\n"), /\\Seen/);
  assert.match(await h.send("f SELECT Nope\n"), /f NO \[NONEXISTENT\]/);
  assert.equal(h.session.state, "authenticated");
});

test("FETCH sections: parts, MIME headers, HEADER.FIELDS(.NOT), partials, missing parts, \\Seen", async (t) => {
  const h = await harness(t);
  await h.store.deliver(MESSAGE(1));
  await h.send("a LOGIN u@x.test pw\nb SELECT INBOX\n");
  assert.equal(
    await h.send(
      "c FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS.NOT (content-type from)] BODY.PEEK[1]<2.3> BODY.PEEK[9])\n",
    ),
    "* 1 FETCH (BODY[1] {10}\r\npart one 1 BODY[2.MIME] {27}\r\nContent-Type: text/html\r\n\r\n BODY[HEADER.FIELDS.NOT (content-type from)] {15}\r\nSubject: m1\r\n\r\n BODY[1]<2> {3}\r\nrt  BODY[9] NIL)\r\nc OK Fetch completed\r\n",
  );
  assert.equal(
    await h.send("d FETCH 1 (FLAGS)\n"),
    "* 1 FETCH (FLAGS (\\Recent))\r\nd OK Fetch completed\r\n",
  );
  assert.match(
    await h.send("e FETCH 1 BODY[TEXT]<0.5>\n"),
    /^\* 1 FETCH \(BODY\[TEXT\]<0> \{5\}\r\n--x\r\n FLAGS \(\\Seen \\Recent\)\)\r\n/,
  );
  assert.match(await h.send("f UID FETCH 1 (RFC822.SIZE)\n"), /^\* 1 FETCH \(UID 1 RFC822\.SIZE \d+\)\r\n/);
  assert.match(await h.send("g FETCH 2 FLAGS\n"), /^g BAD .*invalid message sequence number/);
  assert.equal(await h.send("h UID FETCH 99 FLAGS\n"), "h OK Fetch completed\r\n");
  assert.match(await h.send("i FETCH 1 (BODY[HEADER.FIELDS ()])\n"), /^i BAD/);
  assert.match(
    await h.send("j FETCH 1 FAST\n"),
    /^\* 1 FETCH \(FLAGS \(\\Seen \\Recent\) INTERNALDATE "[^"]+" RFC822\.SIZE \d+\)\r\n/,
  );
});

test("STORE: flag modes, .SILENT, refused flags; EXPUNGE numbers count down", async (t) => {
  const h = await harness(t);
  for (let i = 1; i <= 4; i++) await h.store.deliver(MESSAGE(i));
  await h.send("a LOGIN u@x.test pw\nb SELECT INBOX\n");
  assert.equal(
    await h.send("c STORE 1:2 FLAGS (\\Seen Work)\n"),
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Work)\r\n" +
      "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded Work \\*)] Flags permitted\r\n" +
      "* 1 FETCH (FLAGS (\\Seen Work \\Recent))\r\n* 2 FETCH (FLAGS (\\Seen Work \\Recent))\r\nc OK Store completed\r\n",
  );
  assert.equal(await h.send("d STORE 2 -FLAGS.SILENT (Work)\n"), "d OK Store completed\r\n");
  assert.match(await h.send("e STORE 1 +FLAGS (\\Recent)\n"), /^e BAD Invalid system flag \\Recent/);
  assert.match(await h.send("f STORE 1 +FLAGS (bad]word)\n"), /^f BAD/);
  assert.equal(await h.send("g STORE 2:4 +FLAGS.SILENT (\\Deleted)\n"), "g OK Store completed\r\n");
  // Messages 2, 3 and 4 go: each EXPUNGE names the number as it is after the ones before.
  assert.equal(
    await h.send("h EXPUNGE\n"),
    "* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n* 1 RECENT\r\nh OK Expunge completed\r\n",
  );
});

test("IDLE: updates come through notify(); DONE ends it, anything else is BAD", async (t) => {
  const h = await harness(t);
  await h.store.deliver(MESSAGE(1));
  let woken = 0;
  const session = h.session;
  await h.send("a LOGIN u@x.test pw\n");
  // The harness's session has no wake hook; watch the store instead.
  await h.send("b SELECT INBOX\n");
  assert.equal(await h.send("c IDLE\n"), "+ idling\r\n");
  assert.equal(session.idling, true);
  await h.store.deliver(MESSAGE(2));
  const out = new Collector();
  await session.notify(out);
  woken++;
  assert.equal(out.text, "* 2 EXISTS\r\n* 2 RECENT\r\n");
  assert.equal(await h.send("DONE\n"), "c OK Idle completed\r\n");
  assert.equal(await h.send("d IDLE\n"), "+ idling\r\n");
  assert.equal(await h.send("NOPE\n"), "d BAD Expected DONE\r\n");
  assert.equal(woken, 1);
});

test("COPY and MOVE answer COPYUID; to a missing mailbox TRYCREATE", async (t) => {
  const h = await harness(t);
  for (let i = 1; i <= 3; i++) await h.store.deliver(MESSAGE(i));
  await h.send("a LOGIN u@x.test pw\nb SELECT INBOX\n");
  const validity = (await h.store.status("Archive")).uidValidity;
  assert.equal(await h.send("c COPY 1,3 Archive\n"), `c OK [COPYUID ${validity} 1,3 1:2] Copy completed\r\n`);
  assert.match(await h.send("d MOVE 2 Nowhere\n"), /^d NO \[TRYCREATE\]/);
  assert.equal(
    await h.send("e UID MOVE 2:3 Trash\n"),
    `* OK [COPYUID ${(await h.store.status("Trash")).uidValidity} 2:3 1:2] Moved\r\n* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n* 1 RECENT\r\ne OK Move completed\r\n`,
  );
});

test("APPEND checks before the literal: size, mailbox, flags, state", async (t) => {
  const h = await harness(t);
  assert.match(await h.send("a APPEND INBOX {10}\n"), /^a BAD Command APPEND not valid/);
  await h.send("b LOGIN u@x.test pw\n");
  assert.match(await h.send("c APPEND INBOX {20000}\n"), /^c NO \[TOOBIG\]/);
  assert.match(await h.send("d APPEND Nope {10}\n"), /^d NO \[TRYCREATE\]/);
  assert.match(await h.send("e APPEND INBOX (\\Recent) {10}\n"), /^e BAD/);
  assert.match(await h.send('f APPEND INBOX "bad date" {10}\n'), /^f BAD/);
  assert.equal(await h.send("g APPEND INBOX {10}\n"), "+ Ready for literal data\r\n");
  assert.match(await h.send("0123456789\n"), /^g OK \[APPENDUID \d+ 1\]/);
  assert.match(
    await h.send("h APPEND INBOX {3+}\nabc extra\n"),
    /^h BAD .*unexpected data after the message/,
  );
  assert.equal((await h.store.status("INBOX")).messages, 1);
});

test("untagged BAD without a tag; too many bad commands end the session", async (t) => {
  const h = await harness(t, { limits: { ...IMAP_LIMITS, maxBadCommands: 3 } });
  assert.match(await h.send("\n\n(garbage\n"), /^\* BAD /);
  assert.match(await h.send("a UID FROB 1\n"), /^a BAD .*unknown command UID FROB/);
  assert.match(await h.send('b LOGIN "x\n'), /^b BAD .*\r\n\* BYE Too many invalid IMAP commands\r\n$/);
  assert.deepEqual(h.actions, ["close"]);
});

test("SEARCH: keys, CHARSET, BADCHARSET, UID SEARCH", async (t) => {
  const h = await harness(t);
  for (let i = 1; i <= 3; i++) await h.store.deliver(MESSAGE(i));
  await h.send("a LOGIN u@x.test pw\nb SELECT INBOX\nc STORE 2 +FLAGS (\\Flagged)\n");
  assert.equal(await h.send("d SEARCH FLAGGED\n"), "* SEARCH 2\r\nd OK Search completed\r\n");
  assert.equal(
    await h.send('e SEARCH CHARSET UTF-8 BODY "part one 3"\n'),
    "* SEARCH 3\r\ne OK Search completed\r\n",
  );
  assert.equal(await h.send("f UID SEARCH NOT (1:2)\n"), "* SEARCH 3\r\nf OK Search completed\r\n");
  assert.match(await h.send("g SEARCH CHARSET ISO-2022-JP ALL\n"), /^g NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/);
  assert.equal(
    await h.send("h SEARCH HEADER Content-Type multipart TEXT two\n"),
    "* SEARCH 1 2 3\r\nh OK Search completed\r\n",
  );
  assert.equal(await h.send("i SEARCH OR 1 3 UNFLAGGED\n"), "* SEARCH 1 3\r\ni OK Search completed\r\n");
  assert.match(await h.send("j SEARCH FROB\n"), /^j BAD .*unknown search key FROB/);
});
