import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import type { SecureContext, TLSSocket } from "node:tls";
import { TLSSocket as TlsSocketClass } from "node:tls";
import { formatSocketAddress, type NetworkSet, type SocketAddress } from "./address.js";
import { readProxyHeader } from "./proxy/read.js";
import { ListenError } from "./errors.js";
import { connectionId, type Logger, type TraceDirection, type TraceSink } from "./log.js";
import { upgradeServerSocket } from "./tls.js";

/** One address to listen on, with the config key it came from (for error messages). */
export interface ListenSpec {
  /** The config key, e.g. `smtp.submission`: named in bind errors. */
  readonly key: string;
  readonly address: SocketAddress;
  /** Implicit TLS (SMTPS, POP3S, IMAPS): the handshake happens before the session starts. */
  readonly tls?: SecureContext;
  /**
   * Load balancers whose connections open with a PROXY protocol header (v1 or v2): from these
   * addresses the header is required, and the session sees the client it names.
   */
  readonly proxyFrom?: NetworkSet;
}

/** How long a trusted proxy has to send its header (HAProxy's spec: a few seconds). */
const PROXY_HEADER_TIMEOUT_MS = 5_000;

/** Caps on connections, shared by every TCP service; each protocol picks its values. */
export interface ConnectionLimits {
  /** Open connections for the whole service; more are refused (after `onRefuse`). */
  readonly maxConnections: number;
  /** Open connections from one client address. */
  readonly maxPerAddress: number;
  /** A connection with no traffic either way for this long is closed (`onIdle` first). */
  readonly idleTimeoutMs: number;
  /** An implicit-TLS handshake must finish within this. */
  readonly handshakeTimeoutMs?: number;
}

/** Turns a bind failure into a one-line error naming the address and the config key. */
export function listenError(
  error: unknown,
  spec: { key: string; address: SocketAddress },
  transport = "TCP",
): ListenError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${formatSocketAddress(spec.address)} (${spec.key}, ${transport})`;
  const reason =
    code === "EADDRINUSE"
      ? "address in use; stop the program using it or change the port"
      : code === "EACCES"
        ? "permission denied; ports below 1024 need root or CAP_NET_BIND_SERVICE"
        : code === "EADDRNOTAVAIL"
          ? "no such address on this machine; use one of its addresses"
          : (error as Error).message;
  return new ListenError(`Cannot listen on ${where}: ${reason}`, { cause: error });
}

/**
 * A client connection as a session sees it: the socket (replaced by a TLS socket after
 * STARTTLS), a child logger, the trace, the idle timer, and a signal raised when the server
 * shuts down so the session can say goodbye in its protocol (SMTP 421, POP3 -ERR, IMAP BYE).
 */
export class Connection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly listenKey: string;
  readonly log: Logger;
  #socket: Socket;
  readonly #trace: TraceSink | undefined;
  readonly #shutdown = new AbortController();
  #idleMs: number;

  constructor(
    socket: Socket,
    spec: ListenSpec,
    service: string,
    log: Logger,
    trace: TraceSink | undefined,
    idleMs: number,
    /** The client a PROXY header named (the socket's peer is then the proxy). */
    peer?: { readonly address: string; readonly port: number },
  ) {
    this.id = connectionId(service);
    this.#socket = socket;
    this.remoteAddress = peer?.address ?? socket.remoteAddress ?? "?";
    this.remotePort = peer?.port ?? socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? "?";
    this.localPort = socket.localPort ?? 0;
    this.listenKey = spec.key;
    this.log = log.child({ conn: this.id, remote: `${this.remoteAddress}:${this.remotePort}` });
    this.#trace = trace;
    this.#idleMs = idleMs;
    this.#watchIdle(socket);
  }

  /**
   * Called when the connection has been idle for the idle timeout; the default closes it.
   * A session replaces it to say why first (SMTP `421 4.4.2`, IMAP `* BYE`).
   */
  onIdle: () => void = () => {
    this.log.debug("idle timeout");
    this.#socket.destroy();
  };

  #watchIdle(socket: Socket): void {
    socket.on("timeout", () => {
      if (socket === this.#socket) this.onIdle();
    });
  }

  get socket(): Socket {
    return this.#socket;
  }

  /** Whether the connection is encrypted (implicit TLS or after STARTTLS). */
  get secure(): boolean {
    return this.#socket instanceof TlsSocketClass;
  }

  /** Aborted when the server is shutting down. */
  get shutdown(): AbortSignal {
    return this.#shutdown.signal;
  }

  /** @internal */
  beginShutdown(): void {
    this.#shutdown.abort();
  }

  /** Records one line of the dialogue (already redacted) for `--trace` and the trace log. */
  trace(direction: TraceDirection, line: string): void {
    this.log.trace({ dir: direction }, line);
    this.#trace?.({ connection: this.id, direction, line });
  }

  /** Traces each CRLF-ended line of `text` (a group of replies written together). */
  traceLines(direction: TraceDirection, text: string): void {
    if (this.#trace === undefined) return;
    for (const line of text.split("\r\n")) if (line !== "") this.trace(direction, line);
  }

  /** Whether anyone listens to traces (so sessions can skip formatting them). */
  get tracing(): boolean {
    return this.#trace !== undefined;
  }

  /** Changes the idle timeout (SMTP waits longer during DATA, RFC 5321 §4.5.3.2). */
  setIdleTimeout(ms: number): void {
    this.#idleMs = ms;
    this.#socket.setTimeout(ms);
  }

  /**
   * Switches to TLS as the server (STARTTLS/STLS/AUTH TLS). The caller has already sent the
   * go-ahead reply and discarded buffered plaintext. Resolves with the TLS socket, which is
   * from then on `socket`.
   */
  async startTls(context: SecureContext, timeoutMs?: number): Promise<TLSSocket> {
    const plain = this.#socket;
    plain.setTimeout(0);
    const secure = await upgradeServerSocket(plain, context, timeoutMs);
    this.#socket = secure;
    this.#watchIdle(secure);
    secure.setTimeout(this.#idleMs);
    return secure;
  }
}

/**
 * A TCP service: listens on every address of `listen`, enforces the connection limits, hands
 * each accepted connection to `handle`, and stops gracefully. The protocol lives in `handle`.
 */
export class TcpService {
  readonly #name: string;
  readonly #specs: readonly ListenSpec[];
  readonly #limits: ConnectionLimits;
  readonly #log: Logger;
  readonly #trace: TraceSink | undefined;
  readonly #handle: (connection: Connection) => void;
  readonly #onRefuse: ((socket: Socket, reason: "busy" | "too-many-from-address") => void) | undefined;
  readonly #servers: { server: Server; spec: ListenSpec }[] = [];
  readonly #open = new Map<Socket, Connection | undefined>();
  readonly #perAddress = new Map<string, number>();
  #drained: (() => void) | undefined;
  readonly #allowHalfOpen: boolean;
  #stopping = false;

  constructor(options: {
    readonly name: string;
    readonly listen: readonly ListenSpec[];
    readonly limits: ConnectionLimits;
    readonly logger: Logger;
    readonly trace?: TraceSink | undefined;
    /** Runs the session; it must end by destroying or ending `connection.socket`. */
    readonly handle: (connection: Connection) => void;
    /** Says why a connection is refused, in the protocol (e.g. SMTP `421`), before it is closed. */
    readonly onRefuse?: (socket: Socket, reason: "busy" | "too-many-from-address") => void;
    /**
     * Keep our side open when the client half-closes (a pipelining client may send its last
     * commands and FIN at once): the session then answers what it read and ends the socket
     * itself. Only for sessions that handle "end"; default false (Node closes both sides).
     */
    readonly allowHalfOpen?: boolean;
  }) {
    this.#name = options.name;
    this.#specs = options.listen;
    this.#limits = options.limits;
    this.#log = options.logger.child({ service: options.name });
    this.#trace = options.trace;
    this.#handle = options.handle;
    this.#onRefuse = options.onRefuse;
    this.#allowHalfOpen = options.allowHalfOpen ?? false;
  }

  /** Binds every address; if one fails, closes the others and throws a ListenError. */
  async start(): Promise<void> {
    try {
      for (const spec of this.#specs) {
        const server = createServer(
          { pauseOnConnect: false, noDelay: true, allowHalfOpen: this.#allowHalfOpen },
          (socket) => {
            this.#accept(socket, spec);
          },
        );
        await new Promise<void>((resolve, reject) => {
          server.once("error", (error) => {
            reject(listenError(error, spec));
          });
          server.listen({ host: spec.address.host, port: spec.address.port, backlog: 511 }, () => {
            resolve();
          });
        });
        server.on("error", (error) => {
          this.#log.error({ err: error }, "listener error");
        });
        this.#servers.push({ server, spec });
      }
    } catch (error) {
      await this.stop(0);
      throw error;
    }
  }

  /** The addresses actually bound (a port 0 in the options becomes the real port). */
  get bound(): { key: string; address: SocketAddress; tls: boolean }[] {
    return this.#servers.map(({ server, spec }) => {
      const info = server.address();
      const port = typeof info === "object" && info ? info.port : spec.address.port;
      return { key: spec.key, address: { ...spec.address, port }, tls: spec.tls !== undefined };
    });
  }

  /** Open connections now. */
  get connections(): number {
    return this.#open.size;
  }

  #accept(socket: Socket, spec: ListenSpec): void {
    const ip = socket.remoteAddress ?? "?";
    socket.on("error", (error) => {
      this.#log.debug({ err: error, remote: ip }, "socket error");
    });
    const perAddress = (this.#perAddress.get(ip) ?? 0) + 1;
    const refuse =
      this.#stopping || this.#open.size >= this.#limits.maxConnections
        ? "busy"
        : perAddress > this.#limits.maxPerAddress
          ? "too-many-from-address"
          : undefined;
    if (refuse !== undefined) {
      this.#log.warn({ remote: ip, reason: refuse }, "connection refused by limit");
      if (spec.tls === undefined) this.#onRefuse?.(socket, refuse);
      socket.end();
      socket.destroySoon();
      return;
    }
    this.#perAddress.set(ip, perAddress);
    this.#open.set(socket, undefined);
    socket.once("close", () => {
      this.#open.delete(socket);
      const left = (this.#perAddress.get(ip) ?? 1) - 1;
      if (left <= 0) this.#perAddress.delete(ip);
      else this.#perAddress.set(ip, left);
      if (this.#open.size === 0) this.#drained?.();
    });
    socket.setTimeout(this.#limits.idleTimeoutMs);
    socket.setKeepAlive(true, 60_000);
    if (spec.proxyFrom?.has(ip.replace(/^::ffff:(?=\d+\.)/i, "")) === true) {
      readProxyHeader(socket, PROXY_HEADER_TIMEOUT_MS).then(
        (proxied) => {
          this.#log.debug({ proxy: ip, client: proxied.source.address }, "PROXY header");
          this.#secure(socket, spec, proxied.proxied ? proxied.source : undefined);
          if (spec.tls === undefined) socket.resume();
        },
        (error: unknown) => {
          this.#log.warn({ err: error, remote: ip }, "bad or missing PROXY header; connection closed");
          socket.destroy();
        },
      );
      return;
    }
    this.#secure(socket, spec, undefined);
  }

  /** Runs the implicit-TLS handshake if the listener has one, then starts the session. */
  #secure(socket: Socket, spec: ListenSpec, peer: { address: string; port: number } | undefined): void {
    const ip = socket.remoteAddress ?? "?";
    if (spec.tls === undefined) {
      this.#start(socket, spec, socket, peer);
      return;
    }
    upgradeServerSocket(socket, spec.tls, this.#limits.handshakeTimeoutMs ?? 30_000).then(
      (secure) => {
        secure.setTimeout(this.#limits.idleTimeoutMs);
        this.#start(secure, spec, socket, peer);
      },
      (error: unknown) => {
        this.#log.debug({ err: error, remote: ip }, "TLS handshake failed");
        socket.destroy();
      },
    );
  }

  #start(
    socket: Socket,
    spec: ListenSpec,
    tracked: Socket,
    peer: { address: string; port: number } | undefined,
  ): void {
    const connection = new Connection(
      socket,
      spec,
      this.#name,
      this.#log,
      this.#trace,
      this.#limits.idleTimeoutMs,
      peer,
    );
    this.#open.set(tracked, connection);
    connection.log.debug({ listen: spec.key, tls: spec.tls !== undefined }, "connected");
    tracked.once("close", () => {
      connection.log.debug("closed");
    });
    try {
      this.#handle(connection);
    } catch (error) {
      connection.log.error({ err: error }, "session failed to start");
      socket.destroy();
    }
  }

  /**
   * Stops accepting, tells every session to finish (its `shutdown` signal), waits up to
   * `graceMs` for them to close, then destroys what is left.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    const closed = Promise.all(
      this.#servers.map(
        ({ server }) =>
          new Promise<void>((resolve) => {
            server.close(() => {
              resolve();
            });
          }),
      ),
    );
    this.#servers.length = 0;
    if (this.#open.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
      for (const [socket, connection] of this.#open) {
        if (connection) connection.beginShutdown();
        else socket.destroy();
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      for (const socket of this.#open.keys()) socket.destroy();
      await drained; // destroyed sockets report "close" on the next tick
    }
    await closed;
  }
}

/**
 * Binds a UDP socket for `spec`, with the same one-line errors as TCP. Not exclusive: in a
 * `node:cluster` worker the primary binds once and shares the socket with every worker (as
 * it does for TCP listeners), which is how a stateless service uses every core.
 */
export async function bindUdp(spec: { key: string; address: SocketAddress }): Promise<UdpSocket> {
  const socket = createSocket({ type: spec.address.family === 6 ? "udp6" : "udp4" });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", (error) => {
      socket.close();
      reject(listenError(error, spec, "UDP"));
    });
    socket.bind({ address: spec.address.host, port: spec.address.port, exclusive: false }, () => {
      socket.removeAllListeners("error");
      resolve();
    });
  });
  return socket;
}
