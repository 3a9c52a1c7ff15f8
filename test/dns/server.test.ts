/**
 * Conformance of Portico's DNS server on the wire, with BIND's `dig` as the client where it
 * can say the thing (and raw bytes where no proper client would): error rcodes, EDNS,
 * unknown types, truncation and TCP fallback, RFC 7766 pipelining and idle timeouts, and
 * survival of a garbage flood.
 *
 * Needs `dig` (Debian's bind9-dnsutils): skipped without it, except in CI (`CI` set), where
 * it fails.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../../src/core/log.js";
import { decodeMessage } from "../../src/dns/codec/index.js";
import { Responder } from "../../src/dns/server/responder.js";
import { DnsTransports } from "../../src/dns/server/transport.js";
import { loadZones, startDnsService, type DnsService } from "../../src/dns/service.js";
import { Rcode, RRClass, RRType } from "../../src/dns/types.js";
import { dig, records } from "./support/dig.js";
import {
  buildQuery,
  closed,
  connectTcp,
  exchangeTcp,
  exchangeUdp,
  framed,
  readTcpMessages,
} from "./support/wire.js";

const TESTDATA = join(import.meta.dirname, "../../../test/dns/testdata");
const ZONE_FILES = readdirSync(TESTDATA)
  .filter((f) => f.endsWith(".zone"))
  .map((f) => join(TESTDATA, f));

const HAVE_DIG = spawnSync("dig", ["-v"]).status === 0;
const skip = HAVE_DIG ? false : "dig is not installed (apt-get install bind9-dnsutils)";
if (!HAVE_DIG && process.env.CI) throw new Error("dig is not installed; .ci/run must install bind9-dnsutils");

/** A 12-byte header: id, flags word, and the four counts. */
function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  b.writeUInt16BE(ns, 8);
  b.writeUInt16BE(ar, 10);
  return b;
}

/** The question `www.example.test. IN A` in wire form. */
const WWW_QUESTION = Buffer.concat([
  Buffer.from("\x03www\x07example\x04test\x00", "latin1"),
  Buffer.from([0, 1, 0, 1]),
]);

/** A seeded PRNG (mulberry32), so a failing flood can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

void describe("DNS server conformance", { skip }, () => {
  let service: DnsService;
  let port: number;

  before(async () => {
    service = await startDnsService(
      {
        listen: [{ host: "127.0.0.1", port: 0, family: 4 }],
        zones: ZONE_FILES,
        recursion: false,
        forwarders: [],
      },
      { watchZones: false },
    );
    port = service.endpoints[0]!.address.port;
  });
  after(() => service.stop(0));

  void it("answers dig with the data, AA set and the zone's NS in authority", async () => {
    const r = await dig(port, ["www.example.test", "A"]);
    assert.equal(r.status, "NOERROR", r.text);
    assert.ok(r.flags.has("aa") && r.flags.has("qr") && r.flags.has("rd") && !r.flags.has("ra"), r.text);
    assert.deepEqual([...records(r, "ANSWER")].sort(), [
      "www.example.test. 3600 IN A 192.0.2.80",
      "www.example.test. 3600 IN A 192.0.2.81",
    ]);
    assert.deepEqual([...records(r, "AUTHORITY")].sort(), [
      "example.test. 3600 IN NS ns1.example.test.",
      "example.test. 3600 IN NS ns2.other.test.",
    ]);
  });

  void it("answers malformed queries with FORMERR, over UDP and TCP (RFC 1035 §4.1.1)", async () => {
    const malformed: [string, Buffer][] = [
      ["a header promising a question that is not there", header(0x1001, 0x0100, 1)],
      ["counts beyond the data", Buffer.concat([header(0x1002, 0, 1, 3, 2, 9), WWW_QUESTION])],
      ["a question cut short", Buffer.concat([header(0x1003, 0, 1), WWW_QUESTION.subarray(0, 9)])],
      [
        "a reserved label type (0x40)",
        Buffer.concat([header(0x1004, 0, 1), Buffer.from([0x41, 0x61, 0, 0, 1, 0, 1])]),
      ],
      [
        "a compression pointer to itself",
        Buffer.concat([header(0x1005, 0, 1), Buffer.from([0xc0, 12, 0, 1, 0, 1])]),
      ],
      [
        "a name over 255 octets",
        Buffer.concat([
          header(0x1006, 0, 1),
          ...Array.from({ length: 5 }, () => Buffer.from([63, ...Buffer.alloc(63, 0x61)])),
          Buffer.from([0, 0, 1, 0, 1]),
        ]),
      ],
      ["bytes after the question", Buffer.concat([header(0x1007, 0, 1), WWW_QUESTION, Buffer.from("junk")])],
      ["no question", header(0x1008, 0, 0)],
      ["two questions", Buffer.concat([header(0x1009, 0, 2), WWW_QUESTION, WWW_QUESTION])],
      [
        "random bytes",
        Buffer.concat([
          header(0x100a, 0x0000, 0xffff, 0xffff, 0xffff, 0xffff),
          Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 97 + 13) & 0xff)),
        ]),
      ],
    ];
    for (const [what, bytes] of malformed) {
      for (const transport of ["udp", "tcp"] as const) {
        const raw = await (transport === "udp" ? exchangeUdp(port, bytes) : exchangeTcp(port, bytes));
        const response = decodeMessage(raw);
        assert.equal(response.id, bytes.readUInt16BE(0), `${what} over ${transport}`);
        assert.equal(response.flags.qr, true, `${what} over ${transport}`);
        assert.equal(response.rcode, Rcode.FORMERR, `${what} over ${transport}`);
        assert.equal(response.answers.length + response.authority.length, 0, `${what} over ${transport}`);
      }
    }
  });

  void it("does not answer responses or fragments shorter than a header", async () => {
    const response = Buffer.concat([header(0x2001, 0x8000, 1), WWW_QUESTION]);
    await assert.rejects(exchangeUdp(port, response, { timeoutMs: 300, tries: 1 }), /no UDP response/);
    await assert.rejects(
      exchangeUdp(port, Buffer.from([0x20, 0x02, 0]), { timeoutMs: 300, tries: 1 }),
      /no UDP response/,
    );
  });

  void it("answers an unknown opcode with NOTIMP", async () => {
    for (const opcode of ["2", "3", "5", "15"]) {
      const r = await dig(port, [`+opcode=${opcode}`, "+noedns", "www.example.test"]);
      assert.equal(r.status, "NOTIMP", r.text);
      assert.ok(r.flags.has("qr"), r.text);
    }
  });

  void it("answers EDNS version 1 with BADVERS and its own version 0 (RFC 6891 §6.1.3)", async () => {
    const r = await dig(port, ["+edns=1", "+noednsneg", "www.example.test"]);
    assert.equal(r.status, "BADVERS", r.text);
    assert.ok(
      r.opt?.some((l) => l.startsWith("EDNS: version: 0,")),
      r.text,
    );
    assert.equal(records(r, "ANSWER").length, 0);
  });

  void it("ignores unknown EDNS options and flags, and echoes DO (RFC 6891 §6.1.2, RFC 3225)", async () => {
    const r = await dig(port, [
      "+ednsopt=65001:c0ffee",
      "+ednsopt=65002",
      "+ednsflags=0x7f00",
      "+dnssec",
      "www.example.test",
      "A",
    ]);
    assert.equal(r.status, "NOERROR", r.text);
    assert.equal(records(r, "ANSWER").length, 2, r.text);
    assert.ok(
      r.opt?.some((l) => /^EDNS: version: 0, flags: do; udp: 1232$/.test(l)),
      r.text,
    );
  });

  void it("answers an unknown type with NODATA, or with the data it has (RFC 3597)", async () => {
    const nodata = await dig(port, ["www.example.test", "TYPE65000"]);
    assert.equal(nodata.status, "NOERROR", nodata.text);
    assert.ok(nodata.flags.has("aa"));
    assert.equal(records(nodata, "ANSWER").length, 0);
    assert.match(
      records(nodata, "AUTHORITY").join("\n"),
      /^example\.test\. 300 IN SOA ns1\.example\.test\. /,
    );
    const data = await dig(port, ["generic.example.test", "TYPE65280"]);
    assert.equal(data.status, "NOERROR", data.text);
    assert.deepEqual([...records(data, "ANSWER")].sort(), [
      "generic.example.test. 3600 IN TYPE65280 \\# 0",
      "generic.example.test. 3600 IN TYPE65280 \\# 4 0A000001",
    ]);
  });

  void it("refuses names outside its zones, saying why (RFC 8906 §3.1.1, RFC 8914)", async () => {
    for (const name of ["www.outside.example", "test", "."]) {
      const r = await dig(port, [name, "A"]);
      assert.equal(r.status, "REFUSED", r.text);
      assert.ok(!r.flags.has("aa"), r.text);
      assert.ok(
        r.opt?.some((l) => l.startsWith("EDE: 20")),
        r.text,
      );
    }
  });

  void it("sets TC over UDP without EDNS for an answer over 512 bytes; TCP has it all", async () => {
    const udp = await dig(port, ["+noedns", "+ignore", "mid.example.test", "TXT"]);
    assert.equal(udp.status, "NOERROR", udp.text);
    assert.ok(udp.flags.has("tc"), udp.text);
    assert.equal(records(udp, "ANSWER").length, 0);
    // dig itself retries over TCP on TC.
    const retried = await dig(port, ["+noedns", "mid.example.test", "TXT"]);
    assert.ok(retried.retriedOverTcp, retried.text);
    assert.equal(records(retried, "ANSWER").length, 3, retried.text);
    assert.ok(!retried.flags.has("tc"));
    const tcp = await dig(port, ["+tcp", "+noedns", "big.example.test", "TXT"]);
    assert.equal(records(tcp, "ANSWER").length, 8, tcp.text);
    // With EDNS, 1232 bytes fit mid's answer but not big's.
    const edns = await dig(port, ["+ignore", "+bufsize=4096", "mid.example.test", "TXT"]);
    assert.ok(!edns.flags.has("tc"), edns.text);
    const bigUdp = await dig(port, ["+ignore", "+bufsize=4096", "big.example.test", "TXT"]);
    assert.ok(bigUdp.flags.has("tc"), bigUdp.text);
  });

  void it("answers several queries on one TCP connection, pipelined (RFC 7766 §6.2.1.1)", async () => {
    const names = [
      "www.example.test.",
      "mail.example.test.",
      "nothere.example.test.",
      "deleg.example.test.",
      "www.other.test.",
    ];
    const queries = names.map((name, i) =>
      buildQuery({ id: 0x3000 + i, name, type: RRType.A, class: RRClass.IN }),
    );
    const socket = await connectTcp(port);
    try {
      // All at once in one segment…
      const reading = readTcpMessages(socket, names.length);
      socket.write(Buffer.concat(queries.map(framed)));
      const responses = (await reading).map((r) => decodeMessage(r));
      assert.deepEqual(
        responses.map((r) => r.id).sort(),
        queries.map((_, i) => 0x3000 + i),
      );
      const byId = new Map(responses.map((r) => [r.id, r]));
      assert.equal(byId.get(0x3000)!.answers.length, 2);
      assert.equal(byId.get(0x3002)!.rcode, Rcode.NXDOMAIN);
      assert.equal(byId.get(0x3003)!.flags.aa, false); // a referral
      // …then one byte at a time, on the same connection.
      const slow = framed(
        buildQuery({ id: 0x3100, name: "ns1.example.test.", type: RRType.AAAA, class: RRClass.IN }),
      );
      const next = readTcpMessages(socket, 1);
      for (const byte of slow) {
        socket.write(Uint8Array.of(byte));
        await sleep(1);
      }
      const [one] = await next;
      assert.equal(decodeMessage(one!).answers[0]?.data.kind, "AAAA");
    } finally {
      socket.destroy();
    }
    // dig's +keepopen sends its queries one after another on one connection.
    const r = await dig(port, [
      "+tcp",
      "+keepopen",
      "www.example.test",
      "A",
      "mail.example.test",
      "AAAA",
      "ns1.example.test",
      "A",
    ]);
    assert.equal(r.text.match(/status: NOERROR/g)?.length, 3, r.text);
  });

  void it("keeps answering through a flood of garbage on UDP and TCP", async () => {
    const random = prng(0x5eed);
    const bytes = (n: number): Buffer =>
      Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const udp = createSocket("udp4");
    udp.on("message", () => undefined); // FORMERR replies to the garbage that looked like a query
    await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
    try {
      for (let i = 0; i < 3000; i++) {
        const packet = bytes(Math.floor(random() * 600));
        if (packet.length > 2 && random() < 0.5) packet[2]! &= 0x7f; // clear QR half the time: more gets parsed
        udp.send(packet, port, "127.0.0.1");
        if (i % 200 === 199) await sleep(5); // let the socket buffers drain a little
      }
    } finally {
      udp.close();
    }
    const tcpFlood = Array.from({ length: 100 }, async () => {
      const socket = await connectTcp(port);
      socket.on("error", () => undefined);
      socket.on("data", () => undefined);
      socket.end(bytes(Math.floor(random() * 3000)));
      await closed(socket, 15_000).catch(() => socket.destroy());
    });
    await Promise.all(tcpFlood);
    for (const exchange of [exchangeUdp, exchangeTcp]) {
      const response = decodeMessage(
        await exchange(
          port,
          buildQuery({ id: 0x4000, name: "www.example.test.", type: RRType.A, class: RRClass.IN }),
        ),
      );
      assert.equal(response.rcode, Rcode.NOERROR);
      assert.equal(response.answers.length, 2);
    }
    const r = await dig(port, ["www.example.test", "A"]);
    assert.equal(r.status, "NOERROR", r.text);
  });
});

void describe("DNS server TCP idle timeout", () => {
  void it("closes a connection that sends part of a message and stalls (RFC 7766 §6.2.3)", async (t) => {
    const zones = loadZones(ZONE_FILES);
    const transports = new DnsTransports({
      listen: [{ key: "dns.listen", address: { host: "127.0.0.1", port: 0, family: 4 } }],
      responder: () => new Responder({ zones: () => zones }),
      logger: silentLogger,
      tcpIdleTimeoutMs: 300,
    });
    await transports.start([{ key: "dns.listen", address: { host: "127.0.0.1", port: 0, family: 4 } }]);
    t.after(() => transports.stop(0));
    const port = transports.bound[0]!.address.port;

    // A whole query first (answered), then a length prefix and half a message.
    const socket = await connectTcp(port);
    t.after(() => socket.destroy());
    const query = framed(
      buildQuery({ id: 0x5000, name: "www.example.test.", type: RRType.A, class: RRClass.IN }),
    );
    const reading = readTcpMessages(socket, 1);
    socket.write(query);
    assert.equal(decodeMessage((await reading)[0]!).id, 0x5000);
    const started = Date.now();
    socket.write(query.subarray(0, 10));
    await closed(socket, 3000);
    const waited = Date.now() - started;
    assert.ok(waited >= 250, `closed after ${waited} ms, before the idle timeout`);

    // A connection that never sends anything is closed too.
    const silent = await connectTcp(port);
    t.after(() => silent.destroy());
    await closed(silent, 3000);
  });
});
