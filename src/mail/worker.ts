/**
 * Entry point of an SMTP worker process (see workers.ts): runs the SMTP listeners the primary
 * shares, writes accepted mail into the spool, and reports back over IPC: each committed
 * message, logs, traces.
 */
import cluster from "node:cluster";
import { AccountStore } from "../core/accounts/store.js";
import { DataLayout } from "../core/layout.js";
import { createLocalPolicy } from "../smtp/policy.js";
import { startSmtpService } from "../smtp/server.js";
import type { RunningService } from "../service.js";
import { SpoolSink } from "./queue/queue.js";
import { Spool } from "./queue/spool.js";
import { createMailRouter } from "./service.js";
import { ipcLogger, plainError } from "../core/worker-ipc.js";
import { fromWorkerOptions, type FromWorker, type ToWorker } from "./workers.js";

function send(message: FromWorker): void {
  // Once the primary is gone, so is this process (the cluster exits it): nothing to tell.
  if (process.connected) process.send?.(message);
}

async function start(message: Extract<ToWorker, { type: "start" }>): Promise<RunningService> {
  const options = fromWorkerOptions(message.options);
  const layout = new DataLayout(message.dataDir);
  const accounts = new AccountStore({ dataDir: message.dataDir, users: message.users });
  const router = createMailRouter(options, accounts);
  const sink = new SpoolSink({
    spool: new Spool(layout.queueDir),
    router,
    onCommit: (entry) => {
      send({ type: "queued", meta: entry.meta, contentOffset: entry.contentOffset, size: entry.size });
    },
  });
  return startSmtpService(options, {
    hostname: message.hostname,
    accounts,
    tls: message.tls,
    sink,
    logger: ipcLogger(send, message.logLevel),
    ...(message.trace && {
      trace: (event) => {
        send({ type: "trace", event });
      },
    }),
    policy: createLocalPolicy(router),
    ...(message.limits !== undefined && { limits: message.limits }),
  });
}

/** The service, once started (undefined if its start failed). */
let service: Promise<RunningService | undefined> | undefined;

// The primary decides when this process stops: a Ctrl-C or a SIGTERM sent to the whole
// process group reaches the workers too, and must not cut their sessions short while the
// primary is still stopping gracefully. Were the primary gone, so would this process be.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => undefined);

process.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "start":
      service = start(message).then(
        (started) => {
          send({ type: "ready", endpoints: started.endpoints });
          return started;
        },
        (error: unknown) => {
          send({ type: "error", error: plainError(error) });
          return undefined;
        },
      );
      break;
    case "stop":
      // Sessions finish (each commit sends its `queued` first); then the channel closes. The
      // cluster's disconnect goes out after what was sent before it, so the primary sees
      // every `queued` before this process is gone.
      void (service ?? Promise.resolve(undefined))
        .then((started) => started?.stop(message.graceMs))
        .catch(() => undefined)
        .finally(() => {
          if (cluster.worker?.isConnected()) cluster.worker.disconnect();
        });
      break;
  }
});
// Messages sent before a listener exists are lost: say when we can take them.
send({ type: "listening" });
