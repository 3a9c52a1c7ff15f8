/**
 * What the IMAP wire tests share: a server on 127.0.0.1 with two accounts in a temporary
 * data directory, a raw socket client, and a runner for Python scripts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { AccountStore } from "../../src/core/accounts/store.js";
import { LoginThrottle } from "../../src/core/accounts/throttle.js";
import { DataLayout } from "../../src/core/layout.js";
import type { TraceEvent } from "../../src/core/log.js";
import { startImapService, type ImapRuntime } from "../../src/imap/server.js";
import { FolderRegistry } from "../../src/mail/store/folder-state.js";
import { MailStore } from "../../src/mail/store/store.js";
import type { RunningService } from "../../src/service.js";
import { testCredentials } from "../support/wire.js";

export { python, rawClient, run, type RawClient } from "../support/wire.js";

export const USER = "user@example.org";
export const PASSWORD = "s3cret";
export const OTHER = "other@example.org";

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
      tls: await testCredentials(),
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

/** A small message with a subject and a body. */
export function message(subject: string, body = "Hello there", extra = ""): Buffer {
  return Buffer.from(
    `From: Alice <alice@example.net>\r\nTo: ${USER}\r\nSubject: ${subject}\r\nDate: Tue, 1 Jul 2025 10:52:37 +0200\r\nMessage-ID: <${subject.replace(/\W/g, "")}@example.net>\r\n${extra}\r\n${body}\r\n`,
  );
}
