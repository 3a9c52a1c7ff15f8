import cluster, { type Worker } from "node:cluster";
import { reviveError, writeWorkerLog, type PlainError, type WorkerLogMessage } from "../core/worker-ipc.js";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { NetworkSet, type SocketAddress } from "../core/address.js";
import { PorticoError } from "../core/errors.js";
import type { TraceEvent } from "../core/log.js";
import { silentLogger } from "../core/log.js";
import type { DnsOptions } from "../options.js";
import type { Endpoint } from "../service.js";
import type { ZoneSet } from "./authority/index.js";
import type { DnsRuntime, DnsService } from "./service.js";
import { watchZoneFiles } from "./server/zone-watch.js";

/** `DnsOptions` as they cross to a worker (IPC carries JSON): networks as their CIDR lists. */
export type WorkerDnsOptions = Omit<DnsOptions, "allowTransfer" | "allowRecursion"> & {
  readonly allowTransfer?: readonly string[];
  readonly allowRecursion?: readonly string[];
};

/** `options` in the form that crosses to a worker. */
export function toWorkerOptions(options: DnsOptions): WorkerDnsOptions {
  const { allowTransfer, allowRecursion, ...rest } = options;
  return {
    ...rest,
    ...(allowTransfer && { allowTransfer: allowTransfer.networks }),
    ...(allowRecursion && { allowRecursion: allowRecursion.networks }),
  };
}

/** The `DnsOptions` a worker received. */
export function fromWorkerOptions(options: WorkerDnsOptions): DnsOptions {
  const { allowTransfer, allowRecursion, ...rest } = options;
  return {
    ...rest,
    ...(allowTransfer && { allowTransfer: new NetworkSet(allowTransfer) }),
    ...(allowRecursion && { allowRecursion: new NetworkSet(allowRecursion) }),
  };
}

/** Messages from the primary to a DNS worker. */
export type ToWorker =
  | {
      type: "start";
      options: WorkerDnsOptions;
      hostname?: string;
      trace: boolean;
      /** Only one worker sends NOTIFY, or each secondary would get one per worker. */
      sendNotify: boolean;
      notifyRetryMs?: number;
    }
  | { type: "reload" }
  /** Send NOTIFY for the zones whose serial changed (to the worker that sends them). */
  | { type: "announce" }
  | { type: "stop"; graceMs: number };

/** Messages from a DNS worker to the primary. */
export type FromWorker =
  | { type: "listening" }
  | { type: "ready"; endpoints: readonly Endpoint[] }
  | { type: "error"; error: PlainError }
  | { type: "reloaded"; error?: PlainError }
  | { type: "trace"; event: TraceEvent }
  | WorkerLogMessage;

/**
 * Runs the DNS service in `count` worker processes (node:cluster) so answering uses every
 * core: DNS is stateless per query, and the primary binds each UDP socket and TCP listener
 * once and shares it with the workers, so the kernel spreads queries over them. Each worker
 * loads the zones itself (and has its own resolver cache when recursion is on); the primary
 * watches the zone files and has every worker reload. Worker 0 alone sends NOTIFY, when the
 * primary says: at start and after a reload, once every worker serves the new zones, so a
 * secondary that asks for the SOA at once gets the new serial whichever worker answers.
 * A worker that dies is replaced.
 *
 * Only a cluster primary can do this; a process that is itself a cluster worker runs DNS
 * in-process instead.
 */
export async function startDnsWorkers(
  options: DnsOptions,
  runtime: DnsRuntime,
  count: number,
): Promise<DnsService> {
  const base = runtime.logger ?? silentLogger;
  const log = base.child({ service: "dns" });
  // Every worker (and a replacement) must bind the same ports: fix them now.
  options = { ...options, listen: await Promise.all(options.listen.map(concretePort)) };
  cluster.setupPrimary({
    exec: fileURLToPath(new URL("./worker.js", import.meta.url)),
    args: [],
    silent: false,
  });
  const workers = new Set<Worker>();
  let stopping = false;
  /** The worker that sends NOTIFY, once every worker is up. */
  let announcer: Worker | undefined;
  const announce = (): void => {
    if (announcer?.isConnected() && (options.notify?.length ?? 0) > 0) {
      announcer.send({ type: "announce" } satisfies ToWorker);
    }
  };

  const start = (index: number): Promise<{ worker: Worker; endpoints: readonly Endpoint[] }> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ PORTICO_DNS_WORKER: String(index) });
      workers.add(worker);
      let ready = false;
      worker.on("message", (message: FromWorker) => {
        switch (message.type) {
          case "listening":
            worker.send({
              type: "start",
              options: toWorkerOptions({ ...options, workers: 1 }),
              ...(runtime.hostname !== undefined && { hostname: runtime.hostname }),
              trace: runtime.trace !== undefined,
              sendNotify: index === 0,
              ...(runtime.notifyRetryMs !== undefined && { notifyRetryMs: runtime.notifyRetryMs }),
            } satisfies ToWorker);
            break;
          case "ready":
            ready = true;
            if (index === 0 && announcer !== undefined) {
              // A replacement: it announces every zone, as any server does at start.
              announcer = worker;
              announce();
            }
            resolve({ worker, endpoints: message.endpoints });
            break;
          case "error":
            reject(reviveError(message.error));
            break;
          case "trace":
            runtime.trace?.(message.event);
            break;
          case "log":
            writeWorkerLog(base, index, message);
            break;
          case "reloaded":
            break;
        }
      });
      worker.once("exit", (code, signal) => {
        workers.delete(worker);
        if (!ready) {
          reject(new PorticoError(`DNS worker ${index} exited before it was ready (${signal || code})`));
        } else if (!stopping) {
          log.error({ worker: index, code, signal }, "DNS worker died; starting another");
          setTimeout(() => {
            if (!stopping) {
              start(index).catch((error: unknown) => {
                log.error({ err: error }, "DNS worker restart failed");
              });
            }
          }, 500).unref();
        }
      });
    });

  const stopAll = async (graceMs: number): Promise<void> => {
    stopping = true;
    await Promise.all(
      [...workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              worker.kill("SIGKILL");
            }, graceMs + 2_000);
            worker.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            if (worker.isConnected()) worker.send({ type: "stop", graceMs } satisfies ToWorker);
            else worker.kill();
          }),
      ),
    );
  };

  let first: { worker: Worker; endpoints: readonly Endpoint[] };
  try {
    // The first worker binds (so a port in use is one error); the others share its sockets.
    first = await start(0);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 1)));
  } catch (error) {
    await stopAll(0);
    throw error;
  }
  log.info({ workers: count }, "DNS workers started");
  announcer = first.worker;
  announce();

  const reload = async (): Promise<void> => {
    const results = await Promise.all(
      [...workers].map(
        (worker) =>
          new Promise<PlainError | undefined>((resolve) => {
            // A worker that dies meanwhile is replaced, and its successor loads the files anew.
            const onExit = (): void => {
              worker.off("message", onMessage);
              resolve(undefined);
            };
            const onMessage = (message: FromWorker): void => {
              if (message.type !== "reloaded") return;
              worker.off("message", onMessage);
              worker.off("exit", onExit);
              resolve(message.error);
            };
            worker.on("message", onMessage);
            worker.once("exit", onExit);
            if (worker.isConnected()) worker.send({ type: "reload" } satisfies ToWorker);
            else onExit();
          }),
      ),
    );
    const failed = results.find((e) => e !== undefined);
    if (failed) throw reviveError(failed);
    announce();
  };
  const unwatch =
    (runtime.watchZones ?? true)
      ? watchZoneFiles(options.zones, () => {
          reload().catch(() => undefined); // each worker logs why
        })
      : undefined;

  return {
    name: "dns",
    endpoints: first.endpoints,
    get zones(): ZoneSet {
      throw new TypeError("Cannot read zones: they live in the DNS worker processes");
    },
    reload,
    async stop(graceMs: number) {
      unwatch?.();
      await stopAll(graceMs);
    },
  };
}

/**
 * `address` with port 0 replaced by a port free for both TCP and UDP now. Workers asking the
 * primary for port 0 get the handle of the same index in every cluster of this process, so
 * two services started here would share one port; a real port keeps them apart.
 */
async function concretePort(address: SocketAddress): Promise<SocketAddress> {
  if (address.port !== 0) return address;
  for (let attempt = 0; ; attempt++) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen({ host: address.host, port: 0, exclusive: true }, () => {
        const info = tcp.address();
        resolve(typeof info === "object" && info !== null ? info.port : 0);
      });
    });
    const udp = createSocket(address.family === 6 ? "udp6" : "udp4");
    const free = await new Promise<boolean>((resolve) => {
      udp.once("error", () => {
        resolve(false);
      });
      udp.bind({ address: address.host, port, exclusive: true }, () => {
        resolve(true);
      });
    });
    try {
      udp.close();
    } catch {
      // a socket whose bind failed may be closed already
    }
    await new Promise((resolve) => tcp.close(resolve));
    // Over and over taken for UDP: let the workers report the port in use.
    if (free || attempt === 20) return { ...address, port };
  }
}
