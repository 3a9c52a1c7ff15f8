import type { Socket } from "node:net";
import { DecodeError, ProtocolError, TimeoutError } from "../errors.js";
import { parseProxyHeader, type ProxyEndpoint, type ProxyHeader } from "./header.js";

/** The connection as the proxy saw it, once the header has been read. */
export interface ProxiedConnection {
  /** The header as decoded. */
  readonly header: ProxyHeader;
  /** The client: from the header, or the socket's peer when the header names none. */
  readonly source: ProxyEndpoint;
  /** The address the client connected to: from the header, or the socket's local end. */
  readonly destination: ProxyEndpoint;
  /** Whether `source` and `destination` came from the header (TCP4/TCP6 with PROXY). */
  readonly proxied: boolean;
  /**
   * The bytes that arrived after the header in the same read. With `unshift` (the default)
   * they have already been pushed back into the socket, and are here only to be looked at.
   */
  readonly rest: Buffer;
}

/**
 * Reads the PROXY protocol header (version 1 or 2) that must open a connection accepted from
 * a trusted proxy, consuming exactly its bytes. The spec (HAProxy's proxy-protocol.txt §2)
 * says the receiver "MUST NOT start processing the connection before it receives a complete
 * and valid PROXY protocol header" and must not guess whether one is present: call this only
 * on listeners configured for it.
 *
 * On success the socket is left paused, with whatever followed the header unshifted into it
 * (unless `unshift: false`), so the protocol that reads next sees every byte: attach its
 * `data` listener, then call `socket.resume()` (a TLS wrap picks the bytes up by itself).
 *
 * Rejects with DecodeError for a malformed header, TimeoutError if it is not complete within
 * `timeoutMs` (the spec suggests a few seconds, at least 3 to cover a TCP retransmit),
 * ProtocolError if the peer closes first, or the socket's own error. It never closes the
 * socket: on failure the caller should destroy it (the spec: abort the connection).
 *
 * The source and destination fall back to the real connection's endpoints for `LOCAL`
 * (health checks), version 1 `UNKNOWN`, AF_UNSPEC, AF_UNIX and UDP headers, as the spec
 * directs and HAProxy itself does.
 */
export function readProxyHeader(
  socket: Socket,
  timeoutMs: number,
  options: { readonly unshift?: boolean } = {},
): Promise<ProxiedConnection> {
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, not ${timeoutMs}`);
  const unshift = options.unshift ?? true;
  return new Promise((resolve, reject) => {
    if (socket.destroyed || socket.readableEnded) {
      reject(new ProtocolError("Cannot read the PROXY header: the connection is already closed"));
      return;
    }
    let buffered: Buffer = Buffer.alloc(0);

    const finish = (): void => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onClosed);
      socket.off("close", onClosed);
      socket.off("error", onError);
      socket.pause();
    };
    const fail = (error: Error): void => {
      finish();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      // The header is at most 107 (v1) or 65551 (v2) bytes and nearly always arrives in one
      // segment, so copying only when it is fragmented costs nothing in practice.
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const result = parseProxyHeader(buffered);
      switch (result.kind) {
        case "incomplete":
          return;
        case "error":
          fail(new DecodeError(`Cannot read the PROXY header: ${result.reason}`, result.offset));
          return;
        case "done": {
          finish();
          const rest = buffered.subarray(result.consumed);
          if (unshift && rest.length > 0) socket.unshift(rest);
          resolve(connectionFor(socket, result, rest));
          return;
        }
      }
    };
    const onClosed = (): void => {
      fail(
        new ProtocolError(
          `Cannot read the PROXY header: the connection was closed after ${buffered.length} bytes`,
        ),
      );
    };
    const onError = (error: Error): void => {
      fail(error);
    };
    const timer = setTimeout(() => {
      fail(new TimeoutError(`Cannot read the PROXY header: not complete within ${timeoutMs} ms`));
    }, timeoutMs);

    socket.on("data", onData);
    socket.once("end", onClosed);
    socket.once("close", onClosed);
    socket.once("error", onError);
    socket.resume();
  });
}

function connectionFor(socket: Socket, header: ProxyHeader, rest: Buffer): ProxiedConnection {
  const { version, command, family, source, destination } = header;
  const decoded: ProxyHeader = {
    version,
    command,
    family,
    ...(source !== undefined && { source }),
    ...(destination !== undefined && { destination }),
  };
  // UDP addresses describe no TCP connection; like AF_UNIX they fall back to the real ones
  // (§2.2: a receiver that does not implement a protocol "falls back to the UNSPEC mode").
  const proxied =
    command === "PROXY" &&
    (family === "TCP4" || family === "TCP6") &&
    source !== undefined &&
    destination !== undefined;
  return {
    header: decoded,
    source: proxied ? source : { address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 },
    destination: proxied ? destination : { address: socket.localAddress ?? "", port: socket.localPort ?? 0 },
    proxied,
    rest,
  };
}
