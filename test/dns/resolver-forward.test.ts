/**
 * The resolver forwarding to a Portico DNS server: answers, CNAME chains, the cache on an
 * injected clock, negative caching (RFC 2308), shared in-flight lookups, MX lookups
 * (RFC 5321 §5.1, RFC 7505) and failures that end in SERVFAIL, never in a hang.
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { test } from "node:test";
import { Resolver } from "../../src/dns/resolver/index.js";
import {
  EXAMPLE_ZONE,
  manualClock,
  startZoneServer,
  type ZoneServer,
} from "../../src/dns/resolver/test-support.js";
import { Rcode, RRType } from "../../src/dns/types.js";
import type { ResourceRecord } from "../../src/dns/types.js";

const addresses = (records: readonly ResourceRecord[]): string[] =>
  records.flatMap((r) => (r.data.kind === "A" || r.data.kind === "AAAA" ? [r.data.address] : []));

async function setup(t: { after: (fn: () => Promise<void>) => void }): Promise<{
  server: ZoneServer;
  resolver: Resolver;
  clock: ReturnType<typeof manualClock>;
}> {
  const server = await startZoneServer([["example.test.", EXAMPLE_ZONE]]);
  t.after(() => server.stop());
  const clock = manualClock();
  const resolver = new Resolver({
    forwarders: [server.address],
    clock: clock.now,
    timeoutMs: 500,
    deadlineMs: 3000,
  });
  return { server, resolver, clock };
}

test("forwarding: an answer, asked with RD, QNAME case kept", async (t) => {
  const { server, resolver } = await setup(t);
  const result = await resolver.resolve("WWW.example.test", RRType.A);
  assert.equal(result.rcode, Rcode.NOERROR);
  assert.equal(result.name, "WWW.example.test.");
  assert.deepEqual(addresses(result.answers), ["192.0.2.1"]);
  assert.equal(result.answers[0]?.ttl, 300);
  assert.match(server.queries[0] ?? "", /QUERY WWW\.example\.test\. IN A \+rd/);
});

test("forwarding: a CNAME chain comes with the answer", async (t) => {
  const { resolver } = await setup(t);
  const result = await resolver.resolve("alias2.example.test.", RRType.AAAA);
  assert.equal(result.rcode, Rcode.NOERROR);
  assert.deepEqual(
    result.answers.map((r) => [r.name, r.type]),
    [
      ["alias2.example.test.", RRType.CNAME],
      ["alias.example.test.", RRType.CNAME],
      ["www.example.test.", RRType.AAAA],
    ],
  );
  assert.equal(result.finalName, "www.example.test.");
});

test("cache: a second lookup asks nobody until the TTL has passed", async (t) => {
  const { server, resolver, clock } = await setup(t);
  await resolver.resolve("www.example.test.", RRType.A);
  clock.advance(100);
  const cached = await resolver.resolve("www.example.test.", RRType.A);
  assert.equal(server.queriesFor("www.example.test.").length, 1);
  assert.equal(cached.answers[0]?.ttl, 200, "the TTL counts down");
  clock.advance(200);
  await resolver.resolve("www.example.test.", RRType.A);
  assert.equal(server.queriesFor("www.example.test.").length, 2);

  // A chain is cached link by link: asking for its middle needs no query.
  await resolver.resolve("alias.example.test.", RRType.A);
  const before = server.queries.length;
  const middle = await resolver.resolve("alias.example.test.", RRType.A);
  assert.equal(server.queries.length, before);
  assert.equal(middle.answers.length, 2);

  // A short TTL expires on its own.
  await resolver.resolve("short.example.test.", RRType.A);
  clock.advance(4);
  await resolver.resolve("short.example.test.", RRType.A);
  assert.equal(server.queriesFor("short.example.test.").length, 1);
  clock.advance(1);
  await resolver.resolve("short.example.test.", RRType.A);
  assert.equal(server.queriesFor("short.example.test.").length, 2);
});

test("negative caching: NXDOMAIN for the name, NODATA per type, TTL min(SOA TTL, MINIMUM)", async (t) => {
  const { server, resolver, clock } = await setup(t);
  const nx = await resolver.resolve("nx.example.test.", RRType.A);
  assert.equal(nx.rcode, Rcode.NXDOMAIN);
  assert.equal(nx.soa?.name, "example.test.");
  assert.equal(nx.soa?.ttl, 60);
  // RFC 2308 §5: an NXDOMAIN answers every type of the name (and RFC 8020, every name below).
  assert.equal((await resolver.resolve("nx.example.test.", RRType.MX)).rcode, Rcode.NXDOMAIN);
  assert.equal((await resolver.resolve("deeper.nx.example.test.", RRType.A)).rcode, Rcode.NXDOMAIN);
  assert.equal(server.queriesFor("nx.example.test.").length, 1);
  assert.equal(server.queriesFor("deeper.nx.example.test.").length, 0);
  clock.advance(30);
  assert.equal((await resolver.resolve("nx.example.test.", RRType.A)).soa?.ttl, 30);
  clock.advance(30);
  await resolver.resolve("nx.example.test.", RRType.A);
  assert.equal(server.queriesFor("nx.example.test.").length, 2);

  const nodata = await resolver.resolve("www.example.test.", RRType.TXT);
  assert.equal(nodata.rcode, Rcode.NOERROR);
  assert.deepEqual(nodata.answers, []);
  assert.equal(nodata.soa?.ttl, 60);
  await resolver.resolve("www.example.test.", RRType.TXT);
  assert.equal(server.queriesFor("www.example.test.").length, 1);
  await resolver.resolve("www.example.test.", RRType.MX);
  assert.equal(server.queriesFor("www.example.test.").length, 2, "NODATA is per type");
});

test("in flight: concurrent lookups of one question share one upstream query", async (t) => {
  const { server, resolver } = await setup(t);
  const [a, b, c] = await Promise.all([
    resolver.resolve("www.example.test.", RRType.A),
    resolver.resolve("WWW.EXAMPLE.TEST.", RRType.A),
    resolver.resolve("www.example.test", RRType.A),
  ]);
  assert.equal(server.queriesFor("www.example.test.").length, 1);
  assert.deepEqual(addresses(a.answers), ["192.0.2.1"]);
  assert.deepEqual(a.answers, b.answers);
  assert.equal(b.name, "WWW.EXAMPLE.TEST.");
  assert.equal(c.name, "www.example.test.");
});

test("resolveMx: by preference with addresses; implicit MX; null MX; no such domain", async (t) => {
  const { resolver } = await setup(t);
  const mx = await resolver.resolveMx("example.test");
  assert.equal(mx.kind, "hosts");
  if (mx.kind !== "hosts") return;
  assert.equal(mx.implicit, false);
  assert.deepEqual(
    mx.hosts.map((h) => h.preference),
    [10, 10, 20],
  );
  assert.deepEqual(
    mx.hosts
      .slice(0, 2)
      .map((h) => h.exchange)
      .sort(),
    ["mx1.example.test.", "mx2.example.test."],
  );
  const mx2 = mx.hosts.find((h) => h.exchange === "mx2.example.test.");
  assert.deepEqual(mx2?.addresses, ["192.0.2.26", "2001:db8::26"]);
  assert.equal(mx2?.lookup, "ok");
  assert.deepEqual(mx.hosts[2], {
    exchange: "mx3.example.test.",
    preference: 20,
    addresses: ["192.0.2.27"],
    lookup: "ok",
  });

  const implicit = await resolver.resolveMx("nomx.example.test.");
  assert.deepEqual(implicit, {
    kind: "hosts",
    implicit: true,
    hosts: [
      {
        exchange: "nomx.example.test.",
        preference: 0,
        addresses: ["192.0.2.80", "2001:db8::80"],
        lookup: "ok",
      },
    ],
  });
  assert.deepEqual(await resolver.resolveMx("nullmx.example.test."), { kind: "null-mx" });
  assert.deepEqual(await resolver.resolveMx("nx.example.test."), { kind: "nxdomain" });
  const noaddr = await resolver.resolveMx("noaddr.example.test.");
  assert.equal(noaddr.kind === "hosts" && noaddr.hosts[0]?.lookup, "none");
});

test("failures end in SERVFAIL: REFUSED, a CNAME loop, forwarders that are gone or silent", async (t) => {
  const { server, resolver } = await setup(t);
  const refused = await resolver.resolve("www.elsewhere.test.", RRType.A);
  assert.equal(refused.rcode, Rcode.SERVFAIL);
  assert.match(refused.reason ?? "", /REFUSED/);
  const loop = await resolver.resolve("loop1.example.test.", RRType.A);
  assert.equal(loop.rcode, Rcode.SERVFAIL);
  assert.match(loop.reason ?? "", /loop/i);
  assert.deepEqual((await resolver.resolveMx("www.elsewhere.test.")).kind, "failed");

  // A closed port first (ICMP: refused at once), then the live server.
  const probe = createSocket("udp4");
  await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve));
  const closedPort = probe.address().port;
  await new Promise<void>((resolve) => {
    probe.close(() => {
      resolve();
    });
  });
  const fallback = new Resolver({
    forwarders: [{ host: "127.0.0.1", port: closedPort, family: 4 }, server.address],
    timeoutMs: 500,
  });
  assert.equal((await fallback.resolve("www.example.test.", RRType.A)).rcode, Rcode.NOERROR);

  // A forwarder that never answers: SERVFAIL by the deadline.
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
  const stuck = new Resolver({
    forwarders: [{ host: "127.0.0.1", port: silent.address().port, family: 4 }],
    timeoutMs: 100,
    deadlineMs: 250,
  });
  const started = Date.now();
  const result = await stuck.resolve("www.example.test.", RRType.A);
  assert.equal(result.rcode, Rcode.SERVFAIL);
  assert.ok(Date.now() - started < 1000, "ends by the deadline");
});

test("misuse: bad names, meta types and bad options throw", async () => {
  const resolver = new Resolver({ forwarders: [{ host: "127.0.0.1", port: 53, family: 4 }] });
  assert.throws(() => resolver.resolve("a..test.", RRType.A), TypeError);
  assert.throws(() => resolver.resolve("a.test.", RRType.ANY), RangeError);
  assert.throws(() => resolver.resolve("a.test.", 0), RangeError);
  assert.throws(() => new Resolver({ rootHints: [{ name: "a.root.", address: "not-an-ip" }] }), TypeError);
  assert.throws(() => new Resolver({ timeoutMs: 0 }), RangeError);
  await Promise.resolve();
});
