/**
 * bench/dns: the same dnsperf load against Portico and NSD serving the same zone, in one run,
 * and the time and memory to load a zone of a million records.
 *
 *   npm run bench -- dns            full run (20 s per measurement, 1M-record zone)
 *   npm run bench -- dns --smoke    a few seconds in all (what CI runs)
 *
 * Needs dnsperf and nsd (Debian packages dnsperf, nsd).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startNsd } from "../../test/dns/support/nsd.js";
import { freePort } from "../../test/support/cli.js";
import { have, ratio, run, table } from "../support/measure.js";

const smoke = process.argv.includes("--smoke");
const SECONDS = smoke ? 2 : 20;
const NAMES = smoke ? 1_000 : 10_000;
const BIG_ZONE_RECORDS = smoke ? 50_000 : 1_000_000;
const PORTICO = resolve(import.meta.dirname, "../../../bin/portico.js");

function zoneText(names: number): string {
  const lines = [
    "$ORIGIN bench.test.",
    "$TTL 3600",
    "@ IN SOA ns hostmaster 1 1h 15m 1w 5m",
    "  IN NS ns",
    "  IN MX 10 mail",
    "ns IN A 192.0.2.1",
    "mail IN A 192.0.2.2",
    "*.wild IN A 192.0.2.3",
    "sub IN NS ns.sub",
    "ns.sub IN A 192.0.2.4",
  ];
  for (let i = 0; i < names; i++) {
    lines.push(`h${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (i % 4 === 0) lines.push(`h${i} IN AAAA 2001:db8::${i.toString(16)}`);
    if (i % 10 === 0) lines.push(`h${i} IN TXT "v=spf1 -all" "record ${i}"`);
  }
  return lines.join("\n") + "\n";
}

/** A query mix: mostly positive A/AAAA, some MX/TXT, NXDOMAIN, wildcard and referral. */
function queryFile(names: number): string {
  const out: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const n = (i * 7919) % names;
    const kind = i % 20;
    if (kind < 10) out.push(`h${n}.bench.test A`);
    else if (kind < 13) out.push(`h${n - (n % 4)}.bench.test AAAA`);
    else if (kind < 14) out.push(`bench.test MX`);
    else if (kind < 15) out.push(`h${n - (n % 10)}.bench.test TXT`);
    else if (kind < 17) out.push(`nx${n}.bench.test A`);
    else if (kind < 18) out.push(`x${n}.wild.bench.test A`);
    else if (kind < 19) out.push(`www.sub.bench.test A`);
    else out.push(`h${n}.bench.test MX`);
  }
  return out.join("\n") + "\n";
}

async function dnsperf(
  port: number,
  queries: string,
  mode: "udp" | "tcp",
): Promise<{ qps: number; lost: string }> {
  const args = ["-s", "127.0.0.1", "-p", String(port), "-d", queries, "-l", String(SECONDS), "-m", mode];
  if (mode === "tcp") args.push("-c", "10");
  const { stdout } = await run("dnsperf", args, { maxBuffer: 16 * 1024 * 1024 });
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(stdout)?.[1] ?? "0");
  const lost = /Queries lost:\s+(\d+ \([\d.]+%\))/.exec(stdout)?.[1] ?? "?";
  return { qps, lost };
}

async function startPorticoDns(
  dir: string,
  zoneFile: string,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const config = join(dir, "portico.toml");
  await writeFile(
    config,
    `data_dir = "portico-data"\n[dns]\nlisten = ["127.0.0.1:${port}"]\nzones = ["${zoneFile}"]\n`,
  );
  const child = spawn(process.execPath, [PORTICO, "start", "-c", config], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((done, fail) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Stop with")) done();
    });
    child.once("exit", (code) => {
      fail(new Error(`portico exited with ${code ?? "a signal"}`));
    });
  });
  const exited = new Promise((done) => child.once("exit", done));
  return {
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function zoneLoad(dir: string): Promise<{ seconds: number; rssMiB: number }> {
  const file = join(dir, "big.test.zone");
  const lines = [
    "$ORIGIN big.test.",
    "$TTL 3600",
    "@ IN SOA ns hostmaster 1 1h 15m 1w 5m",
    "  IN NS ns",
    "ns IN A 192.0.2.1",
  ];
  for (let i = lines.length; i < BIG_ZONE_RECORDS; i++)
    lines.push(`n${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  await writeFile(file, lines.join("\n") + "\n");
  const service = resolve(import.meta.dirname, "../../src/dns/service.js");
  const script = `
    const { loadZones } = await import(${JSON.stringify(service)});
    const start = process.hrtime.bigint();
    const zones = loadZones([${JSON.stringify(file)}]);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(JSON.stringify({ seconds, rssMiB: process.memoryUsage().rss / 1048576, zones: zones.size }));`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as { seconds: number; rssMiB: number };
}

async function main(): Promise<void> {
  for (const tool of ["dnsperf", "nsd"]) {
    if (!(await have(tool)))
      throw new Error(`Cannot run bench/dns: ${tool} is not installed (apt-get install dnsperf nsd)`);
  }
  const dir = await mkdtemp(join(tmpdir(), "portico-bench-dns-"));
  try {
    const zoneFile = join(dir, "bench.test.zone");
    const queries = join(dir, "queries.txt");
    await writeFile(zoneFile, zoneText(NAMES));
    await writeFile(queries, queryFile(NAMES));
    console.log(`bench/dns: ${NAMES} names, ${SECONDS} s per run${smoke ? " (smoke)" : ""}`);

    const results: Record<string, Record<string, { qps: number; lost: string }>> = {};
    const nsd = await startNsd([{ origin: "bench.test", file: zoneFile }], { server: ["server-count: 2"] });
    try {
      results.nsd = {
        udp: await dnsperf(nsd.port, queries, "udp"),
        tcp: await dnsperf(nsd.port, queries, "tcp"),
      };
    } finally {
      await nsd.stop();
    }
    const portico = await startPorticoDns(dir, zoneFile);
    try {
      results.portico = {
        udp: await dnsperf(portico.port, queries, "udp"),
        tcp: await dnsperf(portico.port, queries, "tcp"),
      };
    } finally {
      await portico.stop();
    }
    const rows = [["transport", "Portico qps", "NSD qps", "Portico/NSD", "lost (Portico / NSD)"]];
    for (const mode of ["udp", "tcp"]) {
      const p = results.portico[mode]!;
      const n = results.nsd[mode]!;
      rows.push([
        mode.toUpperCase(),
        p.qps.toFixed(0),
        n.qps.toFixed(0),
        ratio(p.qps, n.qps),
        `${p.lost} / ${n.lost}`,
      ]);
    }
    console.log(table(rows));

    const load = await zoneLoad(dir);
    console.log(
      `zone load: ${BIG_ZONE_RECORDS} records in ${load.seconds.toFixed(2)} s, RSS ${load.rssMiB.toFixed(0)} MiB`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
