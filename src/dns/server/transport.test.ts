import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it, type TestContext } from "node:test";
import { NetworkSet } from "../../core/address.js";
import { silentLogger } from "../../core/log.js";
import { Zone, ZoneSet } from "../authority/index.js";
import { decodeMessage, encodeMessage } from "../codec/index.js";
import type { ResolveResult } from "../resolver/index.js";
import { Opcode, Rcode, RRClass, RRType } from "../types.js";
import type { Message } from "../types.js";
import { parseZone } from "../zone/index.js";
import { DNS_LIMITS } from "./limits.js";
import { Recursion } from "./recursion.js";
import { Responder } from "./responder.js";
import { DnsTransports } from "./transport.js";

const lines = ["$TTL 300", "@ SOA ns1 hostmaster 1 7200 900 1209600 300", "@ NS ns1", "ns1 A 192.0.2.1"];
/** big.test.: 8 MB, more than the kernel's socket buffers hold (tcp_wmem and tcp_rmem at most 4 + 6 MB). */
const BIG_RECORDS = 42_002;
const big = ["$TTL 300", "@ SOA ns1 hostmaster 1 7200 900 1209600 300", "@ NS ns1", "ns1 A 192.0.2.1"];
const chunk = `"${"b".repeat(200)}"`;
for (let i = 0; i < BIG_RECORDS - 4; i++) big.push(`h${i} TXT ${chunk}`);
const zones = new ZoneSet([
  new Zone(parseZone(lines.join("\n"), { file: "x", origin: "example.test." })),
  new Zone(parseZone(big.join("\n"), { file: "y", origin: "big.test." })),
]);

function query(id: number, name: string, type: number = RRType.A): Buffer {
  const bytes = encodeMessage({
    id,
    opcode: Opcode.QUERY,
    flags: { qr: false, aa: false, tc: false, rd: true, ra: false, z: false, ad: false, cd: false },
    rcode: 0,
    questions: [{ name, type, class: RRClass.IN }],
    answers: [],
    authority: [],
    additional: [],
  });
  const framed = Buffer.alloc(2 + bytes.length);
  framed.writeUInt16BE(bytes.length, 0);
  framed.set(bytes, 2);
  return framed;
}

/**
 * A server whose lookups (names outside example.test.) take `delay`: milliseconds, or until
 * a promise settles.
 */
async function server(
  t: TestContext,
  delay: number | Promise<void>,
  idleMs = 10_000,
): Promise<{ port: number; lookups: () => number }> {
  let lookups = 0;
  const recursion = new Recursion({
    allow: new NetworkSet(["127.0.0.0/8"]),
    resolve: async (name: string, type: number): Promise<ResolveResult> => {
      lookups++;
      await (typeof delay === "number" ? sleep(delay) : delay);
      return {
        rcode: Rcode.NOERROR,
        name,
        type,
        finalName: name,
        answers: [
          { name, type: RRType.A, class: RRClass.IN, ttl: 5, data: { kind: "A", address: "198.51.100.7" } },
        ],
      };
    },
  });
  const listen = [{ key: "dns.listen", address: { host: "127.0.0.1", port: 0, family: 4 } as const }];
  const transports = new DnsTransports({
    listen,
    responder: () =>
      new Responder({ zones: () => zones, recursion, allowTransfer: new NetworkSet(["127.0.0.1"]) }),
    logger: silentLogger,
    tcpIdleTimeoutMs: idleMs,
  });
  await transports.start(listen);
  t.after(() => transports.stop(0));
  return { port: transports.bound[0]!.address.port, lookups: () => lookups };
}

async function open(t: TestContext, port: number): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1" });
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  t.after(() => socket.destroy());
  return socket;
}

/** Collects the messages `socket` receives. */
function collect(socket: Socket): { messages: Message[]; closed: Promise<void> } {
  const messages: Message[] = [];
  let buffer = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
      messages.push(decodeMessage(buffer.subarray(2, 2 + buffer.readUInt16BE(0))));
      buffer = buffer.subarray(2 + buffer.readUInt16BE(0));
    }
  });
  const closed = new Promise<void>((resolve) => {
    socket.once("close", () => {
      resolve();
    });
  });
  return { messages, closed };
}

describe("DnsTransports: answers that take time", () => {
  it("does not close a TCP connection as idle while a lookup is in progress (RFC 7766 §6.2.3)", async (t) => {
    const { port } = await server(t, 500, 200);
    const socket = await open(t, port);
    const { messages, closed } = collect(socket);
    socket.write(query(1, "slow.elsewhere."));
    await sleep(800);
    assert.deepEqual(
      messages.map((m) => [m.id, m.rcode]),
      [[1, Rcode.NOERROR]],
    );
    // Idle with nothing in progress: closed.
    await closed;
  });

  it("stops reading while too many lookups are in progress, and answers them all", async (t) => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { port, lookups } = await server(t, gate);
    const socket = await open(t, port);
    const { messages } = collect(socket);
    const count = DNS_LIMITS.tcpMaxPending + 8;
    socket.write(Buffer.concat(Array.from({ length: count }, (_, i) => query(i, `n${i}.elsewhere.`))));
    while (lookups() < DNS_LIMITS.tcpMaxPending) await sleep(10);
    await sleep(100);
    assert.equal(
      lookups(),
      DNS_LIMITS.tcpMaxPending,
      "no more lookups started while the first are in progress",
    );
    release();
    while (messages.length < count) await sleep(10);
    assert.deepEqual(new Set(messages.map((m) => m.id)).size, count);
  });

  it("answers a lookup over UDP when it is done", async (t) => {
    const { port } = await server(t, 50);
    const socket = createSocket("udp4");
    t.after(() => socket.close());
    const answer = new Promise<Buffer>((resolve) => socket.once("message", resolve));
    socket.send(query(9, "udp.elsewhere.").subarray(2), port, "127.0.0.1");
    const m = decodeMessage(await answer);
    assert.deepEqual([m.id, m.rcode, m.flags.ra], [9, Rcode.NOERROR, true]);
  });

  it("cuts a zone transfer to a client that stops reading, at the idle timeout", async (t) => {
    const { port } = await server(t, 0, 300);
    const socket = await open(t, port);
    socket.pause(); // reads nothing: the transfer fills the buffers and stalls
    socket.write(query(1, "big.test.", RRType.AXFR));
    await sleep(1_000);
    // What was sent before the stall, then the end: not the whole transfer.
    const { messages, closed } = collect(socket);
    socket.resume();
    await closed;
    const records = messages.reduce((n, m) => n + m.answers.length, 0);
    t.diagnostic(`${records} records before the cut`);
    assert.ok(records > 0 && records < BIG_RECORDS, `${records} of ${BIG_RECORDS} records before the cut`);
  });
});
