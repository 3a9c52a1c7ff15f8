import type { Socket as UdpSocket } from "node:dgram";
import type { Socket } from "node:net";
import { bindUdp, TcpService, type Connection, type ListenSpec } from "../../core/listen.js";
import type { Logger, TraceSink } from "../../core/log.js";
import type { SocketAddress } from "../../core/address.js";
import { DNS_LIMITS } from "./limits.js";
import type { DnsTransport, Responder } from "./responder.js";

/**
 * DNS over UDP and TCP (RFC 1035 §4.2, RFC 7766) on every listen address: each address gets
 * a UDP socket and a TCP listener on the same port.
 */
export class DnsTransports {
  readonly #udp: { socket: UdpSocket; key: string; address: SocketAddress }[] = [];
  readonly #tcp: TcpService;
  readonly #responder: (
    query: Uint8Array,
    transport: DnsTransport,
    traceId: string,
    ipv6Client: boolean,
  ) => Uint8Array | undefined;
  readonly #log: Logger;
  readonly #trace: TraceSink | undefined;

  constructor(options: {
    readonly listen: readonly ListenSpec[];
    readonly responder: (traceId: string) => Responder;
    readonly logger: Logger;
    readonly trace?: TraceSink | undefined;
    /** Idle TCP connections close after this (default `DNS_LIMITS.tcpIdleTimeoutMs`). */
    readonly tcpIdleTimeoutMs?: number;
  }) {
    this.#log = options.logger.child({ service: "dns" });
    this.#trace = options.trace;
    // Tracing builds a responder per query to label its lines; without it, one is shared.
    const shared = options.responder("dns");
    this.#responder = options.trace
      ? (query, transport, traceId, ipv6) => options.responder(traceId).respond(query, transport, ipv6)
      : (query, transport, _traceId, ipv6) => shared.respond(query, transport, ipv6);
    this.#tcp = new TcpService({
      name: "dns",
      listen: options.listen,
      limits: {
        maxConnections: DNS_LIMITS.maxTcpConnections,
        maxPerAddress: DNS_LIMITS.maxTcpPerAddress,
        idleTimeoutMs: options.tcpIdleTimeoutMs ?? DNS_LIMITS.tcpIdleTimeoutMs,
      },
      logger: options.logger,
      trace: options.trace,
      handle: (connection) => {
        this.#serveTcp(connection);
      },
    });
  }

  /** Binds TCP first (so a port in use is reported once, for TCP), then UDP. */
  async start(specs: readonly ListenSpec[]): Promise<void> {
    await this.#tcp.start();
    const bound = this.#tcp.bound;
    try {
      for (const [index, spec] of specs.entries()) {
        // With port 0, UDP takes the port TCP got, so both answer on one address.
        const address = bound[index]?.address ?? spec.address;
        const socket = await bindUdp({ key: spec.key, address });
        socket.on("message", (query, remote) => {
          this.#answerUdp(socket, query, remote.address, remote.port, remote.family === "IPv6");
        });
        socket.on("error", (error) => {
          this.#log.error({ err: error }, "UDP socket error");
        });
        this.#udp.push({ socket, key: spec.key, address: { ...address, port: socket.address().port } });
      }
    } catch (error) {
      await this.stop(0);
      throw error;
    }
  }

  /** The addresses answered on (real ports when port 0 was asked for). */
  get bound(): { key: string; address: SocketAddress }[] {
    return this.#udp.map(({ key, address }) => ({ key, address }));
  }

  #answerUdp(socket: UdpSocket, query: Buffer, address: string, port: number, ipv6: boolean): void {
    let response: Uint8Array | undefined;
    try {
      response = this.#responder(
        query,
        "udp",
        this.#trace ? `dns-udp ${address}:${port}` : "dns",
        ipv6 && !isMappedIPv4(address),
      );
    } catch (error) {
      this.#log.error({ err: error, remote: address }, "query failed");
      return;
    }
    if (response) {
      socket.send(response, port, address, (error) => {
        if (error) this.#log.debug({ err: error, remote: address }, "UDP send failed");
      });
    }
  }

  /**
   * RFC 7766: each message has a 2-byte length prefix; a client may send several queries
   * without waiting (§6.2.1.1), and we answer each as soon as it is complete.
   */
  #serveTcp(connection: Connection): void {
    const socket: Socket = connection.socket;
    let buffer: Buffer = Buffer.alloc(0);
    const ipv6 = socket.remoteFamily === "IPv6" && !isMappedIPv4(connection.remoteAddress);
    connection.shutdown.addEventListener("abort", () => {
      socket.end();
    });
    socket.on("data", (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (buffer.length >= 2) {
        const length = buffer.readUInt16BE(0);
        if (buffer.length < 2 + length) break;
        const query = buffer.subarray(2, 2 + length);
        buffer = buffer.subarray(2 + length);
        let response: Uint8Array | undefined;
        try {
          response = this.#responder(query, "tcp", connection.id, ipv6);
        } catch (error) {
          connection.log.error({ err: error }, "query failed");
          socket.destroy();
          return;
        }
        if (response === undefined) {
          // Garbage that cannot be answered: close rather than guess where the next message starts.
          socket.end();
          return;
        }
        const framed = Buffer.allocUnsafe(2 + response.length);
        framed.writeUInt16BE(response.length, 0);
        framed.set(response, 2);
        // A client that sends but does not read must not make us buffer without end:
        // stop reading its queries until it has taken our answers.
        if (!socket.write(framed) && socket.writableLength > DNS_LIMITS.tcpMaxUnsentBytes) {
          socket.pause();
          socket.once("drain", () => socket.resume());
        }
      }
    });
    socket.on("end", () => {
      socket.end();
    });
  }

  async stop(graceMs: number): Promise<void> {
    for (const { socket } of this.#udp.splice(0)) socket.close();
    await this.#tcp.stop(graceMs);
  }
}

/** Whether `address` is an IPv4 client seen through a dual-stack socket (`::ffff:192.0.2.1`). */
function isMappedIPv4(address: string): boolean {
  return address.startsWith("::ffff:") && address.includes(".");
}
