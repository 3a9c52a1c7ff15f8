// Wire tests of the SMTP client against Postfix's smtp-sink (Debian package `postfix`).
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import type { TraceEvent } from "../../src/core/log.js";
import { connectSmtp, SmtpReplyError } from "../../src/smtp/client/index.js";
import { startSmtpSink } from "../../src/smtp/client/test-support.js";

const MESSAGE = "Subject: wire test\r\n\r\nline one\r\n.leading dot\r\nlast line\r\n";

test("sends a message with PIPELINING and AUTH; smtp-sink receives it intact", async (t) => {
  const sink = await startSmtpSink([], { dump: true });
  t.after(() => sink.stop());
  const trace: TraceEvent[] = [];
  const connection = await connectSmtp({
    host: "127.0.0.1",
    port: sink.port,
    helo: "client.test",
    tls: "none",
    auth: { username: "user", password: "secret" },
    trace: (e) => trace.push(e),
  });
  assert.ok(connection.extensions.pipelining);
  const result = await connection.send({
    from: "a@isp.test",
    recipients: ["b@org.test", "c@org.test"],
    content: Readable.from([Buffer.from(MESSAGE.slice(0, 25)), Buffer.from(MESSAGE.slice(25))]),
  });
  assert.equal(result.finalReply.code, 250);
  assert.deepEqual(
    result.accepted.map((a) => a.rcpt),
    ["b@org.test", "c@org.test"],
  );
  // The connection is reused for a second message.
  const second = await connection.send({
    from: "",
    recipients: ["d@org.test"],
    content: "Subject: two\r\n\r\nx\r\n",
  });
  assert.equal(second.finalReply.code, 250);
  await connection.quit();

  const lines = trace.map((e) => `${e.direction}: ${e.line}`);
  // PIPELINING: MAIL, both RCPTs and DATA before the first reply to them.
  const mail = lines.indexOf("C: MAIL FROM:<a@isp.test>");
  assert.deepEqual(lines.slice(mail, mail + 4), [
    "C: MAIL FROM:<a@isp.test>",
    "C: RCPT TO:<b@org.test>",
    "C: RCPT TO:<c@org.test>",
    "C: DATA",
  ]);
  assert.ok(lines.includes("C: AUTH PLAIN ***"));
  assert.ok(lines.at(-2) === "C: QUIT");

  await waitFor(async () => (await sink.messages()).length === 2);
  const messages = await sink.messages();
  const first = messages.find((m) => m.includes("Subject: wire test"));
  assert.ok(first !== undefined);
  assert.match(first, /X-Rcpt-Args: <b@org\.test>/);
  assert.match(first, /Subject: wire test\n\nline one\n\.leading dot\nlast line\n/);
});

test("a 4xx reply to RCPT and a 5xx reply to MAIL surface as SmtpReplyError", async (t) => {
  const soft = await startSmtpSink(["-r", "RCPT"]);
  t.after(() => soft.stop());
  const hard = await startSmtpSink(["-f", "MAIL"]);
  t.after(() => hard.stop());

  const a = await connectSmtp({ host: "127.0.0.1", port: soft.port, helo: "client.test", tls: "none" });
  await assert.rejects(
    a.send({ from: "a@isp.test", recipients: ["b@org.test"], content: MESSAGE }),
    (error: unknown) =>
      error instanceof SmtpReplyError &&
      error.stage === "RCPT" &&
      error.temporary &&
      error.reply.code === 450 &&
      error.enhanced === "4.3.0" &&
      error.rejected.length === 1,
  );
  await a.quit();

  const b = await connectSmtp({ host: "127.0.0.1", port: hard.port, helo: "client.test", tls: "none" });
  await assert.rejects(
    b.send({ from: "a@isp.test", recipients: ["b@org.test"], content: MESSAGE }),
    (error: unknown) =>
      error instanceof SmtpReplyError &&
      error.stage === "MAIL" &&
      !error.temporary &&
      error.reply.code === 500,
  );
  // Still usable: the refusal was the server's answer, not a broken connection.
  await assert.rejects(
    b.send({ from: "a@isp.test", recipients: ["b@org.test"], content: MESSAGE }),
    SmtpReplyError,
  );
  await b.quit();
});

test("a large message streams through with backpressure", async (t) => {
  const sink = await startSmtpSink();
  t.after(() => sink.stop());
  const connection = await connectSmtp({
    host: "127.0.0.1",
    port: sink.port,
    helo: "client.test",
    tls: "none",
  });
  const line = Buffer.from(`${"x".repeat(76)}\r\n`);
  let produced = 0;
  const total = 20 * 1024 * 1024;
  const content = new Readable({
    read() {
      const chunk = Buffer.concat(Array.from({ length: 800 }, () => line));
      produced += chunk.length;
      this.push(chunk);
      if (produced >= total) this.push(null);
    },
  });
  const before = process.memoryUsage().rss;
  const result = await connection.send({ from: "a@isp.test", recipients: ["b@org.test"], content });
  assert.equal(result.finalReply.code, 250);
  assert.ok(process.memoryUsage().rss - before < total, "the message was not buffered whole");
  await connection.quit();
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("condition not met within 2 s");
}
