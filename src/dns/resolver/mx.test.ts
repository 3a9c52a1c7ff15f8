import assert from "node:assert/strict";
import { test } from "node:test";
import { seededRandom } from "../codec/testing.js";
import type { ResourceRecord } from "../types.js";
import { orderExchanges } from "./mx.js";
import { parseResolvConf } from "./resolv-conf.js";

const mx = (preference: number, exchange: string): ResourceRecord => ({
  name: "example.test.",
  type: 15,
  class: 1,
  ttl: 300,
  data: { kind: "MX", preference, exchange },
});

test("MX order: by preference, equal preferences in random order (RFC 5321 §5.1)", () => {
  const records = [mx(20, "c."), mx(10, "a."), mx(10, "b."), mx(30, "d.")];
  const random = seededRandom(7);
  const firsts = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const order = orderExchanges(records, random);
    assert.notEqual(order, "null-mx");
    if (order === "null-mx") return;
    assert.deepEqual(
      order.map((m) => m.preference),
      [10, 10, 20, 30],
    );
    assert.deepEqual(
      order.slice(2).map((m) => m.exchange),
      ["c.", "d."],
    );
    firsts.add(order[0]!.exchange);
  }
  assert.deepEqual([...firsts].sort(), ["a.", "b."], "both equal-preference hosts come first sometimes");
});

test("null MX (RFC 7505): a single '.' MX means no mail; '.' among others is dropped", () => {
  assert.equal(orderExchanges([mx(0, ".")], Math.random), "null-mx");
  assert.deepEqual(orderExchanges([mx(0, "."), mx(10, "mx.example.test.")], Math.random), [
    { exchange: "mx.example.test.", preference: 10 },
  ]);
});

test("resolv.conf: nameserver lines in order, scope ids dropped, junk skipped", () => {
  const text = [
    "# comment",
    "search example.test",
    "nameserver 10.0.0.53",
    "nameserver   fe80::1%eth0",
    "nameserver not-an-address",
    "options ndots:2",
    "nameserver ::1",
  ].join("\n");
  assert.deepEqual(parseResolvConf(text), [
    { host: "10.0.0.53", port: 53, family: 4 },
    { host: "fe80::1", port: 53, family: 6 },
    { host: "::1", port: 53, family: 6 },
  ]);
});
