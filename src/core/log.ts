import { pino } from "pino";

/**
 * The logger Portico writes to: pino's interface (so a pino instance, or anything with
 * the same methods, can be passed in). Each connection gets a child logger with its id.
 */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything: the library's default. */
export const silentLogger: Logger = pino({ level: "silent" });

/** A JSON-lines logger on a file descriptor (the CLI's: 1 for stdout). */
export function createLogger(options: { level?: string; fd?: number } = {}): Logger {
  return pino(
    { level: options.level ?? "info", base: null, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: options.fd ?? 1, sync: true }),
  );
}

/** Which way a protocol line went: from the client (`C`) or from the server (`S`). */
export type TraceDirection = "C" | "S";

/** One line of a session's dialogue, for `--trace`. Secrets are already redacted. */
export interface TraceEvent {
  readonly connection: string;
  readonly direction: TraceDirection;
  readonly line: string;
}

/** Receives every traced line of every session (`--trace` prints them). */
export type TraceSink = (event: TraceEvent) => void;

/** A trace sink that writes `[id] C: line` lines to a stream (the CLI's `--trace`). */
export function traceTo(write: (text: string) => void): TraceSink {
  return (event) => {
    write(`[${event.connection}] ${event.direction}: ${event.line}\n`);
  };
}

let nextConnection = 0;

/** A new connection id, unique in this process: `dns-u1a`, `smtp-7`. */
export function connectionId(service: string): string {
  nextConnection++;
  return `${service}-${nextConnection.toString(36)}`;
}
