/**
 * A minimal DNS client for the DNS integration tests: builds a query with the codec, sends
 * the same bytes over UDP or TCP, and returns the raw response. Deliberately small and
 * independent of `src/dns/client` (the project's real client), so a bug there cannot hide
 * one in the server.
 */

import { createSocket } from "node:dgram";
import { connect, isIPv6, type Socket } from "node:net";
import { encodeMessage } from "../../../src/dns/codec/index.js";
import { Opcode } from "../../../src/dns/types.js";
import type { Edns, EdnsOption } from "../../../src/dns/types.js";

/** What a test query asks. */
export interface QuerySpec {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly rd?: boolean;
  readonly cd?: boolean;
  readonly opcode?: number;
  /** Absent: no OPT record. */
  readonly edns?: {
    readonly udpPayloadSize: number;
    readonly dnssecOk?: boolean;
    readonly version?: number;
    readonly flags?: number;
    readonly options?: readonly EdnsOption[];
  };
}

/** The wire bytes of `spec`. */
export function buildQuery(spec: QuerySpec): Uint8Array {
  const e = spec.edns;
  const edns: Edns | undefined = e && {
    udpPayloadSize: e.udpPayloadSize,
    extendedRcode: 0,
    version: e.version ?? 0,
    dnssecOk: e.dnssecOk ?? false,
    flags: e.flags ?? 0,
    options: e.options ?? [],
  };
  return encodeMessage({
    id: spec.id,
    opcode: spec.opcode ?? Opcode.QUERY,
    flags: {
      qr: false,
      aa: false,
      tc: false,
      rd: spec.rd ?? false,
      ra: false,
      z: false,
      ad: false,
      cd: spec.cd ?? false,
    },
    rcode: 0,
    questions: [{ name: spec.name, type: spec.type, class: spec.class }],
    answers: [],
    authority: [],
    additional: [],
    ...(edns && { edns }),
  });
}

/**
 * Sends `query` in one datagram and resolves with the first datagram back whose id matches
 * (retrying `tries` times, `timeoutMs` apart); rejects when none came.
 */
export function exchangeUdp(
  port: number,
  query: Uint8Array,
  { host = "127.0.0.1", timeoutMs = 1500, tries = 3 } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(host) ? "udp6" : "udp4");
    let attempt = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: Error | undefined, response?: Buffer): void => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(response!);
    };
    const send = (): void => {
      if (attempt++ >= tries) {
        finish(new Error(`no UDP response from ${host}:${port} after ${tries} tries`));
        return;
      }
      socket.send(query, port, host);
      timer = setTimeout(send, timeoutMs);
    };
    socket.on("message", (message) => {
      if (message.length >= 2 && message.readUInt16BE(0) === ((query[0]! << 8) | query[1]!)) {
        finish(undefined, message);
      }
    });
    socket.on("error", (error) => {
      finish(error);
    });
    send();
  });
}

/** Opens a TCP connection to `host:port`. */
export function connectTcp(port: number, host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** A message with its two-byte length prefix (RFC 1035 §4.2.2). */
export function framed(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}

/**
 * Reads `count` length-prefixed messages from `socket`; rejects if the connection closes
 * first or `timeoutMs` passes.
 */
export function readTcpMessages(socket: Socket, count: number, timeoutMs = 3000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const messages: Buffer[] = [];
    let buffer = Buffer.alloc(0);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onError);
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
        const length = buffer.readUInt16BE(0);
        messages.push(buffer.subarray(2, 2 + length));
        buffer = buffer.subarray(2 + length);
      }
      if (messages.length >= count) {
        cleanup();
        resolve(messages);
      }
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`TCP connection closed after ${messages.length} of ${count} responses`));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${messages.length} of ${count} TCP responses`));
    }, timeoutMs);
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("error", onError);
  });
}

/** Sends `query` over a new TCP connection and resolves with the one response. */
export async function exchangeTcp(
  port: number,
  query: Uint8Array,
  { host = "127.0.0.1", timeoutMs = 3000 } = {},
): Promise<Buffer> {
  const socket = await connectTcp(port, host);
  try {
    const reading = readTcpMessages(socket, 1, timeoutMs);
    socket.write(framed(query));
    const [response] = await reading;
    return response!;
  } finally {
    socket.destroy();
  }
}

/** Resolves when `socket` closes; rejects after `timeoutMs`. */
export function closed(socket: Socket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      reject(new Error(`connection still open after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
