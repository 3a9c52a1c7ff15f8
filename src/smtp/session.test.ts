import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createLocalPolicy } from "./policy.js";
import { SmtpSession, type SessionOutput, type SmtpSessionOptions } from "./session.js";

const ACCOUNTS = new Set(["user@example.org", "other@example.org"]);
const policy = createLocalPolicy({
  localDomains: ["example.org"],
  aliases: new Map([
    ["staff@example.org", ["user@example.org", "other@example.org"]],
    ["info@example.org", ["user@example.org"]],
  ]),
  accountExists: (address) => Promise.resolve(ACCOUNTS.has(address)),
});

function session(overrides: Partial<SmtpSessionOptions> = {}): SmtpSession {
  return new SmtpSession({
    hostname: "mx.example.org",
    kind: "mta",
    clientAddress: "192.0.2.1",
    trusted: false,
    loopback: false,
    tls: false,
    starttls: true,
    maxMessageSize: 1000,
    policy,
    authenticate: (c) =>
      Promise.resolve(
        c.username === "user@example.org" && c.password === "pw"
          ? { ok: true, user: c.username }
          : { ok: false, blocked: false },
      ),
    ...overrides,
  });
}

async function send(s: SmtpSession, line: string): Promise<SessionOutput> {
  return s.command(Buffer.from(line));
}

/** The first reply line's code and enhanced code, e.g. "250 2.1.0". */
async function code(s: SmtpSession, line: string): Promise<string> {
  const output = await send(s, line);
  return output.replies.split("\r\n")[0]!.split(" ").slice(0, 2).join(" ");
}

async function ready(s: SmtpSession): Promise<SmtpSession> {
  await send(s, "EHLO client.example.net");
  return s;
}

describe("SmtpSession", () => {
  test("greeting and EHLO advertise the extensions", async () => {
    const s = session();
    assert.equal(s.greeting(), "220 mx.example.org ESMTP Portico\r\n");
    const ehlo = (await send(s, "EHLO client")).replies;
    for (const keyword of [
      "PIPELINING",
      "SIZE 1000",
      "8BITMIME",
      "ENHANCEDSTATUSCODES",
      "SMTPUTF8",
      "CHUNKING",
      "DSN",
      "STARTTLS",
    ]) {
      assert.match(ehlo, new RegExp(`^250[- ]${keyword}\\r$`, "m"));
    }
    assert.doesNotMatch(ehlo, /AUTH/, "no AUTH over plaintext from a remote client");
    assert.match(ehlo, /^250-mx\.example\.org\r\n/);
  });

  test("AUTH is advertised over TLS or loopback, STARTTLS not once TLS", async () => {
    const tls = (await send(session({ tls: true }), "EHLO c")).replies;
    assert.match(tls, /250[- ]AUTH PLAIN LOGIN/);
    assert.doesNotMatch(tls, /STARTTLS/);
    assert.match((await send(session({ loopback: true }), "EHLO c")).replies, /AUTH PLAIN LOGIN/);
    assert.doesNotMatch((await send(session({ starttls: false }), "EHLO c")).replies, /STARTTLS/);
  });

  test("HELO", async () => {
    const s = session();
    assert.equal((await send(s, "HELO client")).replies, "250 mx.example.org\r\n");
    assert.equal(await code(s, "HELO"), "501 5.5.4");
    assert.equal(s.protocol(false), "SMTP");
  });

  test("a full transaction with DATA", async () => {
    const s = await ready(session());
    assert.equal(
      await code(s, "MAIL FROM:<a@example.net> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=x+2B1"),
      "250 2.1.0",
    );
    assert.equal(
      await code(s, "RCPT TO:<user@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;user@example.org"),
      "250 2.1.5",
    );
    const data = await send(s, "DATA");
    assert.equal(data.replies, "354 End data with <CR><LF>.<CR><LF>\r\n");
    assert.equal(data.action?.kind, "data");
    if (data.action?.kind !== "data") return;
    const envelope = data.action.envelope;
    assert.equal(envelope.from, "a@example.net");
    assert.equal(envelope.body, "8BITMIME");
    assert.equal(envelope.ret, "HDRS");
    assert.equal(envelope.envid, "x+2B1");
    assert.deepEqual(envelope.recipients, [
      { address: "user@example.org", notify: ["SUCCESS", "FAILURE"], orcpt: "rfc822;user@example.org" },
    ]);
    assert.equal(envelope.client.protocol, "ESMTP");
    assert.equal(s.state, "data");
    await assert.rejects(send(s, "NOOP"), TypeError);
    assert.equal(s.endData({ kind: "queued", id: "Q1" }).replies, "250 2.0.0 Ok: queued as Q1\r\n");
    assert.equal(s.state, "ready");
  });

  test("null reverse-path, postmaster, plus-addressing, aliases", async () => {
    const s = await ready(session());
    assert.equal(await code(s, "MAIL FROM:<>"), "250 2.1.0");
    assert.equal(await code(s, "RCPT TO:<Postmaster>"), "250 2.1.5");
    assert.equal(await code(s, "RCPT TO:<postmaster@EXAMPLE.org>"), "250 2.1.5");
    assert.equal(await code(s, "RCPT TO:<user+tag@example.org>"), "250 2.1.5");
    assert.equal(await code(s, "RCPT TO:<USER@example.org>"), "250 2.1.5");
    assert.equal(await code(s, "RCPT TO:<staff@example.org>"), "250 2.1.5");
    assert.equal(await code(s, "RCPT TO:<nobody@example.org>"), "550 5.1.1");
    assert.equal(await code(s, "RCPT TO:<nobody+x@example.org>"), "550 5.1.1");
    assert.equal(await code(s, "RCPT TO:<>"), "501 5.1.3");
  });

  test("no open relay: remote recipients only for trusted or authenticated clients", async () => {
    const s = await ready(session());
    await send(s, "MAIL FROM:<a@example.net>");
    assert.equal((await send(s, "RCPT TO:<x@elsewhere.test>")).replies, "550 5.7.1 Relay access denied\r\n");
    assert.equal(await code(s, "RCPT TO:<x@[192.0.2.9]>"), "550 5.7.1");
    const trusted = await ready(session({ trusted: true }));
    await send(trusted, "MAIL FROM:<a@example.net>");
    assert.equal(await code(trusted, "RCPT TO:<x@elsewhere.test>"), "250 2.1.5");
    const authed = await ready(session({ tls: true }));
    assert.equal(
      await code(authed, `AUTH PLAIN ${Buffer.from("\0user@example.org\0pw").toString("base64")}`),
      "235 2.7.0",
    );
    await send(authed, "MAIL FROM:<user@example.org>");
    assert.equal(await code(authed, "RCPT TO:<x@elsewhere.test>"), "250 2.1.5");
    assert.equal((await send(authed, "DATA")).action?.kind, "data");
    assert.equal(s.protocol(false), "ESMTP");
    assert.equal(authed.protocol(false), "ESMTPSA");
    assert.equal(authed.protocol(true), "UTF8SMTPSA");
  });

  test("bad sequence, syntax and unknown commands", async () => {
    const s = session();
    assert.equal(await code(s, "MAIL FROM:<a@b.example>"), "503 5.5.1");
    assert.equal(await code(s, "FOO"), "500 5.5.2");
    await ready(s);
    assert.equal(await code(s, "RCPT TO:<user@example.org>"), "503 5.5.1");
    assert.equal(await code(s, "DATA"), "503 5.5.1");
    assert.equal(await code(s, "MAIL TO:<a@b.example>"), "501 5.5.4");
    assert.equal(await code(s, "MAIL FROM:a@b.example"), "501 5.1.7");
    assert.equal(await code(s, "MAIL FROM:<a..b@b.example>"), "501 5.1.7");
    assert.equal(await code(s, "MAIL FROM:<a@b.example> FOO=1"), "555 5.5.4");
    assert.equal(await code(s, "MAIL FROM:<a@b.example> SIZE=1 SIZE=2"), "501 5.5.4");
    assert.equal(await code(s, "MAIL FROM:<a@b.example> BODY=BINARYMIME"), "501 5.5.4");
    assert.equal(await code(s, "MAIL FROM:<a@b.example> RET=ALL"), "501 5.5.4");
    assert.equal(await code(s, "MAIL FROM:<a@b.example>"), "250 2.1.0");
    assert.equal(await code(s, "MAIL FROM:<a@b.example>"), "503 5.5.1");
    assert.equal(await code(s, "DATA"), "503 5.5.1");
    assert.equal(await code(s, "RCPT TO:<nobody@example.org>"), "550 5.1.1");
    assert.equal(await code(s, "DATA"), "554 5.5.1");
    assert.equal(await code(s, "RCPT TO:<user@example.org> NOTIFY=NEVER,SUCCESS"), "501 5.5.4");
    assert.equal(await code(s, "RCPT TO:<user@example.org> ORCPT=bad"), "501 5.5.4");
    assert.equal(await code(s, "DATA extra"), "501 5.5.4");
    assert.equal(await code(s, "RSET extra"), "501 5.5.4");
    assert.equal(await code(s, "RSET"), "250 2.0.0");
    assert.equal(await code(s, "RCPT TO:<user@example.org>"), "503 5.5.1");
  });

  test("SIZE over the limit is refused at MAIL with 552 5.3.4", async () => {
    const s = await ready(session());
    assert.equal(await code(s, "MAIL FROM:<a@b.example> SIZE=1001"), "552 5.3.4");
    assert.equal(await code(s, "MAIL FROM:<a@b.example> SIZE=x"), "501 5.5.4");
    assert.equal(await code(s, "MAIL FROM:<a@b.example> SIZE=1000"), "250 2.1.0");
    await send(s, "RCPT TO:<user@example.org>");
    await send(s, "DATA");
    assert.equal(s.endData({ kind: "too-large" }).replies, "552 5.3.4 Error: message file too big\r\n");
  });

  test("SMTPUTF8 addresses", async () => {
    const s = await ready(session());
    assert.equal(await code(s, "MAIL FROM:<jöran@b.example>"), "553 5.6.7");
    assert.equal(await code(s, "MAIL FROM:<jöran@b.example> SMTPUTF8"), "250 2.1.0");
    assert.equal(await code(s, "RCPT TO:<user@example.org>"), "250 2.1.5");
    const data = await send(s, "DATA");
    assert.ok(data.action?.kind === "data" && data.action.envelope.smtputf8);
  });

  test("too many recipients: 452 4.5.3", async () => {
    const s = await ready(session({ maxRecipients: 2 }));
    await send(s, "MAIL FROM:<a@b.example>");
    assert.equal(await code(s, "RCPT TO:<user@example.org>"), "250 2.1.5");
    assert.equal(await code(s, "RCPT TO:<other@example.org>"), "250 2.1.5");
    assert.equal(await code(s, "RCPT TO:<postmaster@example.org>"), "452 4.5.3");
  });

  test("too many errors: 421 and close", async () => {
    const s = session({ maxErrors: 3 });
    await send(s, "X1");
    await send(s, "X2");
    const third = await send(s, "X3");
    assert.equal(
      third.replies,
      "500 5.5.2 Error: command not recognized\r\n421 4.7.0 mx.example.org Error: too many errors\r\n",
    );
    assert.equal(third.action?.kind, "close");
    assert.ok(s.closed);
    assert.equal((await send(s, "NOOP")).replies, "");
  });

  test("line length limits: 512 octets per command, more for MAIL/RCPT and AUTH", async () => {
    const s = await ready(session());
    assert.equal(await code(s, `NOOP ${"x".repeat(505)}`), "250 2.0.0");
    assert.equal(await code(s, `NOOP ${"x".repeat(506)}`), "500 5.5.2");
    assert.equal(await code(s, `MAIL FROM:<a@b.example> ENVID=${"x".repeat(100)}`), "250 2.1.0");
    assert.equal(s.lineTooLong().replies, "500 5.5.2 Error: line too long\r\n");
  });

  test("bare line endings: 521 5.5.2 and close", () => {
    const s = session();
    const output = s.bareLineEnding("LF");
    assert.equal(output.replies, "521 5.5.2 mx.example.org Error: bare <LF> received\r\n");
    assert.equal(output.action?.kind, "close");
  });

  test("RSET, NOOP, HELP, QUIT", async () => {
    const s = await ready(session());
    assert.equal((await send(s, "NOOP anything")).replies, "250 2.0.0 Ok\r\n");
    assert.match((await send(s, "HELP")).replies, /^214-2\.0\.0 Commands: .*\r\n214 2\.0\.0 /);
    assert.equal(await code(s, "help mail"), "214-2.0.0 Commands:");
    assert.equal(await code(s, "QUIT now"), "501 5.5.4");
    const quit = await send(s, "quit");
    assert.equal(quit.replies, "221 2.0.0 Bye\r\n");
    assert.equal(quit.action?.kind, "close");
  });

  test("VRFY and EXPN: truthful for trusted clients, 252/502 to others", async () => {
    const s = await ready(session());
    assert.equal(await code(s, "VRFY user@example.org"), "252 2.0.0");
    assert.equal(await code(s, "EXPN staff@example.org"), "502 5.5.1");
    assert.equal(await code(s, "VRFY"), "501 5.5.4");
    const t = await ready(session({ trusted: true }));
    assert.equal((await send(t, "VRFY <user@example.org>")).replies, "250 2.1.5 <user@example.org>\r\n");
    assert.equal(await code(t, "VRFY nobody@example.org"), "550 5.1.1");
    assert.equal(await code(t, "VRFY staff@example.org"), "553 5.1.4");
    assert.equal(await code(t, "VRFY someone@remote.test"), "252 2.0.0");
    assert.equal(
      (await send(t, "EXPN staff@example.org")).replies,
      "250-2.1.5 <user@example.org>\r\n250 2.1.5 <other@example.org>\r\n",
    );
    assert.equal(await code(t, "EXPN info@example.org"), "250 2.1.5");
    assert.equal(await code(t, "EXPN nobody@example.org"), "550 5.1.1");
    assert.equal(await code(t, "EXPN x@remote.test"), "550 5.1.2");
    // [smtp] verify: "everyone" answers anyone truthfully, "nobody" not even trusted clients.
    const open = await ready(session({ verify: "everyone" }));
    assert.equal(await code(open, "VRFY nobody@example.org"), "550 5.1.1");
    assert.equal(await code(open, "EXPN staff@example.org"), "250-2.1.5 <user@example.org>");
    const closed = await ready(session({ trusted: true, verify: "nobody" }));
    assert.equal(await code(closed, "VRFY user@example.org"), "252 2.0.0");
    assert.equal(await code(closed, "EXPN staff@example.org"), "502 5.5.1");
  });

  test("STARTTLS", async () => {
    const s = session();
    assert.equal(await code(s, "STARTTLS"), "503 5.5.1");
    await ready(s);
    assert.equal(await code(s, "STARTTLS now"), "501 5.5.4");
    const go = await send(s, "STARTTLS");
    assert.equal(go.replies, "220 2.0.0 Ready to start TLS\r\n");
    assert.equal(go.action?.kind, "starttls");
    s.tlsStarted();
    assert.equal(s.state, "connected");
    assert.equal(await code(s, "MAIL FROM:<a@b.example>"), "503 5.5.1");
    await ready(s);
    assert.equal(await code(s, "STARTTLS"), "503 5.5.1");
    assert.equal(await code(session({ starttls: false }), "STARTTLS"), "502 5.5.1");
  });

  test("AUTH PLAIN and LOGIN, failures, cancellation, redaction", async () => {
    const plain = Buffer.from("\0user@example.org\0pw").toString("base64");
    const s = await ready(session());
    assert.equal(await code(s, `AUTH PLAIN ${plain}`), "538 5.7.11");
    const t = await ready(session({ tls: true }));
    assert.equal(await code(t, "AUTH CRAM-MD5"), "504 5.5.4");
    assert.equal(await code(t, "AUTH PLAIN !!!"), "501 5.5.2");
    assert.equal(
      await code(t, `AUTH PLAIN ${Buffer.from("\0user@example.org\0no").toString("base64")}`),
      "535 5.7.8",
    );
    assert.equal((await send(t, "AUTH PLAIN")).replies, "334 \r\n");
    assert.equal(t.redact(plain), "***");
    assert.equal(await code(t, "*"), "501 5.7.0");
    assert.equal((await send(t, "AUTH LOGIN")).replies, "334 VXNlcm5hbWU6\r\n");
    assert.equal(
      (await send(t, Buffer.from("user@example.org").toString("base64"))).replies,
      "334 UGFzc3dvcmQ6\r\n",
    );
    assert.equal(await code(t, Buffer.from("pw").toString("base64")), "235 2.7.0");
    assert.equal(t.user, "user@example.org");
    assert.equal(await code(t, "AUTH PLAIN"), "503 5.5.1");
    assert.equal(t.redact(`AUTH PLAIN ${plain}`), "AUTH PLAIN ***");
    const blocked = await ready(
      session({ tls: true, authenticate: () => Promise.resolve({ ok: false, blocked: true }) }),
    );
    assert.equal(await code(blocked, `AUTH PLAIN ${plain}`), "454 4.7.0");
    const busy = await ready(session({ tls: true }));
    await send(busy, "MAIL FROM:<a@b.example>");
    assert.equal(await code(busy, `AUTH PLAIN ${plain}`), "503 5.5.1");
  });

  test("submission requires AUTH (530 5.7.0) and TLS first when remote", async () => {
    const s = await ready(session({ kind: "submission" }));
    assert.equal(
      (await send(s, "MAIL FROM:<a@b.example>")).replies,
      "530 5.7.0 Must issue a STARTTLS command first\r\n",
    );
    const t = await ready(session({ kind: "submission", tls: true }));
    assert.equal((await send(t, "MAIL FROM:<a@b.example>")).replies, "530 5.7.0 Authentication required\r\n");
    assert.equal(await code(t, "RCPT TO:<x@remote.test>"), "530 5.7.0");
    assert.equal(await code(t, "DATA"), "530 5.7.0");
    await send(t, `AUTH PLAIN ${Buffer.from("\0user@example.org\0pw").toString("base64")}`);
    assert.equal(await code(t, "MAIL FROM:<user@example.org>"), "250 2.1.0");
    assert.equal(await code(t, "RCPT TO:<x@remote.test>"), "250 2.1.5");
  });

  test("BDAT chunks, LAST, and refused chunks replied after their bytes", async () => {
    const s = await ready(session());
    const early = await send(s, "BDAT 10");
    assert.deepEqual(early.action, { kind: "bdat", size: 10, last: false });
    assert.equal(early.replies, "");
    assert.equal(s.endChunk({ kind: "discarded" }).replies.slice(0, 9), "503 5.5.1");
    await send(s, "MAIL FROM:<a@b.example>");
    await send(s, "RCPT TO:<user@example.org>");
    const first = await send(s, "BDAT 100");
    assert.equal(first.action?.kind, "bdat");
    assert.ok(first.action?.kind === "bdat" && first.action.envelope !== undefined);
    assert.ok(s.inBdat);
    assert.equal(s.endChunk({ kind: "stored" }).replies, "250 2.0.0 Ok: 100 octets received\r\n");
    assert.equal(await code(s, "DATA"), "503 5.5.1");
    assert.equal(await code(s, "RCPT TO:<other@example.org>"), "503 5.5.1");
    const last = await send(s, "BDAT 0 LAST");
    assert.ok(last.action?.kind === "bdat" && last.action.last);
    assert.equal(s.endChunk({ kind: "queued", id: "Q2" }).replies, "250 2.0.0 Ok: queued as Q2\r\n");
    assert.equal(s.state, "ready");
    assert.equal(await code(s, "BDAT x"), "501 5.5.4");
    // Over the size limit: the chunk is read, then 552, and the transaction is gone.
    await send(s, "MAIL FROM:<a@b.example>");
    await send(s, "RCPT TO:<user@example.org>");
    const big = await send(s, "BDAT 1001 LAST");
    assert.ok(big.action?.kind === "bdat" && big.action.envelope === undefined);
    assert.equal(s.endChunk({ kind: "discarded" }).replies.slice(0, 9), "552 5.3.4");
    assert.equal(s.state, "ready");
  });

  test("a policy failure is a temporary error", async () => {
    const s = await ready(session({ policy: { lookup: () => Promise.reject(new Error("db down")) } }));
    await send(s, "MAIL FROM:<a@b.example>");
    assert.equal(await code(s, "RCPT TO:<user@example.org>"), "451 4.3.0");
  });

  test("shutdown and timeout replies", () => {
    assert.equal(session().shutdown().replies.slice(0, 9), "421 4.3.2");
    assert.equal(session().timeout().replies.slice(0, 9), "421 4.4.2");
  });
});
