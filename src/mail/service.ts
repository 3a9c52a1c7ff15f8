/**
 * The mail transfer agent as one service: the SMTP listeners, the queue they write into, and
 * the delivery side (local Maildirs, MX relay through the resolver of `[smtp] resolver`).
 */
import cluster from "node:cluster";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { AccountEntry, AccountStore } from "../core/accounts/store.js";
import type { LoginThrottle } from "../core/accounts/throttle.js";
import type { DataLayout } from "../core/layout.js";
import { silentLogger, type Logger, type TraceSink } from "../core/log.js";
import type { TlsCredentials } from "../core/tls.js";
import { parseResolvConf } from "../dns/resolver/resolv-conf.js";
import { Resolver } from "../dns/resolver/resolver.js";
import type { SmtpOptions } from "../options.js";
import type { RunningService } from "../service.js";
import { createLocalPolicy } from "../smtp/policy.js";
import { startSmtpService, type SmtpRuntime } from "../smtp/server.js";
import { MailQueue } from "./queue/queue.js";
import { Relay } from "./queue/relay.js";
import { DEFAULT_SCHEDULE } from "./queue/schedule.js";
import { MailRouter } from "./router.js";
import { startSmtpWorkers } from "./workers.js";

/** What the mail service needs besides `[smtp]`. */
export interface MailRuntime {
  readonly hostname: string;
  readonly accounts: AccountStore;
  readonly layout: DataLayout;
  readonly tls: TlsCredentials | undefined;
  readonly logger?: Logger;
  readonly trace?: TraceSink | undefined;
  readonly throttle?: LoginThrottle;
  /** Overrides for tests: SMTP limits, and where relayed mail really connects. */
  readonly smtpLimits?: SmtpRuntime["limits"];
  /**
   * The config's `[[users]]`: SMTP worker processes (`workers`) open an AccountStore of their
   * own over the same data directory with them. Without it the sessions run in this process.
   */
  readonly users?: readonly AccountEntry[];
}

/** The running MTA: a RunningService whose queue can be looked at. */
export interface MailService extends RunningService {
  readonly queue: MailQueue;
}

/** Where mail for `options`' domains goes: aliases, then the accounts of `accounts`. */
export function createMailRouter(
  options: Pick<SmtpOptions, "localDomains" | "aliases">,
  accounts: AccountStore,
): MailRouter {
  return new MailRouter({
    localDomains: options.localDomains,
    aliases: options.aliases,
    accountExists: async (address) => (await accounts.get(address)) !== undefined,
  });
}

/**
 * Starts the queue (delivering what a previous run left), then the SMTP listeners: in this
 * process, or with `workers` other than 1 in worker processes that write into the queue's
 * spool (see workers.ts) while this process delivers.
 */
export async function startMailService(options: SmtpOptions, runtime: MailRuntime): Promise<MailService> {
  const log = runtime.logger ?? silentLogger;
  const router = createMailRouter(options, runtime.accounts);
  const forwarders =
    options.resolver !== undefined
      ? [options.resolver]
      : parseResolvConf(await readFile("/etc/resolv.conf", "utf8").catch(() => "nameserver 127.0.0.1\n"));
  const resolver = new Resolver({ forwarders, logger: log });
  const relay = new Relay({
    resolveMx: (domain) => resolver.resolveMx(domain),
    port: options.relayPort,
    helo: runtime.hostname,
    // Mail leaves from the address it arrives at (Postfix's smtp_bind_address), unless that is
    // a wildcard: the receiving side then sees, and may check, the MTA's own address.
    ...(bindAddress(options) !== undefined && { localAddress: bindAddress(options)! }),
    logger: log,
    trace: runtime.trace,
  });
  const queue = await MailQueue.open({
    dir: runtime.layout.queueDir,
    hostname: runtime.hostname,
    router,
    layout: runtime.layout,
    relay,
    schedule: {
      intervalsMs: options.retryIntervalsMs ?? DEFAULT_SCHEDULE.intervalsMs,
      lifetimeMs: options.queueLifetimeMs ?? DEFAULT_SCHEDULE.lifetimeMs,
      delayWarningMs: options.delayWarningMs ?? DEFAULT_SCHEDULE.delayWarningMs,
    },
    ...(options.destinationConcurrency !== undefined && {
      destinationConcurrency: options.destinationConcurrency,
    }),
    maxMessageSize: options.maxMessageSize,
    logger: log,
  });
  const workers = options.workers === 0 ? availableParallelism() : (options.workers ?? 1);
  let smtp: RunningService;
  try {
    const users = runtime.users;
    smtp =
      workers > 1 && cluster.isPrimary && users !== undefined
        ? await startSmtpWorkers(options, { ...runtime, users }, queue, workers)
        : await startSmtpService(options, {
            hostname: runtime.hostname,
            accounts: runtime.accounts,
            tls: runtime.tls,
            sink: queue,
            logger: log,
            trace: runtime.trace,
            policy: createLocalPolicy(router),
            ...(runtime.throttle !== undefined && { throttle: runtime.throttle }),
            ...(runtime.smtpLimits !== undefined && { limits: runtime.smtpLimits }),
          });
  } catch (error) {
    await queue.stop(0);
    throw error;
  }
  return {
    name: "smtp",
    endpoints: smtp.endpoints,
    queue,
    async stop(graceMs: number): Promise<void> {
      await smtp.stop(graceMs);
      await queue.stop(graceMs);
    },
  };
}

/** The first MTA listen address, if it names one interface (not 0.0.0.0 or ::). */
function bindAddress(options: SmtpOptions): string | undefined {
  const host = options.listen[0]?.host;
  return host === undefined || host === "0.0.0.0" || host === "::" ? undefined : host;
}
