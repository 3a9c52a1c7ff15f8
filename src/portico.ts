import { mkdir } from "node:fs/promises";
import { AccountStore } from "./core/accounts/store.js";
import { DEFAULTS } from "./core/defaults.js";
import { DataLayout } from "./core/layout.js";
import { silentLogger, type Logger, type TraceSink } from "./core/log.js";
import { loadTlsCredentials, type TlsCredentials } from "./core/tls.js";
import { loadZones, startDnsService } from "./dns/service.js";
import { startMailService, type MailService } from "./mail/service.js";
import { startImapService } from "./imap/index.js";
import { startPop3Service } from "./pop3/index.js";
import type { MailQueue } from "./mail/queue/queue.js";
import { LoginThrottle } from "./core/accounts/throttle.js";
import type { PorticoOptions } from "./options.js";
import type { Endpoint, RunningService } from "./service.js";

/** What the library needs besides the config: where logs and traces go. */
export interface RuntimeOptions {
  /** A pino-compatible logger; default: silent. */
  readonly logger?: Logger;
  /** Receives each session's dialogue (`--trace`); default: none. */
  readonly trace?: TraceSink;
}

/** The sections of PorticoOptions that name a service. */
export type ServiceName = "dns" | "smtp" | "pop3" | "imap" | "ftp" | "ssh" | "telnet" | "web";

/** Services this version implements; a configured one not listed is reported in `skipped`. */
const AVAILABLE: ReadonlySet<ServiceName> = new Set(["dns", "smtp", "pop3", "imap"]);

/** A running Portico: its services, its account store, and how to stop it. */
export class Portico {
  readonly #services: RunningService[];
  readonly #log: Logger;
  #stopping: Promise<void> | undefined;

  /** @internal Use `startPortico`. */
  constructor(
    readonly options: PorticoOptions,
    readonly accounts: AccountStore,
    readonly tls: TlsCredentials | undefined,
    services: RunningService[],
    /** Configured services that this version does not have yet. */
    readonly skipped: readonly ServiceName[],
    log: Logger,
  ) {
    this.#services = services;
    this.#log = log;
  }

  /** Every address every service answers on. */
  get endpoints(): Endpoint[] {
    return this.#services.flatMap((s) => s.endpoints);
  }

  /** The running service called `name`, if any. */
  service(name: string): RunningService | undefined {
    return this.#services.find((s) => s.name === name);
  }

  /** The mail queue, when `[smtp]` runs. */
  get queue(): MailQueue | undefined {
    return (this.service("smtp") as MailService | undefined)?.queue;
  }

  /** Re-reads what can change without a restart (zone files, …), as SIGHUP does. */
  async reload(): Promise<void> {
    for (const service of this.#services) await service.reload?.();
  }

  /**
   * Stops every service: no new connections, sessions get `graceMs` to finish, state is
   * flushed. Calling it again returns the same promise.
   */
  stop(graceMs: number = DEFAULTS.shutdownGraceMs): Promise<void> {
    this.#stopping ??= (async () => {
      this.#log.info({ graceMs }, "stopping");
      await Promise.all(this.#services.map((s) => s.stop(graceMs)));
      this.#log.info("stopped");
    })();
    return this.#stopping;
  }
}

/**
 * Checks everything the options point at without starting anything: zone files parse, TLS
 * files load. Throws the first problem as a ConfigError (zone errors name FILE:LINE).
 * `portico check-config` runs it, and `startPortico` runs the same checks as it starts.
 */
export async function checkPortico(options: PorticoOptions): Promise<void> {
  if (options.dns) loadZones(options.dns.zones);
  if (options.tls) {
    await loadTlsCredentials({ files: options.tls, tlsDir: "", hostname: options.hostname });
  }
}

/**
 * Starts every service `options` configures, together: if one cannot start (a port in use),
 * the ones already started are stopped and the error is thrown.
 */
export async function startPortico(options: PorticoOptions, runtime: RuntimeOptions = {}): Promise<Portico> {
  const log = runtime.logger ?? silentLogger;
  const layout = new DataLayout(options.dataDir);
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const accounts = new AccountStore({ dataDir: options.dataDir, users: options.users });
  await accounts.list(); // a malformed accounts file is a start-up error, not a first-login one

  const configured = (["dns", "smtp", "pop3", "imap", "ftp", "ssh", "telnet", "web"] as const).filter(
    (name) => options[name] !== undefined,
  );
  const needsTls = configured.some((name) => name !== "dns" && name !== "telnet");
  const tls = needsTls
    ? await loadTlsCredentials({ files: options.tls, tlsDir: layout.tlsDir, hostname: options.hostname })
    : undefined;

  const services: RunningService[] = [];
  try {
    if (options.dns) {
      services.push(
        await startDnsService(options.dns, { hostname: options.hostname, logger: log, trace: runtime.trace }),
      );
    }
    // What every service with accounts shares; one throttle, so failed logins anywhere count
    // together.
    const shared = {
      hostname: options.hostname,
      accounts,
      tls,
      logger: log,
      trace: runtime.trace,
      throttle: new LoginThrottle(),
    };
    if (options.smtp) {
      services.push(await startMailService(options.smtp, { ...shared, layout, users: options.users }));
    }
    if (options.pop3) {
      services.push(await startPop3Service(options.pop3, { ...shared, dataDir: layout }));
    }
    if (options.imap) {
      const maxMessageSize = options.smtp && { maxMessageSize: options.smtp.maxMessageSize };
      services.push(await startImapService(options.imap, { ...shared, dataDir: layout, ...maxMessageSize }));
    }
  } catch (error) {
    await Promise.all(services.map((s) => s.stop(0)));
    throw error;
  }
  const skipped = configured.filter((name) => !AVAILABLE.has(name));
  for (const name of skipped) log.info({ service: name }, "not available in this version; section ignored");
  log.info({ services: services.map((s) => s.name), dataDir: options.dataDir }, "started");
  return new Portico(options, accounts, tls, services, skipped, log);
}
