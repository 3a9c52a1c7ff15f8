/**
 * What the wire tests of every protocol share: a self-signed certificate, a raw socket client
 * that waits for the transcript to match, a Python runner, and a retry helper.
 */
import { execFile, spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
import { makeSelfSigned, type TlsCredentials } from "../../src/core/tls.js";

export const run = promisify(execFile);

let credentials: Promise<TlsCredentials> | undefined;

/** A self-signed certificate for "localhost", made once per test process. */
export function testCredentials(): Promise<TlsCredentials> {
  credentials ??= makeSelfSigned("localhost").then((made) => ({ ...made, source: "self-signed" }));
  return credentials;
}

/** A raw client: `send` bytes, `until` the transcript matches. */
export interface RawClient {
  readonly socket: Socket;
  send(data: string | Buffer): void;
  /** Waits until everything received so far matches `pattern`; returns it. */
  until(pattern: RegExp, timeoutMs?: number): Promise<string>;
  text(): string;
  /** Forgets what was received so far (the next `until` looks only at new data). */
  reset(): void;
  /** Resolves when the server has closed the connection. */
  readonly closed: Promise<void>;
}

/** Opens a raw connection (plain, or implicit TLS without certificate checks). */
export async function rawClient(
  port: number,
  options: { readonly tls?: boolean; readonly host?: string } = {},
): Promise<RawClient> {
  const host = options.host ?? "127.0.0.1";
  const socket = options.tls ? tlsConnect({ port, host, rejectUnauthorized: false }) : connect(port, host);
  let received = "";
  let isClosed = false;
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
    wake();
  });
  const closed = new Promise<void>((resolve) => {
    socket.on("close", () => {
      isClosed = true;
      wake();
      resolve();
    });
  });
  socket.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once(options.tls ? "secureConnect" : "connect", () => {
      resolve();
    });
    socket.once("error", reject);
  });
  const until = async (pattern: RegExp, timeoutMs = 5000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(received)) {
      if (isClosed) throw new Error(`closed before ${pattern}; got:\n${received}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got:\n${received}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return received;
  };
  return {
    socket,
    send: (data) => socket.write(data),
    until,
    text: () => received,
    reset: () => {
      received = "";
    },
    closed,
  };
}

/** Runs a Python 3 script (from stdin) with arguments; resolves with its output. */
export function python(
  script: string,
  args: readonly (string | number)[],
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", ["-", ...args.map(String)], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`python exited ${code}:\n${stderr}\n${stdout}`));
    });
    child.stdin.end(script);
  });
}

/** Tries `attempt` every 20 ms until it stops throwing (up to `timeoutMs`). */
export async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/**
 * Polls `probe` until it returns something other than undefined, and returns that. At the
 * deadline it throws, naming `what` and adding what `diagnose()` says (a log, a queue).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: {
    readonly timeoutMs?: number;
    readonly intervalMs?: number;
    readonly diagnose?: () => Promise<string>;
  } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const detail = options.diagnose === undefined ? "" : `\n${await options.diagnose()}`;
      throw new Error(`timed out waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
