/**
 * NSD (Debian's `nsd` package) run by hand as the reference server of the DNS differential
 * tests: a private config in a temporary directory, RRL off, no chroot or privilege drop,
 * listening on 127.0.0.1 on a random high port (NSD cannot take port 0).
 */

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, delimiter, join } from "node:path";
import { RRClass, RRType } from "../../../src/dns/types.js";
import { buildQuery, exchangeUdp } from "./wire.js";

/** The path of the `nsd` binary, or undefined when it is not installed. */
export function findNsd(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    if (dir !== "" && existsSync(join(dir, "nsd"))) return join(dir, "nsd");
  }
  return undefined;
}

/** A running NSD. */
export interface RunningNsd {
  readonly port: number;
  /** What NSD wrote to stderr so far (its log, for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** A zone to serve: its origin (without the trailing dot is fine) and file. */
export interface NsdZone {
  readonly origin: string;
  readonly file: string;
  /**
   * Extra lines for the zone's `zone:` clause, e.g. `provide-xfr: 127.0.0.1 NOKEY`, or for a
   * secondary `request-xfr: 127.0.0.1@PORT NOKEY` and `allow-notify: 127.0.0.1 NOKEY` (the
   * file is then where NSD writes the zone it transferred).
   */
  readonly lines?: readonly string[];
}

/** The origin a test zone file names: its file name without `.zone`. */
export function zoneOfFile(file: string): NsdZone {
  return { origin: basename(file).replace(/\.zone$/, ""), file };
}

function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 40_000);
}

/** Options of `startNsd()`. */
export interface NsdOptions {
  /** Extra lines for the `server:` clause. */
  readonly server?: readonly string[];
  /** Listen on ::1 too (same port). */
  readonly ipv6?: boolean;
  /** The port to listen on (no retries on another); default a random free one. */
  readonly port?: number;
}

/**
 * Starts NSD serving `zones` on 127.0.0.1 (and ::1 with `ipv6`), resolving once it answers
 * a SOA query for the first zone. Retries on another port if the one picked was taken.
 * Throws if NSD does not start.
 */
export async function startNsd(zones: readonly NsdZone[], options: NsdOptions = {}): Promise<RunningNsd> {
  const binary = findNsd();
  if (binary === undefined) throw new Error("Cannot start NSD: nsd is not installed (apt-get install nsd)");
  if (options.port !== undefined) return startOnce(binary, zones, options, options.port);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await startOnce(binary, zones, options, randomPort());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function startOnce(
  binary: string,
  zones: readonly NsdZone[],
  options: NsdOptions,
  port: number,
): Promise<RunningNsd> {
  const origin = zones[0]!.origin;
  const probe = buildQuery({
    id: 0xbeef,
    name: origin.endsWith(".") ? origin : `${origin}.`,
    type: RRType.SOA,
    class: RRClass.IN,
  });
  const dir = await mkdtemp(join(tmpdir(), "portico-nsd-"));
  const config = [
    "server:",
    `  ip-address: 127.0.0.1@${port}`,
    ...(options.ipv6 ? [`  ip-address: ::1@${port}`] : ["  do-ip6: no"]),
    '  database: ""',
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: "${dir}"`,
    `  pidfile: "${join(dir, "nsd.pid")}"`,
    `  xfrdfile: "${join(dir, "xfrd.state")}"`,
    `  zonelistfile: "${join(dir, "zone.list")}"`,
    `  xfrdir: "${dir}"`,
    // One server process unless the caller says otherwise (the benchmark uses every core).
    ...((options.server ?? []).some((line) => line.startsWith("server-count:")) ? [] : ["  server-count: 1"]),
    "  rrl-ratelimit: 0",
    "  rrl-whitelist-ratelimit: 0",
    ...(options.server ?? []).map((line) => `  ${line}`),
    "remote-control:",
    "  control-enable: no",
    ...zones.flatMap((z) => [
      "zone:",
      `  name: "${z.origin}"`,
      `  zonefile: "${z.file}"`,
      ...(z.lines ?? []).map((line) => `  ${line}`),
    ]),
    "",
  ].join("\n");
  const configFile = join(dir, "nsd.conf");
  await writeFile(configFile, config);

  const child: ChildProcess = spawn(binary, ["-d", "-c", configFile], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const output = (): string => stderr;
  const stop = async (): Promise<void> => {
    if (alive()) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!alive()) break;
    let answer: Buffer | undefined;
    try {
      answer = await exchangeUdp(port, probe, { timeoutMs: 200, tries: 1 });
    } catch {
      continue; // not listening yet
    }
    // Our NSD answers its zone's SOA with AA; anything else is another server on that port,
    // except SERVFAIL: a secondary zone not transferred yet.
    if ((answer[2]! & 0x04) !== 0 && (answer[3]! & 0x0f) === 0) return { port, output, stop };
    if ((answer[3]! & 0x0f) === 2) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    break;
  }
  await stop();
  throw new Error(`Cannot start NSD on port ${port}: ${stderr.trim() || "no answer within 10 s"}`);
}
