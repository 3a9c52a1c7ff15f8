/**
 * The IMAP server: a {@link TcpService} whose connections each run an {@link ImapSession}.
 * This file moves bytes between the socket and the session, streams FETCH literals with
 * backpressure, carries out STARTTLS, keeps idling clients informed (the selected
 * mailbox's watch() wakes them, a keepalive keeps NAT boxes open), and applies the
 * timeouts. Two listen kinds: `imap.listen` (STARTTLS offered) and `imap.listen_tls`
 * (IMAPS, implicit TLS, RFC 8314).
 */
import type { Readable } from "node:stream";
import type { SecureContext } from "node:tls";
import { formatSocketAddress, isLoopback } from "../core/address.js";
import type { AccountStore } from "../core/accounts/store.js";
import { connectionLogin } from "../core/accounts/login.js";
import { LoginThrottle } from "../core/accounts/throttle.js";
import { ConfigError } from "../core/errors.js";
import { DataLayout } from "../core/layout.js";
import { Pump } from "../core/pump.js";
import { SessionSocket } from "../core/session-socket.js";
import { TcpService, type Connection, type ListenSpec } from "../core/listen.js";
import { silentLogger, type Logger, type TraceSink } from "../core/log.js";
import { serverContext, type TlsCredentials } from "../core/tls.js";
import type { FolderRegistry } from "../mail/store/folder-state.js";
import { MailStore } from "../mail/store/store.js";
import type { RetrievalOptions } from "../options.js";
import type { Endpoint, RunningService } from "../service.js";
import type { ResponseSink } from "./fetch.js";
import { IMAP_LIMITS, type ImapLimits } from "./limits.js";
import { ImapSession } from "./session.js";

/** What the IMAP service needs besides its options (mirrors SmtpRuntime). */
export interface ImapRuntime {
  /** Our name, for the greeting. */
  readonly hostname: string;
  readonly accounts: AccountStore;
  /** The certificate for STARTTLS and IMAPS; without it neither is offered. */
  readonly tls: TlsCredentials | undefined;
  /** Where the Maildirs are: a data directory or its layout. */
  readonly dataDir: string | DataLayout;
  /** The largest message APPEND takes (default IMAP_LIMITS.maxMessageSize). */
  readonly maxMessageSize?: number;
  readonly logger?: Logger;
  readonly trace?: TraceSink | undefined;
  /** Shared with the other services that take passwords; default: one of its own. */
  readonly throttle?: LoginThrottle;
  /** Overrides of {@link IMAP_LIMITS} (tests shrink the timeouts). */
  readonly limits?: Partial<ImapLimits>;
  /** The folder index (default: this process's); tests may pass their own. */
  readonly registry?: FolderRegistry;
  /** How often watched folders are polled for other processes' changes (the store's default otherwise). */
  readonly pollIntervalMs?: number;
}

/** Queued response bytes that are sent without waiting for the end of the command. */
const FLUSH_BYTES = 64 * 1024;

/** Per-service settings every connection shares. */
interface Shared {
  readonly runtime: ImapRuntime;
  readonly context: SecureContext | undefined;
  readonly throttle: LoginThrottle;
  readonly layout: DataLayout;
  readonly limits: ImapLimits;
  readonly maxMessageSize: number;
}

/**
 * Starts the IMAP service on every address of `[imap]` listen and listen_tls. Throws
 * ConfigError when listen_tls is configured without TLS credentials, ListenError when an
 * address cannot be bound.
 */
export async function startImapService(
  options: RetrievalOptions,
  runtime: ImapRuntime,
): Promise<RunningService> {
  const context = runtime.tls ? serverContext(runtime.tls) : undefined;
  if (options.listenTls.length > 0 && context === undefined) {
    throw new ConfigError("imap.listen_tls: implicit TLS needs a certificate; configure [tls]");
  }
  const log = runtime.logger ?? silentLogger;
  const limits: ImapLimits = { ...IMAP_LIMITS, ...runtime.limits };
  const shared: Shared = {
    runtime,
    context,
    throttle: runtime.throttle ?? new LoginThrottle(),
    layout: typeof runtime.dataDir === "string" ? new DataLayout(runtime.dataDir) : runtime.dataDir,
    limits,
    maxMessageSize: runtime.maxMessageSize ?? limits.maxMessageSize,
  };
  const specs: ListenSpec[] = [
    ...options.listen.map((address) => ({ key: "imap.listen", address })),
    ...options.listenTls.map((address) => ({ key: "imap.listen_tls", address, tls: context! })),
  ];
  const service = new TcpService({
    name: "imap",
    listen: specs,
    limits: {
      maxConnections: limits.maxConnections,
      maxPerAddress: limits.maxPerAddress,
      idleTimeoutMs: limits.preAuthTimeoutMs,
      handshakeTimeoutMs: limits.handshakeTimeoutMs,
    },
    logger: log,
    trace: runtime.trace,
    // A pipelining client may send its last commands and FIN together: they are answered.
    allowHalfOpen: true,
    handle: (connection) => {
      new ImapChannel(connection, shared).start();
    },
    onRefuse: (socket) => {
      socket.write("* BYE Too many connections; try again later\r\n");
    },
  });
  await service.start();
  const endpoints: Endpoint[] = service.bound.map(({ key, address, tls }) => {
    const server = formatSocketAddress(address);
    const secure = key === "imap.listen_tls";
    return {
      service: secure ? "imaps" : "imap",
      key,
      address,
      transport: "tcp",
      tls,
      example: secure
        ? `curl -k --url imaps://${server}/INBOX --user USER@DOMAIN`
        : `curl --ssl-reqd -k --url imap://${server}/INBOX --user USER@DOMAIN`,
    };
  });
  log.info({ listen: endpoints.map((e) => `${e.key}=${formatSocketAddress(e.address)}`) }, "IMAP started");
  return {
    name: "imap",
    endpoints,
    stop: (graceMs: number) => service.stop(graceMs),
  };
}

/** One client connection: the socket side of a session. */
class ImapChannel implements ResponseSink {
  readonly #conn: Connection;
  readonly #shared: Shared;
  readonly #session: ImapSession;
  readonly #io: SessionSocket;
  #closed = false;
  #tls = false;
  #woken = false;
  #keepalive: NodeJS.Timeout | undefined;
  #wakeTimer: NodeJS.Timeout | undefined;
  #traceLine = "";
  readonly #loop = new Pump(
    () => this.#pump(),
    () => !this.#closed && !this.#tls,
    (error) => {
      this.#conn.log.error({ err: error }, "IMAP session failed");
      this.#destroy();
    },
  );
  readonly #onData = (chunk: Buffer): void => {
    this.#session.push(chunk);
    this.#io.pauseAbove(this.#session.bufferedLength, this.#shared.limits.readHighWater);
    this.#kick();
  };

  constructor(connection: Connection, shared: Shared) {
    this.#conn = connection;
    this.#shared = shared;
    const remote = connection.remoteAddress.replace(/^::ffff:(?=\d+\.)/i, "");
    const storeOptions = {
      ...(shared.runtime.registry !== undefined && { registry: shared.runtime.registry }),
      ...(shared.runtime.pollIntervalMs !== undefined && { pollIntervalMs: shared.runtime.pollIntervalMs }),
    };
    this.#session = new ImapSession({
      hostname: shared.runtime.hostname,
      tls: connection.secure,
      starttls: shared.context !== undefined,
      loopback: isLoopback(remote),
      maxMessageSize: shared.maxMessageSize,
      limits: shared.limits,
      authenticate: connectionLogin(connection, {
        accounts: shared.runtime.accounts,
        throttle: shared.throttle,
      }),
      openStore: (user) => new MailStore(shared.layout.maildir(user), storeOptions),
      wake: () => {
        this.#wake();
      },
      ...(connection.tracing && {
        trace: (line: string) => {
          connection.trace("C", line);
        },
      }),
    });
    // IMAP's strings are octet strings (literals, modified UTF-7): one char, one octet.
    this.#io = new SessionSocket(
      connection,
      {
        data: this.#onData,
        wake: () => {
          this.#kick();
        },
        closed: () => {
          this.#close();
        },
        idle: () => {
          if (this.#closed) return;
          this.#conn.log.debug("idle timeout");
          this.write(this.#session.timeout());
          this.#end();
        },
      },
      "latin1",
    );
  }

  start(): void {
    this.write(this.#session.greeting());
    this.#io.flush();
  }

  // ------------------------------------------------------------------ ResponseSink

  async flush(): Promise<void> {
    if (this.#io.queuedBytes < FLUSH_BYTES) return;
    this.#io.flush();
    await this.#io.drain();
  }

  write(data: string | Buffer, literal = false): void {
    this.#io.queue(data);
    if (!this.#conn.tracing) return;
    if (literal) this.#traceLine += `<${data.length} octets>`;
    else this.#traceOut(data);
  }

  async pipe(source: Readable): Promise<number> {
    const io = this.#io;
    io.flush();
    let sent = 0;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (this.#closed) break;
        sent += chunk.length;
        if (!io.write(chunk)) await io.drain();
      }
    } finally {
      source.destroy();
    }
    if (this.#conn.tracing) this.#traceLine += `<${sent} octets>`;
    return sent;
  }

  /** Traces server output line by line; literal contents and binary data appear as sizes. */
  #traceOut(data: string | Buffer): void {
    let text: string;
    if (typeof data === "string") text = data;
    else if (data.length <= 512 && /^[\x20-\x7e\r\n]*$/.test(data.toString("latin1")))
      text = data.toString("latin1");
    else text = `<${data.length} octets>`;
    const lines = (this.#traceLine + text).split("\r\n");
    this.#traceLine = lines.pop() ?? "";
    for (const line of lines) this.#conn.trace("S", line);
  }

  // ------------------------------------------------------------------ the loop

  #kick(): void {
    this.#loop.kick();
  }

  async #pump(): Promise<void> {
    for (;;) {
      if (this.#io.shutdownRequested) {
        this.write(this.#session.shutdown());
        this.#end();
        return;
      }
      if (this.#woken && this.#session.idling) {
        this.#woken = false;
        await this.#session.notify(this);
        this.#io.flush();
      }
      const result = await this.#session.step(this);
      if (result.action === "close") {
        this.#end();
        return;
      }
      if (result.action === "starttls") {
        await this.#startTls();
        return;
      }
      if (!result.progressed) break;
      if (this.#io.queuedParts > 64) this.#io.flush();
    }
    if (this.#io.inputEnded) {
      this.#end();
      return;
    }
    this.#io.flush();
    this.#settle();
    await this.#io.drain();
    if (!this.#closed && !this.#tls) this.#io.resume();
  }

  /** Timers that depend on the state: autologout after login (RFC 3501 §5.4), IDLE keepalive. */
  #settle(): void {
    const limits = this.#shared.limits;
    this.#conn.setIdleTimeout(this.#session.authenticated ? limits.idleTimeoutMs : limits.preAuthTimeoutMs);
    if (this.#session.idling && this.#keepalive === undefined) {
      this.#keepalive = setInterval(() => {
        if (this.#session.idling && !this.#loop.running) {
          this.write("* OK Still here\r\n");
          this.#io.flush();
        }
      }, limits.idleKeepaliveMs);
      this.#keepalive.unref();
    } else if (!this.#session.idling && this.#keepalive !== undefined) {
      clearInterval(this.#keepalive);
      this.#keepalive = undefined;
    }
  }

  /** The selected mailbox changed: an idling client hears of it (after a short gathering delay). */
  #wake(): void {
    if (this.#closed || this.#wakeTimer !== undefined) return;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      // Outside IDLE the change is reported after the client's next command.
      if (!this.#session.idling) return;
      this.#woken = true;
      this.#kick();
    }, this.#shared.limits.idleNotifyDelayMs);
    this.#wakeTimer.unref();
  }

  /** RFC 3501 §6.2.1: the OK goes out, buffered plaintext is thrown away, the handshake runs. */
  async #startTls(): Promise<void> {
    const context = this.#shared.context;
    if (context === undefined) return;
    this.#tls = true;
    const started = await this.#io.startTls(context, this.#shared.limits.handshakeTimeoutMs, () =>
      this.#session.tlsStarted(),
    );
    this.#tls = false;
    if (!started) {
      this.#close();
      return;
    }
    if (this.#closed) return;
    this.#io.listen();
    this.#kick();
  }

  /** Sends what is pending and closes our side. */
  #end(): void {
    this.#stopTimers();
    this.#closed = true;
    this.#session.close();
    this.#io.end();
  }

  #close(): void {
    this.#closed = true;
    this.#stopTimers();
    this.#session.close();
  }

  #destroy(): void {
    this.#closed = true;
    this.#stopTimers();
    this.#session.close();
    this.#io.destroy();
  }

  #stopTimers(): void {
    if (this.#keepalive !== undefined) clearInterval(this.#keepalive);
    if (this.#wakeTimer !== undefined) clearTimeout(this.#wakeTimer);
    this.#keepalive = undefined;
    this.#wakeTimer = undefined;
  }
}
