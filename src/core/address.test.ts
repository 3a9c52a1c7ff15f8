import assert from "node:assert/strict";
import { test } from "node:test";
import { formatSocketAddress, isLoopback, NetworkSet, parseSocketAddress } from "./address.js";

test("parses IPv4 and bracketed IPv6 socket addresses", () => {
  assert.deepEqual(parseSocketAddress("127.0.0.1:25"), { host: "127.0.0.1", port: 25, family: 4 });
  assert.deepEqual(parseSocketAddress("[::1]:25"), { host: "::1", port: 25, family: 6 });
  assert.deepEqual(parseSocketAddress("::1", 53), { host: "::1", port: 53, family: 6 });
  assert.deepEqual(parseSocketAddress("10.0.0.1", 53), { host: "10.0.0.1", port: 53, family: 4 });
  assert.throws(() => parseSocketAddress("127.0.0.1"), /has no port/);
  assert.throws(() => parseSocketAddress("host:25"), /not an IPv4 or IPv6 address/);
  assert.throws(() => parseSocketAddress("127.0.0.1:65536"), /out of range/);
  assert.throws(() => parseSocketAddress("127.0.0.1:-1"), /not a number/);
  assert.throws(() => parseSocketAddress("[::1"), /without "]"/);
  assert.equal(formatSocketAddress({ host: "::1", port: 25 }), "[::1]:25");
});

test("network sets match v4, v6 and v4-mapped addresses", () => {
  const nets = new NetworkSet(["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"]);
  assert.ok(nets.has("192.0.2.200"));
  assert.ok(nets.has("::ffff:192.0.2.1"));
  assert.ok(nets.has("2001:db8::1"));
  assert.ok(nets.has("198.51.100.7"));
  assert.ok(!nets.has("198.51.100.8"));
  assert.ok(!nets.has("not an ip"));
  assert.throws(() => new NetworkSet(["10.0.0.0/33"]), /prefix length/);
  assert.ok(isLoopback("127.1.2.3") && isLoopback("::1") && isLoopback("::ffff:127.0.0.1"));
  assert.ok(!isLoopback("10.0.0.1"));
});
