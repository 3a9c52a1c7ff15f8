import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResourceRecord } from "../types.js";
import { effectiveTtl, negativeTtl, Rank, RecordCache } from "./cache.js";

function a(name: string, address: string, ttl = 300): ResourceRecord {
  return { name, type: 1, class: 1, ttl, data: { kind: "A", address } };
}

function soa(ttl: number, minimum: number): ResourceRecord {
  return {
    name: "example.test.",
    type: 6,
    class: 1,
    ttl,
    data: {
      kind: "SOA",
      mname: "ns.example.test.",
      rname: "h.example.test.",
      serial: 1,
      refresh: 1,
      retry: 1,
      expire: 1,
      minimum,
    },
  };
}

function setup(options: { maxEntries?: number; maxTtl?: number; maxNegativeTtl?: number } = {}) {
  let now = 1_000_000;
  const cache = new RecordCache({
    maxEntries: options.maxEntries ?? 100,
    maxTtl: options.maxTtl ?? 86_400,
    maxNegativeTtl: options.maxNegativeTtl ?? 10_800,
    clock: () => now,
  });
  return {
    cache,
    advance: (seconds: number): void => {
      now += seconds * 1000;
    },
  };
}

test("an RRset lives for its smallest TTL, names compared without case, TTLs aged", () => {
  const { cache, advance } = setup();
  cache.putRRset(
    [a("WWW.Example.test.", "192.0.2.1", 300), a("www.example.test.", "192.0.2.2", 200)],
    Rank.answer,
  );
  const hit = cache.get("www.EXAMPLE.test.", 1, Rank.answer);
  assert.equal(hit?.kind, "rrset");
  assert.deepEqual(hit.kind === "rrset" && hit.records.map((r) => [r.name, r.ttl]), [
    ["WWW.Example.test.", 200],
    ["www.example.test.", 200],
  ]);
  advance(150);
  const later = cache.getRRset("www.example.test.", 1, Rank.answer);
  assert.deepEqual(
    later?.map((r) => r.ttl),
    [50, 50],
  );
  advance(50);
  assert.equal(cache.get("www.example.test.", 1, Rank.answer), undefined);
  assert.equal(cache.size, 0, "an expired entry is dropped when touched");
});

test("TTL 0 and TTLs with the top bit set (RFC 2181 §8) are not cached; long TTLs are capped", () => {
  const { cache, advance } = setup({ maxTtl: 3600 });
  cache.putRRset([a("zero.test.", "192.0.2.1", 0)], Rank.answer);
  cache.putRRset([a("huge.test.", "192.0.2.1", 0x80000000)], Rank.answer);
  assert.equal(cache.size, 0);
  assert.equal(effectiveTtl(0x80000000), 0);
  cache.putRRset([a("long.test.", "192.0.2.1", 7 * 86_400)], Rank.answer);
  assert.equal(cache.getRRset("long.test.", 1, Rank.answer)?.[0]?.ttl, 3600);
  advance(3600);
  assert.equal(cache.getRRset("long.test.", 1, Rank.answer), undefined);
});

test("ranks: lower-ranked data never replaces live higher-ranked data, and is not an answer", () => {
  const { cache, advance } = setup();
  cache.putRRset([a("ns.test.", "192.0.2.53")], Rank.glue);
  assert.equal(cache.get("ns.test.", 1, Rank.answer), undefined);
  assert.ok(cache.getRRset("ns.test.", 1, Rank.glue));
  cache.putRRset([a("ns.test.", "192.0.2.54", 100)], Rank.authoritative);
  cache.putRRset([a("ns.test.", "198.51.100.66")], Rank.glue);
  assert.deepEqual(
    cache.getRRset("ns.test.", 1, Rank.glue)?.map((r) => r.data),
    [{ kind: "A", address: "192.0.2.54" }],
  );
  advance(100);
  cache.putRRset([a("ns.test.", "198.51.100.66")], Rank.glue);
  assert.deepEqual(
    cache.getRRset("ns.test.", 1, Rank.glue)?.map((r) => r.data),
    [{ kind: "A", address: "198.51.100.66" }],
  );
});

test("negative answers: TTL min(SOA TTL, MINIMUM), NXDOMAIN per name, NODATA per type", () => {
  const { cache, advance } = setup();
  assert.equal(negativeTtl(soa(300, 60)), 60);
  assert.equal(negativeTtl(soa(30, 60)), 30);
  cache.putNegative("nx.example.test.", "nxdomain", soa(300, 60), Rank.authoritative);
  cache.putNegative("www.example.test.", 16, soa(300, 120), Rank.authoritative);
  const nx = cache.get("NX.example.test.", 28, Rank.answer);
  assert.equal(nx?.kind, "nxdomain");
  assert.equal(nx.kind === "nxdomain" && nx.soa?.ttl, 60);
  // RFC 8020: nothing below a name that does not exist.
  assert.equal(cache.get("a.b.nx.example.test.", 1, Rank.answer)?.kind, "nxdomain");
  assert.equal(cache.get("www.example.test.", 16, Rank.answer)?.kind, "nodata");
  assert.equal(cache.get("www.example.test.", 15, Rank.answer), undefined, "NODATA is per type");
  advance(60);
  assert.equal(cache.get("nx.example.test.", 1, Rank.answer), undefined);
  assert.equal(cache.get("www.example.test.", 16, Rank.answer)?.kind, "nodata");
});

test("negative answers without an SOA are not cached (RFC 2308 §5); the negative cap applies", () => {
  const { cache } = setup({ maxNegativeTtl: 30 });
  cache.putNegative("nx.test.", "nxdomain", undefined, Rank.authoritative);
  assert.equal(cache.size, 0);
  cache.putNegative("nx.test.", "nxdomain", soa(3600, 3600), Rank.authoritative);
  const hit = cache.get("nx.test.", 1, Rank.answer);
  assert.equal(hit?.kind === "nxdomain" && hit.soa?.ttl, 30);
});

test("data for a name ends its cached NXDOMAIN", () => {
  const { cache } = setup();
  cache.putNegative("new.test.", "nxdomain", soa(300, 300), Rank.authoritative);
  cache.putRRset([a("new.test.", "192.0.2.7")], Rank.authoritative);
  assert.equal(cache.get("new.test.", 1, Rank.answer)?.kind, "rrset");
});

test("bounded: the least recently used entry goes first", () => {
  const { cache } = setup({ maxEntries: 3 });
  cache.putRRset([a("one.test.", "192.0.2.1")], Rank.answer);
  cache.putRRset([a("two.test.", "192.0.2.2")], Rank.answer);
  cache.putRRset([a("three.test.", "192.0.2.3")], Rank.answer);
  assert.ok(cache.get("one.test.", 1, Rank.answer)); // one is now the most recent
  cache.putRRset([a("four.test.", "192.0.2.4")], Rank.answer);
  assert.equal(cache.size, 3);
  assert.equal(cache.get("two.test.", 1, Rank.answer), undefined);
  assert.ok(cache.get("one.test.", 1, Rank.answer));
  assert.ok(cache.get("four.test.", 1, Rank.answer));
});
