/**
 * Helpers for the DNS client's and the resolver's tests: a zone set from master-file text,
 * and a small UDP+TCP server on 127.0.0.1 whose answers a test scripts (by default the
 * authoritative `Responder`). Not part of the public API.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import type { SocketAddress } from "../../core/address.js";
import { Zone, ZoneSet } from "../authority/index.js";
import { Responder } from "../server/responder.js";
import { parseZone } from "../zone/index.js";

/** A zone set holding one zone per `[origin, text]` pair. */
export function zoneSet(...zones: readonly (readonly [origin: string, text: string])[]): ZoneSet {
  const set = new ZoneSet();
  for (const [origin, text] of zones) set.set(new Zone(parseZone(text, { file: `${origin}zone`, origin })));
  return set;
}

/** What the scripted server does with one query: reply bytes (several: all sent), or nothing. */
export type TestHandler = (
  query: Buffer,
  transport: "udp" | "tcp",
  remote: { address: string; port: number },
) => Uint8Array | readonly Uint8Array[] | undefined;

export interface TestServer {
  readonly address: SocketAddress;
  /** Every query received, in order, with its transport and source port. */
  readonly queries: { readonly bytes: Buffer; readonly transport: "udp" | "tcp"; readonly port: number }[];
  /** The UDP socket, for tests that send datagrams of their own from it. */
  readonly udp: UdpSocket;
  close(): Promise<void>;
}

/** A handler answering from `zones` as the authoritative server does. */
export function responderHandler(zones: ZoneSet): TestHandler {
  const responder = new Responder({ zones: () => zones });
  return (query, transport) => responder.respond(query, transport);
}

/** Starts a UDP and TCP server on 127.0.0.1 (one port for both) running `handler`. */
export async function startTestServer(handler: TestHandler): Promise<TestServer> {
  const queries: TestServer["queries"] = [];
  const sockets = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffer: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
        const query = buffer.subarray(2, 2 + buffer.readUInt16BE(0));
        buffer = buffer.subarray(2 + query.length);
        queries.push({ bytes: Buffer.from(query), transport: "tcp", port: socket.remotePort ?? 0 });
        const reply = handler(query, "tcp", {
          address: socket.remoteAddress ?? "",
          port: socket.remotePort ?? 0,
        });
        for (const bytes of replies(reply)) {
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(bytes.length, 0);
          socket.write(Buffer.concat([prefix, bytes]));
        }
      }
    });
  });
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
  const info = tcp.address();
  const port = typeof info === "object" && info ? info.port : 0;
  const udp = createSocket("udp4");
  await new Promise<void>((resolve) => udp.bind(port, "127.0.0.1", resolve));
  udp.on("message", (query: Buffer, remote: RemoteInfo) => {
    queries.push({ bytes: Buffer.from(query), transport: "udp", port: remote.port });
    for (const bytes of replies(handler(query, "udp", remote))) udp.send(bytes, remote.port, remote.address);
  });
  return {
    address: { host: "127.0.0.1", port, family: 4 },
    queries,
    udp,
    close: async () => {
      udp.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => {
        tcp.close(() => {
          resolve();
        });
      });
    },
  };
}

function replies(reply: Uint8Array | readonly Uint8Array[] | undefined): readonly Uint8Array[] {
  if (reply === undefined) return [];
  return reply instanceof Uint8Array ? [reply] : reply;
}
