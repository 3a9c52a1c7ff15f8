import { randomFillSync } from "node:crypto";
import { createSocket, type RemoteInfo } from "node:dgram";
import { connect, isIP } from "node:net";
import { performance } from "node:perf_hooks";
import type { SocketAddress } from "../../core/address.js";
import { DecodeError, ProtocolError, TimeoutError } from "../../core/errors.js";
import { decodeMessage, encodeMessage, parseIPv6 } from "../codec/index.js";
import { namesEqual } from "../name.js";
import { Rcode } from "../types.js";
import type { Message, Question } from "../types.js";
import { QueryError, serverText } from "./errors.js";
import { DNS_CLIENT_LIMITS } from "./limits.js";

/** How to reach the server: UDP only, TCP only, or UDP falling back to TCP on TC. */
export type QueryTransport = "udp" | "tcp" | "auto";

/** Options of `query()`. */
export interface QueryOptions {
  /**
   * `"auto"` (default): UDP, and again over TCP when the answer is truncated (RFC 1035
   * §4.2.1, RFC 7766 §5). `"udp"`: a truncated answer is returned as it is. `"tcp"`: TCP only.
   */
  readonly transport?: QueryTransport;
  /** How long to wait for each attempt, in ms (default 5000, dig's). */
  readonly timeoutMs?: number;
  /**
   * UDP attempts after the first one timed out (default 2: three tries, dig's). Each
   * attempt has a new source port and id. TCP is tried once.
   */
  readonly retries?: number;
  /** Aborting rejects the query with `signal.reason` and closes its socket at once. */
  readonly signal?: AbortSignal;
}

/** A response to `query()`. */
export interface QueryResult {
  /** The decoded response. */
  readonly message: Message;
  /** Its length in bytes (dig's "MSG SIZE rcvd"). */
  readonly size: number;
  /** Milliseconds from sending the query that was answered to its answer. */
  readonly timeMs: number;
  /** The transport of the answer. */
  readonly transport: "udp" | "tcp";
  /** A UDP answer came truncated and the query was repeated over TCP. */
  readonly retriedOverTcp: boolean;
  /** The server that answered (the one asked). */
  readonly server: SocketAddress;
}

/** One answered attempt. */
interface Exchange {
  readonly message: Message;
  readonly size: number;
  readonly timeMs: number;
}

/**
 * Sends `message` to `server` and resolves with the matching response.
 *
 * The message's id is ignored: every attempt gets a fresh random 16-bit id from the
 * operating system's CSPRNG and, over UDP, a fresh socket on a random source port
 * (RFC 5452 §9.2, the kernel picks an ephemeral port at random). A datagram counts as the
 * response only if it comes from the server's address and port, has QR set, the id sent and
 * the question sent (names compared case-insensitively, RFC 5452 §9.1); everything else is
 * dropped and the wait goes on, so a spoofer must guess port and id within the time window.
 * An error response (rcode other than NOERROR) may omit the question section, as servers
 * do for FORMERR and BADVERS.
 *
 * Over TCP the messages carry the 2-byte length prefix (RFC 1035 §4.2.2); a response that
 * does not match there is a protocol error (there is no one to spoof a TCP stream).
 *
 * Rejects with TimeoutError when no attempt was answered in time (ProtocolError if the only
 * replies were undecodable), QueryError for a network failure (port unreachable, connection
 * refused or reset: not retried), ProtocolError for a broken TCP exchange, and
 * `signal.reason` when aborted; with TypeError/RangeError for bad options or an unencodable
 * message. Every socket is closed on every path.
 */
export async function query(
  server: SocketAddress,
  message: Message,
  options: QueryOptions = {},
): Promise<QueryResult> {
  const transport = options.transport ?? "auto";
  if (!TRANSPORTS.has(transport)) {
    throw new TypeError(`Cannot query: transport ${JSON.stringify(transport)} is not udp, tcp or auto`);
  }
  const timeoutMs = options.timeoutMs ?? DNS_CLIENT_LIMITS.timeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`Cannot query: timeoutMs ${timeoutMs} is not a positive number`);
  }
  const retries = options.retries ?? DNS_CLIENT_LIMITS.retries;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new RangeError(`Cannot query: retries ${retries} is not a non-negative integer`);
  }
  if (isIP(server.host) === 0) {
    throw new TypeError(`Cannot query ${JSON.stringify(server.host)}: not an IP address`);
  }
  if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535) {
    throw new RangeError(`Cannot query ${server.host}: port ${server.port} is not in 1..65535`);
  }
  const signal = options.signal;
  signal?.throwIfAborted();
  const bytes = encodeMessage(message);
  const expect = message.questions;

  if (transport === "tcp") {
    return {
      ...(await tcpExchange(server, bytes, expect, timeoutMs, signal)),
      server,
      transport,
      retriedOverTcp: false,
    };
  }
  let malformed: DecodeError | undefined;
  for (let attempt = 0; attempt <= retries; attempt++) {
    const outcome = await udpExchange(server, bytes, expect, timeoutMs, signal);
    if ("malformed" in outcome) {
      malformed = outcome.malformed ?? malformed;
      continue;
    }
    if (outcome.message.flags.tc && transport === "auto") {
      const exchange = await tcpExchange(server, bytes, expect, timeoutMs, signal);
      return { ...exchange, server, transport: "tcp", retriedOverTcp: true };
    }
    return { ...outcome, server, transport: "udp", retriedOverTcp: false };
  }
  if (malformed) {
    throw new ProtocolError(`Cannot query ${serverText(server)}: malformed response (${malformed.message})`, {
      cause: malformed,
    });
  }
  const tries = `${retries + 1} ${retries === 0 ? "try" : "tries"}`;
  throw new TimeoutError(`Cannot query ${serverText(server)}: no response in ${timeoutMs} ms (${tries})`);
}

const TRANSPORTS: ReadonlySet<string> = new Set(["udp", "tcp", "auto"]);

/** Why an aborted query failed: the signal's reason (an Error, normally an AbortError). */
function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error(`Cannot query: aborted (${String(reason)})`);
}

/** Ids come from the CSPRNG in batches: one syscall per 256 queries. */
const idPool = new Uint16Array(256);
let idNext = idPool.length;

function randomId(): number {
  if (idNext === idPool.length) {
    randomFillSync(idPool);
    idNext = 0;
  }
  return idPool[idNext++]!;
}

/** A copy of the encoded query with a fresh id in it. */
function withFreshId(query: Uint8Array): { packet: Buffer; id: number } {
  const packet = Buffer.from(query);
  const id = randomId();
  packet.writeUInt16BE(id, 0);
  return { packet, id };
}

/** Whether the questions of a response are those asked (RFC 5452 §9.1; case-insensitive, RFC 4343). */
function questionsMatch(asked: readonly Question[], got: readonly Question[]): boolean {
  if (asked.length !== got.length) return false;
  for (let i = 0; i < asked.length; i++) {
    const a = asked[i]!;
    const b = got[i]!;
    if (a.type !== b.type || a.class !== b.class || !namesEqual(a.name, b.name)) return false;
  }
  return true;
}

/**
 * Reads `data` as the response to query `id` for `expect`: the message, or undefined when
 * it is not our response (wrong id, not a response, another question), or the DecodeError
 * when it has our id but cannot be decoded.
 */
function readResponse(
  data: Buffer,
  id: number,
  expect: readonly Question[],
): Message | DecodeError | undefined {
  if (data.length < 4 || data.readUInt16BE(0) !== id || (data[2]! & 0x80) === 0) return undefined;
  let response: Message;
  try {
    // Bytes after the last record are tolerated (dig warns about them and goes on).
    response = decodeMessage(data, { allowTrailingBytes: true });
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
  if (questionsMatch(expect, response.questions)) return response;
  // An error response may come without the question (FORMERR, BADVERS, NOTIMP, REFUSED).
  if (response.questions.length === 0 && response.rcode !== Rcode.NOERROR && response.answers.length === 0) {
    return response;
  }
  return undefined;
}

const v6a = new Uint8Array(16);
const v6b = new Uint8Array(16);

/** Whether a datagram's source is the server (IPv6 text forms compared by value). */
function fromServer(remote: RemoteInfo, server: SocketAddress): boolean {
  if (remote.port !== server.port) return false;
  if (remote.address === server.host) return true;
  if (isIP(server.host) !== 6 || remote.family !== "IPv6") return false;
  try {
    parseIPv6(remote.address.replace(/%.*$/, ""), v6a, 0);
    parseIPv6(server.host.replace(/%.*$/, ""), v6b, 0);
  } catch {
    return false;
  }
  return Buffer.compare(v6a, v6b) === 0;
}

function networkError(error: unknown, server: SocketAddress, via: string): QueryError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === "ECONNREFUSED"
      ? "connection refused (nothing listens on that port)"
      : code === "ENETUNREACH" || code === "EHOSTUNREACH"
        ? "network unreachable"
        : code === "ECONNRESET"
          ? "connection reset"
          : (error as Error).message;
  return new QueryError(`Cannot query ${serverText(server)} over ${via}: ${why}`, server, { cause: error });
}

/**
 * One UDP attempt on a fresh connected socket: resolves with the response, or with
 * `{ malformed }` when the time ran out (carrying the last undecodable reply with our id, if
 * any). The socket is connected, so the kernel already drops datagrams from other addresses
 * and reports ICMP port-unreachable as ECONNREFUSED; the source is checked again anyway.
 */
function udpExchange(
  server: SocketAddress,
  query: Uint8Array,
  expect: readonly Question[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Exchange | { malformed: DecodeError | undefined }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const { packet, id } = withFreshId(query);
    const socket = createSocket(isIP(server.host) === 6 ? "udp6" : "udp4");
    let malformed: DecodeError | undefined;
    let sentAt = 0;
    let done = false;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.removeAllListeners("message");
      // `close()` throws if the socket never got bound; nothing is left open then.
      try {
        socket.close();
      } catch {
        // already closed
      }
      settle();
    };
    const onAbort = (): void => {
      finish(() => {
        reject(abortReason(signal));
      });
    };
    const timer = setTimeout(() => {
      finish(() => {
        resolve({ malformed });
      });
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.on("error", (error) => {
      finish(() => {
        reject(networkError(error, server, "UDP"));
      });
    });
    socket.on("message", (data, remote) => {
      if (!fromServer(remote, server)) return;
      const response = readResponse(data, id, expect);
      if (response === undefined) return;
      if (response instanceof DecodeError) {
        malformed = response;
        return;
      }
      const timeMs = performance.now() - sentAt;
      finish(() => {
        resolve({ message: response, size: data.length, timeMs });
      });
    });
    // Node passes a failed connect's error to the callback (the typings omit it).
    socket.connect(server.port, server.host, (error?: Error) => {
      if (done) return;
      if (error) {
        finish(() => {
          reject(networkError(error, server, "UDP"));
        });
        return;
      }
      sentAt = performance.now();
      socket.send(packet, (error) => {
        if (error) {
          finish(() => {
            reject(networkError(error, server, "UDP"));
          });
        }
      });
    });
  });
}

/** One TCP exchange (RFC 1035 §4.2.2, RFC 7766): connect, send, read one response, close. */
function tcpExchange(
  server: SocketAddress,
  query: Uint8Array,
  expect: readonly Question[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const { packet, id } = withFreshId(query);
    const socket = connect({ host: server.host, port: server.port, noDelay: true });
    let received: Buffer = Buffer.alloc(0);
    let sentAt = 0;
    let done = false;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      settle();
    };
    const fail = (error: Error): void => {
      finish(() => {
        reject(error);
      });
    };
    const onAbort = (): void => {
      finish(() => {
        reject(abortReason(signal));
      });
    };
    const timer = setTimeout(() => {
      fail(new TimeoutError(`Cannot query ${serverText(server)} over TCP: no response in ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.on("error", (error) => {
      fail(networkError(error, server, "TCP"));
    });
    socket.on("connect", () => {
      const prefix = Buffer.allocUnsafe(2);
      prefix.writeUInt16BE(packet.length, 0);
      sentAt = performance.now();
      socket.write(Buffer.concat([prefix, packet]));
    });
    socket.on("data", (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length < 2 + length) return;
      const data = received.subarray(2, 2 + length);
      const response = readResponse(data, id, expect);
      if (response === undefined) {
        fail(
          new ProtocolError(
            `Cannot query ${serverText(server)} over TCP: the response does not match the query`,
          ),
        );
        return;
      }
      if (response instanceof DecodeError) {
        fail(
          new ProtocolError(
            `Cannot query ${serverText(server)} over TCP: malformed response (${response.message})`,
            { cause: response },
          ),
        );
        return;
      }
      const timeMs = performance.now() - sentAt;
      finish(() => {
        resolve({ message: response, size: length, timeMs });
      });
    });
    socket.on("end", () => {
      fail(
        new ProtocolError(
          `Cannot query ${serverText(server)} over TCP: the server closed the connection without a response`,
        ),
      );
    });
    socket.on("close", () => {
      fail(
        new ProtocolError(
          `Cannot query ${serverText(server)} over TCP: the connection closed without a response`,
        ),
      );
    });
  });
}
