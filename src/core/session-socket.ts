import type { Socket } from "node:net";
import type { SecureContext } from "node:tls";
import type { Connection } from "./listen.js";

/** What a protocol channel hears from its SessionSocket. */
export interface SessionSocketEvents {
  /** Bytes from the client (decrypted, after STARTTLS). */
  readonly data: (chunk: Buffer) => void;
  /**
   * Something the session loop must look at: the client closed its side (`inputEnded`:
   * answer what is buffered, then close) or the server is stopping (`shutdownRequested`:
   * finish the command in progress, say goodbye, close).
   */
  readonly wake: () => void;
  /** The connection closed; called once. */
  readonly closed: () => void;
  /** The idle timeout fired (the session decides what to say, if anything). */
  readonly idle: () => void;
}

/**
 * The socket side every line protocol's channel shares (SMTP, POP3, IMAP; FTP's control
 * connection and TELNET next): replies gathered and written in one piece, backpressure both
 * ways, a graceful end or an abrupt one, and the STARTTLS switch with RFC 3207 §4.2's rule
 * that whatever the client sent after the command is thrown away unread. The protocol (its
 * session state machine, its modes, its tracing) stays in the channel.
 */
export class SessionSocket {
  readonly #conn: Connection;
  readonly #events: SessionSocketEvents;
  readonly #encoding: BufferEncoding;
  #socket: Socket;
  #out: (string | Buffer)[] = [];
  /** Octets in #out (strings counted by length). */
  #queued = 0;
  #inputEnded = false;
  #shutdownRequested = false;
  readonly #ended = (): void => {
    this.#inputEnded = true;
    this.#events.wake();
  };

  /**
   * Listens on `connection` at once. `encoding`: how queued strings become octets (IMAP's
   * are latin1, each char one octet; SMTP's and POP3's UTF-8).
   */
  constructor(connection: Connection, events: SessionSocketEvents, encoding: BufferEncoding = "utf8") {
    this.#conn = connection;
    this.#events = events;
    this.#encoding = encoding;
    this.#socket = connection.socket;
    const socket = this.#socket;
    socket.on("data", events.data);
    socket.on("end", this.#ended);
    socket.once("close", events.closed);
    connection.onIdle = events.idle;
    connection.shutdown.addEventListener("abort", () => {
      this.#shutdownRequested = true;
      events.wake();
    });
  }

  /** The client closed its side (FIN). */
  get inputEnded(): boolean {
    return this.#inputEnded;
  }

  /** The server is stopping (its graceful shutdown began). */
  get shutdownRequested(): boolean {
    return this.#shutdownRequested;
  }

  /** The socket now: the TLS one after STARTTLS. */
  get socket(): Socket {
    return this.#socket;
  }

  /** Whether replies can still be written. */
  get writable(): boolean {
    return !this.#socket.destroyed && this.#socket.writable;
  }

  /** Replies queued and not yet written. */
  get queuedParts(): number {
    return this.#out.length;
  }

  /** Octets queued and not yet written. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** Queues output; flush() writes it. */
  queue(data: string | Buffer): void {
    this.#out.push(data);
    this.#queued += data.length;
  }

  /** Queues protocol replies (CRLF-ended lines) and traces each as `S:`. */
  reply(text: string): void {
    if (text === "") return;
    this.queue(text);
    this.#conn.traceLines("S", text);
  }

  /** Traces a line the client sent (`C:`), when anyone listens. */
  traceClient(line: string): void {
    if (this.#conn.tracing) this.#conn.trace("C", line);
  }

  /** Traces a line of server output that did not go through reply() (`S:`). */
  traceServer(line: string): void {
    if (this.#conn.tracing) this.#conn.trace("S", line);
  }

  /** Writes what is queued, in one write. */
  flush(): void {
    if (this.#out.length === 0) return;
    const parts = this.#out;
    this.#out = [];
    this.#queued = 0;
    if (!this.writable) return;
    if (parts.every((p) => typeof p === "string")) {
      this.#socket.write(parts.join(""), this.#encoding);
    } else {
      this.#socket.write(
        Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, this.#encoding) : p))),
      );
    }
  }

  /** Writes `data` now (after what is queued); false when the socket wants a drain(). */
  write(data: Buffer | string): boolean {
    this.flush();
    if (!this.writable) return false;
    return typeof data === "string" ? this.#socket.write(data, this.#encoding) : this.#socket.write(data);
  }

  /** Resolves when the socket takes more output, or has closed. */
  async drain(): Promise<void> {
    const socket = this.#socket;
    if (socket.destroyed || !socket.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off("drain", done);
        socket.off("close", done);
        resolve();
      };
      socket.on("drain", done);
      socket.on("close", done);
    });
  }

  /** Stops reading while the channel has more than `highWater` octets unparsed. */
  pauseAbove(buffered: number, highWater: number): void {
    if (buffered > highWater) this.#socket.pause();
  }

  /** Reads again after pauseAbove(), unless the channel cannot take input now. */
  resume(): void {
    if (this.#socket.isPaused() && !this.#socket.destroyed) this.#socket.resume();
  }

  /** Writes what is queued and closes our side; the close follows when the client's does. */
  end(): void {
    this.flush();
    this.#socket.off("data", this.#events.data);
    this.#socket.end();
    this.#socket.destroySoon();
  }

  /** Closes at once, dropping what is queued. */
  destroy(): void {
    this.#out = [];
    this.#queued = 0;
    this.#socket.destroy();
  }

  /**
   * The server side of STARTTLS/STLS, after the go-ahead reply was queued: writes it, stops
   * reading, throws away what the client sent after the command (`discard` empties the
   * channel's buffer and says how many octets it held), runs the handshake. On success the
   * TLS socket is `socket` and the channel calls listen() once it is ready for commands; on
   * failure the connection is destroyed and false returned.
   */
  async startTls(context: SecureContext, timeoutMs: number, discard: () => number): Promise<boolean> {
    this.flush();
    this.#socket.off("data", this.#events.data);
    const dropped = discard();
    if (dropped > 0) this.#conn.log.warn({ bytes: dropped }, "discarded plaintext sent after STARTTLS");
    try {
      const secure = await this.#conn.startTls(context, timeoutMs);
      secure.on("error", (error: Error) => {
        this.#conn.log.debug({ err: error }, "TLS socket error");
      });
      secure.on("end", this.#ended);
      this.#socket = secure;
      return true;
    } catch (error) {
      this.#conn.log.debug({ err: error }, "STARTTLS handshake failed");
      this.destroy();
      return false;
    }
  }

  /** Starts reading the TLS socket after startTls(). */
  listen(): void {
    this.#socket.on("data", this.#events.data);
  }
}
