/**
 * The SMTP client on a socket: {@link connectSmtp} opens a connection and completes the
 * handshake (EHLO, STARTTLS, AUTH); {@link SmtpConnection.send} transfers a message, streaming
 * its content with backpressure; `quit()` ends the session. The dialogue itself is
 * {@link SmtpClientSession}'s; this file only moves bytes and keeps time.
 */
import { connect as netConnect } from "node:net";
import type { Socket } from "node:net";
import { hostname } from "node:os";
import { connect as tlsConnect } from "node:tls";
import { ProtocolError, TimeoutError } from "../../core/errors.js";
import { DotEncoder } from "../../core/line/index.js";
import { connectionId } from "../../core/log.js";
import type { TraceSink } from "../../core/log.js";
import { upgradeClientSocket } from "../../core/tls.js";
import type { SmtpExtensions } from "./extensions.js";
import { SmtpClientSession } from "./session.js";
import type {
  SmtpAuth,
  SmtpClientEvent,
  SmtpEnvelope,
  SmtpSendResult,
  SmtpTlsMode,
  SmtpWait,
} from "./session.js";

/**
 * Time limits in milliseconds. RFC 5321 §4.5.3.2 gives the client's minimums: 5 minutes for
 * the greeting, MAIL and each RCPT, 2 for the reply to DATA, 3 for each block of data sent,
 * 10 for the reply after the data. `connect` (TCP and TLS set-up) and `command` (EHLO,
 * STARTTLS, AUTH, RSET, QUIT) are Portico's.
 */
export interface SmtpTimeouts {
  readonly connect: number;
  readonly greeting: number;
  readonly command: number;
  readonly mail: number;
  readonly rcpt: number;
  readonly dataInit: number;
  readonly block: number;
  readonly final: number;
}

/** RFC 5321 §4.5.3.2's values. */
export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = Object.freeze({
  connect: 30_000,
  greeting: 300_000,
  command: 300_000,
  mail: 300_000,
  rcpt: 300_000,
  dataInit: 120_000,
  block: 180_000,
  final: 600_000,
});

/** Options for {@link connectSmtp}. */
export interface ConnectSmtpOptions {
  readonly host: string;
  /** Default 465 for `tls: "implicit"`, else 25. */
  readonly port?: number;
  /** The local address to connect from (an MTA's own address); default the system's choice. */
  readonly localAddress?: string;
  /** The EHLO argument; default this machine's host name. */
  readonly helo?: string;
  /** Default `"starttls"` (opportunistic). */
  readonly tls?: SmtpTlsMode;
  /** The name the certificate must match; default `host`. */
  readonly servername?: string;
  /**
   * Check the server's certificate. Default true for `"implicit"` and `"starttls-required"`,
   * false for opportunistic `"starttls"` (RFC 7435: encryption without authentication beats
   * cleartext, and MX hosts rarely have certificates for the names they are reached by).
   */
  readonly verify?: boolean;
  /** Extra trusted CA certificates, PEM. */
  readonly ca?: string;
  readonly auth?: SmtpAuth;
  /** Use PIPELINING when offered; default true. */
  readonly pipelining?: boolean;
  readonly timeouts?: Partial<SmtpTimeouts>;
  /** Aborting closes the connection; the pending call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Receives the dialogue (AUTH redacted; message content is not traced). */
  readonly trace?: TraceSink;
  /** The id traced lines carry; default a new `smtp-client-N`. */
  readonly connectionId?: string;
}

/** A message for {@link SmtpConnection.send}: the envelope and the content. */
export interface SmtpMessage extends SmtpEnvelope {
  /**
   * The message (RFC 5322 header and body). For DATA it is dot-stuffed and its line endings
   * made CR LF on the way; for BDAT it is sent exactly as given, so it should already use CR LF.
   */
  readonly content: AsyncIterable<Uint8Array | string> | Uint8Array | string;
}

/** Opens an SMTP connection and completes the handshake. */
export function connectSmtp(options: ConnectSmtpOptions): Promise<SmtpConnection> {
  return SmtpConnection.connect(options);
}

/** One SMTP client connection; several messages may be sent on it, one after another. */
export class SmtpConnection {
  #socket: Socket;
  readonly #session: SmtpClientSession;
  readonly #timeouts: SmtpTimeouts;
  readonly #options: ConnectSmtpOptions;
  #events: SmtpClientEvent[] = [];
  #wake: (() => void) | null = null;
  #drained: (() => void) | null = null;
  #error: Error | null = null;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #extensions: SmtpExtensions | undefined;

  private constructor(
    socket: Socket,
    session: SmtpClientSession,
    timeouts: SmtpTimeouts,
    options: ConnectSmtpOptions,
  ) {
    this.#socket = socket;
    this.#session = session;
    this.#timeouts = timeouts;
    this.#options = options;
    this.#attach(socket);
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** See {@link connectSmtp}. */
  static async connect(options: ConnectSmtpOptions): Promise<SmtpConnection> {
    const tls = options.tls ?? "starttls";
    const timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...options.timeouts };
    for (const [key, value] of Object.entries(timeouts)) {
      if (!(typeof value === "number" && value > 0)) {
        throw new RangeError(`Cannot connect: timeouts.${key} must be a positive number of milliseconds`);
      }
    }
    const id = options.connectionId ?? connectionId("smtp-client");
    const trace = options.trace;
    const session = new SmtpClientSession({
      helo: options.helo ?? hostname(),
      tls,
      ...(options.auth !== undefined && { auth: options.auth }),
      ...(options.pipelining !== undefined && { pipelining: options.pipelining }),
      ...(trace !== undefined && {
        trace: (direction: "C" | "S", line: string) => {
          trace({ connection: id, direction, line });
        },
      }),
    });
    options.signal?.throwIfAborted();
    const socket = await open(options, tls, timeouts.connect);
    const connection = new SmtpConnection(socket, session, timeouts, options);
    connection.#arm();
    await connection.#handshake();
    return connection;
  }

  /** What the server offered in its (last) EHLO reply. */
  get extensions(): SmtpExtensions {
    return this.#extensions ?? this.#session.extensions;
  }

  /** The connection can send another message (not failed, not closed, not quit). */
  get usable(): boolean {
    return this.#error === null && !this.#session.finished && !this.#socket.destroyed && !this.#busy;
  }

  /** TLS is in force. */
  get secure(): boolean {
    return this.#session.secure;
  }

  /**
   * Sends one message. Resolves when the server has taken it for at least one recipient, with
   * each recipient's reply; rejects with an `SmtpReplyError` when it refused (MAIL, every RCPT,
   * DATA, or the final reply; `error.rejected` then lists each recipient), `SmtpUnsupportedError`
   * when the message needs an extension the server lacks, `ProtocolError` or `TimeoutError`
   * when the connection failed. After a refusal the connection can send another message;
   * after the others it is closed.
   */
  async send(message: SmtpMessage): Promise<SmtpSendResult> {
    if (this.#busy) throw new TypeError("Cannot send: another message is being sent on this connection");
    this.#throwIfBroken();
    this.#busy = true;
    try {
      this.#take(this.#session.send(message));
      for (;;) {
        const event = await this.#next();
        switch (event.type) {
          case "content":
            if (event.mode === "data") await this.#writeData(message.content);
            else await this.#writeBdat(message.content);
            break;
          case "sent":
            return event.result;
          case "failed":
            if (event.fatal) this.#closeAfterFatal();
            throw event.error;
          default:
            throw this.#protocolFailure(`Cannot send: unexpected ${event.type} event`);
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Sends QUIT, waits for the answer (or a failure), and closes. Never rejects. */
  async quit(): Promise<void> {
    if (this.#error === null && !this.#session.finished && !this.#busy) {
      try {
        this.#take(this.#session.quit());
        while (!this.#session.finished) await this.#next();
      } catch {
        // The server went away first: that is how a QUIT ends anyway.
      }
    }
    this.#finish();
    this.#socket.end();
  }

  /** Closes the connection at once. */
  close(): void {
    this.#finish();
    this.#socket.destroy();
  }

  // --- handshake and content ---

  async #handshake(): Promise<void> {
    for (;;) {
      const event = await this.#next().catch((error: unknown) => {
        this.close();
        throw error;
      });
      switch (event.type) {
        case "ready":
          this.#extensions = event.extensions;
          return;
        case "starttls":
          await this.#starttls();
          break;
        case "failed":
          this.#closeAfterFatal();
          throw event.error;
        default:
          this.close();
          throw new ProtocolError(`Cannot connect: unexpected ${event.type} event`);
      }
    }
  }

  async #starttls(): Promise<void> {
    const plain = this.#socket;
    this.#detach(plain);
    const options = this.#options;
    const verify = options.verify ?? options.tls === "starttls-required";
    let secure: Socket;
    try {
      secure = await upgradeClientSocket(plain, {
        servername: options.servername ?? options.host,
        verify,
        ...(options.ca !== undefined && { ca: options.ca }),
        timeoutMs: this.#timeouts.command,
      });
    } catch (error) {
      plain.destroy();
      this.#finish();
      throw error;
    }
    this.#socket = secure;
    this.#attach(secure);
    this.#take(this.#session.tlsStarted());
  }

  async #writeData(content: SmtpMessage["content"]): Promise<void> {
    const encoder = new DotEncoder();
    try {
      for await (const chunk of chunks(content)) {
        if (this.#session.finished) break;
        const out = encoder.encode(chunk);
        if (out.length > 0) await this.#write(out);
      }
      if (!this.#session.finished) await this.#write(encoder.end());
    } catch (error) {
      // Part of a message has been sent and cannot be taken back: only closing stops it.
      this.#fail(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    if (!this.#session.finished) this.#take(this.#session.endContent());
  }

  async #writeBdat(content: SmtpMessage["content"]): Promise<void> {
    const session = this.#session;
    try {
      for await (const chunk of chunks(content)) {
        if (chunk.length === 0) continue;
        // Without PIPELINING each chunk waits for the previous chunk's reply.
        if (!session.pipelining) await this.#until(() => session.chunksInFlight === 0);
        if (!session.bdat(chunk.length)) break;
        await this.#write(Buffer.from(session.takeOutput(), "utf8"));
        await this.#write(chunk);
      }
      if (!session.pipelining) await this.#until(() => session.chunksInFlight === 0);
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    this.#take(session.endContent());
  }

  // --- plumbing ---

  #attach(socket: Socket): void {
    socket.on("data", this.#onData);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
    socket.on("drain", this.#onDrain);
  }

  #detach(socket: Socket): void {
    socket.off("data", this.#onData);
    socket.off("error", this.#onError);
    socket.off("close", this.#onClose);
    socket.off("drain", this.#onDrain);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#take(this.#session.receive(chunk));
  };

  readonly #onError = (error: Error): void => {
    this.#fail(error);
  };

  readonly #onClose = (): void => {
    if (!this.#session.finished) {
      this.#fail(new ProtocolError("Cannot read reply: the server closed the connection"));
    }
    this.#finish();
  };

  readonly #onDrain = (): void => {
    const drained = this.#drained;
    this.#drained = null;
    drained?.();
  };

  readonly #onAbort = (): void => {
    const reason: unknown = this.#options.signal?.reason;
    this.#fail(reason instanceof Error ? reason : new Error("The operation was aborted"));
  };

  /** Queues the session's events, writes its output, and re-arms the timer. */
  #take(events: readonly SmtpClientEvent[]): void {
    this.#events.push(...events);
    const out = this.#session.takeOutput();
    if (out !== "" && this.#error === null) this.#socket.write(out);
    this.#arm();
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Starts the time limit for what the session waits for now (none when it waits for nothing). */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#error !== null) return;
    const wait: SmtpWait | undefined = this.#session.waitingFor;
    if (wait === undefined) return;
    const ms = this.#timeouts[wait];
    this.#timer = setTimeout(() => {
      this.#fail(
        new TimeoutError(`Cannot complete SMTP ${wait}: no progress within ${ms} ms (RFC 5321 §4.5.3.2)`),
      );
    }, ms);
    this.#timer.unref();
  }

  async #next(): Promise<SmtpClientEvent> {
    for (;;) {
      const event = this.#events.shift();
      if (event !== undefined) return event;
      this.#throwIfBroken();
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Waits, reading replies, until `condition` holds. */
  async #until(condition: () => boolean): Promise<void> {
    while (!condition()) {
      this.#throwIfBroken();
      if (this.#session.finished) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  async #write(data: Buffer): Promise<void> {
    this.#throwIfBroken();
    this.#arm();
    if (this.#socket.write(data)) return;
    await new Promise<void>((resolve) => (this.#drained = resolve));
    this.#throwIfBroken();
  }

  #throwIfBroken(): void {
    if (this.#error !== null) throw this.#error;
  }

  #fail(error: Error): void {
    if (this.#error !== null) return;
    this.#error = error;
    this.#socket.destroy();
    this.#finish();
    const wake = this.#wake;
    const drained = this.#drained;
    this.#wake = null;
    this.#drained = null;
    wake?.();
    drained?.();
  }

  #protocolFailure(message: string): ProtocolError {
    const error = new ProtocolError(message);
    this.#fail(error);
    return error;
  }

  /** After a fatal failure: the session may have queued a QUIT; send it and close. */
  #closeAfterFatal(): void {
    this.#finish();
    this.#error ??= new ProtocolError("Cannot use the connection: it failed earlier");
    this.#socket.end();
  }

  #finish(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
  }
}

/** Opens the TCP (or, for implicit TLS, TLS) connection. */
function open(options: ConnectSmtpOptions, tls: SmtpTlsMode, timeoutMs: number): Promise<Socket> {
  const port = options.port ?? (tls === "implicit" ? 465 : 25);
  return new Promise((resolve, reject) => {
    const socket: Socket =
      tls === "implicit"
        ? tlsConnect({
            host: options.host,
            port,
            servername: options.servername ?? options.host,
            rejectUnauthorized: options.verify ?? true,
            ...(options.ca !== undefined && { ca: options.ca }),
            minVersion: "TLSv1.2",
            ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
          })
        : netConnect({
            host: options.host,
            port,
            ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
          });
    const signal = options.signal;
    const fail = (error: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => {
      fail(signal?.reason instanceof Error ? signal.reason : new Error("The operation was aborted"));
    };
    const timer = setTimeout(() => {
      fail(
        new TimeoutError(`Cannot connect to ${options.host}:${port}: no connection within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("error", fail);
    socket.once(tls === "implicit" ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", fail);
      resolve(socket);
    });
  });
}

/** The content as Buffers. */
async function* chunks(content: SmtpMessage["content"]): AsyncGenerator<Buffer> {
  if (typeof content === "string") {
    yield Buffer.from(content, "utf8");
    return;
  }
  if (content instanceof Uint8Array) {
    yield Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    return;
  }
  for await (const chunk of content) {
    yield typeof chunk === "string"
      ? Buffer.from(chunk, "utf8")
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}
