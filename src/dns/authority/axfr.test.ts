import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { axfrRecords } from "./axfr.js";
import { shows, zone } from "./test-support.js";

void describe("axfrRecords", () => {
  void it("sends the SOA first and last, every other record between in canonical name order (RFC 5936 §2.2)", () => {
    const z = zone("example.", [
      "@ 3600 SOA ns h 1 2 3 4 5",
      "z A 192.0.2.26",
      "@ NS ns",
      "ns A 192.0.2.1",
      "a.b TXT deep",
      "A TXT upper",
      "yljkjljk.a A 192.0.2.2",
      "Z.a A 192.0.2.3",
      "zABC.a.EXAMPLE. A 192.0.2.4",
      "*.z TXT wild",
      "\\001.z TXT one",
      "sub NS ns.sub",
      "ns.sub A 192.0.2.53",
      "@ MX 10 ns",
    ]);
    assert.deepEqual(shows(axfrRecords(z)), [
      "example. 3600 SOA ns.example. h.example. 1 2 3 4 5",
      "example. 3600 NS ns.example.",
      "example. 3600 MX 10 ns.example.",
      'A.example. 3600 TXT "upper"',
      "yljkjljk.a.example. 3600 A 192.0.2.2",
      "Z.a.example. 3600 A 192.0.2.3",
      "zABC.a.EXAMPLE. 3600 A 192.0.2.4",
      'a.b.example. 3600 TXT "deep"',
      "ns.example. 3600 A 192.0.2.1",
      "sub.example. 3600 NS ns.sub.example.",
      "ns.sub.example. 3600 A 192.0.2.53",
      "z.example. 3600 A 192.0.2.26",
      '\\001.z.example. 3600 TXT "one"',
      '*.z.example. 3600 TXT "wild"',
      "example. 3600 SOA ns.example. h.example. 1 2 3 4 5",
    ]);
    assert.deepEqual(axfrRecords(z), axfrRecords(z));
  });

  void it("transfers a zone that has only its SOA", () => {
    assert.equal(axfrRecords(zone("empty.", [])).length, 2);
  });
});
