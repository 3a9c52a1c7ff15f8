// The queue's remote side against Postfix's smtp-sink (Debian package `postfix`): MX routing
// through a Portico DNS, deferral on 4xx and retry, bounce with a DSN quoting the remote reply
// on 5xx, null MX, NXDOMAIN, no DSN for the null sender; `portico queue` while it runs.
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test, type TestContext } from "node:test";
import { parseConfig } from "../../src/core/config/load.js";
import { startPortico, type Portico } from "../../src/portico.js";
import { connectSmtp } from "../../src/smtp/client/index.js";
import { startSmtpSink, type RunningSink } from "../../src/smtp/client/test-support.js";
import { waitFor } from "../support/wire.js";
import { freePort, runPortico, tempDir } from "../support/cli.js";

const ZONE = `$ORIGIN sink.test.
$TTL 60
@ IN SOA ns hostmaster 1 3600 600 86400 60
@ IN NS ns
ns IN A 127.0.0.1
@ IN MX 10 mx
mx IN A 127.0.0.1
nullmx IN MX 0 .
`;

/** A Portico DNS serving ZONE from `dir`, stopped after the test. */
async function startSinkDns(t: TestContext, dir: string): Promise<Portico> {
  await writeFile(join(dir, "sink.zone"), ZONE);
  const dns = await startPortico(
    parseConfig(
      `hostname = "ns"\ndata_dir = "dns"\n[dns]\nlisten = ["127.0.0.1:0"]\nworkers = 1\nzones = ["sink.zone"]\n`,
      join(dir, "dns.toml"),
    ),
  );
  t.after(() => dns.stop(0));
  return dns;
}

async function submit(port: number, from: string, to: string, subject: string): Promise<string> {
  const c = await connectSmtp({ host: "127.0.0.1", port, helo: "client.portico.test", tls: "none" });
  const r = await c.send({
    from,
    recipients: [to],
    content: `From: ${from || "nobody@portico.test"}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@portico.test>\r\n\r\nbody of ${subject}\r\n`,
  });
  await c.quit();
  return r.finalReply.lines[0] ?? "";
}

test("relay through MX: 4xx deferred then retried, 5xx bounced with a DSN, null MX, NXDOMAIN", async (t) => {
  const dir = await tempDir();
  const dns = await startSinkDns(t, dir);
  const sinkPort = await freePort();
  const mtaPort = await freePort();
  const resolver = dns.endpoints[0]!.address;
  const configFile = join(dir, "portico.toml");
  await writeFile(
    configFile,
    `hostname = "mx.portico.test"\ndata_dir = "data"\n[[users]]\naddress = "sender@portico.test"\npassword = "pw"\n` +
      `[smtp]\nlisten = ["127.0.0.1:${mtaPort}"]\nsubmission = []\nsubmissions = []\nlocal_domains = ["portico.test"]\n` +
      `trusted_networks = ["127.0.0.0/8"]\nresolver = "127.0.0.1:${resolver.port}"\nrelay_port = ${sinkPort}\n` +
      `retry_intervals = ["1h"]\ndelay_warning = 0\n`,
  );
  const portico: Portico = await startPortico(parseConfig(await readFile(configFile, "utf8"), configFile));
  t.after(() => portico.stop(0));
  const queue = portico.queue!;
  const inbox = join(dir, "data", "mail", "portico.test", "sender", "new");
  const inboxFiles = async (): Promise<string[]> => readdir(inbox).catch(() => []);

  // 4xx on RCPT: deferred, kept in the queue with the remote reply.
  let sink: RunningSink = await startSmtpSink(["-r", "RCPT"], { port: sinkPort });
  assert.match(await submit(mtaPort, "sender@portico.test", "someone@sink.test", "deferred"), /queued as/);
  const deferred = await waitFor("the deferral", () =>
    queue.list().find((l) => l.recipients[0]?.status === "deferred"),
  );
  assert.match(deferred.recipients[0]!.reply ?? "", /^4\d\d /);
  assert.match(deferred.recipients[0]!.reply ?? "", /mx\.sink\.test\[127\.0\.0\.1\]/);
  const listed = await runPortico(["queue", "list", "-c", configFile], { cwd: dir });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`${deferred.id} .*<sender@portico\\.test>  attempts 1`));
  assert.match(listed.stdout, /deferred {2}someone@sink\.test/);
  const shown = await runPortico(["queue", "show", deferred.id, "-c", configFile], { cwd: dir });
  assert.match(shown.stdout, /Subject: deferred/);

  // The destination recovers; `portico queue flush` retries at once; delivered, queue empty.
  await sink.stop();
  sink = await startSmtpSink([], { port: sinkPort, dump: true });
  const flushed = await runPortico(["queue", "flush", "-c", configFile], { cwd: dir });
  assert.equal(flushed.code, 0, flushed.stdout + flushed.stderr);
  const got = await waitFor("the retried delivery", async () =>
    (await sink.messages()).find((m) => m.includes("body of deferred")),
  );
  assert.match(got, /Subject: deferred/);
  assert.match(
    got,
    /Received: from client\.portico\.test \(\[127\.0\.0\.1\]\)\n\tby mx\.portico\.test \(Portico\)/,
  );
  await waitFor("an empty queue", () => (queue.size === 0 ? true : undefined));
  await sink.stop();

  // 5xx on RCPT: bounced; the sender gets a DSN quoting smtp-sink's reply.
  sink = await startSmtpSink(["-f", "RCPT"], { port: sinkPort });
  t.after(() => sink.stop());
  await submit(mtaPort, "sender@portico.test", "refused@sink.test", "bounced");
  const dsnName = await waitFor("the DSN", async () => (await inboxFiles())[0]);
  const dsn = await readFile(join(inbox, dsnName), "utf8");
  assert.match(dsn, /^Return-Path: <>\r\n/);
  assert.match(dsn, /refused@sink\.test/);
  assert.match(dsn, /5\d\d[ -]5\.\d\.\d+ .*Error: command failed/);
  assert.match(dsn, /multipart\/report; report-type=delivery-status/i);
  assert.match(dsn, /Subject: bounced/);
  await waitFor("an empty queue", () => (queue.size === 0 ? true : undefined));

  // Null MX (RFC 7505) and a domain that does not exist: bounced at once, without a connection.
  await submit(mtaPort, "sender@portico.test", "x@nullmx.sink.test", "nullmx");
  await submit(mtaPort, "sender@portico.test", "x@gone.sink.test", "nxdomain");
  await waitFor("two more DSNs", async () => ((await inboxFiles()).length === 3 ? true : undefined));
  const texts = await Promise.all((await inboxFiles()).map((f) => readFile(join(inbox, f), "utf8")));
  assert.ok(texts.some((x) => /5\.1\.10/.test(x) && /null MX/.test(x)));
  assert.ok(texts.some((x) => /5\.1\.2/.test(x) && /gone\.sink\.test/.test(x)));

  // A bounce of a bounce is never sent: the null sender's failure is dropped.
  await submit(mtaPort, "", "refused@sink.test", "nullsender");
  await waitFor("an empty queue", () => (queue.size === 0 ? true : undefined));
  await sleep(300);
  assert.equal((await inboxFiles()).length, 3);
});

test("a destination that keeps answering 4xx: a delay warning, then a bounce when the lifetime ends", async (t) => {
  const dir = await tempDir();
  const dns = await startSinkDns(t, dir);
  const sinkPort = await freePort();
  const mtaPort = await freePort();
  const portico = await startPortico(
    parseConfig(
      `hostname = "mx.portico.test"\ndata_dir = "data"\n[[users]]\naddress = "sender@portico.test"\npassword = "pw"\n` +
        `[smtp]\nlisten = ["127.0.0.1:${mtaPort}"]\nsubmission = []\nsubmissions = []\nlocal_domains = ["portico.test"]\n` +
        `trusted_networks = ["127.0.0.0/8"]\nresolver = "127.0.0.1:${dns.endpoints[0]!.address.port}"\nrelay_port = ${sinkPort}\n` +
        `retry_intervals = ["1s"]\ndelay_warning = "1s"\nqueue_lifetime = "4s"\n`,
      join(dir, "portico.toml"),
    ),
  );
  t.after(() => portico.stop(0));
  const sink = await startSmtpSink(["-r", "RCPT"], { port: sinkPort });
  t.after(() => sink.stop());
  await submit(mtaPort, "sender@portico.test", "slow@sink.test", "slow");
  const inbox = join(dir, "data", "mail", "portico.test", "sender", "new");
  const texts = async (): Promise<string[]> =>
    Promise.all(
      (await readdir(inbox).catch(() => [] as string[])).map((f) => readFile(join(inbox, f), "utf8")),
    );
  const both = await waitFor(
    "a delay warning and a bounce",
    async () => {
      const all = await texts();
      return all.length >= 2 ? all : undefined;
    },
    { timeoutMs: 20_000 },
  );
  const delay = both.find((x) => /Subject: Delayed Mail/.test(x));
  const bounce = both.find((x) => /Subject: Undelivered Mail/.test(x));
  assert.ok(delay !== undefined && bounce !== undefined, both.join("\n----\n"));
  assert.match(delay, /Action: delayed/);
  assert.match(delay, /Will-Retry-Until: /);
  assert.match(bounce, /Action: failed/);
  assert.match(bounce, /Status: 4\.4\.7/);
  assert.match(bounce, /Remote-MTA: dns; mx\.sink\.test/);
  assert.match(bounce, /4\d\d 4\.\d\.\d .*command failed/);
  await waitFor("an empty queue", () => (portico.queue!.size === 0 ? true : undefined));
  assert.equal((await texts()).length, 2);
});
