/**
 * What every node:cluster worker service (DNS, SMTP) shares across the process boundary:
 * errors as plain objects and back, and a Logger that forwards over IPC to the primary's.
 */
import { ConfigError, ListenError, PorticoError } from "./errors.js";
import type { Logger } from "./log.js";

/** An error as it crosses the process boundary. */
export interface PlainError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
}

/** A log line a worker sends to the primary. */
export interface WorkerLogMessage {
  readonly type: "log";
  readonly level: "info" | "warn" | "error";
  readonly bindings: Record<string, unknown>;
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

/** The log levels a worker forwards: the primary's logger's lowest enabled one and above. */
export type ForwardLevel = "info" | "warn" | "error" | "silent";

/** Errors cross the process boundary as name, code and message. */
export function plainError(error: unknown): PlainError {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, ...(typeof code === "string" && { code }) };
}

/** The errors a worker reports, as the classes the primary's callers expect. */
export function reviveError(error: PlainError): Error {
  if (error.name === "ListenError") return new ListenError(error.message);
  if (error.name === "ConfigError" || error.name === "InvalidConfigError")
    return new ConfigError(error.message);
  return new PorticoError(error.message);
}

/** The lowest level `log` writes (pino's isLevelEnabled), so workers send nothing it would drop. */
export function forwardLevel(log: Logger): ForwardLevel {
  const enabled = (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
  if (typeof enabled !== "function") return "info";
  for (const level of ["info", "warn", "error"] as const) if (enabled.call(log, level)) return level;
  return "silent";
}

const LEVELS = { info: 1, warn: 2, error: 3, silent: 4 } as const;

/** In a worker: a Logger that sends `lowest` and above to the primary; below, nothing. */
export function ipcLogger(
  send: (message: WorkerLogMessage) => void,
  lowest: ForwardLevel = "info",
  bindings: Record<string, unknown> = {},
): Logger {
  const ignore = (): void => undefined;
  const forward = (level: "info" | "warn" | "error") =>
    LEVELS[level] < LEVELS[lowest]
      ? ignore
      : (obj: object | string, msg?: string): void => {
          const fields: Record<string, unknown> = typeof obj === "string" ? {} : { ...obj };
          if (fields.err !== undefined) fields.err = plainError(fields.err);
          send({ type: "log", level, bindings, fields, msg: typeof obj === "string" ? obj : (msg ?? "") });
        };
  return {
    trace: ignore,
    debug: ignore,
    info: forward("info"),
    warn: forward("warn"),
    error: forward("error"),
    child: (more) => ipcLogger(send, lowest, { ...bindings, ...more }),
  };
}

/** In the primary: writes a worker's log line to `log`, tagged with the worker's index. */
export function writeWorkerLog(log: Logger, index: number, message: WorkerLogMessage): void {
  log.child({ worker: index, ...message.bindings })[message.level](message.fields, message.msg);
}
