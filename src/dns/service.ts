import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { formatSocketAddress, NetworkSet } from "../core/address.js";
import { silentLogger, type Logger, type TraceSink } from "../core/log.js";
import type { DnsOptions } from "../options.js";
import type { Endpoint, RunningService } from "../service.js";
import { ReverseIndex, Zone, ZoneSet, type AnswerOptions } from "./authority/index.js";
import { Resolver, type ResolveResult } from "./resolver/index.js";
import { Notifier } from "./server/notify.js";
import { Recursion } from "./server/recursion.js";
import { Responder } from "./server/responder.js";
import { DnsTransports } from "./server/transport.js";
import { watchZoneFiles } from "./server/zone-watch.js";
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
  /**
   * What recursion (`recursion = true`) resolves with; default a `Resolver` with the
   * options' `forwarders`, else iterating from the root servers. Given one, the service
   * runs in this process (a resolver cannot be handed to worker processes).
   */
  readonly resolver?: { resolve(name: string, type: number): Promise<ResolveResult> };
  /** NOTIFY: the wait for the first answer, in ms, doubled per try (default 2000). */
  readonly notifyRetryMs?: number;
  /** @internal Set in worker processes: never fork more workers. */
  readonly inProcess?: boolean;
  /** @internal False in all worker processes but one, so each secondary gets one NOTIFY. */
  readonly sendNotify?: boolean;
  /**
   * @internal False in worker processes: NOTIFY goes out when the primary says (`announce()`),
   * once every worker serves the new zones, not on this process's own start and reloads.
   */
  readonly notifyOnChange?: boolean;
}

/** Who may use recursion when `allowRecursion` is not given: this machine only. */
const LOOPBACK = ["127.0.0.0/8", "::1/128"];

/** A running DNS service, with its zones. */
export interface DnsService extends RunningService {
  readonly zones: ZoneSet;
  reload(): Promise<void>;
  /** @internal Sends NOTIFY for the zones whose serial changed since the last one sent. */
  announce?(): void;
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
 * Starts the DNS server of `[dns]`: loads the zones (a bad zone file stops the start with its
 * FILE:LINE), answers on UDP and TCP on every listen address, and reloads the zones
 * atomically on `reload()` and when a file changes (a bad edit keeps the old zones). Zones
 * go out by AXFR/IXFR to `allowTransfer`; `notify` secondaries hear of each new serial
 * (RFC 1996); with `recursion`, names outside the zones are resolved for `allowRecursion`
 * (loopback by default); with `synthesizePtr`, reverse names outside the zones are answered
 * from the zones' addresses.
 */
export async function startDnsService(options: DnsOptions, runtime: DnsRuntime = {}): Promise<DnsService> {
  const workers = options.workers === 0 ? availableParallelism() : (options.workers ?? 1);
  if (
    workers > 1 &&
    !runtime.inProcess &&
    cluster.isPrimary &&
    runtime.answer === undefined &&
    runtime.resolver === undefined
  ) {
    return startDnsWorkers(options, runtime, workers);
  }
  const log = (runtime.logger ?? silentLogger).child({ service: "dns" });
  // The zones and what is derived from them, swapped in one assignment on reload so a
  // query sees the old set or the new one, never a mix.
  const served = (zones: ZoneSet): { zones: ZoneSet; reverse: ReverseIndex | undefined } => ({
    zones,
    reverse: options.synthesizePtr ? new ReverseIndex(zones) : undefined,
  });
  let state = served(loadZones(options.zones, log));
  const recursion = options.recursion
    ? new Recursion({
        resolve: resolverOf(
          runtime.resolver ?? new Resolver({ forwarders: options.forwarders, logger: log }),
        ),
        allow: options.allowRecursion ?? new NetworkSet(LOOPBACK),
      })
    : undefined;
  const responderFor = (traceId: string): Responder =>
    new Responder({
      zones: () => state.zones,
      ...(runtime.answer && { answer: runtime.answer }),
      ...(runtime.trace && {
        trace: (direction, line) => {
          runtime.trace?.({ connection: traceId, direction, line });
        },
      }),
      ...(options.allowTransfer && { allowTransfer: options.allowTransfer }),
      ...(recursion && { recursion }),
      ...(options.synthesizePtr && { reverseIndex: () => state.reverse }),
    });
  const specs = options.listen.map((address) => ({ key: "dns.listen", address }));
  const transports = new DnsTransports({
    listen: specs,
    responder: responderFor,
    logger: log,
    trace: runtime.trace,
  });
  await transports.start(specs);

  const notifier =
    (options.notify?.length ?? 0) > 0 && (runtime.sendNotify ?? true)
      ? new Notifier({
          targets: options.notify ?? [],
          logger: log,
          trace: runtime.trace,
          ...(runtime.notifyRetryMs !== undefined && { retryMs: runtime.notifyRetryMs }),
        })
      : undefined;
  // RFC 1996 §4.1: every zone is announced at start; after that, zones whose serial changed.
  const notifyOnChange = runtime.notifyOnChange ?? true;
  if (notifyOnChange) notifier?.update(state.zones);

  const reload = (): Promise<void> => {
    try {
      state = served(loadZones(options.zones, log));
      log.info({ zones: state.zones.size }, "zones reloaded");
      if (notifyOnChange) notifier?.update(state.zones);
    } catch (error) {
      log.error(
        { err: error },
        `zone reload failed, still serving the previous zones: ${(error as Error).message}`,
      );
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return Promise.resolve();
  };

  const unwatch =
    (runtime.watchZones ?? true)
      ? watchZoneFiles(options.zones, () => {
          reload().catch(() => undefined);
        })
      : undefined;

  const endpoints: Endpoint[] = transports.bound.map(({ key, address }) => ({
    service: "dns",
    key,
    address,
    transport: "udp+tcp",
    tls: false,
    example: `dig @${address.host} -p ${address.port} ${firstOrigin(state.zones) ?? runtime.hostname ?? "localhost"} SOA`,
  }));
  log.info(
    {
      listen: endpoints.map((e) => formatSocketAddress(e.address)),
      zones: state.zones.size,
      recursion: recursion !== undefined,
      transfers: (options.allowTransfer?.networks.length ?? 0) > 0,
      notify: options.notify?.length ?? 0,
      synthesizePtr: options.synthesizePtr ?? false,
    },
    "DNS started",
  );

  return {
    name: "dns",
    endpoints,
    get zones() {
      return state.zones;
    },
    reload,
    announce() {
      notifier?.update(state.zones);
    },
    async stop(graceMs: number) {
      unwatch?.();
      notifier?.close();
      await transports.stop(graceMs);
    },
  };
}

/** `resolve()` of `resolver`, called as a method. */
function resolverOf(
  resolver: NonNullable<DnsRuntime["resolver"]>,
): (name: string, type: number) => Promise<ResolveResult> {
  return (name, type) => resolver.resolve(name, type);
}

function firstOrigin(zones: ZoneSet): string | undefined {
  for (const zone of zones) return zone.origin;
  return undefined;
}
