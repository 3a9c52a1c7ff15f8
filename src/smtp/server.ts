/**
 * The SMTP server: a {@link TcpService} whose connections each run an {@link SmtpSession}.
 * This file moves bytes — command lines through a LineReader, DATA through a DotDecoder,
 * BDAT chunks raw — into the session and the {@link MessageSink}, and carries out the
 * session's actions (STARTTLS, close). Three listen kinds:
 *
 * - `smtp.listen` (MTA port): mail for local domains; relay for trusted or authenticated.
 * - `smtp.submission` (587): AUTH required before a transaction, STARTTLS offered.
 * - `smtp.submissions` (465): the same over implicit TLS (RFC 8314).
 *
 * Pipelining (RFC 2920): every complete command in the input is answered in order, and the
 * replies are written together once the input holds no more complete command — so a
 * pipelined group gets one write, and the switch to DATA/BDAT payload can happen mid-buffer.
 *
 * Bare line endings: policy "reject". A lone LF (or CR) in a command or in DATA is answered
 * as Postfix's smtpd_forbid_bare_newline does, `521 5.5.2 <host> Error: bare <LF> received`,
 * and the connection is closed; the message is not queued. Only `<CRLF>.<CRLF>` ends DATA.
 */
import { randomHex } from "../core/random.js";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import type { SecureContext } from "node:tls";
import { formatSocketAddress, isLoopback } from "../core/address.js";
import type { AccountStore } from "../core/accounts/store.js";
import { connectionLogin } from "../core/accounts/login.js";
import { LoginThrottle } from "../core/accounts/throttle.js";
import { ConfigError } from "../core/errors.js";
import { DotDecoder } from "../core/line/dot-decoder.js";
import { LineReader } from "../core/line/line-reader.js";
import { TcpService, type Connection, type ListenSpec } from "../core/listen.js";
import { Pump } from "../core/pump.js";
import { SessionSocket } from "../core/session-socket.js";
import { silentLogger, type Logger, type TraceSink } from "../core/log.js";
import { serverContext, type TlsCredentials } from "../core/tls.js";
import type { Envelope, IncomingMessage, MessageSink } from "../mail/envelope.js";
import type { SmtpOptions } from "../options.js";
import type { Endpoint, RunningService } from "../service.js";
import { SMTP_LIMITS } from "./limits.js";
import { createLocalPolicy, type SmtpPolicy } from "./policy.js";
import { SmtpSession, type ChunkOutcome, type DataOutcome, type SessionOutput } from "./session.js";
import { rfc5322Date } from "../mail/date.js";
import { HeaderCompleter } from "../mail/headers.js";

/** What the SMTP service needs besides its options. */
export interface SmtpRuntime {
  /** Our name: greeting, EHLO, Received:. */
  readonly hostname: string;
  readonly accounts: AccountStore;
  /** The certificate for STARTTLS and port 465; without it neither is offered. */
  readonly tls: TlsCredentials | undefined;
  readonly sink: MessageSink;
  readonly logger?: Logger;
  readonly trace?: TraceSink | undefined;
  /** Replaces the default lookup (accounts, aliases, postmaster, plus-addressing). */
  readonly policy?: SmtpPolicy;
  /** Shared with the other services that take passwords; default: one of its own. */
  readonly throttle?: LoginThrottle;
  /** Overrides of {@link SMTP_LIMITS} (tests shrink the timeouts). */
  readonly limits?: Partial<
    Record<
      | "commandTimeoutMs"
      | "dataTimeoutMs"
      | "maxRecipients"
      | "maxErrors"
      | "maxConnections"
      | "maxPerAddress",
      number
    >
  >;
}

type Kind = "mta" | "submission";

/** Per-service settings every connection shares. */
interface Shared {
  readonly options: SmtpOptions;
  readonly runtime: SmtpRuntime;
  readonly context: SecureContext | undefined;
  readonly policy: SmtpPolicy;
  readonly throttle: LoginThrottle;
  readonly commandTimeoutMs: number;
  readonly dataTimeoutMs: number;
}

/**
 * Starts the SMTP service on every address of `[smtp]` listen, submission and submissions.
 * Throws ConfigError when submissions are configured without TLS credentials, ListenError
 * when an address cannot be bound.
 */
export async function startSmtpService(options: SmtpOptions, runtime: SmtpRuntime): Promise<RunningService> {
  const context = runtime.tls ? serverContext(runtime.tls) : undefined;
  if (options.submissions.length > 0 && context === undefined) {
    throw new ConfigError("smtp.submissions: implicit TLS needs a certificate; configure [tls]");
  }
  const log = runtime.logger ?? silentLogger;
  const limits = { ...SMTP_LIMITS, ...runtime.limits };
  const shared: Shared = {
    options,
    runtime,
    context,
    policy:
      runtime.policy ??
      createLocalPolicy({
        localDomains: options.localDomains,
        aliases: options.aliases,
        accountExists: async (address) => (await runtime.accounts.get(address)) !== undefined,
      }),
    throttle: runtime.throttle ?? new LoginThrottle(),
    commandTimeoutMs: limits.commandTimeoutMs,
    dataTimeoutMs: limits.dataTimeoutMs,
  };
  const kinds = new Map<string, Kind>([
    ["smtp.listen", "mta"],
    ["smtp.submission", "submission"],
    ["smtp.submissions", "submission"],
  ]);
  const proxy =
    options.proxyProtocol !== undefined && options.proxyProtocol.networks.length > 0
      ? { proxyFrom: options.proxyProtocol }
      : {};
  const specs: ListenSpec[] = [
    ...options.listen.map((address) => ({ key: "smtp.listen", address, ...proxy })),
    ...options.submission.map((address) => ({ key: "smtp.submission", address, ...proxy })),
    ...options.submissions.map((address) => ({ key: "smtp.submissions", address, tls: context!, ...proxy })),
  ];
  const service = new TcpService({
    name: "smtp",
    listen: specs,
    limits: {
      maxConnections: limits.maxConnections,
      maxPerAddress: limits.maxPerAddress,
      idleTimeoutMs: limits.commandTimeoutMs,
      handshakeTimeoutMs: SMTP_LIMITS.handshakeTimeoutMs,
    },
    logger: log,
    trace: runtime.trace,
    allowHalfOpen: true,
    handle: (connection) => {
      new SmtpChannel(connection, kinds.get(connection.listenKey) ?? "mta", shared).start();
    },
    onRefuse: (socket, reason) => {
      const text =
        reason === "busy" ? "Error: too many connections" : "Error: too many connections from your address";
      socket.write(`421 4.7.0 ${runtime.hostname} ${text}\r\n`);
    },
  });
  await service.start();
  const domain = options.localDomains[0] ?? runtime.hostname;
  const endpoints: Endpoint[] = service.bound.map(({ key, address, tls }) => {
    const server = formatSocketAddress(address);
    const name = key === "smtp.listen" ? "smtp" : key === "smtp.submission" ? "submission" : "submissions";
    const example =
      name === "smtp"
        ? `swaks --server ${server} --to postmaster@${domain}`
        : `swaks --server ${server} ${name === "submission" ? "--tls" : "--tlsc"} --auth-user USER@${domain} --to postmaster@${domain}`;
    return { service: name, key, address, transport: "tcp", tls, example };
  });
  log.info({ listen: endpoints.map((e) => `${e.key}=${formatSocketAddress(e.address)}`) }, "SMTP started");
  return {
    name: "smtp",
    endpoints,
    stop: (graceMs: number) => service.stop(graceMs),
  };
}

/** What the channel is reading. */
type Mode =
  | { readonly kind: "command" }
  | { readonly kind: "data"; readonly decoder: DotDecoder }
  | { readonly kind: "bdat"; remaining: number; readonly last: boolean; readonly keep: boolean }
  | { readonly kind: "tls" }
  | { readonly kind: "closed" };

const COMMAND: Mode = { kind: "command" };

/** One client connection: the socket side of a session. */
class SmtpChannel {
  readonly #conn: Connection;
  readonly #shared: Shared;
  readonly #session: SmtpSession;
  readonly #reader = new LineReader({ maxLineLength: SMTP_LIMITS.authLine, bareLf: "reject" });
  readonly #io: SessionSocket;
  #mode: Mode = COMMAND;
  /** The message being received (DATA, or BDAT across commands). */
  #message: IncomingMessage | undefined;
  #writeFailed = false;
  #messageCount = 0;
  /** Adds Date:/Message-ID: to submitted mail (RFC 6409 §8); undefined for relayed mail. */
  #completer: HeaderCompleter | undefined;
  readonly #onData = (chunk: Buffer): void => {
    this.#reader.push(chunk);
    this.#io.pauseAbove(this.#reader.bufferedLength, SMTP_LIMITS.readHighWater);
    this.#kick();
  };

  readonly #loop = new Pump(
    () => this.#pump(),
    () => this.#mode.kind !== "closed" && this.#mode.kind !== "tls",
    (error) => {
      this.#conn.log.error({ err: error }, "SMTP session failed");
      this.#destroy();
    },
  );

  constructor(connection: Connection, kind: Kind, shared: Shared) {
    this.#conn = connection;
    this.#shared = shared;
    const remote = connection.remoteAddress.replace(/^::ffff:(?=\d+\.)/i, "");
    const authenticate = connectionLogin(connection, {
      accounts: shared.runtime.accounts,
      throttle: shared.throttle,
    });
    this.#session = new SmtpSession({
      hostname: shared.runtime.hostname,
      kind,
      clientAddress: remote,
      trusted: shared.options.trustedNetworks.has(remote),
      loopback: isLoopback(remote),
      tls: connection.secure,
      starttls: shared.context !== undefined,
      maxMessageSize: shared.options.maxMessageSize,
      ...(shared.runtime.limits?.maxRecipients !== undefined && {
        maxRecipients: shared.runtime.limits.maxRecipients,
      }),
      ...(shared.runtime.limits?.maxErrors !== undefined && { maxErrors: shared.runtime.limits.maxErrors }),
      policy: shared.policy,
      ...(shared.options.verify !== undefined && { verify: shared.options.verify }),
      authenticate: (credentials) => authenticate(credentials.username, credentials.password),
    });
    this.#io = new SessionSocket(connection, {
      data: this.#onData,
      wake: () => {
        this.#kick();
      },
      closed: () => {
        this.#close();
      },
      idle: () => {
        if (this.#mode.kind === "closed") return;
        this.#conn.log.debug("idle timeout");
        this.#io.reply(this.#session.timeout().replies);
        this.#end();
      },
    });
  }

  start(): void {
    this.#conn.setIdleTimeout(this.#shared.commandTimeoutMs);
    this.#io.reply(this.#session.greeting());
    this.#io.flush();
  }

  #kick(): void {
    this.#loop.kick();
  }

  /** Processes everything buffered, then writes the replies (RFC 2920 §3.2 grouping). */
  async #pump(): Promise<void> {
    for (;;) {
      const mode = this.#mode;
      let progressed: boolean;
      switch (mode.kind) {
        case "command":
          if (this.#io.shutdownRequested) {
            this.#io.reply(this.#session.shutdown().replies);
            this.#end();
            return;
          }
          progressed = await this.#commandStep();
          break;
        case "data":
          progressed = await this.#dataStep(mode);
          break;
        case "bdat":
          progressed = await this.#bdatStep(mode);
          break;
        case "tls":
        case "closed":
          return;
      }
      if (!progressed) break;
      if (this.#io.queuedParts > 64) this.#io.flush();
    }
    if (this.#io.inputEnded) {
      this.#end();
      return;
    }
    this.#io.flush();
    await this.#io.drain();
    const mode = this.#currentMode().kind;
    if (mode !== "closed" && mode !== "tls") this.#io.resume();
  }

  async #commandStep(): Promise<boolean> {
    const event = this.#reader.next();
    if (event === null) return false;
    const session = this.#session;
    let output: SessionOutput;
    if (event.tooLong) {
      this.#io.traceClient("<line too long>");
      output = session.lineTooLong();
    } else {
      if (this.#conn.tracing) this.#io.traceClient(session.redact(event.line.toString("utf8")));
      output =
        event.bareLf || event.bareCr
          ? session.bareLineEnding(event.bareLf ? "LF" : "CR")
          : await session.command(event.line);
    }
    await this.#apply(output);
    return true;
  }

  /** Sends a session output and carries out its action. */
  async #apply(output: SessionOutput): Promise<void> {
    const action = output.action;
    if (action === undefined) {
      this.#io.reply(output.replies);
      if (this.#message && !this.#session.inBdat) await this.#dropMessage();
      return;
    }
    switch (action.kind) {
      case "close":
        this.#io.reply(output.replies);
        this.#end();
        return;
      case "starttls":
        this.#io.reply(output.replies);
        await this.#startTls();
        return;
      case "data": {
        if (!(await this.#openMessage(action.envelope))) {
          this.#io.reply(this.#session.abortData().replies);
          return;
        }
        this.#io.reply(output.replies);
        this.#mode = {
          kind: "data",
          decoder: new DotDecoder({
            bareLineEndings: "reject",
            maxSize: this.#shared.options.maxMessageSize,
          }),
        };
        this.#conn.setIdleTimeout(this.#shared.dataTimeoutMs);
        return;
      }
      case "bdat": {
        this.#io.reply(output.replies);
        let keep = action.envelope !== undefined;
        if (action.envelope !== undefined && this.#message === undefined) {
          keep = await this.#openMessage(action.envelope);
        }
        if (!keep && this.#message) await this.#dropMessage();
        this.#mode = { kind: "bdat", remaining: action.size, last: action.last, keep };
        this.#conn.setIdleTimeout(this.#shared.dataTimeoutMs);
        return;
      }
    }
  }

  async #dataStep(mode: Extract<Mode, { kind: "data" }>): Promise<boolean> {
    const chunk = this.#reader.takeBuffered();
    if (chunk.length === 0) return false;
    const result = mode.decoder.decode(chunk);
    if (result.data.length > 0) await this.#writeContent(result.data);
    if (!result.done) return true;
    // The bytes after the terminator are the next pipelined commands.
    if (result.consumed < chunk.length) this.#reader.push(chunk.subarray(result.consumed));
    this.#mode = COMMAND;
    this.#conn.setIdleTimeout(this.#shared.commandTimeoutMs);
    const decoder = mode.decoder;
    this.#io.traceClient(`<${decoder.size} octets of message data>`);
    let outcome: DataOutcome;
    if (decoder.bareLf || decoder.bareCr) {
      await this.#dropMessage();
      outcome = { kind: "bare-line-ending", which: decoder.bareLf ? "LF" : "CR" };
    } else if (decoder.overLimit) {
      await this.#dropMessage();
      outcome = { kind: "too-large" };
    } else {
      outcome = await this.#commitMessage();
    }
    await this.#apply(this.#session.endData(outcome));
    return true;
  }

  async #bdatStep(mode: Extract<Mode, { kind: "bdat" }>): Promise<boolean> {
    if (mode.remaining > 0) {
      const chunk = this.#reader.takeBuffered(mode.remaining);
      if (chunk.length === 0) return false;
      mode.remaining -= chunk.length;
      if (mode.keep) await this.#writeContent(chunk);
      if (mode.remaining > 0) return true;
    }
    this.#mode = COMMAND;
    this.#conn.setIdleTimeout(this.#shared.commandTimeoutMs);
    let outcome: ChunkOutcome;
    if (!mode.keep) {
      if (this.#message) await this.#dropMessage();
      outcome = this.#session.inBdat ? { kind: "sink-failed" } : { kind: "discarded" };
    } else if (mode.last) {
      outcome = await this.#commitMessage();
    } else if (this.#writeFailed) {
      await this.#dropMessage();
      outcome = { kind: "sink-failed" };
    } else {
      outcome = { kind: "stored" };
    }
    await this.#apply(this.#session.endChunk(outcome));
    return true;
  }

  async #openMessage(envelope: Envelope): Promise<boolean> {
    try {
      const message = await this.#shared.runtime.sink.open(envelope);
      this.#message = message;
      this.#writeFailed = false;
      message.content.on("error", (error) => {
        this.#writeFailed = true;
        this.#conn.log.error({ err: error }, "message sink write failed");
      });
      this.#messageCount++;
      this.#completer =
        envelope.client.authenticatedAs !== undefined
          ? new HeaderCompleter(this.#shared.runtime.hostname)
          : undefined;
      const id = message.id ?? `${this.#conn.id}.${this.#messageCount}.${randomHex(3)}`;
      await this.#write(Buffer.from(receivedHeader(envelope, this.#shared.runtime.hostname, id, new Date())));
      return true;
    } catch (error) {
      this.#conn.log.error({ err: error }, "message sink failed to open");
      await this.#dropMessage();
      return false;
    }
  }

  /** Writes message content (through the header completer for submissions). */
  async #writeContent(data: Buffer): Promise<void> {
    if (this.#completer === undefined) {
      await this.#write(data);
      return;
    }
    for (const part of this.#completer.push(data)) await this.#write(part);
  }

  /** Writes to the open message, waiting while its stream is full (backpressure). */
  async #write(data: Buffer): Promise<void> {
    const message = this.#message;
    if (!message || this.#writeFailed) return;
    const content = message.content;
    if (!content.write(data)) {
      try {
        await once(content, "drain");
      } catch {
        this.#writeFailed = true;
      }
    }
  }

  /** Ends the content, then commits: 250 only after `commit()` resolves. */
  async #commitMessage(): Promise<DataOutcome> {
    const message = this.#message;
    if (!message || this.#writeFailed) {
      await this.#dropMessage();
      return { kind: "sink-failed" };
    }
    try {
      for (const part of this.#completer?.end() ?? []) await this.#write(part);
      this.#completer = undefined;
      if (this.#writeFailedNow()) throw new Error("Cannot commit: writing the message failed");
      message.content.end();
      await finished(message.content);
      const id = await message.commit();
      this.#message = undefined;
      return { kind: "queued", id };
    } catch (error) {
      this.#conn.log.error({ err: error }, "message commit failed");
      await this.#dropMessage();
      return { kind: "sink-failed" };
    }
  }

  /** Whether a write failed (re-read after awaits, which the type checker cannot see). */
  #writeFailedNow(): boolean {
    return this.#writeFailed;
  }

  async #dropMessage(): Promise<void> {
    const message = this.#message;
    this.#message = undefined;
    if (!message) return;
    try {
      if (!message.content.destroyed) message.content.destroy();
      await message.abort();
    } catch (error) {
      this.#conn.log.warn({ err: error }, "message abort failed");
    }
  }

  /**
   * RFC 3207 §4.2: the 220 goes out, everything the client sent after STARTTLS is thrown
   * away unread (command injection), the handshake runs, and the session starts over.
   */
  async #startTls(): Promise<void> {
    const context = this.#shared.context;
    if (!context) return;
    this.#mode = { kind: "tls" };
    const started = await this.#io.startTls(context, SMTP_LIMITS.handshakeTimeoutMs, () =>
      this.#reader.discardBuffered(),
    );
    if (!started) {
      this.#mode = { kind: "closed" };
      void this.#dropMessage();
      return;
    }
    this.#session.tlsStarted();
    // The socket may have closed during the handshake.
    if (this.#currentMode().kind !== "tls") return;
    this.#mode = COMMAND;
    this.#io.listen();
  }

  /** The mode as it is now (after an await, not as narrowed before it). */
  #currentMode(): Mode {
    return this.#mode;
  }

  /** Sends what is pending and closes our side. */
  #end(): void {
    this.#mode = { kind: "closed" };
    this.#io.end();
    void this.#dropMessage();
  }

  /** The socket closed. */
  #close(): void {
    this.#mode = { kind: "closed" };
    void this.#dropMessage();
  }

  #destroy(): void {
    this.#mode = { kind: "closed" };
    this.#io.destroy();
    void this.#dropMessage();
  }
}

/**
 * The trace header of RFC 5321 §4.4, folded: `from` the HELO name with the client's address
 * literal as TCP-info, `by` us, `with` the RFC 3848 protocol type, an `id`, `for` the
 * recipient when there is only one (naming several would disclose Bcc recipients).
 */
export function receivedHeader(envelope: Envelope, hostname: string, id: string, date: Date): string {
  const client = envelope.client;
  const literal = client.address.includes(":") ? `[IPv6:${client.address}]` : `[${client.address}]`;
  const helo = client.helo.replace(/[^\x21-\x27\x2a-\x7e\u0080-\uffff]/g, "") || "unknown";
  const only = envelope.recipients.length === 1 ? envelope.recipients[0] : undefined;
  const recipient = only ? `\r\n\tfor <${only.address}>` : "";
  return (
    `Received: from ${helo} (${literal})\r\n\tby ${hostname} (Portico) with ${client.protocol} id ${id}` +
    `${recipient}; ${rfc5322Date(date, { utc: true })}\r\n`
  );
}
