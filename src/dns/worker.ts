/**
 * Entry point of a DNS worker process (see workers.ts): runs the in-process DNS service on
 * the listen addresses the primary shares, and reports back over IPC.
 */
import type { Logger } from "../core/log.js";
import type { DnsOptions } from "../options.js";
import { startDnsService, type DnsService } from "./service.js";
import { fromWorkerOptions, type FromWorker, type ToWorker } from "./workers.js";

function send(message: FromWorker): void {
  process.send?.(message);
}

/** Errors cross the process boundary as name, code and message. */
function plain(error: unknown): { name: string; code?: string; message: string } {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, ...(typeof code === "string" && { code }) };
}

/** A Logger that forwards info and above to the primary's logger. */
function ipcLogger(bindings: Record<string, unknown> = {}): Logger {
  const forward =
    (level: "info" | "warn" | "error") =>
    (obj: object | string, msg?: string): void => {
      const fields: Record<string, unknown> = typeof obj === "string" ? {} : { ...obj };
      if (fields.err !== undefined) fields.err = plain(fields.err);
      send({ type: "log", level, bindings, fields, msg: typeof obj === "string" ? obj : (msg ?? "") });
    };
  const ignore = (): void => undefined;
  return {
    trace: ignore,
    debug: ignore,
    info: forward("info"),
    warn: forward("warn"),
    error: forward("error"),
    child: (more) => ipcLogger({ ...bindings, ...more }),
  };
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
        logger: ipcLogger(),
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
          send({ type: "error", error: plain(error) });
        },
      );
      break;
    case "reload":
      (service?.reload() ?? Promise.resolve()).then(
        () => {
          send({ type: "reloaded" });
        },
        (error: unknown) => {
          send({ type: "reloaded", error: plain(error) });
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
