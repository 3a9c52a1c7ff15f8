/**
 * bench/smtp: Postfix's smtp-source, the same load, against Portico's MTA and against Postfix
 * in one run. Both write a durable queue and deliver into a local Maildir (Portico: a local
 * account; Postfix: a virtual mailbox). Two rates each: accepted (messages over the time
 * smtp-source ran) and delivered (messages over the time until all are in the Maildir). The
 * first load of each server is reported apart (cold); the compared figure is the median of
 * ROUNDS later loads, taken in turns (see main()). Then
 * Postfix with the discard transport (its accept path alone), and the end-to-end relay rate
 * of two Portico MTAs: A relays by MX (from a Portico DNS) to B, until all are in B's Maildir.
 *
 *   npm run bench -- smtp            full run (smtp-source -s 20 -m 2000 -l 4096; 1 + 5 loads)
 *   npm run bench -- smtp --smoke    -s 4 -m 100, 1 + 1 loads, a few seconds (what CI runs)
 *
 * Needs Postfix (Debian package postfix: the server, and smtp-source) and root, as Postfix
 * does. Portico runs as `portico start`, a process of its own per server, like a deployment.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, startPortico } from "../../test/support/cli.js";
import { havePostfix, startPostfix } from "../../test/support/postfix.js";
import { have, ratio, table, tearDown } from "../support/measure.js";

const smoke = process.argv.includes("--smoke");
const SESSIONS = smoke ? 4 : 20;
const MESSAGES = smoke ? 100 : 2000;
const LENGTH = 4096;
/** How long delivery may take before the run is declared failed. */
/** Measured loads per server after the warm-up (the median is reported). */
const ROUNDS = smoke ? 1 : 5;
const DELIVERY_DEADLINE_MS = smoke ? 30_000 : 300_000;
const SENDER = "bench@source.test";

/** One smtp-source run: seconds until it exited, and until all messages were in `maildir`. */
interface Timing {
  readonly acceptSeconds: number;
  readonly deliverSeconds: number | undefined;
}

async function count(dir: string): Promise<number> {
  return (await readdir(dir).catch(() => [])).length;
}

/**
 * Runs `smtp-source` against 127.0.0.1:`port` for `to`; with `maildir`, also waits until its
 * `new/` holds every message (counting from smtp-source's start).
 */
async function load(port: number, to: string, maildir?: string): Promise<Timing> {
  const newDir = maildir === undefined ? undefined : join(maildir, "new");
  const before = newDir === undefined ? 0 : await count(newDir);
  const args = ["-s", String(SESSIONS), "-m", String(MESSAGES), "-l", String(LENGTH)];
  args.push("-f", SENDER, "-t", to, `127.0.0.1:${port}`);
  const start = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - start) / 1e9;
  const child = spawn("smtp-source", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((done, fail) => {
    child.once("error", fail);
    child.once("close", done);
  });
  let delivered: number | undefined;
  const deliveredAll = (async () => {
    if (newDir === undefined) return;
    const deadline = Date.now() + DELIVERY_DEADLINE_MS;
    for (;;) {
      const n = (await count(newDir)) - before;
      if (n >= MESSAGES) {
        delivered = seconds();
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Cannot finish bench/smtp: ${n} of ${MESSAGES} messages in ${newDir} after the deadline`,
        );
      }
      await sleep(10);
    }
  })();
  const code = await exit;
  const acceptSeconds = seconds();
  if (code !== 0 || stderr.trim() !== "") {
    await deliveredAll.catch(() => undefined);
    throw new Error(`Cannot run smtp-source against port ${port}: exit ${code ?? "signal"} ${stderr.trim()}`);
  }
  await deliveredAll;
  return { acceptSeconds, deliverSeconds: delivered };
}

/** A `portico start` process with `config` written to `dir/name.toml`. */
async function porticoProcess(
  dir: string,
  name: string,
  config: string,
): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const file = join(dir, `${name}.toml`);
  await writeFile(file, config);
  const started = await startPortico(["start", "-c", file], { cwd: dir });
  return {
    child: started.child,
    stop: async () => {
      started.child.kill("SIGTERM");
      await started.exited;
    },
  };
}

/** `[smtp]` for a bench MTA: `user@domain` local, queue under `data`. */
function mtaConfig(name: string, port: number, domain: string, extra = ""): string {
  return (
    `hostname = "${name}"\ndata_dir = "${name}"\n` +
    `[[users]]\naddress = "bench@${domain}"\npassword = "bench-password"\n` +
    `[smtp]\nlisten = ["127.0.0.1:${port}"]\nsubmission = []\nsubmissions = []\n` +
    `local_domains = ["${domain}"]\n${extra}`
  );
}

/** The round with the median accept time (its delivery time with it). */
function median(timings: readonly Timing[]): Timing {
  const sorted = [...timings].sort((a, b) => a.acceptSeconds - b.acceptSeconds);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const rate = (seconds: number | undefined): number => (seconds === undefined ? 0 : MESSAGES / seconds);
const cell = (seconds: number | undefined): string =>
  seconds === undefined ? "n/a" : `${rate(seconds).toFixed(0)} (${seconds.toFixed(2)} s)`;

async function main(): Promise<void> {
  if (!(await have("smtp-source")) || !havePostfix()) {
    throw new Error("Cannot run bench/smtp: Postfix is not installed (apt-get install postfix)");
  }
  if (process.getuid?.() !== 0) throw new Error("Cannot run bench/smtp: Postfix needs root");
  const dir = await mkdtemp(join(tmpdir(), "portico-bench-smtp-"));
  const stops: (() => Promise<void>)[] = [];
  try {
    console.log(
      `bench/smtp: smtp-source -s ${SESSIONS} -m ${MESSAGES} -l ${LENGTH}, durable queue, ` +
        `delivered into a Maildir${smoke ? " (smoke)" : ""}`,
    );

    // Both servers run side by side; each first gets an unmeasured warm-up load (a server
    // that has run for a while: Node's JIT has compiled the hot paths, Postfix has its
    // processes forked), then ROUNDS measured loads, taken in turns and in alternating order,
    // so that a change in the machine's state (the other load's file deletions, which slow
    // ext4's inode allocation for minutes; the host's neighbours) falls on both alike.
    const postfix = await startPostfix({ domain: "postfix.test", mailboxes: ["bench"] });
    stops.push(() => postfix.stop());
    const porticoPort = await freePort();
    const portico = await porticoProcess(
      dir,
      "portico",
      mtaConfig("mx.portico.test", porticoPort, "portico.test"),
    );
    stops.push(portico.stop);
    const servers = {
      Postfix: () => load(postfix.port, "bench@postfix.test", postfix.maildir("bench")),
      Portico: () =>
        load(
          porticoPort,
          "bench@portico.test",
          join(dir, "mx.portico.test", "mail", "portico.test", "bench"),
        ),
    };
    const cold = { Postfix: await servers.Postfix(), Portico: await servers.Portico() };
    const rounds: { Postfix: Timing[]; Portico: Timing[] } = { Postfix: [], Portico: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (["Portico", "Postfix"] as const) : (["Postfix", "Portico"] as const);
      for (const name of order) rounds[name].push(await servers[name]());
    }
    const postfixTiming = median(rounds.Postfix);
    const porticoTiming = median(rounds.Portico);
    // Both stay up, idle, until the end: stopping Postfix removes every file it made, and those
    // deletions would slow the relay run's file creation below.

    // Postfix's accept path alone: the queue file is written, then discarded.
    const discard = await startPostfix({ domain: "postfix.test", mailboxes: ["bench"], accept: "discard" });
    stops.push(() => discard.stop());
    const discardTiming = await load(discard.port, "bench@postfix.test");
    await stops.pop()!();

    // Two Portico MTAs: A relays relay.test by MX (a Portico DNS) to B, which delivers it.
    const [dnsPort, aPort, bPort] = [await freePort(), await freePort(), await freePort()];
    await writeFile(
      join(dir, "relay.zone"),
      "$ORIGIN relay.test.\n$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\n" +
        "ns IN A 127.0.0.1\n@ IN MX 10 mx\nmx IN A 127.0.0.1\n",
    );
    const dns = await porticoProcess(
      dir,
      "dns",
      `hostname = "ns.relay.test"\ndata_dir = "dns"\n[dns]\nlisten = ["127.0.0.1:${dnsPort}"]\nworkers = 1\nzones = ["relay.zone"]\n`,
    );
    stops.push(dns.stop);
    const b = await porticoProcess(dir, "b", mtaConfig("mx.relay.test", bPort, "relay.test"));
    stops.push(b.stop);
    const a = await porticoProcess(
      dir,
      "a",
      mtaConfig(
        "a.portico.test",
        aPort,
        "a.portico.test",
        `trusted_networks = ["127.0.0.0/8"]\nresolver = "127.0.0.1:${dnsPort}"\nrelay_port = ${bPort}\n`,
      ),
    );
    stops.push(a.stop);
    const relayTiming = await load(
      aPort,
      "bench@relay.test",
      join(dir, "mx.relay.test", "mail", "relay.test", "bench"),
    );

    console.log(
      table([
        ["messages/second", "Portico", "Postfix", "Portico/Postfix"],
        [
          "accepted, first load (cold server)",
          cell(cold.Portico.acceptSeconds),
          cell(cold.Postfix.acceptSeconds),
          ratio(rate(cold.Portico.acceptSeconds), rate(cold.Postfix.acceptSeconds)),
        ],
        [
          `accepted, each of ${ROUNDS} later loads`,
          rounds.Portico.map((t) => rate(t.acceptSeconds).toFixed(0)).join(" "),
          rounds.Postfix.map((t) => rate(t.acceptSeconds).toFixed(0)).join(" "),
          "",
        ],
        [
          `accepted (median of ${ROUNDS})`,
          cell(porticoTiming.acceptSeconds),
          cell(postfixTiming.acceptSeconds),
          ratio(rate(porticoTiming.acceptSeconds), rate(postfixTiming.acceptSeconds)),
        ],
        [
          `delivered (all in the Maildir, same load)`,
          cell(porticoTiming.deliverSeconds),
          cell(postfixTiming.deliverSeconds),
          ratio(rate(porticoTiming.deliverSeconds), rate(postfixTiming.deliverSeconds)),
        ],
        ["accepted, Postfix discard transport", "", cell(discardTiming.acceptSeconds), ""],
        ["relay A → B by MX: accepted by A", cell(relayTiming.acceptSeconds), "", ""],
        ["relay A → B by MX: all in B's Maildir", cell(relayTiming.deliverSeconds), "", ""],
      ]),
    );
  } finally {
    await tearDown(stops, dir);
  }
}

await main();
