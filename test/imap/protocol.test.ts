/**
 * Wire tests over raw sockets: what no client library shows plainly — literals (LITERAL+,
 * refusal before the "+"), IDLE pushes, two sessions on one mailbox, bad input, timeouts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MailStore } from "../../src/mail/store/store.js";
import { DataLayout } from "../../src/core/layout.js";
import { message, PASSWORD, rawClient, startServer, USER, type RawClient } from "./support.js";

async function login(port: number, tls = false): Promise<RawClient> {
  const c = await rawClient(port, { tls });
  await c.until(/^\* OK .*\r\n/);
  c.send(`L1 LOGIN ${USER} ${PASSWORD}\r\n`);
  await c.until(/L1 OK/);
  c.reset();
  return c;
}

test("APPEND with a synchronising literal, LITERAL+, and refusals before the literal is sent", async (t) => {
  const server = await startServer(t, { maxMessageSize: 1000 });
  const c = await login(server.port);
  const body = "Subject: sync\r\n\r\nhello\r\n";
  c.send(`A1 APPEND INBOX {${body.length}}\r\n`);
  await c.until(/^\+ /m);
  c.send(`${body}\r\n`);
  await c.until(/A1 OK \[APPENDUID \d+ 1\]/);
  // LITERAL+ (RFC 7888): no "+" is waited for; the flags and the date come first.
  const plus = "Subject: plus\r\n\r\nworld\r\n";
  c.send(`A2 APPEND INBOX (\\Seen) "05-Jan-2024 10:00:00 +0100" {${plus.length}+}\r\n${plus}\r\n`);
  await c.until(/A2 OK \[APPENDUID \d+ 2\]/);
  assert.doesNotMatch(c.text().split("A1 OK")[1]!, /^\+ /m);
  // Too big, synchronising: NO [TOOBIG] at once, no "+"; the session goes on.
  c.reset();
  c.send("A3 APPEND INBOX {5000}\r\n");
  await c.until(/A3 NO \[TOOBIG\]/);
  assert.doesNotMatch(c.text(), /^\+ /m);
  // A mailbox that does not exist: [TRYCREATE], again before the literal.
  c.send("A4 APPEND Nowhere {5}\r\n");
  await c.until(/A4 NO \[TRYCREATE\]/);
  // A non-synchronising literal over the limit cannot be refused politely (RFC 7888 §4).
  c.reset();
  c.send("A5 APPEND INBOX {5000+}\r\n");
  await c.until(/\* BYE \[TOOBIG\]/);
  await c.closed;
  const box = await server.store().open("INBOX");
  t.after(() => {
    box.close();
  });
  assert.equal(box.messages.length, 2);
  assert.deepEqual(box.messages[1]!.flags, ["\\Seen"]);
  assert.equal((await box.internalDate(2)).toISOString(), "2024-01-05T09:00:00.000Z");
});

test("literals in other commands: LOGIN with literals, non-synchronising small ones, a too-big one", async (t) => {
  const server = await startServer(t);
  const c = await rawClient(server.port);
  await c.until(/^\* OK/);
  c.send(`L1 LOGIN {${USER.length}+}\r\n${USER} {${PASSWORD.length}}\r\n`);
  await c.until(/^\+ /m);
  c.send(`${PASSWORD}\r\n`);
  await c.until(/L1 OK/);
  c.send("S1 SELECT {5+}\r\nINBOX\r\n");
  await c.until(/S1 OK \[READ-WRITE\]/);
  c.send("S2 SEARCH SUBJECT {100000}\r\n");
  await c.until(/S2 NO \[TOOBIG\]/);
  c.send("S3 NOOP\r\n");
  await c.until(/S3 OK/);
  const trace = server.traces.map((e) => e.line).join("\n");
  assert.ok(!trace.includes(PASSWORD), "a password sent as a literal is not traced");
  assert.match(trace, /<literal: 5 octets>/);
});

test("IDLE: deliveries in this process and by another one are pushed as EXISTS", async (t) => {
  const server = await startServer(t);
  await server.store().deliver(message("one"));
  const c = await login(server.port);
  c.send("S SELECT INBOX\r\n");
  await c.until(/S OK/);
  c.reset();
  c.send("I IDLE\r\n");
  await c.until(/^\+ idling/m);
  const started = Date.now();
  await server.store().deliver(message("two"));
  await c.until(/\* 2 EXISTS/, 1000);
  assert.ok(Date.now() - started < 1000);
  // Another program (an MDA, Dovecot) delivering into the Maildir: only polling finds it.
  const maildir = new DataLayout(server.dir).maildir(USER);
  await writeFile(join(maildir, "tmp", "external.1"), message("three"));
  await rename(join(maildir, "tmp", "external.1"), join(maildir, "new", "1700000000.external.host"));
  await c.until(/\* 3 EXISTS/, 2000);
  // A flag change by another session shows up as FETCH while idling.
  const other = await login(server.port);
  other.send("S SELECT INBOX\r\nF STORE 1 +FLAGS (\\Flagged)\r\n");
  await other.until(/F OK/);
  await c.until(/\* 1 FETCH \(UID 1 FLAGS \(\\Flagged/, 2000);
  c.send("DONE\r\n");
  await c.until(/I OK/);
});

test("two sessions on one mailbox see each other's EXPUNGE and flag changes, when RFC 3501 §7.4.1 allows", async (t) => {
  const server = await startServer(t);
  for (const s of ["a", "b", "c"]) await server.store().deliver(message(s));
  const a = await login(server.port);
  const b = await login(server.port);
  a.send("S SELECT INBOX\r\n");
  b.send("S SELECT INBOX\r\n");
  await a.until(/S OK/);
  await b.until(/S OK/);
  a.reset();
  b.reset();
  a.send("1 STORE 2 +FLAGS (\\Deleted \\Seen)\r\n2 EXPUNGE\r\n");
  await a.until(/2 OK/);
  assert.match(a.text(), /\* 2 EXPUNGE/);
  // b is told nothing during a FETCH by sequence number: its numbers stay as they were.
  b.send("F1 FETCH 1:3 (FLAGS)\r\n");
  await b.until(/F1 (OK|NO)/);
  assert.doesNotMatch(b.text(), /EXPUNGE/);
  assert.match(b.text(), /\* 3 FETCH/);
  // A NOOP may carry it.
  b.reset();
  b.send("N1 NOOP\r\n");
  await b.until(/N1 OK/);
  assert.match(b.text(), /\* 2 EXPUNGE/);
  // Flags set by a come to b as FETCH FLAGS; b's UID FETCH may carry them too.
  a.send("3 STORE 1 +FLAGS (\\Answered)\r\n");
  await a.until(/3 OK/);
  b.reset();
  b.send("U1 UID FETCH 1 (UID)\r\n");
  await b.until(/U1 OK/);
  assert.match(b.text(), /FLAGS \(\\Answered/);
  // A new message appended through a reaches b as EXISTS at its next NOOP.
  const body = "Subject: new\r\n\r\nx\r\n";
  a.send(`4 APPEND INBOX {${body.length}+}\r\n${body}\r\n`);
  await a.until(/4 OK/);
  b.reset();
  b.send("N2 NOOP\r\n");
  await b.until(/N2 OK/);
  assert.match(b.text(), /\* 3 EXISTS/);
});

test("bad input: tagged BAD, untagged BAD without a tag, BYE after too many", async (t) => {
  const server = await startServer(t, { limits: { maxBadCommands: 4 } });
  const c = await rawClient(server.port);
  await c.until(/^\* OK/);
  c.send("A1 FROBNICATE\r\n");
  await c.until(/A1 BAD .*Unknown command/);
  c.send("+++\r\n");
  await c.until(/^\* BAD /m);
  c.send('A2 LOGIN "unterminated\r\n');
  await c.until(/A2 BAD/);
  c.send("A3 FETCH 1 (FLAGS)\r\n");
  await c.until(/A3 BAD Not authenticated/);
  c.send("A4 NOOP extra\r\n");
  await c.until(/\* BYE Too many invalid IMAP commands/);
  await c.closed;
});

test("a line over the limit ends the session with BYE; autologout after the idle timeout", async (t) => {
  const server = await startServer(t, { limits: { maxLineLength: 100, preAuthTimeoutMs: 300 } });
  const c = await rawClient(server.port);
  await c.until(/^\* OK/);
  c.send(`A1 NOOP ${"x".repeat(200)}\r\n`);
  await c.until(/\* BYE \[TOOBIG\]/);
  await c.closed;
  const idle = await rawClient(server.port);
  await idle.until(/^\* OK/);
  await idle.until(/\* BYE Autologout/, 3000);
  await idle.closed;
});

test("STARTTLS: the command is refused once TLS is on, and plaintext injected after it is dropped", async (t) => {
  const server = await startServer(t);
  const c = await rawClient(server.tlsPort, { tls: true });
  await c.until(/^\* OK \[CAPABILITY [^\]]*\]/);
  assert.doesNotMatch(c.text(), /STARTTLS|LOGINDISABLED/);
  c.send("T1 STARTTLS\r\n");
  await c.until(/T1 BAD/);
  // The injection attack of RFC 3501 §11.1: commands sent with STARTTLS before the handshake.
  const plain = await rawClient(server.port);
  await plain.until(/^\* OK/);
  plain.send("T2 STARTTLS\r\nX1 LOGIN user@example.org s3cret\r\n");
  await plain.until(/T2 OK/);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.doesNotMatch(plain.text(), /X1/);
  plain.socket.destroy();
});

test("MOVE, UID EXPUNGE and COPYUID ranges", async (t) => {
  const server = await startServer(t);
  for (const s of ["a", "b", "c", "d"]) await server.store().deliver(message(s));
  const c = await login(server.port);
  c.send("S SELECT INBOX\r\n");
  await c.until(/S OK/);
  c.reset();
  c.send("M1 MOVE 2:3 Archive\r\n");
  await c.until(/M1 OK/);
  assert.match(c.text(), /\* OK \[COPYUID \d+ 2:3 1:2\] Moved\r\n\* 2 EXPUNGE\r\n\* 2 EXPUNGE\r\n/);
  c.reset();
  c.send("D1 UID STORE 1,4 +FLAGS.SILENT (\\Deleted)\r\nD2 UID EXPUNGE 4\r\n");
  await c.until(/D2 OK/);
  assert.match(c.text(), /\* 2 EXPUNGE/);
  assert.doesNotMatch(c.text(), /\* 1 EXPUNGE/);
  const archive = await new MailStore(new DataLayout(server.dir).maildir(USER)).status("Archive");
  assert.equal(archive.messages, 2);
});

test("LIST-EXTENDED, special use, LIST-STATUS, STATUS=SIZE, NAMESPACE, ID, ENABLE", async (t) => {
  const server = await startServer(t);
  await server.store().deliver(message("x"));
  const c = await login(server.port);
  c.send('L1 LIST (SPECIAL-USE) "" "*"\r\n');
  await c.until(/L1 OK/);
  assert.match(c.text(), /\* LIST \(\\HasNoChildren \\Sent\) "\/" "Sent"/);
  assert.doesNotMatch(c.text(), /"INBOX"/);
  c.reset();
  c.send('L2 LIST "" ("INBOX" "Trash") RETURN (SUBSCRIBED STATUS (MESSAGES UNSEEN SIZE))\r\n');
  await c.until(/L2 OK/);
  assert.match(
    c.text(),
    /\* LIST \(\\HasNoChildren\) "\/" "INBOX"\r\n\* STATUS "INBOX" \(MESSAGES 1 UNSEEN 1 SIZE \d+\)/,
  );
  assert.match(c.text(), /\* LIST \(\\HasNoChildren \\Subscribed \\Trash\) "\/" "Trash"/);
  c.send("C1 CREATE a/b/c\r\n");
  await c.until(/C1 OK/);
  c.reset();
  c.send('L3 LIST "" %\r\nL4 LIST "" a/%\r\nL5 LIST "" (a/%)\r\n');
  await c.until(/L5 OK/);
  assert.match(c.text(), /\* LIST \(\\Noselect \\HasChildren\) "\/" "a"/);
  assert.match(c.text(), /\* LIST \(\\Noselect \\HasChildren\) "\/" "a\/b"\r\nL4 OK/);
  // RFC 5258 §3: extended LIST says \NonExistent for a name that is only a parent.
  assert.match(c.text(), /\* LIST \(\\NonExistent \\Noselect \\HasChildren\) "\/" "a\/b"\r\nL5 OK/);
  c.reset();
  c.send('N NAMESPACE\r\nI ID ("name" "test")\r\nE ENABLE CONDSTORE\r\nX STATUS Nope (MESSAGES)\r\n');
  await c.until(/X NO/);
  assert.match(c.text(), /\* NAMESPACE \(\("" "\/"\)\) NIL NIL/);
  assert.match(c.text(), /\* ID \("name" "Portico"/);
  assert.match(c.text(), /\* ENABLED\r\nE OK/);
  assert.match(c.text(), /X NO \[NONEXISTENT\]/);
});

test("large messages: APPEND streams a 3 MB literal in; FETCH streams it out whole and in a range", async (t) => {
  const server = await startServer(t);
  const c = await login(server.port);
  const body = Buffer.alloc(3 * 1024 * 1024, "0123456789abcdef\r\n");
  const big = Buffer.concat([Buffer.from("Subject: big\r\n\r\n"), body]);
  c.send(`A1 APPEND INBOX {${big.length}+}\r\n`);
  // Sent in pieces, as a client on a slow link would.
  for (let i = 0; i < big.length; i += 256 * 1024) c.send(big.subarray(i, i + 256 * 1024));
  c.send("\r\nS SELECT INBOX\r\n");
  await c.until(/S OK/, 20_000);
  c.reset();
  c.send("F1 FETCH 1 (BODY.PEEK[] BODY.PEEK[TEXT]<1000000.17>)\r\n");
  const text = await c.until(/F1 OK/, 20_000);
  const head = `* 1 FETCH (BODY[] {${big.length}}\r\n`;
  assert.ok(text.startsWith(head), text.slice(0, 100));
  assert.equal(Buffer.from(text.slice(head.length, head.length + big.length), "latin1").equals(big), true);
  const range = body.subarray(1_000_000, 1_000_017).toString("latin1");
  assert.ok(text.includes(` BODY[TEXT]<1000000> {17}\r\n${range})\r\n`));
});

test("pipelined commands sent with FIN are all answered before the server closes", async (t) => {
  const server = await startServer(t);
  await server.store().deliver(message("pipelined"));
  const c = await rawClient(server.port);
  await c.until(/^\* OK/);
  c.socket.end(
    `a LOGIN ${USER} ${PASSWORD}\r\nb SELECT INBOX\r\nc FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\nd LOGOUT\r\n`,
  );
  await c.closed;
  assert.match(
    c.text(),
    /a OK[\s\S]*b OK[\s\S]*Subject: pipelined[\s\S]*c OK[\s\S]*\* BYE[\s\S]*d OK Logout completed\r\n$/,
  );
});

test("stopping the service says BYE to every session, idling or not", async (t) => {
  const server = await startServer(t);
  const idling = await login(server.port);
  idling.send("S SELECT INBOX\r\nI IDLE\r\n");
  await idling.until(/\+ idling/);
  const plain = await rawClient(server.port);
  await plain.until(/^\* OK/);
  await server.service.stop(1000);
  await idling.until(/\* BYE Server shutting down/);
  await plain.until(/\* BYE Server shutting down/);
  await Promise.all([idling.closed, plain.closed]);
});
