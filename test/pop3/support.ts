/**
 * What the POP3 wire tests share: a server on 127.0.0.1 (plain with STLS, and POP3S) over a
 * temporary data directory with two accounts, mail put in with deliver(), a raw client, and
 * Python's standard library.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { promisify } from "node:util";
import type { SocketAddress } from "../../src/core/address.js";
import { AccountStore } from "../../src/core/accounts/store.js";
import { LoginThrottle } from "../../src/core/accounts/throttle.js";
import { DataLayout } from "../../src/core/layout.js";
import type { TraceEvent } from "../../src/core/log.js";
import { makeSelfSigned, type TlsCredentials } from "../../src/core/tls.js";
import { deliver } from "../../src/mail/store/deliver.js";
import { MailStore } from "../../src/mail/store/store.js";
import { startPop3Service, type Pop3Runtime } from "../../src/pop3/server.js";
import type { RunningService } from "../../src/service.js";

export const run = promisify(execFile);

export const USER = "user@example.org";
export const PASSWORD = "s3cret";
export const OTHER = "other@example.org";

let credentials: TlsCredentials | undefined;

/** A started POP3 service and its data directory. */
export interface Started {
  readonly service: RunningService;
  readonly dir: string;
  readonly layout: DataLayout;
  /** The plain port (STLS offered). */
  readonly port: number;
  /** The POP3S port. */
  readonly tlsPort: number;
  readonly traces: TraceEvent[];
  /** Delivers a message into an account's INBOX. */
  readonly put: (text: string | Buffer, address?: string) => Promise<void>;
  /** The UIDs and flags of an account's INBOX now. */
  readonly inbox: (address?: string) => Promise<{ uid: number; flags: readonly string[] }[]>;
}

/** Starts the service on 127.0.0.1 (plus `extraListen`), stopped and cleaned up after the test. */
export async function start(
  t: TestContext,
  extra: Partial<Pop3Runtime> = {},
  extraListen: readonly SocketAddress[] = [],
): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), "portico-pop3-"));
  credentials ??= { ...(await makeSelfSigned("localhost")), source: "self-signed" };
  const address: SocketAddress = { host: "127.0.0.1", port: 0, family: 4 };
  const traces: TraceEvent[] = [];
  const layout = new DataLayout(dir);
  const service = await startPop3Service(
    { listen: [address, ...extraListen], listenTls: [address] },
    {
      hostname: "pop.example.org",
      accounts: new AccountStore({
        dataDir: dir,
        users: [
          { address: USER, password: PASSWORD },
          { address: OTHER, password: "x" },
        ],
      }),
      tls: credentials,
      dataDir: dir,
      throttle: new LoginThrottle({ baseDelayMs: 1 }),
      trace: (event) => traces.push(event),
      ...extra,
    },
  );
  t.after(async () => {
    await service.stop(500);
    await rm(dir, { recursive: true, force: true });
  });
  const port = (key: string, host = "127.0.0.1"): number =>
    service.endpoints.find((e) => e.key === key && e.address.host === host)!.address.port;
  return {
    service,
    dir,
    layout,
    port: port("pop3.listen"),
    tlsPort: port("pop3.listen_tls"),
    traces,
    put: async (text, to = USER) => {
      await deliver(layout.maildir(to), typeof text === "string" ? Buffer.from(text, "latin1") : text);
    },
    inbox: async (of = USER) => {
      const box = await new MailStore(layout.maildir(of)).open("INBOX");
      try {
        return box.messages.map((m) => ({ uid: m.uid, flags: m.flags }));
      } finally {
        box.close();
      }
    },
  };
}

/** A raw client: `until` waits for the transcript to match. */
export interface RawClient {
  readonly socket: Socket;
  readonly send: (data: string | Buffer) => void;
  readonly until: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  readonly text: () => string;
  /** Resolves when the server has closed the connection. */
  readonly closed: Promise<void>;
}

/** Connects and waits for the greeting. */
export async function raw(port: number, host = "127.0.0.1"): Promise<RawClient> {
  const socket = connect(port, host);
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
  const until = async (pattern: RegExp, timeoutMs = 5000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(received)) {
      if (isClosed) throw new Error(`closed before ${pattern}; got:\n${received}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got:\n${received}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return received;
  };
  await until(/^\+OK [^\r]*\r\n/);
  return { socket, send: (data) => socket.write(data), until, text: () => received, closed };
}

/** Runs a Python 3 script with `args`; returns its standard output. */
export async function python(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("python3", ["-c", script, ...args], { timeout: 30_000, maxBuffer: 64 << 20 });
  return stdout;
}

/** Imports and helpers for the Python scripts. */
export const PY_PRELUDE = `
import poplib, ssl, sys, json, base64
port = int(sys.argv[1])
ctx = ssl._create_unverified_context()
def b64(text):
    return base64.b64encode(text.encode()).decode()
def err(call):
    try:
        call()
        return None
    except poplib.error_proto as e:
        return e.args[0].decode()
`;

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
