// Portico's MTA and Postfix (Debian package `postfix`) relaying to each other over SMTP:
// Postfix routes portico.test to Portico by transport_maps; Portico finds postfix.test's MX in
// a Portico DNS and relays to Postfix, which writes a virtual Maildir. Messages are submitted
// with Python's smtplib, so neither side's own client is involved. Each message must arrive
// with its body byte for byte (8-bit text and lines starting with "." included) and with a
// Received: header from each MTA it crossed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseConfig } from "../../src/core/config/load.js";
import { startPortico, type Portico } from "../../src/portico.js";
import { waitFor } from "../support/wire.js";
import { freePort, tempDir } from "../support/cli.js";
import { startPostfix, type RunningPostfix } from "../support/postfix.js";

const ZONE = `$ORIGIN postfix.test.
$TTL 300
@ IN SOA ns hostmaster 1 3600 600 86400 300
@ IN NS ns
ns IN A 127.0.0.1
@ IN MX 10 mx
mx IN A 127.0.0.1
`;

/** One test message: its headers and body as sent on the wire (CRLF, before dot-stuffing). */
interface Sample {
  readonly name: string;
  readonly body: Buffer;
  readonly headers?: string;
  /** MAIL FROM parameters. */
  readonly options?: readonly string[];
}

const SAMPLES: readonly Sample[] = [
  {
    name: "plain",
    body: Buffer.from("Hello,\r\n\r\nthis crossed two MTAs.\r\n\r\n-- \r\nsender\r\n"),
  },
  {
    // Each must be dot-stuffed by the sender and unstuffed by the receiver (RFC 5321 §4.5.2),
    // including the lone "." that would otherwise end the data.
    name: "dots",
    body: Buffer.from(".\r\n..\r\n...\r\n.leading dot\r\n. space\r\nmiddle . dot\r\n.\r\n"),
  },
  {
    // 8-bit text under MIME (RFC 6152): a hop that downgrades it to quoted-printable, or
    // strips the high bit, changes the body.
    name: "8bit",
    headers:
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
    body: Buffer.concat([
      Buffer.from("Grüße aus Köln, ça va? Ελληνικά, 日本語.\r\n"),
      Buffer.from([0x80, 0xa0, 0xff, 0x0d, 0x0a]), // not even valid UTF-8
      Buffer.from(".Ünicode after a dot\r\n"),
    ]),
    options: ["BODY=8BITMIME"],
  },
];

function message(sample: Sample, from: string, to: string, tag: string): Buffer {
  const head =
    `From: <${from}>\r\nTo: <${to}>\r\nSubject: ${tag} ${sample.name}\r\n` +
    `Date: Mon, 01 Jun 2026 12:00:00 +0000\r\nMessage-ID: <${tag}.${sample.name}@interop.test>\r\n` +
    (sample.headers ?? "") +
    "\r\n";
  return Buffer.concat([Buffer.from(head), sample.body]);
}

const SMTPLIB = `
import smtplib, sys
port, sender, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = sys.stdin.buffer.read()
with smtplib.SMTP("127.0.0.1", port, local_hostname="client.interop.test", timeout=20) as s:
    s.ehlo()
    code, reply = s.mail(sender, sys.argv[4:])
    if code != 250: sys.exit("MAIL: %d %r" % (code, reply))
    code, reply = s.rcpt(rcpt)
    if code != 250: sys.exit("RCPT: %d %r" % (code, reply))
    code, reply = s.data(data)  # dot-stuffs (smtplib._quote_periods) and appends CRLF.CRLF
    if code != 250: sys.exit("DATA: %d %r" % (code, reply))
    print(reply.decode())
`;

/** Submits `data` with Python's smtplib; resolves to the final reply's text. */
function submit(
  port: number,
  from: string,
  to: string,
  data: Buffer,
  options: readonly string[] = [],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", ["-c", SMTPLIB, String(port), from, to, ...options], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(out.trim());
      else reject(new Error(`smtplib to port ${port} failed (${code}): ${err.trim()}`));
    });
    child.stdin.end(data);
  });
}

/** Polls `dir` until it holds `count` files, or throws with `diagnose()` at the deadline. */
async function waitForFiles(
  dir: string,
  count: number,
  diagnose: () => Promise<string>,
  timeoutMs = 10_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = await readdir(dir).catch(() => [] as string[]);
    if (names.length >= count) return names;
    if (Date.now() > deadline) {
      throw new Error(`timed out: ${names.length} of ${count} messages in ${dir}\n${await diagnose()}`);
    }
    await sleep(25);
  }
}

/** The stored messages in `dir`, keyed by their Subject: ("TAG NAME"). */
async function bySample(dir: string, names: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of names) {
    const data = await readFile(join(dir, name));
    const subject = /^Subject: (\S+ \S+)\r?$/m.exec(data.toString("latin1"));
    assert.ok(subject, `no Subject: in ${name}`);
    out.set(subject[1]!, data);
  }
  return out;
}

/** Splits a stored message at its first empty line; `eol` is the store's line end. */
function split(data: Buffer, eol: "\r\n" | "\n"): { header: string; body: Buffer } {
  const at = data.indexOf(eol + eol);
  assert.ok(at >= 0, "no end of header");
  return {
    header: data.subarray(0, at + eol.length).toString("latin1"),
    body: data.subarray(at + 2 * eol.length),
  };
}

/** `data` with each CRLF as LF: how Postfix stores a message (UNIX line ends). */
function lf(data: Buffer): Buffer {
  return Buffer.from(data.toString("latin1").replaceAll("\r\n", "\n"), "latin1");
}

/** The Received: fields of a header, unfolded, in order (newest first). */
function received(header: string): string[] {
  return [...header.matchAll(/^Received:[^\n]*\n(?:[ \t][^\n]*\n)*/gm)].map((m) =>
    m[0].replace(/\r?\n[ \t]*/g, " "),
  );
}

describe("Postfix interop", { timeout: 60_000 }, () => {
  let dir = "";
  let dns: Portico;
  let portico: Portico;
  let postfix: RunningPostfix;
  let porticoPort: number;

  before(async () => {
    dir = await tempDir("portico-postfix-interop-");
    await writeFile(join(dir, "x.zone"), ZONE);
    dns = await startPortico(
      parseConfig(
        `hostname = "ns.portico.test"\ndata_dir = "dns"\n[dns]\nlisten = ["127.0.0.1:0"]\nworkers = 1\nzones = ["x.zone"]\n`,
        join(dir, "dns.toml"),
      ),
    );
    const resolver = dns.endpoints[0]!.address;
    // Postfix relays portico.test to Portico, and Portico relays postfix.test to Postfix, so
    // one of the two ports is chosen before its server starts: Postfix's.
    const postfixPort = await freePort();
    portico = await startPortico(
      parseConfig(
        `hostname = "mx.portico.test"\ndata_dir = "data"\n` +
          `[[users]]\naddress = "user2@portico.test"\npassword = "pw"\n` +
          `[smtp]\nlisten = ["127.0.0.1:0"]\nsubmission = []\nsubmissions = []\n` +
          `local_domains = ["portico.test"]\ntrusted_networks = ["127.0.0.0/8"]\n` +
          `resolver = "127.0.0.1:${resolver.port}"\nrelay_port = ${postfixPort}\n` +
          // A failed attempt should show as a failure, not wait for a retry.
          `retry_intervals = ["1h"]\n`,
        join(dir, "portico.toml"),
      ),
    );
    porticoPort = portico.endpoints.find((e) => e.service === "smtp")!.address.port;
    postfix = await startPostfix({ port: postfixPort, relay: { "portico.test": porticoPort } });
  });

  after(async () => {
    // Each may be unset if `before` failed part way.
    await postfix?.stop();
    await portico?.stop(0);
    await dns?.stop(0);
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  const porticoQueue = (): Promise<string> =>
    Promise.resolve(
      "Portico queue:\n" +
        (portico.queue?.list() ?? [])
          .map(
            (l) =>
              `  ${l.id} ${l.recipients.map((r) => `${r.address} ${r.status} ${r.reply ?? ""}`).join("; ")}`,
          )
          .join("\n"),
    );
  const postfixLog = async (): Promise<string> => `Postfix log:\n${await postfix.log()}`;

  test("Postfix relays to Portico: bodies byte-identical, both Received: headers", async () => {
    const inbox = join(dir, "data", "mail", "portico.test", "user2", "new");
    for (const sample of SAMPLES) {
      const reply = await submit(
        postfix.port,
        "sender@postfix.test",
        "user2@portico.test",
        message(sample, "sender@postfix.test", "user2@portico.test", "to-portico"),
        sample.options,
      );
      assert.match(reply, /queued as/);
    }
    const names = await waitForFiles(
      inbox,
      SAMPLES.length,
      async () => `${await postfixLog()}\n${await porticoQueue()}`,
    );
    assert.equal(names.length, SAMPLES.length);
    const stored = await bySample(inbox, names);
    for (const sample of SAMPLES) {
      const data = stored.get(`to-portico ${sample.name}`);
      assert.ok(data, `${sample.name} arrived`);
      // Maildir as Portico writes it: CRLF line ends, nothing changed after the header.
      const { header, body } = split(data, "\r\n");
      assert.deepEqual(body, sample.body, `${sample.name}: body`);
      assert.match(header, /^Return-Path: <sender@postfix\.test>\r\nDelivered-To: user2@portico\.test\r\n/);
      const trace = received(header);
      assert.equal(trace.length, 2, header);
      // Newest first: Portico's, naming Postfix as the client; then Postfix's own.
      assert.match(
        trace[0]!,
        /^Received: from mx\.postfix\.test \(.*127\.0\.0\.1.*\) by mx\.portico\.test \(Portico\) with E?SMTP/,
      );
      assert.match(
        trace[1]!,
        /^Received: from client\.interop\.test \(.*\[127\.0\.0\.1\]\) by mx\.postfix\.test \(Postfix\) with ESMTP id /,
      );
      assert.match(header, new RegExp(`Message-ID: <to-portico\\.${sample.name}@interop\\.test>`));
    }
    // Delivered first, then removed from the queue.
    await waitFor("Portico's queue to empty", () => (portico.queue?.size === 0 ? true : undefined), {
      timeoutMs: 10_000,
      diagnose: porticoQueue,
    });
  });

  test("Portico relays to Postfix by MX: bodies byte-identical, both Received: headers", async () => {
    const inbox = join(postfix.maildir("someone"), "new");
    for (const sample of SAMPLES) {
      const reply = await submit(
        porticoPort,
        "user2@portico.test",
        "someone@postfix.test",
        message(sample, "user2@portico.test", "someone@postfix.test", "to-postfix"),
        sample.options,
      );
      assert.match(reply, /queued as|OK/i);
    }
    const names = await waitForFiles(
      inbox,
      SAMPLES.length,
      async () => `${await porticoQueue()}\n${await postfixLog()}`,
    );
    assert.equal(names.length, SAMPLES.length);
    const stored = await bySample(inbox, names);
    for (const sample of SAMPLES) {
      const data = stored.get(`to-postfix ${sample.name}`);
      assert.ok(data, `${sample.name} arrived`);
      // Postfix's virtual(8) stores LF line ends: the same bytes, with each CRLF as LF.
      const { header, body } = split(data, "\n");
      assert.deepEqual(body, lf(sample.body), `${sample.name}: body`);
      assert.match(header, /^Return-Path: <user2@portico\.test>\n/);
      assert.match(header, /^Delivered-To: someone@postfix\.test$/m);
      const trace = received(header);
      assert.equal(trace.length, 2, header);
      assert.match(
        trace[0]!,
        /^Received: from mx\.portico\.test \(.*\[127\.0\.0\.1\]\) by mx\.postfix\.test \(Postfix\) with ESMTP id /,
      );
      assert.match(
        trace[1]!,
        /^Received: from client\.interop\.test \(.*127\.0\.0\.1.*\) by mx\.portico\.test \(Portico\) with E?SMTP/,
      );
      assert.match(header, new RegExp(`Message-ID: <to-postfix\\.${sample.name}@interop\\.test>`));
    }
    // Postfix's log agrees: each one delivered to the Maildir, none deferred or bounced.
    const log = await postfix.log();
    assert.equal((log.match(/status=sent \(delivered to maildir\)/g) ?? []).length, SAMPLES.length, log);
    assert.doesNotMatch(log, /status=(deferred|bounced)/);
    // Nor did either SMTP dialogue (Postfix → Portico, Portico → Postfix) draw a complaint,
    // e.g. "improper command pipelining" (RFC 2920 §3.1) or a bare LF.
    assert.doesNotMatch(log, /: (warning|error|fatal|panic): |improper command pipelining/);
    // Delivered first, then removed from the queue.
    await waitFor("Portico's queue to empty", () => (portico.queue?.size === 0 ? true : undefined), {
      timeoutMs: 10_000,
      diagnose: porticoQueue,
    });
  });

  test("two Postfix instances at once, one relaying to the other", async (t) => {
    const second = await startPostfix({
      domain: "second.test",
      hostname: "relay.second.test",
      relay: { "postfix.test": postfix.port },
    });
    t.after(() => second.stop());
    assert.notEqual(second.port, postfix.port);
    assert.notEqual(second.dir, postfix.dir);
    const inbox = join(postfix.maildir("someone"), "new");
    const before = (await readdir(inbox)).length;
    const sample = SAMPLES[1]!;
    await submit(
      second.port,
      "a@second.test",
      "someone@postfix.test",
      message(sample, "a@second.test", "someone@postfix.test", "second"),
    );
    const names = await waitForFiles(
      inbox,
      before + 1,
      async () => `second: ${await second.log()}\n${await postfixLog()}`,
    );
    const stored = await bySample(inbox, names);
    const { header, body } = split(stored.get(`second ${sample.name}`)!, "\n");
    assert.deepEqual(body, lf(sample.body));
    assert.match(received(header)[0]!, /from relay\.second\.test .* by mx\.postfix\.test \(Postfix\)/);
  });
});
