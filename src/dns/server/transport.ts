import type { Socket as UdpSocket } from "node:dgram";
import type { Socket } from "node:net";
import { bindUdp, TcpService, type Connection, type ListenSpec } from "../../core/listen.js";
import type { Logger, TraceSink } from "../../core/log.js";
import type { SocketAddress } from "../../core/address.js";
import { DNS_LIMITS } from "./limits.js";
import type { DnsReply, DnsTransport, Responder } from "./responder.js";

type Serve = (
  query: Uint8Array,
  transport: DnsTransport,
  traceId: string,
  address: string,
  ipv6Client: boolean,
) => DnsReply;

/**
 * DNS over UDP and TCP (RFC 1035 §4.2, RFC 7766) on every listen address: each address gets
 * a UDP socket and a TCP listener on the same port. Answers the responder has at once go
 * out at once; answers it has to look up (recursion) go out when they come, while other
 * queries are served; zone transfers are written message by message as the client reads.
 */
export class DnsTransports {
  readonly #udp: { socket: UdpSocket; key: string; address: SocketAddress }[] = [];
  readonly #tcp: TcpService;
  readonly #serve: Serve;
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
    this.#serve = options.trace
      ? (query, transport, traceId, address, ipv6) =>
          options.responder(traceId).serve(query, transport, address, ipv6)
      : (query, transport, _traceId, address, ipv6) => shared.serve(query, transport, address, ipv6);
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
    let reply: DnsReply;
    try {
      reply = this.#serve(
        query,
        "udp",
        this.#trace ? `dns-udp ${address}:${port}` : "dns",
        address,
        ipv6 && !isMappedIPv4(address),
      );
    } catch (error) {
      this.#log.error({ err: error, remote: address }, "query failed");
      return;
    }
    if (reply === undefined) return;
    if (reply instanceof Uint8Array) {
      this.#sendUdp(socket, reply, port, address);
    } else if (reply instanceof Promise) {
      reply.then(
        (response) => {
          if (response !== undefined) this.#sendUdp(socket, response, port, address);
        },
        (error: unknown) => {
          this.#log.error({ err: error, remote: address }, "query failed");
        },
      );
    } else {
      // The responder streams zone transfers over TCP only; nothing to send here.
      reply.return();
    }
  }

  #sendUdp(socket: UdpSocket, response: Uint8Array, port: number, address: string): void {
    try {
      socket.send(response, port, address, (error) => {
        if (error) this.#log.debug({ err: error, remote: address }, "UDP send failed");
      });
    } catch (error) {
      // The socket closed (the service stopped) while the answer was being looked up.
      this.#log.debug({ err: error, remote: address }, "UDP send failed");
    }
  }

  /**
   * RFC 7766: each message has a 2-byte length prefix; a client may send several queries
   * without waiting (§6.2.1.1). Each is answered as soon as its answer is ready, so answers
   * that are looked up may go out after later ones (§7: the id tells them apart). Reading
   * stops while answers pile up unread or too many are in progress, and resumes when they
   * drain. The connection ends once the client has stopped sending and every answer has
   * gone out; it is not idle while a lookup is in progress (§6.2.3).
   */
  #serveTcp(connection: Connection): void {
    const socket: Socket = connection.socket;
    // Answers may still be due after the client half-closes: keep our side open for them.
    socket.allowHalfOpen = true;
    // Each transfer waiting for the client to read listens for "drain".
    socket.setMaxListeners(DNS_LIMITS.tcpMaxPending + 10);
    const ipv6 = socket.remoteFamily === "IPv6" && !isMappedIPv4(connection.remoteAddress);
    const address = connection.remoteAddress;
    let buffer: Buffer = Buffer.alloc(0);
    /** Lookups (promises) and transfers not yet fully written. */
    let pending = 0;
    /** Of those, the lookups: while one runs, the connection is not idle. */
    let lookups = 0;
    /** The client has half-closed: answer what it sent, then close. */
    let eof = false;
    /** Read no more queries, buffered or not: the server is stopping, or the stream is garbage. */
    let stopping = false;

    const write = (message: Uint8Array): boolean => {
      const framed = Buffer.allocUnsafe(2 + message.length);
      framed.writeUInt16BE(message.length, 0);
      framed.set(message, 2);
      return socket.write(framed);
    };

    // A client that sends but does not read must not make us buffer without end, nor may it
    // start lookups and transfers without bound.
    const blocked = (): boolean =>
      socket.writableLength > DNS_LIMITS.tcpMaxUnsentBytes || pending >= DNS_LIMITS.tcpMaxPending;

    const complete = (): boolean => buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0);

    /** Closes our side once no more queries will be answered and every answer has gone out. */
    const finishIfDone = (): void => {
      if (pending === 0 && (stopping || (eof && !complete())) && !socket.destroyed) socket.end();
    };

    const settle = (): void => {
      pending--;
      if (!socket.destroyed) flow();
    };

    const stream = (messages: Generator<Uint8Array, void, void>): void => {
      pending++;
      const step = (): void => {
        for (;;) {
          // RFC 5936 §4.1.2: a closed connection cancels its transfers.
          if (socket.destroyed) {
            messages.return();
            return;
          }
          let next: IteratorResult<Uint8Array, void>;
          try {
            next = messages.next();
          } catch (error) {
            connection.log.error({ err: error }, "zone transfer failed");
            socket.destroy();
            return;
          }
          if (next.done === true) {
            settle();
            return;
          }
          if (!write(next.value)) {
            socket.once("drain", step);
            return;
          }
        }
      };
      step();
    };

    const answer = (query: Uint8Array): boolean => {
      let reply: DnsReply;
      try {
        reply = this.#serve(query, "tcp", connection.id, address, ipv6);
      } catch (error) {
        connection.log.error({ err: error }, "query failed");
        socket.destroy();
        return false;
      }
      if (reply === undefined) {
        // Garbage that cannot be answered: close rather than guess where the next message starts.
        stopping = true;
        socket.pause();
        finishIfDone();
        return false;
      }
      if (reply instanceof Uint8Array) {
        write(reply);
      } else if (reply instanceof Promise) {
        pending++;
        lookups++;
        reply
          .then(
            (response) => {
              if (response !== undefined && !socket.destroyed && socket.writable) write(response);
            },
            (error: unknown) => {
              connection.log.error({ err: error }, "query failed");
            },
          )
          .finally(() => {
            lookups--;
            settle();
          });
      } else {
        stream(reply);
      }
      return true;
    };

    /** Answers the complete queries buffered, until blocked; reads more only when not. */
    const flow = (): void => {
      while (!stopping && !blocked() && complete()) {
        const length = buffer.readUInt16BE(0);
        const query = buffer.subarray(2, 2 + length);
        buffer = buffer.subarray(2 + length);
        if (!answer(query)) return;
      }
      if (socket.destroyed) return;
      if (stopping || eof) finishIfDone();
      else if (blocked()) socket.pause();
      else socket.resume();
    };

    socket.on("data", (chunk: Buffer) => {
      if (stopping) return;
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      flow();
    });
    socket.on("drain", flow);
    socket.on("end", () => {
      eof = true;
      flow();
    });
    connection.shutdown.addEventListener("abort", () => {
      // Stopping: take no more queries, send what is due, then close (stop() cuts it short
      // after its grace period).
      stopping = true;
      socket.pause();
      finishIfDone();
    });
    connection.onIdle = () => {
      if (lookups > 0) return; // waiting for an answer is not idleness (RFC 7766 §6.2.3)
      connection.log.debug("idle timeout");
      socket.destroy();
    };
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
