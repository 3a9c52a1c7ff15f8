/**
 * Remote delivery: one message to the recipients of one domain, by MX (RFC 5321 §5.1):
 * exchangers in preference order (equal ones shuffled by the resolver), the domain's own
 * address when it has no MX, nothing at all for a null MX (RFC 7505). Each address is tried
 * on `relay_port` until one server takes the transaction; STARTTLS and PIPELINING are used
 * when offered (the client's opportunistic mode), connections are kept for the next message
 * to the same host.
 *
 * Outcomes per recipient: the server's RCPT reply decides (2xx delivered, 4xx deferred, 5xx
 * failed); a refused transaction (MAIL, DATA, final reply) decides for all. When no server
 * could be reached, everyone is deferred with the last connection error, to be retried.
 */
import { isIP } from "node:net";
import { isLoopback } from "../../core/address.js";
import { ProtocolError, TimeoutError } from "../../core/errors.js";
import type { Logger, TraceSink } from "../../core/log.js";
import type { MxResult } from "../../dns/resolver/mx.js";
import { connectSmtp, type SmtpConnection } from "../../smtp/client/connection.js";
import { SmtpReplyError, SmtpUnsupportedError, replyToText } from "../../smtp/client/errors.js";
import type { SmtpTimeouts } from "../../smtp/client/connection.js";
import type { RecipientOutcome } from "./spool.js";
import type { Reply } from "../../core/line/index.js";

/** One message to one domain. */
export interface RelayJob {
  readonly domain: string;
  readonly from: string;
  readonly recipients: readonly {
    readonly address: string;
    readonly notify?: "NEVER" | readonly ("SUCCESS" | "FAILURE" | "DELAY")[];
    readonly orcpt?: string;
  }[];
  readonly size: number;
  readonly body: "7BIT" | "8BITMIME" | "BINARYMIME";
  readonly smtputf8: boolean;
  readonly ret?: "FULL" | "HDRS";
  readonly envid?: string;
  /** Opens the content afresh (each attempt on another host reads it again). */
  content(): AsyncIterable<Uint8Array>;
}

/** Options of {@link Relay}. */
export interface RelayOptions {
  /** MX lookup (the resolver's resolveMx). */
  resolveMx(domain: string): Promise<MxResult>;
  readonly port: number;
  /** Our EHLO name. */
  readonly helo: string;
  /** The address outgoing connections come from (IPv4 targets only); default the system's choice. */
  readonly localAddress?: string;
  readonly logger: Logger;
  readonly trace?: TraceSink | undefined;
  readonly timeouts?: Partial<SmtpTimeouts>;
  /** How long an idle connection is kept for the next message to its host. */
  readonly idleMs?: number;
  /** Maps an MX address to the one to connect to (tests); default itself. */
  readonly addressMap?: ReadonlyMap<string, { host: string; port: number }>;
}

interface Pooled {
  readonly connection: SmtpConnection;
  readonly timer: NodeJS.Timeout;
}

export class Relay {
  readonly #options: RelayOptions;
  readonly #idle = new Map<string, Pooled[]>();
  #closed = false;

  constructor(options: RelayOptions) {
    this.#options = options;
  }

  /** Delivers `job`; never rejects: every recipient gets an outcome. */
  async deliver(job: RelayJob): Promise<RecipientOutcome[]> {
    const all = (outcome: RecipientOutcome): RecipientOutcome[] => job.recipients.map(() => outcome);
    let mx: MxResult;
    if (isAddressLiteral(job.domain)) {
      mx = { kind: "hosts", implicit: true, hosts: [literalHost(job.domain)] };
    } else {
      try {
        mx = await this.#options.resolveMx(job.domain);
      } catch (error) {
        mx = { kind: "failed", reason: (error as Error).message };
      }
    }
    switch (mx.kind) {
      case "null-mx":
        // RFC 7505 §4.3: the domain accepts no mail; fail at once with 556 5.1.10.
        return all({
          kind: "failed",
          status: "5.1.10",
          reply: `556 5.1.10 ${job.domain} does not accept mail (null MX)`,
        });
      case "nxdomain":
        return all({
          kind: "failed",
          status: "5.1.2",
          reply: `550 5.1.2 Host or domain name not found: ${job.domain}`,
        });
      case "failed":
        return all({
          kind: "deferred",
          status: "4.4.3",
          reply: `451 4.4.3 Cannot look up MX of ${job.domain}: ${mx.reason}`,
        });
      case "hosts":
        break;
    }
    let last: RecipientOutcome = {
      kind: "deferred",
      status: "4.4.4",
      reply: `451 4.4.4 No mail exchanger of ${job.domain} has an address`,
    };
    if (mx.hosts.every((h) => h.lookup === "none")) {
      // RFC 5321 §5.1: no MX and no address (or MX hosts that do not exist): nowhere to go.
      return all({
        kind: "failed",
        status: "5.4.4",
        reply: `550 5.4.4 Host or domain name not found: no address for ${mx.hosts.map((h) => h.exchange).join(", ")}`,
      });
    }
    for (const host of mx.hosts) {
      for (const address of host.addresses) {
        const result = await this.#tryHost(job, host.exchange, address);
        if (result.kind === "done") return result.outcomes;
        last = result.outcome;
      }
    }
    return all(last);
  }

  /** Closes the idle connections (QUIT). */
  async close(): Promise<void> {
    this.#closed = true;
    const pooled = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(
      pooled.map(async (p) => {
        clearTimeout(p.timer);
        await p.connection.quit();
      }),
    );
  }

  async #tryHost(
    job: RelayJob,
    exchange: string,
    address: string,
  ): Promise<{ kind: "done"; outcomes: RecipientOutcome[] } | { kind: "next"; outcome: RecipientOutcome }> {
    const target = this.#options.addressMap?.get(address) ?? { host: address, port: this.#options.port };
    const key = `${target.host}:${target.port}`;
    const name = exchange.replace(/\.$/, "");
    const where = `${name}[${address}]:${target.port}`;
    let connection: SmtpConnection;
    let reused = false;
    const idle = this.#idle.get(key)?.pop();
    if (idle) {
      clearTimeout(idle.timer);
      connection = idle.connection;
      reused = true;
    } else {
      try {
        connection = await this.#connect(target.host, target.port, exchange);
      } catch (error) {
        return { kind: "next", outcome: connectionOutcome(error, where) };
      }
    }
    try {
      const result = await connection.send({
        from: job.from,
        recipients: job.recipients,
        size: job.size,
        body: job.body,
        smtputf8: job.smtputf8,
        ...(job.ret !== undefined && { ret: job.ret }),
        ...(job.envid !== undefined && { envid: job.envid }),
        content: job.content(),
      });
      this.#keep(key, connection);
      const final = replyToText(result.finalReply);
      return {
        kind: "done",
        outcomes: job.recipients.map((r) => {
          const refused = result.rejected.find((x) => x.rcpt === r.address);
          return refused
            ? replyOutcome(refused.reply, where, name, "RCPT")
            : { kind: "delivered", reply: final, host: name, remote: where, inReplyTo: "end of DATA" };
        }),
      };
    } catch (error) {
      if (error instanceof SmtpReplyError) {
        if (connection.usable) this.#keep(key, connection);
        else connection.close();
        if (error.stage === "greeting" || error.stage === "EHLO" || error.stage === "HELO") {
          return { kind: "next", outcome: replyOutcome(replyOf(error), where, name, error.stage) };
        }
        if (error.stage === "RCPT" && error.rejected.length > 0) {
          return {
            kind: "done",
            outcomes: job.recipients.map((r) => {
              const refused = error.rejected.find((x) => x.rcpt === r.address);
              return replyOutcome(refused?.reply ?? replyOf(error), where, name, "RCPT");
            }),
          };
        }
        const outcome = replyOutcome(replyOf(error), where, name, error.stage);
        return { kind: "done", outcomes: job.recipients.map(() => outcome) };
      }
      connection.close();
      if (error instanceof SmtpUnsupportedError) {
        // RFC 6531 §3.4: a UTF-8 message cannot go to a server without SMTPUTF8.
        const outcome: RecipientOutcome = {
          kind: "failed",
          status: "5.6.7",
          reply: `553 5.6.7 ${error.message}`,
          remote: where,
          host: name,
        };
        return { kind: "done", outcomes: job.recipients.map(() => outcome) };
      }
      // A pooled connection the server had closed: try once more on a fresh one.
      if (reused) return this.#tryHost(job, exchange, address);
      return { kind: "next", outcome: connectionOutcome(error, where) };
    }
  }

  async #connect(host: string, port: number, exchange: string): Promise<SmtpConnection> {
    const options = {
      host,
      port,
      helo: this.#options.helo,
      servername: exchange,
      ...(this.#bindable(host) && { localAddress: this.#options.localAddress! }),
      ...(this.#options.trace !== undefined && { trace: this.#options.trace }),
      ...(this.#options.timeouts !== undefined && { timeouts: this.#options.timeouts }),
    };
    try {
      return await connectSmtp({ ...options, tls: "starttls" });
    } catch (error) {
      // A failed TLS handshake after STARTTLS: deliver in the clear, as RFC 7435's
      // opportunistic security does (Postfix's smtp_tls_security_level=may likewise).
      if (error instanceof ProtocolError && /TLS|handshake|certificate/i.test(error.message)) {
        this.#options.logger.warn({ host, port, err: error }, "STARTTLS failed; retrying without TLS");
        return connectSmtp({ ...options, tls: "none" });
      }
      throw error;
    }
  }

  /** Whether to connect to `host` from the configured local address: same family, and a
   * loopback source only towards loopback (it cannot reach anything else). */
  #bindable(host: string): boolean {
    const local = this.#options.localAddress;
    if (local === undefined || isIP(host) !== isIP(local)) return false;
    return !isLoopback(local) || isLoopback(host);
  }

  #keep(key: string, connection: SmtpConnection): void {
    if (this.#closed || !connection.usable) {
      void connection.quit();
      return;
    }
    const list = this.#idle.get(key) ?? [];
    this.#idle.set(key, list);
    const timer = setTimeout(() => {
      const i = list.findIndex((p) => p.connection === connection);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#idle.delete(key);
      void connection.quit();
    }, this.#options.idleMs ?? 5_000);
    timer.unref();
    list.push({ connection, timer });
  }
}

function replyOf(error: SmtpReplyError): Reply {
  return {
    code: error.reply.code,
    lines: error.lines,
    ...(error.enhanced !== undefined && { enhanced: error.enhanced }),
  };
}

/** A remote reply as an outcome: 5xx fails (except to the greeting/EHLO: next host), else defers. */
function replyOutcome(reply: Reply, where: string, host: string, stage: string): RecipientOutcome {
  const connectionLevel = stage === "greeting" || stage === "EHLO" || stage === "HELO";
  const command =
    stage === "MAIL"
      ? "MAIL FROM"
      : stage === "RCPT"
        ? "RCPT TO"
        : stage === "DATA" || stage === "BDAT"
          ? `end of ${stage}`
          : stage;
  const text = replyToText(reply);
  const status = reply.enhanced ?? `${String(reply.code)[0]}.0.0`;
  const detail = { reply: text, host, remote: where, inReplyTo: command };
  return reply.code >= 500 && !connectionLevel
    ? { kind: "failed", status, ...detail }
    : { kind: "deferred", status: status.replace(/^5/, "4"), ...detail };
}

function connectionOutcome(error: unknown, where: string): RecipientOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof TimeoutError ? "4.4.2" : "4.4.1";
  return { kind: "deferred", status, reply: `451 ${status} Cannot deliver to ${where}: ${message}` };
}

/** `[192.0.2.1]` or `[IPv6:…]`: a domain that is an address literal (RFC 5321 §4.1.3). */
function isAddressLiteral(domain: string): boolean {
  return domain.startsWith("[") && domain.endsWith("]");
}

function literalHost(domain: string): {
  exchange: string;
  preference: number;
  addresses: string[];
  lookup: "ok" | "none";
} {
  const inner = domain.slice(1, -1).replace(/^IPv6:/i, "");
  return {
    exchange: domain,
    preference: 0,
    addresses: isIP(inner) ? [inner] : [],
    lookup: isIP(inner) ? "ok" : "none",
  };
}
