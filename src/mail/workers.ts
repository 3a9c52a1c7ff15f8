/**
 * SMTP worker processes (`[smtp] workers`): the MTA's sessions run in N node:cluster workers,
 * so accepting mail uses every core, while this process (the primary) keeps the queue: its
 * lock, the deliveries, the DSNs and the requests of `portico queue`.
 *
 * Every worker listens on every SMTP address; with cluster.SCHED_NONE each accepts its own
 * connections (the kernel picks which worker gets one) and the primary never touches them.
 * A worker runs the same sessions as the in-process service and writes the mail it accepts
 * into the spool itself (a {@link SpoolSink}: recipients expanded, file written in place,
 * file and directory fsynced), so its 250 means exactly what the in-process 250 means: the
 * message is durable. Then it tells the primary what it committed (`queued`: the header, the
 * content's offset and size), and the primary queues it without reading the file back
 * (`MailQueue.adopt`). The 250 does not wait for the primary.
 *
 * A worker that dies is replaced, and the spool rescanned for what it committed but had no
 * time to announce. What a dying worker was still receiving stays as an incomplete file
 * until the next start, which removes it (it was never acknowledged).
 *
 * Per worker process rather than shared: the login throttle (RFC 4954 §9), the per-address
 * connection limit, and the account store's cache of verified passwords. `maxConnections`
 * is divided among the workers.
 */
import {
  forwardLevel,
  reviveError,
  writeWorkerLog,
  type ForwardLevel,
  type PlainError,
  type WorkerLogMessage,
} from "../core/worker-ipc.js";
import cluster, { type Worker } from "node:cluster";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import type { AccountEntry } from "../core/accounts/store.js";
import { NetworkSet, type SocketAddress } from "../core/address.js";
import { PorticoError } from "../core/errors.js";
import { listenError } from "../core/listen.js";
import { silentLogger, type TraceEvent } from "../core/log.js";
import type { TlsCredentials } from "../core/tls.js";
import type { SmtpOptions } from "../options.js";
import type { Endpoint, RunningService } from "../service.js";
import { SMTP_LIMITS } from "../smtp/limits.js";
import type { SmtpRuntime } from "../smtp/server.js";
import type { CommittedMessage, MailQueue } from "./queue/queue.js";
import type { MailRuntime } from "./service.js";

// Every listener a cluster primary shares follows one scheduling policy, frozen by the first
// cluster.setupPrimary() (the DNS workers' when they start first), so it is set when this
// module loads. SCHED_NONE: each worker accepts on the shared socket itself. Round-robin
// would have the primary accept every connection and pass it on, the very work the workers
// are there to take off it. Node's own NODE_CLUSTER_SCHED_POLICY, when set, still decides.
if (cluster.isPrimary && process.env.NODE_CLUSTER_SCHED_POLICY === undefined) {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
}

const WORKER_SCRIPT = fileURLToPath(new URL("./worker.js", import.meta.url));

/**
 * libuv threads of a worker (its file I/O: one spool file per message, fsyncs). Not the 32
 * that `portico start` gives its own process for the deliveries' many fsyncs at once: a
 * worker has only its share of the sessions, and N processes of 32 threads each made the
 * scheduling the cost (libuv's default of 4 took ~5% less CPU per message on the 2-core
 * bench machine, at the same rate).
 */
const WORKER_THREADS = "4";

/** `SmtpOptions` as they cross to a worker (IPC carries JSON): networks as CIDR lists, aliases as pairs. */
export type WorkerSmtpOptions = Omit<SmtpOptions, "trustedNetworks" | "proxyProtocol" | "aliases"> & {
  readonly trustedNetworks: readonly string[];
  readonly proxyProtocol?: readonly string[];
  readonly aliases: readonly (readonly [string, readonly string[]])[];
};

/** `options` in the form that crosses to a worker. */
export function toWorkerOptions(options: SmtpOptions): WorkerSmtpOptions {
  const { trustedNetworks, proxyProtocol, aliases, ...rest } = options;
  return {
    ...rest,
    trustedNetworks: trustedNetworks.networks,
    ...(proxyProtocol && { proxyProtocol: proxyProtocol.networks }),
    aliases: [...aliases],
  };
}

/** The `SmtpOptions` a worker received. */
export function fromWorkerOptions(options: WorkerSmtpOptions): SmtpOptions {
  const { trustedNetworks, proxyProtocol, aliases, ...rest } = options;
  return {
    ...rest,
    trustedNetworks: new NetworkSet(trustedNetworks),
    ...(proxyProtocol && { proxyProtocol: new NetworkSet(proxyProtocol) }),
    aliases: new Map(aliases),
  };
}

/** Messages from the primary to an SMTP worker. */
export type ToWorker =
  | {
      type: "start";
      /** Which worker this is (0…N-1; a replacement gets the index of the one it replaces). */
      index: number;
      options: WorkerSmtpOptions;
      hostname: string;
      dataDir: string;
      users: readonly AccountEntry[];
      tls?: TlsCredentials;
      limits?: SmtpRuntime["limits"];
      trace: boolean;
      logLevel: ForwardLevel;
    }
  | { type: "stop"; graceMs: number };

/** Messages from an SMTP worker to the primary. */
export type FromWorker =
  | { type: "listening" }
  | { type: "ready"; endpoints: readonly Endpoint[] }
  | { type: "error"; error: PlainError }
  /** A message is durable in the spool (the 250 may be on its way): queue it. */
  | ({ type: "queued" } & CommittedMessage)
  | { type: "trace"; event: TraceEvent }
  | WorkerLogMessage;

/**
 * Runs the SMTP listeners of `options` in `count` worker processes that write into `queue`'s
 * spool; resolves once every worker listens. A start error (a port in use) is the worker's,
 * as in-process: a ListenError naming the address and the config key.
 */
export async function startSmtpWorkers(
  options: SmtpOptions,
  runtime: MailRuntime & { readonly users: readonly AccountEntry[] },
  queue: MailQueue,
  count: number,
): Promise<RunningService> {
  const base = runtime.logger ?? silentLogger;
  const log = base.child({ service: "smtp" });
  // Every worker (and a replacement) must bind the same ports: fix them now.
  const shared = toWorkerOptions({ ...options, ...(await concretePorts(options)), workers: 1 });
  const limits = {
    ...runtime.smtpLimits,
    maxConnections: Math.max(
      1,
      Math.ceil((runtime.smtpLimits?.maxConnections ?? SMTP_LIMITS.maxConnections) / count),
    ),
  };
  const logLevel = forwardLevel(base);
  const workers = new Set<Worker>();
  let stopping = false;

  const start = (index: number): Promise<{ worker: Worker; endpoints: readonly Endpoint[] }> =>
    new Promise((resolve, reject) => {
      const worker = forkWorker({ PORTICO_SMTP_WORKER: String(index), UV_THREADPOOL_SIZE: WORKER_THREADS });
      workers.add(worker);
      let ready = false;
      worker.on("message", (message: FromWorker) => {
        switch (message.type) {
          case "listening":
            if (stopping) break;
            worker.send({
              type: "start",
              index,
              options: shared,
              hostname: runtime.hostname,
              dataDir: runtime.layout.root,
              users: runtime.users,
              ...(runtime.tls !== undefined && { tls: runtime.tls }),
              limits,
              trace: runtime.trace !== undefined,
              logLevel,
            } satisfies ToWorker);
            break;
          case "ready":
            ready = true;
            resolve({ worker, endpoints: message.endpoints });
            break;
          case "error":
            reject(reviveError(message.error));
            break;
          case "queued":
            queue.adopt(message.meta.id, message).catch((error: unknown) => {
              log.error({ worker: index, err: error }, "cannot queue what a worker committed");
            });
            break;
          case "trace":
            // Connection ids count per process: the worker's index keeps them apart.
            runtime.trace?.({ ...message.event, connection: `${message.event.connection}@w${index}` });
            break;
          case "log":
            writeWorkerLog(base, index, message);
            break;
        }
      });
      worker.once("exit", (code, signal) => {
        workers.delete(worker);
        if (!ready) {
          reject(new PorticoError(`SMTP worker ${index} exited before it was ready (${signal || code})`));
        } else if (!stopping) {
          log.error({ worker: index, code, signal }, "SMTP worker died; starting another");
          setTimeout(() => {
            if (stopping) return;
            queue.rescan().catch((error: unknown) => {
              log.error({ err: error }, "cannot rescan the queue");
            });
            start(index).catch((error: unknown) => {
              log.error({ err: error }, "SMTP worker restart failed");
            });
          }, 500).unref();
        }
      });
    });

  const stopAll = async (graceMs: number): Promise<void> => {
    stopping = true;
    await Promise.all([...workers].map((worker) => stopWorker(worker, graceMs)));
  };

  let endpoints: readonly Endpoint[];
  try {
    // The first worker binds (so a port in use is one error); the others share its sockets.
    ({ endpoints } = await start(0));
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 1)));
  } catch (error) {
    await stopAll(0);
    throw error;
  }
  log.info({ workers: count }, "SMTP workers started");
  return {
    name: "smtp",
    endpoints,
    stop: stopAll,
  };
}

/**
 * Asks a worker to stop (its sessions get `graceMs`), and resolves once it has exited and
 * its channel is closed, so every message it sent (each `queued`) has been handled.
 */
async function stopWorker(worker: Worker, graceMs: number): Promise<void> {
  const exited = worker.isDead() ? Promise.resolve() : once(worker, "exit");
  const disconnected = worker.isConnected() ? once(worker, "disconnect") : Promise.resolve();
  const timer = setTimeout(() => {
    worker.process.kill("SIGKILL");
  }, graceMs + 2_000);
  if (worker.isConnected()) worker.send({ type: "stop", graceMs } satisfies ToWorker);
  else worker.process.kill("SIGKILL");
  await Promise.all([exited, disconnected]);
  clearTimeout(timer);
}

/**
 * Forks the worker script. cluster.settings are the process's (the DNS workers fork from the
 * same primary, and fork again to replace one that died): they are set for this fork only.
 */
function forkWorker(env: Record<string, string>): Worker {
  const previous = cluster.settings;
  cluster.setupPrimary({ exec: WORKER_SCRIPT, args: [], silent: false });
  try {
    return cluster.fork(env);
  } finally {
    if (previous.exec !== undefined) cluster.setupPrimary(previous);
  }
}

type Listeners = Pick<SmtpOptions, "listen" | "submission" | "submissions">;

/**
 * The listen addresses with port 0 replaced by a port free now. Workers asking the primary
 * for port 0 get the handle of the same index in every cluster of this process, so two
 * services started here would share one port; a real port keeps them apart. The ports are
 * held until all are chosen, so no two are the same.
 */
async function concretePorts(options: Listeners): Promise<Listeners> {
  const held: Server[] = [];
  const fix = async (key: string, addresses: readonly SocketAddress[]): Promise<SocketAddress[]> => {
    const fixed: SocketAddress[] = [];
    for (const address of addresses) {
      if (address.port !== 0) {
        fixed.push(address);
        continue;
      }
      const server = createServer();
      held.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", (error) => {
          reject(listenError(error, { key, address }));
        });
        server.listen({ host: address.host, port: 0, exclusive: true }, resolve);
      });
      const info = server.address();
      fixed.push({ ...address, port: typeof info === "object" && info !== null ? info.port : 0 });
    }
    return fixed;
  };
  try {
    return {
      listen: await fix("smtp.listen", options.listen),
      submission: await fix("smtp.submission", options.submission),
      submissions: await fix("smtp.submissions", options.submissions),
    };
  } finally {
    await Promise.all(
      held.map(
        (server) =>
          new Promise((resolve) => {
            if (server.listening) server.close(resolve);
            else resolve(undefined);
          }),
      ),
    );
  }
}
