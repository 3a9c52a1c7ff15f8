/**
 * The POP3 server: a {@link TcpService} whose connections each run a {@link Pop3Session}.
 * This file moves bytes — command lines through a LineReader, message bodies from the store
 * through a DotEncoder (and a TopFilter for TOP) to the socket, with backpressure — and
 * carries out the session's actions (STLS, close). Two listen kinds:
 *
 * - `pop3.listen` (110): plain, STLS offered (RFC 2595 §4).
 * - `pop3.listen_tls` (995): implicit TLS, POP3S (RFC 8314 §3.1).
 *
 * Pipelining (RFC 2449 §6.6): every complete command in the input is answered in order, and
 * the replies are written together once the input holds no more complete command.
 *
 * The session ends with the connection: on QUIT the session has already been through the
 * UPDATE state; otherwise (a lost connection, the idle timeout, shutdown) nothing is
 * deleted (RFC 1939 §6), and the maildrop lock is released either way.
 */
import type { Readable } from "node:stream";
import type { SecureContext } from "node:tls";
import { formatSocketAddress, isLoopback } from "../core/address.js";
import type { AccountStore } from "../core/accounts/store.js";
import { connectionLogin } from "../core/accounts/login.js";
import { LoginThrottle } from "../core/accounts/throttle.js";
import { ConfigError } from "../core/errors.js";
import { DataLayout } from "../core/layout.js";
import { DotEncoder } from "../core/line/dot-encoder.js";
import { LineReader } from "../core/line/line-reader.js";
import { Pump } from "../core/pump.js";
import { SessionSocket } from "../core/session-socket.js";
import { TcpService, type Connection, type ListenSpec } from "../core/listen.js";
import { silentLogger, type Logger, type TraceSink } from "../core/log.js";
import { serverContext, type TlsCredentials } from "../core/tls.js";
import type { FolderRegistry } from "../mail/store/folder-state.js";
import type { RetrievalOptions } from "../options.js";
import type { Endpoint, RunningService } from "../service.js";
import { err, RESP_CODES } from "./codec.js";
import { POP3_LIMITS, type Pop3Limits } from "./limits.js";
import { openMaildrop } from "./maildrop.js";
import { Pop3Session, type Pop3Action, type Pop3Output } from "./session.js";
import { TopFilter } from "./top.js";

/** What the POP3 service needs besides its options (after SmtpRuntime). */
export interface Pop3Runtime {
  /** Our name: greeting and sign-off. */
  readonly hostname: string;
  readonly accounts: AccountStore;
  /** The certificate for STLS and POP3S; without it neither is offered. */
  readonly tls: TlsCredentials | undefined;
  /** The data directory (or its layout): each account's maildir is `maildir(address)` in it. */
  readonly dataDir: string | DataLayout;
  readonly logger?: Logger;
  readonly trace?: TraceSink | undefined;
  /** Shared with the other services that take passwords; default: one of its own. */
  readonly throttle?: LoginThrottle;
  /** Overrides of {@link POP3_LIMITS} (tests shrink the idle timeout). */
  readonly limits?: Pop3Limits;
  /** The mail store's folder index (default: this process's, shared with IMAP). */
  readonly registry?: FolderRegistry;
}

/** Per-service settings every connection shares. */
interface Shared {
  readonly runtime: Pop3Runtime;
  readonly layout: DataLayout;
  readonly context: SecureContext | undefined;
  readonly throttle: LoginThrottle;
  readonly maxErrors: number;
  readonly handshakeTimeoutMs: number;
  /** Sessions whose maildrop is still being released: stop() waits for them. */
  readonly releasing: Set<Promise<void>>;
}

const LISTEN_KEY = "pop3.listen";
const LISTEN_TLS_KEY = "pop3.listen_tls";

/**
 * Starts the POP3 service on every address of `[pop3]` listen (STLS) and listen_tls (POP3S).
 * Throws ConfigError when listen_tls is configured without TLS credentials, ListenError when
 * an address cannot be bound.
 */
export async function startPop3Service(
  options: RetrievalOptions,
  runtime: Pop3Runtime,
): Promise<RunningService> {
  const context = runtime.tls ? serverContext(runtime.tls) : undefined;
  if (options.listenTls.length > 0 && context === undefined) {
    throw new ConfigError(`${LISTEN_TLS_KEY}: implicit TLS needs a certificate; configure [tls]`);
  }
  const log = runtime.logger ?? silentLogger;
  const limits = { ...POP3_LIMITS, ...runtime.limits };
  const shared: Shared = {
    runtime,
    layout: typeof runtime.dataDir === "string" ? new DataLayout(runtime.dataDir) : runtime.dataDir,
    context,
    throttle: runtime.throttle ?? new LoginThrottle(),
    maxErrors: limits.maxErrors,
    handshakeTimeoutMs: limits.handshakeTimeoutMs,
    releasing: new Set(),
  };
  const specs: ListenSpec[] = [
    ...options.listen.map((address) => ({ key: LISTEN_KEY, address })),
    ...options.listenTls.map((address) => ({ key: LISTEN_TLS_KEY, address, tls: context! })),
  ];
  const service = new TcpService({
    name: "pop3",
    listen: specs,
    limits: {
      maxConnections: limits.maxConnections,
      maxPerAddress: limits.maxPerAddress,
      idleTimeoutMs: limits.idleTimeoutMs,
      handshakeTimeoutMs: limits.handshakeTimeoutMs,
    },
    logger: log,
    trace: runtime.trace,
    allowHalfOpen: true,
    handle: (connection) => {
      new Pop3Channel(connection, shared).start();
    },
    onRefuse: (socket, reason) => {
      const text = reason === "busy" ? "Too many connections" : "Too many connections from your address";
      socket.write(err(`${text}; try again later`, RESP_CODES.sysTemp));
    },
  });
  await service.start();
  const endpoints: Endpoint[] = service.bound.map(({ key, address, tls }) => {
    const server = formatSocketAddress(address);
    const example =
      key === LISTEN_TLS_KEY
        ? `curl -k -u ADDRESS:PASSWORD pop3s://${server}/`
        : `curl${context ? " --ssl-reqd -k" : ""} -u ADDRESS:PASSWORD pop3://${server}/`;
    return { service: tls ? "pop3s" : "pop3", key, address, transport: "tcp", tls, example };
  });
  log.info({ listen: endpoints.map((e) => `${e.key}=${formatSocketAddress(e.address)}`) }, "POP3 started");
  return {
    name: "pop3",
    endpoints,
    stop: async (graceMs: number) => {
      await service.stop(graceMs);
      // Sockets are closed; let their sessions finish releasing maildrop locks.
      while (shared.releasing.size > 0) await Promise.all([...shared.releasing]);
    },
  };
}

/** What the channel is doing. */
type Mode = "command" | "tls" | "closed";

/** One client connection: the socket side of a session. */
class Pop3Channel {
  readonly #conn: Connection;
  readonly #shared: Shared;
  readonly #session: Pop3Session;
  readonly #reader = new LineReader({ maxLineLength: POP3_LIMITS.authLine, bareLf: "accept" });
  readonly #io: SessionSocket;
  #mode: Mode = "command";
  /** The command loop; the session is released only after it has settled. */
  readonly #loop = new Pump(
    () => this.#run(),
    () => this.#mode === "command",
    (error) => {
      this.#conn.log.error({ err: error }, "POP3 session failed");
      this.#destroy();
    },
  );
  readonly #onData = (chunk: Buffer): void => {
    this.#reader.push(chunk);
    this.#io.pauseAbove(this.#reader.bufferedLength, POP3_LIMITS.readHighWater);
    this.#kick();
  };

  constructor(connection: Connection, shared: Shared) {
    this.#conn = connection;
    this.#shared = shared;
    this.#session = new Pop3Session({
      hostname: shared.runtime.hostname,
      loopback: isLoopback(connection.remoteAddress),
      tls: connection.secure,
      stls: shared.context !== undefined,
      maxErrors: shared.maxErrors,
      authenticate: connectionLogin(connection, {
        accounts: shared.runtime.accounts,
        throttle: shared.throttle,
      }),
      openMaildrop: (user) =>
        openMaildrop(
          shared.layout.maildir(user),
          shared.runtime.registry ? { registry: shared.runtime.registry } : {},
        ),
      onError: (error, during) => {
        this.#conn.log.error({ err: error }, `POP3 session failed ${during}`);
      },
    });
    this.#io = new SessionSocket(connection, {
      data: this.#onData,
      wake: () => {
        this.#kick();
      },
      closed: () => {
        this.#closed();
      },
      // RFC 1939 §3: when the autologout timer fires, "the server should close the TCP
      // connection without removing any messages or sending any response to the client".
      idle: () => {
        this.#conn.log.debug("idle timeout");
        this.#destroy();
      },
    });
  }

  start(): void {
    this.#io.reply(this.#session.greeting());
    this.#io.flush();
  }

  #kick(): void {
    this.#loop.kick();
  }

  /** Answers everything buffered, then writes the replies (RFC 2449 §6.6 pipelining). */
  async #run(): Promise<void> {
    for (;;) {
      if (this.#mode !== "command") return;
      if (this.#io.shutdownRequested) {
        await this.#apply(this.#session.shutdown());
        return;
      }
      const event = this.#reader.next();
      if (event === null) break;
      const session = this.#session;
      let output: Pop3Output;
      if (event.tooLong) {
        this.#io.traceClient("<line too long>");
        output = session.lineTooLong();
      } else {
        if (this.#conn.tracing) this.#io.traceClient(session.redact(event.line.toString("utf8")));
        output = event.bareCr ? session.bareCr() : await session.command(event.line);
      }
      await this.#apply(output);
    }
    if (this.#io.inputEnded) {
      this.#end();
      return;
    }
    this.#io.flush();
    await this.#io.drain();
    if (this.#currentMode() === "command") this.#io.resume();
  }

  /** Sends a session output and carries out its action. */
  async #apply(output: Pop3Output): Promise<void> {
    this.#io.reply(output.replies);
    const action: Pop3Action | undefined = output.action;
    if (action === undefined) {
      if (this.#io.queuedParts > 64) this.#io.flush();
      return;
    }
    switch (action.kind) {
      case "close":
        this.#end();
        return;
      case "stls":
        await this.#startTls();
        return;
      case "body": {
        const sent = await this.#sendBody(action.stream, action.lines);
        this.#session.bodySent(sent);
        if (!sent) this.#destroy();
        return;
      }
    }
  }

  /**
   * Streams a message after its `+OK`: read from the store in chunks, cut by TOP, dot-stuffed
   * (RFC 1939 §3), written with backpressure, then the terminating `.`. Never holds the whole
   * message. Returns false when it could not be sent whole (the connection must then close).
   */
  async #sendBody(stream: Readable, lines: number | undefined): Promise<boolean> {
    const io = this.#io;
    io.flush();
    const encoder = new DotEncoder();
    const top = lines === undefined ? undefined : new TopFilter(lines);
    let octets = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const part = top ? top.push(chunk) : chunk;
        octets += part.length;
        const out = encoder.encode(part);
        if (!io.writable) return false;
        if (out.length > 0 && !io.write(out)) await io.drain();
        if (top?.done) break;
      }
      if (!io.writable) return false;
      io.write(encoder.end());
      this.#io.traceServer(`<${octets} octets of message>`);
      this.#io.traceServer(".");
      return true;
    } catch (error) {
      this.#conn.log.error({ err: error }, "cannot send a message");
      return false;
    } finally {
      stream.destroy();
    }
  }

  /**
   * RFC 2595 §4: the TLS negotiation begins right after the +OK; anything the client sent
   * after STLS is thrown away unread (the command-injection attack of RFC 3207 §4.2).
   */
  async #startTls(): Promise<void> {
    const context = this.#shared.context;
    if (!context) return;
    this.#mode = "tls";
    const started = await this.#io.startTls(context, this.#shared.handshakeTimeoutMs, () =>
      this.#reader.discardBuffered(),
    );
    if (!started) {
      this.#mode = "closed";
      return;
    }
    this.#session.tlsStarted();
    // The connection may have closed during the handshake.
    if (this.#currentMode() !== "tls") return;
    this.#mode = "command";
    this.#io.listen();
  }

  /** The mode as it is now (after an await, not as narrowed before it). */
  #currentMode(): Mode {
    return this.#mode;
  }

  /** Sends what is pending and closes our side. */
  #end(): void {
    this.#mode = "closed";
    this.#io.end();
  }

  #destroy(): void {
    this.#mode = "closed";
    this.#io.destroy();
  }

  /** The socket closed: once the command in progress is done, end the session. */
  #closed(): void {
    this.#mode = "closed";
    const releasing = this.#shared.releasing;
    const done = (async () => {
      await this.#loop.settled();
      await this.#session.release();
    })();
    releasing.add(done);
    void done.finally(() => releasing.delete(done));
  }
}
