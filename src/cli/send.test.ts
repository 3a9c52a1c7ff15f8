// `portico send` against Postfix's smtp-sink (Debian package `postfix`).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { startSmtpSink } from "../smtp/client/test-support.js";
import { UsageError } from "./errors.js";
import { buildMessage, rfc5322Date, sendCommand } from "./send.js";
import type { SendIo } from "./send.js";

function fakeIo(stdin: string): SendIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    out,
    err,
  };
}

async function waitForMessages(sink: { messages(): Promise<string[]> }, n: number): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const messages = await sink.messages();
    if (messages.length >= n) return messages;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("smtp-sink did not dump the message");
}

test("a message built from --subject/--body reaches the server with RFC 5322 headers", async (t) => {
  const sink = await startSmtpSink([], { dump: true });
  t.after(() => sink.stop());
  const io = fakeIo("");
  const status = await sendCommand(
    [
      "--server",
      `127.0.0.1:${sink.port}`,
      "--from",
      "user1@isp.test",
      "--to",
      "user2@organization.test",
      "--to",
      "user3@organization.test",
      "--subject",
      "Hello",
      "--body",
      "Hi there.\n.dot line",
    ],
    io,
  );
  assert.equal(status, 0);
  assert.match(io.out.join(""), /^250 2\.0\.0 /);
  const [message] = await waitForMessages(sink, 1);
  assert.ok(message !== undefined);
  assert.match(message, /X-Mail-Args: <user1@isp\.test>/);
  assert.match(message, /X-Rcpt-Args: <user3@organization\.test>/);
  assert.match(message, /\nDate: \w{3}, \d{1,2} Jan 2026 \d\d:\d\d:05 [+-]\d{4}\n/);
  assert.match(message, /\nMessage-ID: <[^@>]+@[^>]+>\n/);
  assert.match(
    message,
    /\nFrom: user1@isp\.test\nTo: user2@organization\.test, user3@organization\.test\nSubject: Hello\n/,
  );
  assert.match(message, /\n\nHi there\.\n\.dot line\n/);
});

test("a message from stdin, with AUTH from --password-stdin and a redacted --trace", async (t) => {
  const sink = await startSmtpSink([], { dump: true });
  t.after(() => sink.stop());
  const io = fakeIo("s3cret-pass\nSubject: from stdin\n\nbody line\n");
  const status = await sendCommand(
    [
      "--server",
      `127.0.0.1:${sink.port}`,
      "--from",
      "a@isp.test",
      "--to",
      "b@org.test",
      "--user",
      "a@isp.test",
      "--password-stdin",
      "--trace",
    ],
    io,
  );
  assert.equal(status, 0);
  const trace = io.err.join("");
  assert.match(trace, /^S: 220 /m);
  assert.match(trace, /^C: AUTH PLAIN \*\*\*$/m);
  assert.match(trace, /^C: QUIT$/m);
  assert.ok(
    !trace.includes("s3cret") && !trace.includes(Buffer.from("\0a@isp.test\0s3cret-pass").toString("base64")),
  );
  const [message] = await waitForMessages(sink, 1);
  assert.ok(message !== undefined);
  assert.match(message, /\nSubject: from stdin\n\nbody line\n/);
  assert.ok(!message.includes("s3cret"));
});

test("a refusal exits 1 and prints the server's reply; usage errors throw UsageError", async (t) => {
  const sink = await startSmtpSink(["-f", "RCPT"]);
  t.after(() => sink.stop());
  const io = fakeIo("Subject: x\n\ny\n");
  const status = await sendCommand(
    ["--server", `127.0.0.1:${sink.port}`, "--from", "a@isp.test", "--to", "b@org.test"],
    io,
  );
  assert.equal(status, 1);
  assert.match(io.err.join(""), /b@org\.test refused: 500 5\.3\.0 /);
  await assert.rejects(sendCommand(["--server", "127.0.0.1:25", "--from", "a@b"], fakeIo("")), UsageError);
  await assert.rejects(sendCommand(["--from", "a@b", "--to", "c@d"], fakeIo("")), UsageError);
  await assert.rejects(
    sendCommand(["--server", "127.0.0.1:99999", "--from", "a@b", "--to", "c@d"], fakeIo("")),
    UsageError,
  );
});

test("bin/portico send end to end: stdin in, final reply out, exit statuses 0 and 2", async (t) => {
  const sink = await startSmtpSink([], { dump: true });
  t.after(() => sink.stop());
  const bin = fileURLToPath(new URL("../../../bin/portico.js", import.meta.url));
  const run = (
    args: string[],
    stdin: string,
  ): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      child.on("close", (status) => {
        resolve({ status, stdout, stderr });
      });
      child.stdin.end(stdin);
    });
  const ok = await run(
    ["send", "--server", `127.0.0.1:${sink.port}`, "--from", "a@isp.test", "--to", "b@org.test"],
    "Subject: e2e\r\n\r\nhello\r\n",
  );
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^250 2\.0\.0 .*\n$/);
  const [message] = await waitForMessages(sink, 1);
  assert.match(message ?? "", /\nSubject: e2e\n\nhello\n/);
  const usage = await run(["send", "--server", `127.0.0.1:${sink.port}`], "");
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /--from is missing/);
});

test("buildMessage and rfc5322Date", () => {
  const text = buildMessage({
    from: "a@b",
    to: ["c@d"],
    subject: "Grüße",
    body: "é\n",
    now: new Date(0),
    host: "h.test",
  });
  assert.match(
    text,
    /^Date: .*\r\nFrom: a@b\r\nTo: c@d\r\nSubject: =\?UTF-8\?B\?R3LDvMOfZQ==\?=\r\nMessage-ID: <[0-9a-z]+\.[0-9a-f]{16}@h\.test>\r\n/,
  );
  assert.match(text, /Content-Transfer-Encoding: 8bit\r\n\r\né\r\n$/);
  assert.match(
    rfc5322Date(new Date()),
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/,
  );
});
