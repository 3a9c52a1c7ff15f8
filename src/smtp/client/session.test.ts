import assert from "node:assert/strict";
import { test } from "node:test";
import { ProtocolError } from "../../core/errors.js";
import { SmtpReplyError, SmtpUnsupportedError } from "./errors.js";
import { parseEhloReply } from "./extensions.js";
import { SmtpClientSession } from "./session.js";
import type { SmtpClientEvent, SmtpClientSessionOptions, SmtpEnvelope } from "./session.js";

/**
 * Runs a transcript: `S:` lines are fed to the session (consecutive ones as one chunk), `C:`
 * lines are what it must have written, `!verb` lines are calls (`!send`, `!end`, `!tls`,
 * `!quit`, `!bdat N`). Returns the events; asserts the whole dialogue matches.
 */
function transcript(
  script: string,
  options: Partial<SmtpClientSessionOptions> = {},
  envelope: SmtpEnvelope = { from: "a@isp.test", recipients: ["b@org.test"] },
): { events: SmtpClientEvent[]; session: SmtpClientSession; trace: string[] } {
  const trace: string[] = [];
  const session = new SmtpClientSession({
    helo: "client.test",
    tls: "none",
    trace: (direction, line) => trace.push(`${direction}: ${line}`),
    ...options,
  });
  const lines = script
    .trim()
    .split("\n")
    .map((l) => l.trim());
  const expected: string[] = [];
  const actual: string[] = [];
  const events: SmtpClientEvent[] = [];
  const collect = (produced: SmtpClientEvent[]): void => {
    events.push(...produced);
    for (const c of session.takeOutput().split("\r\n")) if (c !== "") actual.push(`C: ${c}`);
  };
  let sBuffer: string[] = [];
  const flush = (): void => {
    if (sBuffer.length === 0) return;
    const chunk = sBuffer.map((l) => `${l}\r\n`).join("");
    for (const l of sBuffer) actual.push(`S: ${l}`);
    sBuffer = [];
    collect(session.receive(Buffer.from(chunk)));
  };
  for (const line of lines) {
    if (line.startsWith("S: ")) {
      sBuffer.push(line.slice(3));
      expected.push(line);
      continue;
    }
    flush();
    if (line.startsWith("C: ")) expected.push(line);
    else if (line === "!send") collect(session.send(envelope));
    else if (line === "!end") collect(session.endContent());
    else if (line === "!tls") collect(session.tlsStarted());
    else if (line === "!quit") collect(session.quit());
    else if (line.startsWith("!bdat ")) {
      const ok = session.bdat(Number(line.slice(6)));
      if (!ok) actual.push("(bdat refused)");
      collect([]);
    } else if (line === "(bdat refused)") expected.push(line);
    else throw new Error(`bad script line ${line}`);
  }
  flush();
  assert.deepEqual(actual, expected);
  return { events, session, trace };
}

const EHLO_FULL = `
S: 220 mx.org.test ESMTP
C: EHLO client.test
S: 250-mx.org.test hello
S: 250-SIZE 10240000
S: 250-PIPELINING
S: 250-8BITMIME
S: 250-SMTPUTF8
S: 250-CHUNKING
S: 250-DSN
S: 250-ENHANCEDSTATUSCODES
S: 250 AUTH PLAIN LOGIN`;

const EHLO_PLAIN = `
S: 220 mx.org.test ESMTP
C: EHLO client.test
S: 250-mx.org.test
S: 250 8BITMIME`;

function types(events: readonly SmtpClientEvent[]): string[] {
  return events.map((e) => e.type);
}

test("parseEhloReply reads every keyword", () => {
  const ext = parseEhloReply({
    code: 250,
    lines: [
      "mx",
      "SIZE 1000",
      "PIPELINING",
      "AUTH=LOGIN",
      "AUTH PLAIN LOGIN",
      "STARTTLS",
      "8BITMIME",
      "BINARYMIME",
      "X-junk!",
      "DSN",
    ],
  });
  assert.equal(ext.size, 1000);
  assert.ok(ext.pipelining && ext.starttls && ext.eightBitMime && ext.binaryMime && ext.dsn);
  assert.ok(!ext.chunking && !ext.smtputf8 && !ext.enhancedStatusCodes);
  assert.deepEqual(ext.auth, ["LOGIN", "PLAIN"]);
  assert.equal(parseEhloReply({ code: 250, lines: ["mx", "SIZE"] }).size, 0);
  assert.equal(parseEhloReply({ code: 250, lines: ["mx"] }).size, undefined);
});

test("one message without PIPELINING, one command at a time, then QUIT", () => {
  const { events, trace } = transcript(`
    ${EHLO_PLAIN}
    !send
    C: MAIL FROM:<a@isp.test>
    S: 250 ok
    C: RCPT TO:<b@org.test>
    S: 250 ok
    C: DATA
    S: 354 go ahead
    !end
    S: 250 queued as 1
    !quit
    C: QUIT
    S: 221 bye`);
  assert.deepEqual(types(events), ["ready", "content", "sent", "closed"]);
  const sent = events[2];
  assert.ok(sent?.type === "sent");
  assert.equal(sent.result.finalReply.code, 250);
  assert.deepEqual(
    sent.result.accepted.map((a) => a.rcpt),
    ["b@org.test"],
  );
  assert.ok(trace.includes("C: ."));
});

test("PIPELINING: MAIL, RCPTs and DATA as one group, replies matched in order, per-recipient results", () => {
  const { events } = transcript(
    `${EHLO_FULL}
    !send
    C: MAIL FROM:<a@isp.test> SIZE=1234 BODY=8BITMIME
    C: RCPT TO:<b@org.test>
    C: RCPT TO:<nobody@org.test>
    C: RCPT TO:<c@org.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@org.test
    C: DATA
    S: 250 2.1.0 ok
    S: 250 2.1.5 ok
    S: 550-5.1.1 no such user
    S: 550 5.1.1 really
    S: 250 2.1.5 ok
    S: 354 go
    !end
    S: 250 2.0.0 queued`,
    {},
    {
      from: "a@isp.test",
      recipients: [
        "b@org.test",
        "nobody@org.test",
        { address: "c@org.test", notify: ["SUCCESS", "FAILURE"], orcpt: "rfc822;c@org.test" },
      ],
      size: 1234,
      body: "8BITMIME",
    },
  );
  const sent = events.find((e) => e.type === "sent");
  assert.ok(sent?.type === "sent");
  assert.deepEqual(
    sent.result.accepted.map((a) => a.rcpt),
    ["b@org.test", "c@org.test"],
  );
  assert.equal(sent.result.rejected[0]?.rcpt, "nobody@org.test");
  assert.equal(sent.result.rejected[0]?.reply.enhanced, "5.1.1");
  assert.deepEqual(sent.result.rejected[0]?.reply.lines, ["no such user", "really"]);
  assert.equal(sent.result.finalReply.enhanced, "2.0.0");
});

test("replies split at every byte are matched the same way", () => {
  const handshake = Buffer.from("220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
  const replies = Buffer.from("250-ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
  for (let split = 1; split < handshake.length; split++) {
    const at = split % replies.length;
    const session = new SmtpClientSession({ helo: "c", tls: "none" });
    const events: SmtpClientEvent[] = [];
    events.push(...session.receive(handshake.subarray(0, split)));
    events.push(...session.receive(handshake.subarray(split)));
    events.push(...session.send({ from: "a@b", recipients: ["c@d"] }));
    events.push(...session.receive(replies.subarray(0, at)));
    events.push(...session.receive(replies.subarray(at)));
    assert.deepEqual(types(events), ["ready", "content"], `split at ${split}`);
  }
});

test("EHLO refused with 502: HELO fallback, no extensions used", () => {
  const { events, session } = transcript(
    `S: 220 old.test
    C: EHLO client.test
    S: 502 command not implemented
    C: HELO client.test
    S: 250 old.test
    !send
    C: MAIL FROM:<>
    S: 250 ok
    C: RCPT TO:<b@org.test>`,
    {},
    { from: "", recipients: ["b@org.test"], size: 10, body: "8BITMIME" },
  );
  assert.equal(events[0]?.type, "ready");
  assert.equal(session.extensions.pipelining, false);
});

test("EHLO 421 and a 554 greeting are fatal; 554 is followed by QUIT", () => {
  let { events } = transcript(`
    S: 554 no service for you
    C: QUIT`);
  assert.ok(events[0]?.type === "failed" && events[0].fatal);
  assert.ok(events[0].error instanceof SmtpReplyError);
  assert.equal(events[0].error.stage, "greeting");
  ({ events } = transcript(`
    S: 220 mx
    C: EHLO client.test
    S: 421 4.3.2 shutting down`));
  assert.ok(events[0]?.type === "failed" && events[0].fatal && events[0].error instanceof SmtpReplyError);
  assert.equal(events[0].error.temporary, true);
  assert.equal(events[0].error.enhanced, "4.3.2");
});

test("STARTTLS: upgrade, forget what came in cleartext, EHLO again, then AUTH PLAIN", () => {
  const { events, session, trace } = transcript(
    `S: 220 mx
    C: EHLO client.test
    S: 250-mx
    S: 250-STARTTLS
    S: 250 AUTH LOGIN
    C: STARTTLS
    S: 220 go ahead
    S: 250 injected after 220
    !tls
    C: EHLO client.test
    S: 250-mx
    S: 250 AUTH PLAIN LOGIN
    C: AUTH PLAIN AHVzZXIAc2VjcmV0
    S: 235 2.7.0 ok`,
    { tls: "starttls-required", auth: { username: "user", password: "secret" } },
  );
  assert.deepEqual(types(events), ["starttls", "ready"]);
  assert.ok(session.secure);
  assert.ok(trace.includes("C: AUTH PLAIN ***"));
  assert.ok(!trace.some((l) => l.includes("AHVzZXIAc2VjcmV0")));
});

test("STARTTLS required but not offered: fatal, QUIT; opportunistic carries on", () => {
  let { events } = transcript(`${EHLO_PLAIN}\nC: QUIT`, { tls: "starttls-required" });
  assert.ok(events[0]?.type === "failed" && events[0].error instanceof SmtpUnsupportedError);
  ({ events } = transcript(
    `S: 220 mx
    C: EHLO client.test
    S: 250-mx
    S: 250 STARTTLS
    C: STARTTLS
    S: 454 4.7.0 TLS not available`,
    { tls: "starttls" },
  ));
  assert.deepEqual(types(events), ["ready"]);
});

test("AUTH LOGIN answers the prompts; a 535 is fatal and redacted in the trace", () => {
  const { events, trace } = transcript(
    `S: 220 mx
    C: EHLO client.test
    S: 250-mx
    S: 250 AUTH LOGIN
    C: AUTH LOGIN
    S: 334 VXNlcm5hbWU6
    C: dXNlcg==
    S: 334 UGFzc3dvcmQ6
    C: c2VjcmV0
    S: 535 5.7.8 bad credentials
    C: QUIT`,
    { auth: { username: "user", password: "secret" } },
  );
  assert.ok(events[0]?.type === "failed" && events[0].error instanceof SmtpReplyError);
  assert.equal(events[0].error.stage, "AUTH");
  assert.equal(events[0].error.reply.code, 535);
  assert.ok(!trace.some((l) => l.includes("dXNlcg==") || l.includes("c2VjcmV0")));
  assert.ok(trace.includes("C: ***"));
});

test("AUTH with no usable mechanism is an SmtpUnsupportedError", () => {
  const { events } = transcript(`${EHLO_PLAIN}\nC: QUIT`, { auth: { username: "u", password: "p" } });
  assert.ok(events[0]?.type === "failed" && events[0].error instanceof SmtpUnsupportedError);
});

test("MAIL refused (no PIPELINING): failure without RSET, session ready again", () => {
  const { events, session } = transcript(`
    ${EHLO_PLAIN}
    !send
    C: MAIL FROM:<a@isp.test>
    S: 451 4.3.0 try later`);
  const failed = events[1];
  assert.ok(failed?.type === "failed" && !failed.fatal && failed.error instanceof SmtpReplyError);
  assert.equal(failed.error.stage, "MAIL");
  assert.equal(failed.error.temporary, true);
  assert.ok(session.ready);
});

test("every RCPT refused (no PIPELINING): RSET, failure lists each recipient", () => {
  const { events } = transcript(
    `${EHLO_PLAIN}
    !send
    C: MAIL FROM:<a@isp.test>
    S: 250 ok
    C: RCPT TO:<x@org.test>
    S: 550 5.1.1 unknown
    C: RCPT TO:<y@org.test>
    S: 450 4.2.1 busy
    C: RSET
    S: 250 ok`,
    {},
    { from: "a@isp.test", recipients: ["x@org.test", "y@org.test"] },
  );
  const failed = events[1];
  assert.ok(failed?.type === "failed" && failed.error instanceof SmtpReplyError);
  assert.equal(failed.error.stage, "RCPT");
  assert.deepEqual(
    failed.error.rejected.map((r) => [r.rcpt, r.reply.code]),
    [
      ["x@org.test", 550],
      ["y@org.test", 450],
    ],
  );
});

test("PIPELINING with every RCPT refused and DATA accepted anyway: a lone dot, then RSET", () => {
  const { events } = transcript(`
    ${EHLO_FULL}
    !send
    C: MAIL FROM:<a@isp.test>
    C: RCPT TO:<b@org.test>
    C: DATA
    S: 250 ok
    S: 550 no
    S: 354 go
    C: .
    S: 554 no valid recipients
    C: RSET
    S: 250 ok`);
  assert.deepEqual(types(events), ["ready", "failed"]);
  const failed = events[1];
  assert.ok(failed?.type === "failed" && failed.error instanceof SmtpReplyError);
  assert.equal(failed.error.stage, "RCPT");
});

test("PIPELINING with MAIL refused: RCPT and DATA 503s are absorbed, no RSET", () => {
  const { events, session } = transcript(`
    ${EHLO_FULL}
    !send
    C: MAIL FROM:<a@isp.test>
    C: RCPT TO:<b@org.test>
    C: DATA
    S: 552 5.3.4 too big
    S: 503 5.5.1 no MAIL
    S: 503 5.5.1 no valid recipients`);
  const failed = events[1];
  assert.ok(failed?.type === "failed" && failed.error instanceof SmtpReplyError);
  assert.equal(failed.error.stage, "MAIL");
  assert.equal(failed.error.reply.code, 552);
  assert.ok(session.ready);
});

test("DATA refused, and a final 5xx reply: both reported, the connection reusable", () => {
  const { events } = transcript(`
    ${EHLO_PLAIN}
    !send
    C: MAIL FROM:<a@isp.test>
    S: 250 ok
    C: RCPT TO:<b@org.test>
    S: 250 ok
    C: DATA
    S: 451 4.3.0 later
    C: RSET
    S: 250 ok
    !send
    C: MAIL FROM:<a@isp.test>
    S: 250 ok
    C: RCPT TO:<b@org.test>
    S: 250 ok
    C: DATA
    S: 354 go
    !end
    S: 554 5.7.1 spam
    !send
    C: MAIL FROM:<a@isp.test>
    S: 250 ok
    C: RCPT TO:<b@org.test>`);
  assert.deepEqual(types(events), ["ready", "failed", "content", "failed"]);
  const [, first, , second] = events;
  assert.ok(
    first?.type === "failed" && first.error instanceof SmtpReplyError && first.error.stage === "DATA",
  );
  assert.ok(
    second?.type === "failed" && second.error instanceof SmtpReplyError && second.error.reply.code === 554,
  );
  assert.equal(second.fatal, false);
});

test("a final reply before the content ended is fatal", () => {
  const { events, session } = transcript(`
    ${EHLO_FULL}
    !send
    C: MAIL FROM:<a@isp.test>
    C: RCPT TO:<b@org.test>
    C: DATA
    S: 250 ok
    S: 250 ok
    S: 354 go
    S: 552 too much`);
  assert.ok(events[2]?.type === "failed" && events[2].fatal);
  assert.ok(session.finished);
});

test("BDAT with CHUNKING and PIPELINING: chunks, BDAT 0 LAST, final reply", () => {
  const { events } = transcript(
    `${EHLO_FULL}
    !send
    C: MAIL FROM:<a@isp.test>
    C: RCPT TO:<b@org.test>
    S: 250 ok
    S: 250 ok
    !bdat 100
    C: BDAT 100
    !bdat 20
    C: BDAT 20
    !end
    C: BDAT 0 LAST
    S: 250 100 octets
    S: 250 20 octets
    S: 250 2.0.0 message ok`,
    {},
    { from: "a@isp.test", recipients: ["b@org.test"], chunking: true },
  );
  assert.deepEqual(types(events), ["ready", "content", "sent"]);
});

test("BDAT refused mid-message: further chunks refused, RSET, failure", () => {
  const { events } = transcript(
    `${EHLO_FULL}
    !send
    C: MAIL FROM:<a@isp.test>
    C: RCPT TO:<b@org.test>
    S: 250 ok
    S: 250 ok
    !bdat 100
    C: BDAT 100
    !bdat 20
    C: BDAT 20
    S: 452 4.3.1 disk full
    !bdat 5
    (bdat refused)
    !end
    S: 250 discarded
    C: RSET
    S: 250 ok`,
    {},
    { from: "a@isp.test", recipients: ["b@org.test"], chunking: true },
  );
  assert.deepEqual(types(events), ["ready", "content", "failed"]);
  const failed = events[2];
  assert.ok(
    failed?.type === "failed" && failed.error instanceof SmtpReplyError && failed.error.stage === "BDAT",
  );
});

test("SMTPUTF8 is declared for a UTF-8 address, and refused to a server without it", () => {
  transcript(
    `${EHLO_FULL}
    !send
    C: MAIL FROM:<pelé@isp.test> SMTPUTF8
    C: RCPT TO:<b@org.test>
    C: DATA`,
    {},
    { from: "pelé@isp.test", recipients: ["b@org.test"] },
  );
  const { session } = transcript(EHLO_PLAIN);
  assert.throws(
    () => session.send({ from: "pelé@isp.test", recipients: ["b@org.test"] }),
    SmtpUnsupportedError,
  );
  assert.ok(session.ready);
});

test("RET and ENVID go with MAIL when DSN is offered", () => {
  transcript(
    `${EHLO_FULL}
    !send
    C: MAIL FROM:<a@isp.test> RET=HDRS ENVID=QQ314159
    C: RCPT TO:<b@org.test> NOTIFY=NEVER
    C: DATA`,
    {},
    {
      from: "a@isp.test",
      recipients: [{ address: "b@org.test", notify: "NEVER" }],
      ret: "HDRS",
      envid: "QQ314159",
    },
  );
});

test("addresses that would inject commands are refused", () => {
  const { session } = transcript(EHLO_PLAIN);
  assert.throws(() => session.send({ from: "a@b>\r\nRCPT TO:<x@y", recipients: ["c@d"] }), RangeError);
  assert.throws(() => session.send({ from: "a@b", recipients: [] }), RangeError);
  assert.throws(() => session.send({ from: "a@b", recipients: ["<c@d>"] }), RangeError);
  assert.ok(session.ready);
});

test("malformed replies and unsolicited replies are protocol errors", () => {
  let { events } = transcript(`S: 22O mx`);
  assert.ok(events[0]?.type === "failed" && events[0].error instanceof ProtocolError && events[0].fatal);
  ({ events } = transcript(`
    S: 220 mx
    C: EHLO client.test
    S: 250-mx
    S: 251 different code`));
  assert.ok(events[0]?.type === "failed" && events[0].error instanceof ProtocolError);
  ({ events } = transcript(`
    S: 220 mx
    C: EHLO client.test
    S: 250 mx
    S: 250 nobody asked`));
  assert.deepEqual(types(events), ["ready", "failed"]);
});

test("waitingFor names the RFC 5321 §4.5.3.2 time limit that applies", () => {
  const session = new SmtpClientSession({ helo: "c", tls: "none" });
  assert.equal(session.waitingFor, "greeting");
  session.receive(Buffer.from("220 mx\r\n"));
  assert.equal(session.waitingFor, "command");
  session.receive(Buffer.from("250 mx\r\n"));
  assert.equal(session.waitingFor, undefined);
  session.send({ from: "a@b", recipients: ["c@d"] });
  assert.equal(session.waitingFor, "mail");
  session.receive(Buffer.from("250 ok\r\n"));
  assert.equal(session.waitingFor, "rcpt");
  session.receive(Buffer.from("250 ok\r\n"));
  assert.equal(session.waitingFor, "dataInit");
  session.receive(Buffer.from("354 go\r\n"));
  assert.equal(session.waitingFor, "block");
  session.endContent();
  assert.equal(session.waitingFor, "final");
});
