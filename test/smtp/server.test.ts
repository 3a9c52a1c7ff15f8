/**
 * Wire tests of the SMTP server against Python's smtplib, swaks, and raw sockets, with a
 * MessageSink that writes each message to a temp directory.
 */
import assert from "node:assert/strict";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { NetworkSet } from "../../src/core/address.js";
import { AccountStore } from "../../src/core/accounts/store.js";
import { LoginThrottle } from "../../src/core/accounts/throttle.js";
import type { TraceEvent } from "../../src/core/log.js";
import type { Envelope, IncomingMessage, MessageSink } from "../../src/mail/envelope.js";
import type { SmtpOptions } from "../../src/options.js";
import type { RunningService } from "../../src/service.js";
import { python, rawClient, run, testCredentials, type RawClient } from "../support/wire.js";
import { startSmtpService, type SmtpRuntime } from "../../src/smtp/server.js";

/** A sink that writes each message to `dir/<id>.eml` on commit. */
class DirSink implements MessageSink {
  readonly committed: { envelope: Envelope; id: string; path: string }[] = [];
  opened = 0;
  aborted = 0;
  constructor(readonly dir: string) {}

  open(envelope: Envelope): Promise<IncomingMessage> {
    const id = `m${++this.opened}`;
    const tmp = join(this.dir, `${id}.tmp`);
    const content = createWriteStream(tmp);
    return Promise.resolve({
      content,
      commit: async () => {
        const path = join(this.dir, `${id}.eml`);
        await rename(tmp, path);
        this.committed.push({ envelope, id, path });
        return id;
      },
      abort: async () => {
        this.aborted++;
        await rm(tmp, { force: true });
      },
    });
  }
}

interface Started {
  readonly service: RunningService;
  readonly sink: DirSink;
  readonly port: number;
  readonly submission: number;
  readonly submissions: number;
  readonly traces: TraceEvent[];
}

async function start(
  t: TestContext,
  extra: Partial<SmtpRuntime> = {},
  size = 10 * 1024 * 1024,
): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), "portico-smtp-"));
  const sink = new DirSink(dir);
  const address = { host: "127.0.0.1", port: 0, family: 4 as const };
  const options: SmtpOptions = {
    listen: [address],
    submission: [address],
    submissions: [address],
    localDomains: ["example.org"],
    trustedNetworks: new NetworkSet([]),
    relayPort: 25,
    maxMessageSize: size,
    aliases: new Map([["staff@example.org", ["user@example.org", "other@example.org"]]]),
  };
  const traces: TraceEvent[] = [];
  const service = await startSmtpService(options, {
    hostname: "mx.example.org",
    accounts: new AccountStore({
      dataDir: dir,
      users: [
        { address: "user@example.org", password: "s3cret" },
        { address: "other@example.org", password: "x" },
      ],
    }),
    tls: await testCredentials(),
    sink,
    throttle: new LoginThrottle({ baseDelayMs: 1 }),
    trace: (event) => traces.push(event),
    ...extra,
  });
  t.after(async () => {
    await service.stop(100);
    await rm(dir, { recursive: true, force: true });
  });
  const port = (key: string): number => service.endpoints.find((e) => e.key === key)!.address.port;
  return {
    service,
    sink,
    port: port("smtp.listen"),
    submission: port("smtp.submission"),
    submissions: port("smtp.submissions"),
    traces,
  };
}

/** Opens a raw connection and waits for the greeting. */
async function raw(port: number): Promise<RawClient> {
  const client = await rawClient(port);
  await client.until(/^220 /);
  return client;
}

const PY_PRELUDE = `
import smtplib, ssl, sys, json
port = int(sys.argv[1])
ctx = ssl._create_unverified_context()
`;

describe("SMTP server on the wire", () => {
  test("smtplib: plain delivery to a local user, every command's reply code", async (t) => {
    const { port, sink } = await start(t);
    const out = await python(
      `${PY_PRELUDE}
s = smtplib.SMTP("127.0.0.1", port)
codes = {}
codes["ehlo"] = s.ehlo("client.example.net")[0]
codes["features"] = sorted(s.esmtp_features.keys())
codes["noop"] = s.noop()[0]
codes["help"] = s.docmd("HELP")[0]
codes["vrfy"] = s.docmd("VRFY", "user@example.org")[0]
codes["expn"] = s.docmd("EXPN", "staff@example.org")[0]
codes["rcpt_first"] = s.docmd("RCPT", "TO:<user@example.org>")[0]
codes["bogus"] = s.docmd("BOGUS")[0]
codes["helo"] = s.docmd("HELO", "client.example.net")[0]
codes["mail"] = s.docmd("MAIL", "FROM:<a@example.net>")[0]
codes["rcpt"] = s.docmd("RCPT", "TO:<user@example.org>")[0]
codes["relay"] = s.docmd("RCPT", "TO:<victim@elsewhere.test>")[0]
codes["unknown"] = s.docmd("RCPT", "TO:<nobody@example.org>")[0]
codes["rset"] = s.rset()[0]
s.ehlo("client.example.net")
s.sendmail("a@example.net", ["user+news@example.org"], b"Subject: hi\\r\\n\\r\\n.leading dot\\r\\nbody\\r\\n")
codes["quit"] = s.quit()[0]
print(json.dumps(codes))
`,
      [port],
    );
    const codes = JSON.parse(out) as Record<string, unknown>;
    assert.deepEqual(codes, {
      ehlo: 250,
      features: [
        "8bitmime",
        "chunking",
        "dsn",
        "enhancedstatuscodes",
        "pipelining",
        "size",
        "smtputf8",
        "starttls",
        "auth",
      ].sort(),
      noop: 250,
      help: 214,
      vrfy: 252,
      expn: 502,
      rcpt_first: 503,
      bogus: 500,
      helo: 250,
      mail: 250,
      rcpt: 250,
      relay: 550,
      unknown: 550,
      rset: 250,
      quit: 221,
    });
    assert.equal(sink.committed.length, 1);
    const message = await readFile(sink.committed[0]!.path, "latin1");
    assert.match(
      message,
      /^Received: from client\.example\.net \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.org \(Portico\) with ESMTP id \S+\r\n\tfor <user\+news@example\.org>; \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/,
    );
    assert.ok(message.endsWith("Subject: hi\r\n\r\n.leading dot\r\nbody\r\n"), message);
  });

  test("smtplib: STARTTLS + AUTH PLAIN on submission, AUTH LOGIN, implicit TLS, 8BITMIME, SIZE", async (t) => {
    const { submission, submissions, sink } = await start(t, {}, 1000);
    const out = await python(
      `${PY_PRELUDE}
sub = int(sys.argv[2])
subs = int(sys.argv[3])
r = {}
s = smtplib.SMTP("127.0.0.1", sub)
s.ehlo("c")
r["before_auth"] = s.docmd("MAIL", "FROM:<user@example.org>")[0]
s.starttls(context=ctx)
s.ehlo("c")
r["auth_advertised"] = s.has_extn("auth")
s.login("user@example.org", "s3cret")
s.sendmail("user@example.org", ["someone@remote.test"], "Subject: caf\\u00e9\\r\\n\\r\\ncaf\\u00e9\\r\\n".encode("utf-8"), mail_options=["BODY=8BITMIME"])
try:
    s.sendmail("user@example.org", ["someone@remote.test"], b"x" * 2000)
except smtplib.SMTPSenderRefused as e:
    r["size"] = [e.smtp_code, e.smtp_error.decode()[:5]]
s.quit()
s = smtplib.SMTP("127.0.0.1", sub)
s.starttls(context=ctx)
s.ehlo("c")
s.user, s.password = "user@example.org", "s3cret"
r["login"] = s.auth("LOGIN", s.auth_login, initial_response_ok=False)[0]
s.quit()
s = smtplib.SMTP("127.0.0.1", sub)
s.starttls(context=ctx)
try:
    s.login("user@example.org", "wrong")
except smtplib.SMTPAuthenticationError as e:
    r["bad"] = e.smtp_code
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", subs, context=ctx)
s.login("user@example.org", "s3cret")
s.sendmail("user@example.org", ["user@example.org"], b"Subject: tls\\r\\n\\r\\nhi\\r\\n")
s.quit()
print(json.dumps(r))
`,
      [0, submission, submissions],
    );
    assert.deepEqual(JSON.parse(out), {
      before_auth: 530,
      auth_advertised: true,
      size: [552, "5.3.4"],
      login: 235,
      bad: 535,
    });
    assert.equal(sink.committed.length, 2);
    const first = sink.committed[0]!;
    assert.equal(first.envelope.body, "8BITMIME");
    assert.equal(first.envelope.client.authenticatedAs, "user@example.org");
    assert.equal(first.envelope.client.protocol, "ESMTPSA");
    const text = await readFile(first.path, "utf8");
    assert.match(text, /with ESMTPSA id/);
    // RFC 6409 §8: a submission without Date: and Message-ID: gets them, at the header's end.
    assert.match(text, /Subject: café\r\nDate: [^\r]+\r\nMessage-ID: <[^>]+@[^>]+>\r\n\r\ncafé\r\n$/);
    assert.equal(sink.committed[1]!.envelope.client.protocol, "ESMTPSA");
    assert.ok(sink.committed[1]!.envelope.client.tls);
  });

  test("swaks: plain, pipelining, STARTTLS with AUTH", async (t) => {
    const { port, submission, sink } = await start(t);
    const plain = await run("swaks", [
      "--server",
      `127.0.0.1:${port}`,
      "--from",
      "a@example.net",
      "--to",
      "user@example.org",
      "--pipeline",
    ]);
    assert.match(plain.stdout, /<- {2}250 2\.0\.0 Ok: queued as m1/);
    const authed = await run("swaks", [
      "--server",
      `127.0.0.1:${submission}`,
      "--from",
      "user@example.org",
      "--to",
      "friend@remote.test",
      "--tls",
      "--auth",
      "PLAIN",
      "--auth-user",
      "user@example.org",
      "--auth-password",
      "s3cret",
    ]);
    assert.match(authed.stdout, /235 2\.7\.0 Authentication successful/);
    assert.match(authed.stdout, /250 2\.0\.0 Ok: queued as m2/);
    assert.equal(sink.committed.length, 2);
    assert.deepEqual(sink.committed[1]!.envelope.recipients, [{ address: "friend@remote.test" }]);
    // swaks fails (exit 24) when the relay is refused.
    await assert.rejects(
      run("swaks", ["--server", `127.0.0.1:${port}`, "--from", "a@x.test", "--to", "victim@remote.test"]),
      (error: { stdout: string }) => /550 5\.7\.1 Relay access denied/.test(error.stdout),
    );
    assert.equal(sink.committed.length, 2);
  });

  test("pipelining: a whole group in one write, answered in order; DATA switch mid-buffer", async (t) => {
    const { port, sink } = await start(t);
    const c = await raw(port);
    c.send(
      "EHLO x\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<user@example.org>\r\nRCPT TO:<nobody@example.org>\r\nDATA\r\n",
    );
    await c.until(/354 /);
    assert.match(c.text(), /250 SMTPUTF8\r\n|250-SMTPUTF8\r\n/);
    assert.match(c.text(), /\r\n250 2\.1\.0 Ok\r\n250 2\.1\.5 Ok\r\n550 5\.1\.1 [^\r]*\r\n354 /);
    c.send(
      "Subject: one\r\n\r\nfirst\r\n.\r\nMAIL FROM:<b@x.test>\r\nRCPT TO:<other@example.org>\r\nDATA\r\n",
    );
    await c.until(/queued as m1\r\n250 2\.1\.0 Ok\r\n250 2\.1\.5 Ok\r\n354 /);
    c.send("Subject: two\r\n\r\nsecond\r\n.\r\nQUIT\r\n");
    await c.until(/221 2\.0\.0 Bye\r\n/);
    assert.equal(sink.committed.length, 2);
    assert.ok((await readFile(sink.committed[1]!.path, "latin1")).endsWith("Subject: two\r\n\r\nsecond\r\n"));
    c.socket.destroy();
  });

  test("BDAT with a raw socket: chunks, LAST, pipelined, size limit", async (t) => {
    const { port, sink } = await start(t, {}, 100);
    const c = await raw(port);
    const part1 = "Subject: b\r\n\r\n";
    const part2 = "hello\r\nworld\r\n";
    c.send(
      `EHLO x\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<user@example.org>\r\nBDAT ${part1.length}\r\n${part1}BDAT ${part2.length} LAST\r\n${part2}`,
    );
    await c.until(/queued as m1\r\n/);
    assert.match(
      c.text(),
      new RegExp(`250 2\\.0\\.0 Ok: ${part1.length} octets received\\r\\n250 2\\.0\\.0 Ok: queued`),
    );
    assert.ok((await readFile(sink.committed[0]!.path, "latin1")).endsWith(part1 + part2));
    // Without a transaction, the chunk is read and refused; the next command still works.
    c.send("BDAT 4\r\nNOOPNOOP\r\n");
    await c.until(/503 5\.5\.1 [^\r]*\r\n250 2\.0\.0 Ok\r\n/);
    c.send(
      `MAIL FROM:<a@x.test>\r\nRCPT TO:<user@example.org>\r\nBDAT 101 LAST\r\n${"x".repeat(101)}NOOP\r\n`,
    );
    await c.until(/552 5\.3\.4 [^\r]*\r\n250 2\.0\.0 Ok\r\n/);
    assert.equal(sink.committed.length, 1);
    c.socket.destroy();
  });

  test("SMTP smuggling variants never create a second message", async (t) => {
    const { port, sink } = await start(t);
    const smuggled =
      "MAIL FROM:<admin@bank.test>\r\nRCPT TO:<user@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n";
    for (const end of ["\n.\r\n", "\r.\n", "\n.\n", "\r.\r\n", "\r\n.\n", "\r\n.\r"]) {
      const c = await raw(port);
      c.send("EHLO x\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<user@example.org>\r\nDATA\r\n");
      await c.until(/354 /);
      c.send(`Subject: first\r\n\r\nbody${end}${smuggled}.\r\nQUIT\r\n`);
      const text = await c.until(/(521 5\.5\.2 [^\r]*bare <(LF|CR)> received\r\n)|(221 )/);
      assert.doesNotMatch(text, /queued as/, JSON.stringify(end));
      c.socket.destroy();
    }
    // A bare LF in a command line.
    const c = await raw(port);
    c.send("EHLO x\nMAIL FROM:<a@x.test>\r\n");
    await c.until(/521 5\.5\.2 /);
    c.socket.destroy();
    assert.equal(sink.committed.length, 0);
  });

  test("a 5 MB message is streamed into the sink", async (t) => {
    const { port, sink } = await start(t);
    const out = await python(
      `${PY_PRELUDE}
s = smtplib.SMTP("127.0.0.1", port)
body = (b"x" * 998 + b"\\r\\n") * 5243
r = s.sendmail("a@example.net", ["user@example.org"], b"Subject: big\\r\\n\\r\\n" + body)
s.quit()
print(len(body))
`,
      [port],
    );
    const bodyLength = Number(out.trim());
    assert.equal(sink.committed.length, 1);
    const text = await readFile(sink.committed[0]!.path, "latin1");
    assert.ok(text.length > bodyLength && text.endsWith("x\r\n"));
  });

  test("line too long, too many errors, idle timeout, shutdown", async (t) => {
    const { port, service } = await start(t, { limits: { maxErrors: 3, commandTimeoutMs: 300 } });
    const c = await raw(port);
    c.send(`NOOP ${"x".repeat(600)}\r\nFOO\r\nBAR\r\n`);
    await c.until(
      /500 5\.5\.2 Error: line too long\r\n500 5\.5\.2 [^\r]*\r\n500 5\.5\.2 [^\r]*\r\n421 4\.7\.0 /,
    );
    const idle = await raw(port);
    await idle.until(/421 4\.4\.2 /, 3000);
    const d = await raw(port);
    const stopping = service.stop(2000);
    await d.until(/421 4\.3\.2 /);
    await stopping;
  });

  test("STARTTLS discards plaintext sent after it (RFC 3207 §4.2), trace redacts AUTH", async (t) => {
    const { submission, traces } = await start(t);
    const c = await raw(submission);
    c.send("EHLO x\r\nSTARTTLS\r\nRSET\r\n");
    await c.until(/220 2\.0\.0 Ready to start TLS\r\n/);
    c.socket.removeAllListeners("data");
    const secure = tlsConnect({ socket: c.socket, rejectUnauthorized: false });
    let text = "";
    secure.on("data", (chunk: Buffer) => (text += chunk.toString()));
    await new Promise((resolve) => secure.once("secureConnect", resolve));
    secure.write(
      `EHLO x\r\nAUTH PLAIN ${Buffer.from("\0user@example.org\0s3cret").toString("base64")}\r\nQUIT\r\n`,
    );
    await new Promise((resolve) => secure.once("end", resolve));
    assert.match(text, /^250-mx\.example\.org\r\n[\s\S]*235 2\.7\.0 [^\r]*\r\n221 2\.0\.0 Bye\r\n$/);
    assert.doesNotMatch(text, /^250 2\.0\.0 Ok/m, "the injected RSET was not answered");
    secure.destroy();
    const lines = traces.map((e) => `${e.direction}: ${e.line}`);
    assert.ok(lines.includes("C: AUTH PLAIN ***"), lines.join("\n"));
    assert.ok(!lines.some((l) => l.includes("s3cret") || l.includes("AHVzZXJAZXhhbXBsZS5vcmcAczNjcmV0")));
  });
});
