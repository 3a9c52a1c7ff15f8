/**
 * What the POP3 wire tests share: a server on 127.0.0.1 (plain with STLS, and POP3S) over a
 * temporary data directory with two accounts, mail put in with deliver(), a raw client, and
 * Python's standard library.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { SocketAddress } from "../../src/core/address.js";
import { AccountStore } from "../../src/core/accounts/store.js";
import { LoginThrottle } from "../../src/core/accounts/throttle.js";
import { DataLayout } from "../../src/core/layout.js";
import type { TraceEvent } from "../../src/core/log.js";
import { deliver } from "../../src/mail/store/deliver.js";
import { MailStore } from "../../src/mail/store/store.js";
import { startPop3Service, type Pop3Runtime } from "../../src/pop3/server.js";
import type { RunningService } from "../../src/service.js";
import { rawClient, testCredentials, type RawClient } from "../support/wire.js";

export { eventually, python, run, type RawClient } from "../support/wire.js";

export const USER = "user@example.org";
export const PASSWORD = "s3cret";
export const OTHER = "other@example.org";

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
      tls: await testCredentials(),
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

/** Connects and waits for the greeting. */
export async function raw(port: number, host = "127.0.0.1"): Promise<RawClient> {
  const client = await rawClient(port, { host });
  await client.until(/^\+OK [^\r]*\r\n/);
  return client;
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
