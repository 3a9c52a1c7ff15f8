import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { test } from "node:test";
import { ProtocolError, TimeoutError } from "../../core/errors.js";
import { decodeMessage, encodeMessage } from "../codec/index.js";
import { Rcode, RRType } from "../types.js";
import type { Message } from "../types.js";
import { QueryError } from "./errors.js";
import { queryMessage } from "./message.js";
import { query } from "./query.js";
import { responderHandler, startTestServer, zoneSet } from "./test-support.js";

const ZONE = `
$TTL 300
@     SOA ns1 hostmaster 1 3600 600 86400 60
@     NS  ns1
ns1   A   192.0.2.53
www   A   192.0.2.1
alias CNAME www
big   TXT ${Array.from({ length: 20 }, (_, i) => `"${String(i).padStart(3, "0")}${"x".repeat(90)}"`).join(" ")}
`;
const zones = zoneSet(["example.test.", ZONE]);

/** Active UDP/TCP handles of this process, to check that no socket is left open. */
function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "UDPWrap" || r === "TCPSocketWrap").length;
}

/** Lets closes started earlier (the previous test's servers, our own sockets) complete. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

/** A response to `q` built by hand (echoing its id), for servers that misbehave on purpose. */
function reply(q: Buffer, fields: Partial<Message> = {}): Uint8Array {
  const m = decodeMessage(q);
  return encodeMessage({
    ...m,
    flags: { ...m.flags, qr: true, aa: true },
    answers: [
      { name: m.questions[0]!.name, type: 1, class: 1, ttl: 60, data: { kind: "A", address: "192.0.2.99" } },
    ],
    ...fields,
  });
}

test("UDP: answer decoded, with size, time and transport", async (t) => {
  const server = await startTestServer(responderHandler(zones));
  t.after(() => server.close());
  const result = await query(server.address, queryMessage("www.example.test.", RRType.A), {
    transport: "udp",
  });
  assert.equal(result.transport, "udp");
  assert.equal(result.retriedOverTcp, false);
  assert.equal(result.message.rcode, Rcode.NOERROR);
  assert.equal(result.message.flags.aa, true);
  assert.deepEqual(result.message.answers[0]?.data, { kind: "A", address: "192.0.2.1" });
  assert.ok(result.size > 12);
  assert.ok(result.timeMs >= 0 && result.timeMs < 5000);
  assert.deepEqual(result.server, server.address);
});

test("TCP: two-byte length prefix both ways", async (t) => {
  const server = await startTestServer(responderHandler(zones));
  t.after(() => server.close());
  const result = await query(server.address, queryMessage("alias.example.test.", RRType.A), {
    transport: "tcp",
  });
  assert.equal(result.transport, "tcp");
  assert.equal(server.queries[0]?.transport, "tcp");
  assert.deepEqual(
    result.message.answers.map((r) => r.type),
    [RRType.CNAME, RRType.A],
  );
});

test("auto: a truncated UDP answer is asked again over TCP; udp returns it truncated", async (t) => {
  const server = await startTestServer(responderHandler(zones));
  t.after(() => server.close());
  const question = queryMessage("big.example.test.", RRType.TXT, { edns: false });
  const auto = await query(server.address, question);
  assert.equal(auto.transport, "tcp");
  assert.equal(auto.retriedOverTcp, true);
  assert.equal(auto.message.flags.tc, false);
  assert.equal(auto.message.answers.length, 1);
  assert.ok(auto.size > 512);
  assert.deepEqual(
    server.queries.map((q) => q.transport),
    ["udp", "tcp"],
  );
  const udpOnly = await query(server.address, question, { transport: "udp" });
  assert.equal(udpOnly.message.flags.tc, true);
  assert.equal(udpOnly.transport, "udp");
});

test("spoofing defence: wrong id, wrong question, non-responses and other ports are ignored", async (t) => {
  const forger = createSocket("udp4");
  await new Promise<void>((resolve) => forger.bind(0, "127.0.0.1", resolve));
  t.after(() => forger.close());
  const server = await startTestServer((q, _transport, remote) => {
    const id = q.readUInt16BE(0);
    const wrongId = Buffer.from(reply(q, { id: (id + 1) & 0xffff }));
    const wrongName = reply(q, { questions: [{ name: "evil.test.", type: 1, class: 1 }] });
    const wrongType = reply(q, { questions: [{ name: "www.example.test.", type: 28, class: 1 }] });
    const notResponse = Buffer.from(reply(q));
    notResponse[2]! &= 0x7f;
    // The right id and question, but from another port: the connected socket never sees it.
    forger.send(reply(q, { answers: [] }), remote.port, remote.address);
    // The genuine answer comes last, after every forgery had its chance.
    setTimeout(() => {
      server.udp.send(reply(q), remote.port, remote.address);
    }, 40);
    return [wrongId, wrongName, wrongType, notResponse];
  });
  t.after(() => server.close());
  const result = await query(server.address, queryMessage("WWW.Example.TEST.", RRType.A), {
    transport: "udp",
  });
  assert.deepEqual(result.message.answers[0]?.data, { kind: "A", address: "192.0.2.99" });
  assert.ok(result.timeMs >= 30);
});

test("the question matches case-insensitively; an error response may omit it", async (t) => {
  const server = await startTestServer((q) => {
    const m = decodeMessage(q);
    if (m.questions[0]!.name.startsWith("upper")) {
      return reply(q, { questions: [{ ...m.questions[0]!, name: m.questions[0]!.name.toUpperCase() }] });
    }
    return reply(q, { questions: [], answers: [], rcode: Rcode.FORMERR });
  });
  t.after(() => server.close());
  const upper = await query(server.address, queryMessage("upper.example.test.", RRType.A));
  assert.equal(upper.message.questions[0]?.name, "UPPER.EXAMPLE.TEST.");
  const formerr = await query(server.address, queryMessage("x.example.test.", RRType.A));
  assert.equal(formerr.message.rcode, Rcode.FORMERR);
});

test("timeout: each try has a fresh id and source port; TimeoutError after retries; sockets closed", async (t) => {
  const server = await startTestServer(() => undefined);
  t.after(() => server.close());
  await settle();
  const before = openSockets();
  const started = Date.now();
  await assert.rejects(
    query(server.address, queryMessage("www.example.test.", RRType.A), { timeoutMs: 60, retries: 2 }),
    (error: unknown) => error instanceof TimeoutError && /3 tries/.test(error.message),
  );
  assert.ok(Date.now() - started >= 150);
  assert.equal(server.queries.length, 3);
  const ids = new Set(server.queries.map((q) => q.bytes.readUInt16BE(0)));
  const ports = new Set(server.queries.map((q) => q.port));
  assert.ok(ids.size >= 2, "ids vary");
  assert.ok(ports.size >= 2, "source ports vary");
  await settle();
  assert.equal(openSockets(), before);
});

test("only undecodable replies with our id: ProtocolError when the time is up", async (t) => {
  const server = await startTestServer((q) =>
    Buffer.concat([q.subarray(0, 2), Buffer.from([0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0])]),
  );
  t.after(() => server.close());
  await assert.rejects(
    query(server.address, queryMessage("www.example.test.", RRType.A), { timeoutMs: 50, retries: 0 }),
    ProtocolError,
  );
});

test("UDP to a closed port: QueryError at once, not a timeout", async () => {
  const probe = createSocket("udp4");
  await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve));
  const port = probe.address().port;
  await new Promise<void>((resolve) => {
    probe.close(() => {
      resolve();
    });
  });
  const started = Date.now();
  await assert.rejects(
    query({ host: "127.0.0.1", port, family: 4 }, queryMessage("www.example.test.", RRType.A), {
      timeoutMs: 3000,
    }),
    (error: unknown) => error instanceof QueryError && /refused/.test(error.message),
  );
  assert.ok(Date.now() - started < 2000);
});

test("TCP: refused, closed without an answer, or a mismatched answer", async (t) => {
  // resume(): a socket nobody reads never sees the client's FIN, and never closes.
  const closer = createServer((socket) => socket.resume().end());
  await new Promise<void>((resolve) => closer.listen(0, "127.0.0.1", resolve));
  const info = closer.address();
  const port = typeof info === "object" && info ? info.port : 0;
  const question = queryMessage("www.example.test.", RRType.A);
  await assert.rejects(
    query({ host: "127.0.0.1", port, family: 4 }, question, { transport: "tcp" }),
    ProtocolError,
  );

  const liar = await startTestServer((q) => reply(q, { id: (q.readUInt16BE(0) + 1) & 0xffff }));
  t.after(() => liar.close());
  await assert.rejects(query(liar.address, question, { transport: "tcp" }), ProtocolError);

  await new Promise<void>((resolve) => {
    closer.close(() => {
      resolve();
    });
  });
  await assert.rejects(
    query({ host: "127.0.0.1", port, family: 4 }, question, { transport: "tcp" }),
    QueryError,
  );
});

test("TCP: silence ends in a TimeoutError", async (t) => {
  const silent = createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    silent.close();
  });

  const info = silent.address();
  const port = typeof info === "object" && info ? info.port : 0;
  await settle();
  const before = openSockets();
  await assert.rejects(
    query({ host: "127.0.0.1", port, family: 4 }, queryMessage("a.test.", RRType.A), {
      transport: "tcp",
      timeoutMs: 80,
    }),
    TimeoutError,
  );
  await settle();
  assert.equal(openSockets(), before);
});

test("abort: rejects with the signal's reason and closes the socket", async (t) => {
  const server = await startTestServer(() => undefined);
  t.after(() => server.close());
  await settle();
  const before = openSockets();
  const controller = new AbortController();
  const pending = query(server.address, queryMessage("www.example.test.", RRType.A), {
    signal: controller.signal,
  });
  setTimeout(() => {
    controller.abort(new Error("stop"));
  }, 20);
  await assert.rejects(pending, /stop/);
  await settle();
  assert.equal(openSockets(), before);
  await assert.rejects(
    query(server.address, queryMessage("www.example.test.", RRType.A), {
      signal: AbortSignal.abort(new Error("early")),
    }),
    /early/,
  );
});

test("misuse: bad options are TypeError/RangeError", async () => {
  const server = { host: "127.0.0.1", port: 53, family: 4 } as const;
  const q = queryMessage("a.test.", RRType.A);
  await assert.rejects(query(server, q, { timeoutMs: 0 }), RangeError);
  await assert.rejects(query(server, q, { retries: -1 }), RangeError);
  await assert.rejects(query(server, q, { transport: "quic" as "udp" }), TypeError);
  await assert.rejects(query({ ...server, port: 0 }, q), RangeError);
  await assert.rejects(query({ ...server, host: "localhost" }, q), TypeError);
  await assert.rejects(query(server, queryMessage("a..test.", RRType.A)), TypeError);
});

test("queryMessage: RD and EDNS 1232 by default, like dig", () => {
  const m = queryMessage("a.test.", RRType.MX);
  assert.equal(m.flags.rd, true);
  assert.equal(m.edns?.udpPayloadSize, 1232);
  assert.deepEqual(m.questions, [{ name: "a.test.", type: RRType.MX, class: 1 }]);
  const plain = queryMessage("a.test.", RRType.A, { rd: false, edns: false, class: 3 });
  assert.equal(plain.flags.rd, false);
  assert.equal(plain.edns, undefined);
  assert.equal(plain.questions[0]?.class, 3);
});

test("IPv6: a server on ::1, named in a non-canonical form, is answered and matched", async (t) => {
  const socket = createSocket("udp6");
  const bound = await new Promise<boolean>((resolve) => {
    socket.once("error", () => {
      resolve(false);
    });
    socket.bind(0, "::1", () => {
      resolve(true);
    });
  });
  if (!bound) {
    socket.close();
    t.skip("no IPv6 loopback on this machine");
    return;
  }
  t.after(() => socket.close());
  const handler = responderHandler(zones);
  socket.on("message", (q: Buffer, remote) => {
    const response = handler(q, "udp", remote);
    if (response instanceof Uint8Array) socket.send(response, remote.port, remote.address);
  });
  const result = await query(
    { host: "0:0:0::1", port: socket.address().port, family: 6 },
    queryMessage("www.example.test.", RRType.A),
  );
  assert.deepEqual(result.message.answers[0]?.data, { kind: "A", address: "192.0.2.1" });
});
