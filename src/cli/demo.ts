import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { parsePort } from "../core/address.js";
import { parseConfig } from "../core/config/load.js";
import type { TraceEvent } from "../core/log.js";
import { Resolver } from "../dns/resolver/resolver.js";
import { startPortico, type Portico } from "../portico.js";
import { connectSmtp, replyToText } from "../smtp/client/index.js";
import { UsageError } from "./errors.js";
import { buildMessage } from "./send.js";

export const DEMO_HELP = `usage: portico demo [--port PORT] [--dir DIR]

  Runs the seeds' scenario on loopback: a Portico DNS server for isp.test and
  organization.test, mail.isp.test on 127.0.0.2 and mail.organization.test on 127.0.0.3.
  user1@isp.test submits a message; it crosses by MX and lands in user2's Maildir.
  --port PORT   the SMTP port both mail servers listen on (relay_port; default 2525)
  --dir DIR     keep everything (configs, queues, Maildirs) in DIR instead of a temp folder`;

const A = "127.0.0.2";
const B = "127.0.0.3";

/** `portico demo`: the e-mail scenario, every exchange printed. */
export async function demoCommand(
  args: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: "string" }, dir: { type: "string" } },
  });
  let port = 2525;
  try {
    if (values.port !== undefined) port = parsePort(values.port);
  } catch (error) {
    throw new UsageError(`Cannot run demo: ${(error as Error).message}\n${DEMO_HELP}`);
  }
  const keep = values.dir !== undefined;
  const root = keep ? resolve(values.dir!) : await mkdtemp(join(tmpdir(), "portico-demo-"));
  await mkdir(root, { recursive: true });
  const say = (text = ""): void => {
    out(`${text}\n`);
  };
  const running: Portico[] = [];
  try {
    // 1. The DNS: both domains, with their MX records.
    await writeFile(join(root, "isp.test.zone"), zone("isp.test", A));
    await writeFile(join(root, "organization.test.zone"), zone("organization.test", B));
    const dns = await startPortico(
      parseConfig(
        `hostname = "ns.test"\ndata_dir = "dns-data"\n[dns]\nlisten = ["127.0.0.1:0"]\nworkers = 1\n` +
          `zones = ["isp.test.zone", "organization.test.zone"]\n`,
        join(root, "dns.toml"),
      ),
    );
    running.push(dns);
    const dnsAddress = dns.endpoints[0]!.address;
    const resolverText = `${dnsAddress.host}:${dnsAddress.port}`;

    // 2. The two mail servers.
    const relayTrace: TraceEvent[] = [];
    const mta = async (name: string, host: string, domain: string, user: string): Promise<Portico> => {
      const options = parseConfig(
        `hostname = "${name}"\ndata_dir = "${name}"\n` +
          `[[users]]\naddress = "${user}"\npassword = "demo-password"\n` +
          `[smtp]\nlisten = ["${host}:${port}"]\nsubmission = ["${host}:0"]\nsubmissions = []\n` +
          `local_domains = ["${domain}"]\nresolver = "${resolverText}"\nrelay_port = ${port}\n`,
        join(root, `${name}.toml`),
      );
      const portico = await startPortico(options, {
        trace: (event) => {
          if (event.connection.startsWith("smtp-client")) relayTrace.push(event);
        },
      });
      running.push(portico);
      return portico;
    };
    const isp = await mta("mail.isp.test", A, "isp.test", "user1@isp.test");
    await mta("mail.organization.test", B, "organization.test", "user2@organization.test");
    const submission = isp.endpoints.find((e) => e.service === "submission")!.address;

    say("Portico demo: user1@isp.test sends a message to user2@organization.test");
    say(`  DNS                     ${resolverText}  (isp.test, organization.test)`);
    say(`  mail.isp.test           ${A}:${port} (MTA), ${A}:${submission.port} (submission)`);
    say(`  mail.organization.test  ${B}:${port} (MTA)`);
    say(`  files                   ${root}`);
    say();

    // 3. user1 submits (S: is the sender-SMTP, R: the receiver-SMTP, as in RFC 821).
    say(`1. user1's mail program submits the message to mail.isp.test (${A}:${submission.port})`);
    const submitTrace: TraceEvent[] = [];
    const connection = await connectSmtp({
      host: A,
      port: submission.port,
      helo: "user1-laptop.isp.test",
      tls: "starttls",
      auth: { username: "user1@isp.test", password: "demo-password" },
      trace: (e) => submitTrace.push(e),
    });
    const message = buildMessage({
      from: "user1@isp.test",
      to: ["user2@organization.test"],
      subject: "Hello from isp.test",
      body: "Hi user2,\n\nthis message went from mail.isp.test to mail.organization.test by MX.\n\nuser1\n",
      now: new Date(),
      host: "isp.test",
    });
    const result = await connection.send({
      from: "user1@isp.test",
      recipients: ["user2@organization.test"],
      content: message,
    });
    await connection.quit();
    printDialogue(say, submitTrace);
    say();

    // 4. The MX lookup the queue manager makes.
    say("2. mail.isp.test queues it, and looks up where organization.test's mail goes");
    const resolver = new Resolver({ forwarders: [dnsAddress] });
    const mx = await resolver.resolveMx("organization.test");
    if (mx.kind === "hosts") {
      for (const h of mx.hosts)
        say(
          `   organization.test. MX ${h.preference} ${h.exchange.replace(/\.$/, "")}.  →  ${h.addresses.join(", ")}`,
        );
    }
    say();

    // 5. The relay, and delivery into user2's Maildir.
    const maildir = join(root, "mail.organization.test", "mail", "organization.test", "user2", "new");
    const delivered = await waitForFile(maildir, 20_000);
    say(`3. mail.isp.test connects to mail.organization.test (${B}:${port}) and relays it`);
    printDialogue(say, relayTrace);
    say();
    if (delivered === undefined) {
      say("The message did not arrive within 20 s. Queue of mail.isp.test:");
      for (const l of isp.queue?.list() ?? [])
        say(`  ${l.id}: ${l.recipients.map((r) => `${r.address} ${r.status} ${r.reply ?? ""}`).join("; ")}`);
      return 1;
    }
    say(`4. mail.organization.test delivers it into user2's Maildir: ${join(maildir, delivered)}`);
    say();
    for (const line of (await readFile(join(maildir, delivered), "utf8")).split("\r\n")) say(`   ${line}`);
    say(`Submitted: ${replyToText(result.finalReply)}`);
    return 0;
  } finally {
    await Promise.all(running.map((p) => p.stop(1_000)));
    if (!keep) await rm(root, { recursive: true, force: true });
  }
}

function zone(domain: string, address: string): string {
  return [
    `$ORIGIN ${domain}.`,
    "$TTL 300",
    `@ IN SOA ns.${domain}. hostmaster.${domain}. 1 3600 600 86400 300`,
    `@ IN NS ns.${domain}.`,
    `ns IN A 127.0.0.1`,
    `@ IN MX 10 mail.${domain}.`,
    `mail IN A ${address}`,
    "",
  ].join("\n");
}

function printDialogue(say: (text: string) => void, events: readonly TraceEvent[]): void {
  for (const e of events) say(`   ${e.direction === "C" ? "S" : "R"}: ${e.line}`);
}

async function waitForFile(dir: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const names = await readdir(dir).catch(() => [] as string[]);
    if (names.length > 0) {
      await sleep(100); // the relay client's QUIT, for the transcript
      return names[0];
    }
    await sleep(50);
  }
  return undefined;
}
