import cluster from "node:cluster";
import { watch, type FSWatcher } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, dirname } from "node:path";
import { formatSocketAddress } from "../core/address.js";
import { silentLogger, type Logger, type TraceSink } from "../core/log.js";
import type { DnsOptions } from "../options.js";
import type { Endpoint, RunningService } from "../service.js";
import { Zone, ZoneSet, type AnswerOptions } from "./authority/index.js";
import { Responder } from "./server/responder.js";
import { DnsTransports } from "./server/transport.js";
import { loadZoneFile } from "./zone/index.js";
import { startDnsWorkers } from "./workers.js";

/** Runtime needs of the DNS service besides its options. */
export interface DnsRuntime {
  readonly hostname?: string;
  readonly logger?: Logger;
  readonly trace?: TraceSink | undefined;
  /** Choices of the answering engine; defaults are NSD's. */
  readonly answer?: AnswerOptions;
  /** Re-read zone files when they change on disk (default true). */
  readonly watchZones?: boolean;
  /** @internal Set in worker processes: never fork more workers. */
  readonly inProcess?: boolean;
}

/** A running DNS service, with its zones. */
export interface DnsService extends RunningService {
  readonly zones: ZoneSet;
  reload(): Promise<void>;
}

/** Loads every zone file of `files`; throws ConfigError (FILE:LINE) on the first bad one. */
export function loadZones(files: readonly string[], log: Logger = silentLogger): ZoneSet {
  const zones = new ZoneSet();
  for (const file of files) {
    const parsed = loadZoneFile(file, undefined, {
      onWarning: (w) => {
        log.warn({ zone: file }, `${w.file}:${w.line}: ${w.message}`);
      },
    });
    zones.set(new Zone(parsed));
  }
  return zones;
}

/**
 * Starts the authoritative DNS server of `[dns]`: loads the zones (a bad zone file stops the
 * start with its FILE:LINE), answers on UDP and TCP on every listen address, and reloads the
 * zones atomically on `reload()` and when a file changes (a bad edit keeps the old zones).
 */
export async function startDnsService(options: DnsOptions, runtime: DnsRuntime = {}): Promise<DnsService> {
  const workers = options.workers === 0 ? availableParallelism() : (options.workers ?? 1);
  if (workers > 1 && !runtime.inProcess && cluster.isPrimary && runtime.answer === undefined) {
    return startDnsWorkers(options, runtime, workers);
  }
  const log = (runtime.logger ?? silentLogger).child({ service: "dns" });
  let zones = loadZones(options.zones, log);
  const responderFor = (traceId: string): Responder =>
    new Responder({
      zones: () => zones,
      ...(runtime.answer && { answer: runtime.answer }),
      ...(runtime.trace && {
        trace: (direction, line) => {
          runtime.trace?.({ connection: traceId, direction, line });
        },
      }),
    });
  const specs = options.listen.map((address) => ({ key: "dns.listen", address }));
  const transports = new DnsTransports({
    listen: specs,
    responder: responderFor,
    logger: log,
    trace: runtime.trace,
  });
  await transports.start(specs);

  const reload = (): Promise<void> => {
    try {
      zones = loadZones(options.zones, log);
      log.info({ zones: zones.size }, "zones reloaded");
    } catch (error) {
      log.error(
        { err: error },
        `zone reload failed, still serving the previous zones: ${(error as Error).message}`,
      );
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return Promise.resolve();
  };

  // Watch the zone files' directories, not the files: editors and deploy tools replace a
  // file by renaming a new one over it, which a watch on the old inode would miss.
  const watchers: FSWatcher[] = [];
  if (runtime.watchZones ?? true) {
    let timer: NodeJS.Timeout | undefined;
    const byDir = new Map<string, Set<string>>();
    for (const file of options.zones) {
      const names = byDir.get(dirname(file)) ?? new Set<string>();
      names.add(basename(file));
      byDir.set(dirname(file), names);
    }
    for (const [dir, names] of byDir) {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name !== null && !names.has(name)) return;
        clearTimeout(timer);
        // Editors write in several steps: wait until the files have been quiet for a moment.
        timer = setTimeout(() => {
          reload().catch(() => undefined);
        }, 300);
      });
      watcher.on("error", () => undefined);
      watchers.push(watcher);
    }
  }

  const endpoints: Endpoint[] = transports.bound.map(({ key, address }) => ({
    service: "dns",
    key,
    address,
    transport: "udp+tcp",
    tls: false,
    example: `dig @${address.host} -p ${address.port} ${firstOrigin(zones) ?? runtime.hostname ?? "localhost"} SOA`,
  }));
  log.info(
    { listen: endpoints.map((e) => formatSocketAddress(e.address)), zones: zones.size },
    "DNS started",
  );

  return {
    name: "dns",
    endpoints,
    get zones() {
      return zones;
    },
    reload,
    async stop(graceMs: number) {
      for (const watcher of watchers) watcher.close();
      await transports.stop(graceMs);
    },
  };
}

function firstOrigin(zones: ZoneSet): string | undefined {
  for (const zone of zones) return zone.origin;
  return undefined;
}
