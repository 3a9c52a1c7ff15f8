/**
 * The mail transfer agent as one service: the SMTP listeners, the queue they write into, and
 * the delivery side (local Maildirs, MX relay through the resolver of `[smtp] resolver`).
 */
import { readFile } from "node:fs/promises";
import type { AccountStore } from "../core/accounts/store.js";
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
}

/** The running MTA: a RunningService whose queue can be looked at. */
export interface MailService extends RunningService {
  readonly queue: MailQueue;
}

/** Starts the queue (delivering what a previous run left), then the SMTP listeners. */
export async function startMailService(options: SmtpOptions, runtime: MailRuntime): Promise<MailService> {
  const log = runtime.logger ?? silentLogger;
  const router = new MailRouter({
    localDomains: options.localDomains,
    aliases: options.aliases,
    accountExists: async (address) => (await runtime.accounts.get(address)) !== undefined,
  });
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
  let smtp: RunningService;
  try {
    smtp = await startSmtpService(options, {
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
