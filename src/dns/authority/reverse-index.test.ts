import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ReverseIndex, reverseName } from "./reverse-index.js";
import { shows, zone } from "./test-support.js";

void describe("reverseName", () => {
  void it("reverses IPv4 into in-addr.arpa. (RFC 1035 §3.5)", () => {
    assert.equal(reverseName("192.0.2.1"), "1.2.0.192.in-addr.arpa.");
  });

  void it("reverses IPv6 nibbles into ip6.arpa. (RFC 3596 §2.5)", () => {
    assert.equal(
      reverseName("2001:DB8::567:89ab"),
      "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
    );
    assert.equal(
      reverseName("::ffff:192.0.2.1"),
      "1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    );
  });

  void it("refuses what is not an address", () => {
    assert.throws(() => reverseName("example"), TypeError);
    assert.throws(() => reverseName("1:2"), TypeError);
  });
});

void describe("ReverseIndex", () => {
  const z = zone("example.", [
    "@ NS ns",
    "ns A 192.0.2.1",
    "www 300 A 192.0.2.80",
    "web A 192.0.2.80",
    "www AAAA 2001:db8::80",
    "*.wild A 192.0.2.99",
    "sub NS ns.sub",
    "ns.sub A 192.0.2.100",
  ]);
  const index = new ReverseIndex([z]);

  void it("maps each address to every owner of it", () => {
    assert.equal(index.size, 3);
    assert.deepEqual(shows(index.ptrRecords("80.2.0.192.IN-ADDR.ARPA.")!), [
      "80.2.0.192.IN-ADDR.ARPA. 300 PTR www.example.",
      "80.2.0.192.IN-ADDR.ARPA. 3600 PTR web.example.",
    ]);
    assert.deepEqual(shows(index.lookup(reverseName("2001:db8::80"))!), [
      "www.example. 3600 AAAA 2001:db8::80",
    ]);
  });

  void it("leaves out wildcards and glue", () => {
    assert.equal(index.lookup("99.2.0.192.in-addr.arpa."), undefined);
    assert.equal(index.lookup("100.2.0.192.in-addr.arpa."), undefined);
  });
});
