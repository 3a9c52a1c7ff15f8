/**
 * Entry point of a DNS worker process (see workers.ts): runs the in-process DNS service on
 * the listen addresses the primary shares, and reports back over IPC.
 */
import { ipcLogger, plainError } from "../core/worker-ipc.js";
import type { DnsOptions } from "../options.js";
import { startDnsService, type DnsService } from "./service.js";
import { fromWorkerOptions, type FromWorker, type ToWorker } from "./workers.js";

function send(message: FromWorker): void {
  process.send?.(message);
}

let service: DnsService | undefined;

process.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "start":
      startDnsService(fromWorkerOptions(message.options) satisfies DnsOptions, {
        ...(message.hostname !== undefined && { hostname: message.hostname }),
        sendNotify: message.sendNotify,
        notifyOnChange: false,
        watchZones: false,
        ...(message.notifyRetryMs !== undefined && { notifyRetryMs: message.notifyRetryMs }),
        logger: ipcLogger(send),
        ...(message.trace && {
          trace: (event) => {
            send({ type: "trace", event });
          },
        }),
        inProcess: true,
      }).then(
        (started) => {
          service = started;
          send({ type: "ready", endpoints: started.endpoints });
        },
        (error: unknown) => {
          send({ type: "error", error: plainError(error) });
        },
      );
      break;
    case "reload":
      (service?.reload() ?? Promise.resolve()).then(
        () => {
          send({ type: "reloaded" });
        },
        (error: unknown) => {
          send({ type: "reloaded", error: plainError(error) });
        },
      );
      break;
    case "announce":
      service?.announce?.();
      break;
    case "stop":
      void (service?.stop(message.graceMs) ?? Promise.resolve())
        .catch(() => undefined)
        .finally(() => {
          process.disconnect();
        });
      break;
  }
});
// Messages sent before a listener exists are lost: say when we can take them.
send({ type: "listening" });
