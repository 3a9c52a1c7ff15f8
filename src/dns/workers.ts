import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import { ConfigError, ListenError, PorticoError } from "../core/errors.js";
import type { Logger, TraceEvent } from "../core/log.js";
import { silentLogger } from "../core/log.js";
import type { DnsOptions } from "../options.js";
import type { Endpoint } from "../service.js";
import type { ZoneSet } from "./authority/index.js";
import type { DnsRuntime, DnsService } from "./service.js";

/** Messages from the primary to a DNS worker. */
export type ToWorker =
  | { type: "start"; options: DnsOptions; hostname?: string; trace: boolean }
  | { type: "reload" }
  | { type: "stop"; graceMs: number };

type PlainError = { name: string; code?: string; message: string };

/** Messages from a DNS worker to the primary. */
export type FromWorker =
  | { type: "listening" }
  | { type: "ready"; endpoints: readonly Endpoint[] }
  | { type: "error"; error: PlainError }
  | { type: "reloaded"; error?: PlainError }
  | { type: "trace"; event: TraceEvent }
  | {
      type: "log";
      level: "info" | "warn" | "error";
      bindings: Record<string, unknown>;
      fields: Record<string, unknown>;
      msg: string;
    };

function revive(error: PlainError): Error {
  if (error.name === "ListenError") return new ListenError(error.message);
  if (error.name === "ConfigError" || error.name === "InvalidConfigError")
    return new ConfigError(error.message);
  return new PorticoError(error.message);
}

/**
 * Runs the DNS service in `count` worker processes (node:cluster) so answering uses every
 * core: DNS is stateless per query, and the primary binds each UDP socket and TCP listener
 * once and shares it with the workers, so the kernel spreads queries over them. Each worker
 * loads the zones itself and watches their files. A worker that dies is replaced.
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
  cluster.setupPrimary({
    exec: fileURLToPath(new URL("./worker.js", import.meta.url)),
    args: [],
    silent: false,
  });
  const workers = new Set<Worker>();
  let stopping = false;

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
              options: { ...options, workers: 1 },
              ...(runtime.hostname !== undefined && { hostname: runtime.hostname }),
              trace: runtime.trace !== undefined,
            } satisfies ToWorker);
            break;
          case "ready":
            ready = true;
            resolve({ worker, endpoints: message.endpoints });
            break;
          case "error":
            reject(revive(message.error));
            break;
          case "trace":
            runtime.trace?.(message.event);
            break;
          case "log":
            forwardLog(base, index, message);
            break;
          case "reloaded":
            break;
        }
      });
      worker.once("exit", (code, signal) => {
        workers.delete(worker);
        if (!ready) {
          reject(new PorticoError(`DNS worker ${index} exited before it was ready (${signal ?? code})`));
        } else if (!stopping) {
          log.error({ worker: index, code, signal }, "DNS worker died; starting another");
          setTimeout(() => {
            if (!stopping)
              start(index).catch((error: unknown) => log.error({ err: error }, "DNS worker restart failed"));
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
            const timer = setTimeout(() => worker.kill("SIGKILL"), graceMs + 2_000);
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

  return {
    name: "dns",
    endpoints: first.endpoints,
    get zones(): ZoneSet {
      throw new TypeError("Cannot read zones: they live in the DNS worker processes");
    },
    async reload() {
      const results = await Promise.all(
        [...workers].map(
          (worker) =>
            new Promise<PlainError | undefined>((resolve) => {
              const onMessage = (message: FromWorker): void => {
                if (message.type !== "reloaded") return;
                worker.off("message", onMessage);
                resolve(message.error);
              };
              worker.on("message", onMessage);
              worker.send({ type: "reload" } satisfies ToWorker);
            }),
        ),
      );
      const failed = results.find((e) => e !== undefined);
      if (failed) throw revive(failed);
    },
    stop: stopAll,
  };
}

function forwardLog(log: Logger, index: number, message: Extract<FromWorker, { type: "log" }>): void {
  log.child({ worker: index, ...message.bindings })[message.level](message.fields, message.msg);
}
