import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfigError } from "../../core/errors.js";
import { RRType } from "../types.js";
import { rr, show, shows, zone } from "./test-support.js";
import { Zone } from "./zone.js";

void describe("Zone", () => {
  void it("indexes names canonically, keeping records as given", () => {
    const z = zone("Example.", ["WWW 300 A 192.0.2.1", "www 300 A 192.0.2.2", "@ NS ns1"]);
    assert.equal(z.origin, "Example.");
    assert.equal(z.canonicalOrigin, "example.");
    assert.deepEqual(shows(z.node("www.example.")!), [
      "WWW.Example. 300 A 192.0.2.1",
      "www.Example. 300 A 192.0.2.2",
    ]);
    assert.equal(z.node("WWW.example."), undefined);
  });

  void it("groups each name's records into RRsets, types in order of first appearance", () => {
    const z = zone("example.", ["x A 192.0.2.1", "x TXT one", "x A 192.0.2.2", "x MX 10 x", "x TXT two"]);
    assert.deepEqual(shows(z.node("x.example.")!), [
      "x.example. 3600 A 192.0.2.1",
      "x.example. 3600 A 192.0.2.2",
      'x.example. 3600 TXT "one"',
      'x.example. 3600 TXT "two"',
      "x.example. 3600 MX 10 x.example.",
    ]);
  });

  void it("drops duplicate records, comparing names in RDATA without case", () => {
    const lines = ["x A 192.0.2.1", "x 60 A 192.0.2.1", "x NS NS.example.", "x NS ns.EXAMPLE."];
    for (let i = 0; i < 40; i++) lines.push(`big TXT t${i % 20}`);
    const z = zone("example.", lines);
    assert.deepEqual(shows(z.node("x.example.")!), [
      "x.example. 3600 A 192.0.2.1",
      "x.example. 3600 NS NS.example.",
    ]);
    assert.equal(z.node("big.example.")!.length, 20);
    assert.equal(z.recordCount, 1 + 2 + 20);
  });

  void it("creates empty non-terminals up to the apex", () => {
    const z = zone("example.", ["a.b.c TXT deep"]);
    assert.deepEqual(z.node("b.c.example."), []);
    assert.deepEqual(z.node("c.example."), []);
    assert.equal(z.node("x.c.example."), undefined);
    assert.equal(z.nameCount, 4);
  });

  void it("keeps data below a cut or a DNAME out of the authoritative names", () => {
    const z = zone("example.", [
      "sub NS ns.sub",
      "ns.sub A 192.0.2.1",
      "a.b.sub TXT x",
      "d DNAME t.",
      "x.d A 192.0.2.2",
    ]);
    assert.equal(z.hasCuts, true);
    assert.equal(z.hasDnames, true);
    assert.equal(z.isCut("sub.example."), true);
    assert.ok(z.node("sub.example.") !== undefined);
    for (const name of ["ns.sub.example.", "a.b.sub.example.", "b.sub.example.", "x.d.example."]) {
      assert.equal(z.node(name), undefined, name);
      assert.ok(z.dataNode(name) !== undefined, name);
    }
    assert.equal(z.highestCut("a.b.sub.example."), "sub.example.");
    assert.equal(z.dnameAbove("x.d.example."), "d.example.");
    assert.equal(z.dnameAbove("d.example."), undefined);
  });

  void it("makes the negative-answer SOA with TTL min(TTL, MINIMUM) (RFC 2308 §5)", () => {
    const z = zone("example.", ["@ 7200 SOA ns h 1 2 3 4 900"]);
    assert.equal(show(z.negativeSoa), "example. 900 SOA ns.example. h.example. 1 2 3 4 900");
    assert.equal(z.soa.ttl, 7200);
    assert.notEqual(z.negativeSoaNode[0], z.soa);
  });

  void it("finds additional targets: glue only for NS, wildcards synthesized, nothing outside", () => {
    const z = zone("example.", [
      "sub NS ns.sub",
      "ns.sub A 192.0.2.1",
      "*.w AAAA 2001:db8::1",
      "h A 192.0.2.2",
    ]);
    assert.equal(z.additionalTarget("ns.sub.example.", false), null);
    assert.equal(z.additionalTarget("ns.sub.example.", true)!.a, 0);
    const w = z.additionalTarget("x.W.example.", false)!;
    assert.equal(w.owner, "x.W.example.");
    assert.equal(w.a, -1);
    assert.equal(w.aaaa, 0);
    assert.equal(z.additionalTarget("h.example.", false)!.owner, null);
    assert.equal(z.additionalTarget("h.other.", true), null);
  });

  const bad: [string, string[], RegExp][] = [
    ["no SOA", ["www A 192.0.2.1"], /no SOA/],
    ["two SOAs", ["@ SOA a b 1 2 3 4 5", "@ SOA c d 1 2 3 4 5"], /more than one SOA/],
    ["SOA below the apex", ["@ SOA a b 1 2 3 4 5", "x SOA a b 1 2 3 4 5"], /not at the apex/],
    ["data outside the zone", ["@ SOA a b 1 2 3 4 5", "www.other. A 192.0.2.1"], /outside the zone/],
    [
      "CNAME and other data",
      ["@ SOA a b 1 2 3 4 5", "x CNAME y", "x A 192.0.2.1"],
      /CNAME record and other data/,
    ],
    ["two CNAMEs", ["@ SOA a b 1 2 3 4 5", "x CNAME y", "x CNAME z"], /more than one CNAME/],
    ["two DNAMEs", ["@ SOA a b 1 2 3 4 5", "x DNAME y", "x DNAME z"], /more than one DNAME/],
    ["CNAME at the apex", ["@ SOA a b 1 2 3 4 5", "@ CNAME y"], /CNAME record and other data/],
  ];
  for (const [what, lines, message] of bad) {
    void it(`refuses a zone with ${what}`, () => {
      assert.throws(
        () => new Zone({ origin: "example.", records: lines.map((l) => rr(l)) }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }

  void it("refuses a record of another class", () => {
    const records = [rr("@ SOA a b 1 2 3 4 5"), { ...rr("x A 192.0.2.1"), class: 3 }];
    assert.throws(() => new Zone({ origin: "example.", records }), /only class IN/);
  });

  void it("allows DNSSEC records beside a CNAME", () => {
    const z = zone("example.", ["x CNAME y", "x RRSIG sig", "x NSEC y A"]);
    assert.equal(z.node("x.example.")!.length, 3);
    assert.equal(z.node("x.example.")![0]!.type, RRType.CNAME);
  });
});
