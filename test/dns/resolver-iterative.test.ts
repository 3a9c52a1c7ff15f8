/**
 * Iterative resolution (RFC 1034 §5.3.3) through two Portico DNS servers: "root" serves the
 * root zone, "tld" serves test. and other. A third, smaller server (the Responder on a test
 * socket) serves sub.test., and a scripted one evil. The zones name made-up addresses; the
 * resolver's `addressMap` test hook sends them to the servers' real sockets.
 *
 *   .          root  (192.0.2.1)  delegates test. (glue), other. (no glue), evil., loop*.
 *   test.      tld   (192.0.2.2)  delegates sub.test. (glue 192.0.2.3)
 *   other.     tld                served by ns2.nic.test., which has no glue in the root
 *   sub.test.  sub   (192.0.2.3)
 *   evil.      evil  (192.0.2.9)  tries to poison the cache
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { test } from "node:test";
import type { SocketAddress } from "../../src/core/address.js";
import {
  responderHandler,
  startTestServer,
  zoneSet,
  type TestServer,
} from "../../src/dns/client/test-support.js";
import { decodeMessage, encodeMessage } from "../../src/dns/codec/index.js";
import { Resolver } from "../../src/dns/resolver/index.js";
import { startZoneServer, type ZoneServer } from "../../src/dns/resolver/test-support.js";
import { Rcode, RRType } from "../../src/dns/types.js";
import type { ResourceRecord } from "../../src/dns/types.js";

const ROOT_ZONE = `
$TTL 86400
@                   SOA  a.root-servers.net. hostmaster.root-servers.net. 1 1800 900 604800 86400
@                   NS   a.root-servers.net.
a.root-servers.net. A    192.0.2.1
test.               NS   ns1.nic.test.
ns1.nic.test.       A    192.0.2.2
other.              NS   ns2.nic.test.
evil.               NS   ns.evil.
ns.evil.            A    192.0.2.9
loopa.              NS   ns.loopb.
loopb.              NS   ns.loopa.
`;

const TEST_ZONE = `
$TTL 3600
@             SOA   ns1.nic hostmaster.nic 1 3600 600 86400 300
@             NS    ns1.nic
ns1.nic       A     192.0.2.2
ns2.nic       A     192.0.2.2
www           A     192.0.2.80
www           AAAA  2001:db8::80
Mixed.Case    A     192.0.2.81
away          CNAME www.other.
@             MX    10 mx.sub
sub           NS    ns.sub
ns.sub        A     192.0.2.3
`;

const OTHER_ZONE = `
$TTL 3600
@    SOA  ns2.nic.test. hostmaster.nic.test. 1 3600 600 86400 300
@    NS   ns2.nic.test.
www  A    198.51.100.10
`;

const SUB_ZONE = `
$TTL 600
@    SOA  ns.sub.test. hostmaster.sub.test. 1 3600 600 86400 120
@    NS   ns.sub.test.
ns   A    192.0.2.3
mx   A    192.0.2.25
host A    192.0.2.30
`;

interface World {
  readonly root: ZoneServer;
  readonly tld: ZoneServer;
  readonly sub: TestServer;
  readonly evil: TestServer;
  readonly map: Map<string, SocketAddress>;
  resolver(options?: { deadlineMs?: number }): Resolver;
}

const rr = (name: string, type: number, data: ResourceRecord["data"]): ResourceRecord => ({
  name,
  type,
  class: 1,
  ttl: 3600,
  data,
});

async function world(t: { after: (fn: () => Promise<void>) => void }): Promise<World> {
  const root = await startZoneServer([[".", ROOT_ZONE]]);
  t.after(() => root.stop());
  const tld = await startZoneServer([
    ["test.", TEST_ZONE],
    ["other.", OTHER_ZONE],
  ]);
  t.after(() => tld.stop());
  const sub = await startTestServer(responderHandler(zoneSet(["sub.test.", SUB_ZONE])));
  t.after(() => sub.close());
  // evil.'s server answers for evil. and also slips in records for names it does not own.
  const evil = await startTestServer((query) => {
    const q = decodeMessage(query);
    const question = q.questions[0]!;
    const lying = question.name.toLowerCase() === "www.evil.";
    return encodeMessage({
      ...q,
      flags: { ...q.flags, qr: true, aa: lying },
      answers: lying
        ? [
            rr(question.name, RRType.A, { kind: "A", address: "192.0.2.66" }),
            rr("www.test.", RRType.A, { kind: "A", address: "203.0.113.66" }),
          ]
        : [],
      // A sideways "referral" for anything else; for www.evil., forged authority for test.
      authority: [rr("test.", RRType.NS, { kind: "NS", target: "ns.evil." })],
      additional: [rr("ns1.nic.test.", RRType.A, { kind: "A", address: "203.0.113.66" })],
    });
  });
  t.after(() => evil.close());
  const map = new Map<string, SocketAddress>([
    ["192.0.2.1", root.address],
    ["192.0.2.2", tld.address],
    ["192.0.2.3", sub.address],
    ["192.0.2.9", evil.address],
  ]);
  return {
    root,
    tld,
    sub,
    evil,
    map,
    resolver: (options = {}) =>
      new Resolver({
        rootHints: [{ name: "a.root-servers.net.", address: "192.0.2.1" }],
        addressMap: map,
        timeoutMs: 400,
        deadlineMs: options.deadlineMs ?? 4000,
      }),
  };
}

const addresses = (records: readonly ResourceRecord[]): string[] =>
  records.flatMap((r) => (r.data.kind === "A" || r.data.kind === "AAAA" ? [r.data.address] : []));

test("iterative: root → test. referral → answer, without RD; QNAME case kept", async (t) => {
  const w = await world(t);
  const resolver = w.resolver();
  const result = await resolver.resolve("www.TEST.", RRType.A);
  assert.equal(result.rcode, Rcode.NOERROR);
  assert.deepEqual(addresses(result.answers), ["192.0.2.80"]);
  assert.equal(w.root.queries.length, 1);
  assert.match(w.root.queries[0] ?? "", /QUERY www\.TEST\. IN A/);
  assert.doesNotMatch(w.root.queries[0] ?? "", /\+rd/);
  assert.equal(w.tld.queriesFor("www.test.").length, 1);

  // The delegation is cached: the next name in test. goes straight to its server.
  const mixed = await resolver.resolve("mixed.case.test.", RRType.A);
  assert.deepEqual(addresses(mixed.answers), ["192.0.2.81"]);
  assert.equal(w.root.queries.length, 1);
});

test("iterative: two levels of referral (test. → sub.test.), and MX lookups through them", async (t) => {
  const w = await world(t);
  const resolver = w.resolver();
  const host = await resolver.resolve("host.sub.test.", RRType.A);
  assert.deepEqual(addresses(host.answers), ["192.0.2.30"]);
  assert.equal(w.root.queriesFor("host.sub.test.").length, 1);
  assert.equal(w.tld.queriesFor("host.sub.test.").length, 1);
  assert.equal(w.sub.queries.length, 1);
  const mx = await resolver.resolveMx("test.");
  assert.deepEqual(mx, {
    kind: "hosts",
    implicit: false,
    hosts: [{ exchange: "mx.sub.test.", preference: 10, addresses: ["192.0.2.25"], lookup: "ok" }],
  });
  const nx = await resolver.resolve("nothing.sub.test.", RRType.A);
  assert.equal(nx.rcode, Rcode.NXDOMAIN);
  assert.equal(nx.soa?.name, "sub.test.");
  assert.equal(nx.soa?.ttl, 120);
});

test("iterative: a name server without glue is looked up first (other. → ns2.nic.test.)", async (t) => {
  const w = await world(t);
  const result = await w.resolver().resolve("www.other.", RRType.A);
  assert.equal(result.rcode, Rcode.NOERROR);
  assert.deepEqual(addresses(result.answers), ["198.51.100.10"]);
  assert.equal(w.tld.queriesFor("ns2.nic.test.").length, 1);
});

test("bailiwick: a CNAME target in another zone is not taken from test.'s server", async (t) => {
  const w = await world(t);
  const result = await w.resolver().resolve("away.test.", RRType.A);
  assert.equal(result.rcode, Rcode.NOERROR);
  assert.deepEqual(
    result.answers.map((r) => [r.name, r.type]),
    [
      ["away.test.", RRType.CNAME],
      ["www.other.", RRType.A],
    ],
  );
  // The tld server sent www.other.'s address along, but as test.'s server it may not speak
  // for other.: the resolver asked other.'s server (the same process, as it happens) itself.
  assert.equal(w.tld.queriesFor("www.other.").length, 1);
  assert.equal(w.root.queriesFor("www.other.").length, 1);
});

test("bailiwick: a server's records for names outside its zone never reach the cache", async (t) => {
  const w = await world(t);
  const resolver = w.resolver();
  const evil = await resolver.resolve("www.evil.", RRType.A);
  assert.deepEqual(addresses(evil.answers), ["192.0.2.66"]);
  const victim = await resolver.resolve("www.test.", RRType.A);
  assert.deepEqual(addresses(victim.answers), ["192.0.2.80"]);
  // Its sideways referral (test. from evil.'s server) is lame: SERVFAIL, nothing cached.
  const lame = await resolver.resolve("other.evil.", RRType.A);
  assert.equal(lame.rcode, Rcode.SERVFAIL);
  assert.match(lame.reason ?? "", /referral to test\./);
});

test("loops and dead servers end in SERVFAIL, within the deadline", async (t) => {
  const w = await world(t);
  const loop = await w.resolver().resolve("www.loopa.", RRType.A);
  assert.equal(loop.rcode, Rcode.SERVFAIL);

  const silent = createSocket("udp4");
  await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        silent.close(() => {
          resolve();
        });
      }),
  );
  const dead = new Resolver({
    rootHints: [{ name: "a.root-servers.net.", address: "192.0.2.1" }],
    addressMap: new Map([["192.0.2.1", { host: "127.0.0.1", port: silent.address().port, family: 4 }]]),
    timeoutMs: 100,
    deadlineMs: 300,
  });
  const started = Date.now();
  const result = await dead.resolve("www.test.", RRType.A);
  assert.equal(result.rcode, Rcode.SERVFAIL);
  assert.ok(Date.now() - started < 1500);
});
