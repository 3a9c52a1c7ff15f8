/**
 * What the IMAP wire tests share: a server on 127.0.0.1 with two accounts in a temporary
 * data directory, a raw socket client, and a runner for Python scripts.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
import { AccountStore } from "../../src/core/accounts/store.js";
import { LoginThrottle } from "../../src/core/accounts/throttle.js";
import { DataLayout } from "../../src/core/layout.js";
import type { TraceEvent } from "../../src/core/log.js";
import { makeSelfSigned, type TlsCredentials } from "../../src/core/tls.js";
import { startImapService, type ImapRuntime } from "../../src/imap/server.js";
import { FolderRegistry } from "../../src/mail/store/folder-state.js";
import { MailStore } from "../../src/mail/store/store.js";
import type { RunningService } from "../../src/service.js";

export const run = promisify(execFile);

export const USER = "user@example.org";
export const PASSWORD = "s3cret";
export const OTHER = "other@example.org";

let credentials: TlsCredentials | undefined;

export interface Server {
  readonly service: RunningService;
  readonly port: number;
  readonly tlsPort: number;
  readonly dir: string;
  readonly traces: TraceEvent[];
  /** The mail store of an account (same process index as the server's). */
  store(user?: string): MailStore;
}

/** Starts an IMAP server (plain + IMAPS) for the test; stopped in t.after. */
export async function startServer(t: TestContext, extra: Partial<ImapRuntime> = {}): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), "portico-imap-"));
  credentials ??= { ...(await makeSelfSigned("localhost")), source: "self-signed" };
  const registry = new FolderRegistry();
  const address = { host: "127.0.0.1", port: 0, family: 4 as const };
  const traces: TraceEvent[] = [];
  const layout = new DataLayout(dir);
  const service = await startImapService(
    { listen: [address], listenTls: [address] },
    {
      hostname: "imap.example.org",
      accounts: new AccountStore({
        dataDir: dir,
        users: [
          { address: USER, password: PASSWORD },
          { address: OTHER, password: "x" },
        ],
      }),
      tls: credentials,
      dataDir: dir,
      throttle: new LoginThrottle({ baseDelayMs: 1, maxDelayMs: 5 }),
      trace: (event) => traces.push(event),
      registry,
      pollIntervalMs: 100,
      ...extra,
    },
  );
  t.after(async () => {
    await service.stop(200);
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const port = (key: string): number => service.endpoints.find((e) => e.key === key)!.address.port;
  return {
    service,
    port: port("imap.listen"),
    tlsPort: port("imap.listen_tls"),
    dir,
    traces,
    store: (user = USER) => new MailStore(layout.maildir(user), { registry, pollIntervalMs: 100 }),
  };
}

/** A raw client: `send` bytes, `until` the transcript matches. */
export interface RawClient {
  readonly socket: Socket;
  send(data: string | Buffer): void;
  until(pattern: RegExp, timeoutMs?: number): Promise<string>;
  text(): string;
  /** Forgets what was received so far (the next `until` looks only at new data). */
  reset(): void;
  readonly closed: Promise<void>;
}

/** Opens a raw connection (plain or implicit TLS) to the server. */
export async function rawClient(port: number, tls = false): Promise<RawClient> {
  const socket = tls
    ? tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false })
    : connect(port, "127.0.0.1");
  let received = "";
  let isClosed = false;
  const waiters: (() => void)[] = [];
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((resolve) => {
    socket.on("close", () => {
      isClosed = true;
      for (const w of waiters.splice(0)) w();
      resolve();
    });
  });
  socket.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once(tls ? "secureConnect" : "connect", () => {
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

/** A small message with a subject and a body. */
export function message(subject: string, body = "Hello there", extra = ""): Buffer {
  return Buffer.from(
    `From: Alice <alice@example.net>\r\nTo: ${USER}\r\nSubject: ${subject}\r\nDate: Tue, 1 Jul 2025 10:52:37 +0200\r\nMessage-ID: <${subject.replace(/\W/g, "")}@example.net>\r\n${extra}\r\n${body}\r\n`,
  );
}
