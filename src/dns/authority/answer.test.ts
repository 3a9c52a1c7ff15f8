import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Rcode, RRClass } from "../types.js";
import { answer, EDE_NOT_SUPPORTED, EDE_PROHIBITED } from "./answer.js";
import type { AnswerOptions, AuthorityResult } from "./answer.js";
import { ReverseIndex } from "./reverse-index.js";
import { question, shows, zone } from "./test-support.js";
import { ZoneSet } from "./zone-set.js";

const NEG_SOA = "example. 300 SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300";
const APEX_NS = ["example. 3600 NS ns1.example.", "example. 3600 NS ns2.example.net."];
const NS1_A = "ns1.example. 3600 A 192.0.2.53";
const NS1_AAAA = "ns1.example. 3600 AAAA 2001:db8::53";

const example = zone("example.", [
  "@ NS ns1",
  "@ NS ns2.example.net.",
  "@ MX 10 mail",
  "@ A 192.0.2.1",
  "ns1 A 192.0.2.53",
  "ns1 AAAA 2001:db8::53",
  "mail A 192.0.2.25",
  "mail AAAA 2001:db8::25",
  "www A 192.0.2.80",
  "www A 192.0.2.81",
  "www TXT hello",
  "alias CNAME www",
  "chain1 300 CNAME chain2",
  "chain2 CNAME www",
  "loop1 CNAME loop2",
  "loop2 CNAME loop1",
  "self CNAME self",
  "dangling CNAME nothere",
  "out CNAME www.other.",
  "ext CNAME www.unserved.test.",
  "tosub CNAME host.sub",
  "a.b.c TXT deep",
  "sub NS ns.sub",
  "sub NS ns.elsewhere.net.",
  "sub DS 12345 8 2 ABCDEF",
  "ns.sub A 192.0.2.100",
  "ns.sub AAAA 2001:db8::100",
  "noglue NS ns.elsewhere.net.",
  "_sip._tcp SRV 0 5 5060 sip",
  "sip A 192.0.2.60",
  "sip AAAA 2001:db8::60",
  "mx2 MX 10 ns.sub",
  "mx3 MX 10 mail.other.",
  "mx4 MX 10 mail",
  "mx4 MX 20 sip",
  "*.wild TXT wildcard",
  "*.wild MX 10 mail",
  "*.wildcname CNAME www",
  "*.wildmx A 192.0.2.99",
  "mx5 MX 10 host.wildmx",
]);

const other = zone("other.", [
  "@ NS ns.other.",
  "ns A 198.51.100.53",
  "www A 198.51.100.80",
  "mail A 198.51.100.25",
]);

const zones = new ZoneSet([example, other]);

function ask(
  name: string,
  type: string,
  options?: AnswerOptions,
  klass: number = RRClass.IN,
): AuthorityResult {
  const result = answer(zones, question(name, type, klass), options);
  assert.ok(result !== null, `${name} ${type} should be answered`);
  return result;
}

/** The whole result in printable form, for one deepEqual per case. */
function view(r: AuthorityResult): object {
  return {
    rcode: r.rcode,
    aa: r.aa,
    answers: shows(r.answers),
    authority: shows(r.authority),
    additional: shows(r.additional),
  };
}

void describe("answer: exact matches", () => {
  void it("answers the RRset with AA, the zone's NS as optional authority and its glue", () => {
    const r = ask("www.example.", "A");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: ["www.example. 3600 A 192.0.2.80", "www.example. 3600 A 192.0.2.81"],
      authority: APEX_NS,
      additional: [NS1_A, NS1_AAAA],
    });
    assert.equal(r.optionalAuthority, 2);
    assert.equal(r.noQuestion, false);
  });

  void it("keeps the question's case in the answer's owner names (RFC 1034 §3.1)", () => {
    const r = ask("WwW.ExAmple.", "TXT");
    assert.deepEqual(shows(r.answers), ['WwW.ExAmple. 3600 TXT "hello"']);
    // The zone's own records are handed out unchanged when the case already matches.
    const same = ask("www.example.", "TXT");
    const again = ask("www.example.", "TXT");
    assert.equal(same.answers[0], again.answers[0]);
  });

  void it("answers NS at the apex with the glue, not repeating the NS in authority", () => {
    const r = ask("example.", "NS");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: APEX_NS,
      authority: [],
      additional: [NS1_A, NS1_AAAA],
    });
  });

  void it("answers SOA at the apex with the SOA's own TTL", () => {
    const r = ask("example.", "SOA");
    assert.deepEqual(shows(r.answers), [
      "example. 3600 SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300",
    ]);
    assert.deepEqual(shows(r.authority), APEX_NS);
  });

  void it("does not repeat an RRset already in the answer as additional data", () => {
    const r = ask("ns1.example.", "A");
    assert.deepEqual(shows(r.answers), [NS1_A]);
    assert.deepEqual(shows(r.additional), [NS1_AAAA]);
  });

  void it("adds no zone NS for DS, DNSKEY and ANY (NSD bug #253) nor with minimal responses", () => {
    const signed = new ZoneSet([zone("s.", ["@ NS ns", "@ DNSKEY 257 3 8 AwEAAQ", "ns A 192.0.2.1"])]);
    assert.deepEqual(shows(answer(signed, question("s.", "DNSKEY"))!.authority), []);
    assert.deepEqual(shows(answer(signed, question("s.", "NS"))!.answers), ["s. 3600 NS ns.s."]);
    assert.deepEqual(shows(ask("www.example.", "A", { minimalResponses: true }).authority), []);
    assert.deepEqual(shows(ask("www.example.", "A", { minimalResponses: true }).additional), []);
    assert.deepEqual(shows(ask("www.example.", "ANY").authority), []);
  });
});

void describe("answer: negative answers (RFC 2308)", () => {
  void it("NODATA: NOERROR, no answer, SOA with TTL min(SOA TTL, MINIMUM) in authority", () => {
    const r = ask("www.example.", "MX");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: [],
      authority: [NEG_SOA],
      additional: [],
    });
    assert.equal(r.optionalAuthority, 0);
  });

  void it("NXDOMAIN: SOA in authority", () => {
    const r = ask("nothere.example.", "A");
    assert.deepEqual(view(r), {
      rcode: Rcode.NXDOMAIN,
      aa: true,
      answers: [],
      authority: [NEG_SOA],
      additional: [],
    });
    assert.equal(ask("x.y.www.example.", "A").rcode, Rcode.NXDOMAIN);
  });

  void it("an empty non-terminal exists: NODATA, not NXDOMAIN (RFC 4592 §2.2.2)", () => {
    for (const name of ["b.c.example.", "c.example.", "_tcp.example."]) {
      const r = ask(name, "A");
      assert.equal(r.rcode, Rcode.NOERROR, name);
      assert.deepEqual(shows(r.authority), [NEG_SOA], name);
    }
    assert.equal(ask("x.c.example.", "A").rcode, Rcode.NXDOMAIN);
  });

  void it("keeps the SOA's TTL when it is below MINIMUM", () => {
    const z = zone("low.", ["@ 60 SOA ns hostmaster 1 2 3 4 600", "@ NS ns", "ns A 192.0.2.1"]);
    const r = answer(new ZoneSet([z]), question("x.low.", "A"));
    assert.deepEqual(shows(r!.authority), ["low. 60 SOA ns.low. hostmaster.low. 1 2 3 4 600"]);
  });
});

void describe("answer: CNAME", () => {
  void it("answers the CNAME and the target's RRset, with the target's zone NS", () => {
    const r = ask("alias.example.", "A");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: [
        "alias.example. 3600 CNAME www.example.",
        "www.example. 3600 A 192.0.2.80",
        "www.example. 3600 A 192.0.2.81",
      ],
      authority: APEX_NS,
      additional: [NS1_A, NS1_AAAA],
    });
  });

  void it("follows a chain", () => {
    assert.deepEqual(shows(ask("chain1.example.", "TXT").answers), [
      "chain1.example. 300 CNAME chain2.example.",
      "chain2.example. 3600 CNAME www.example.",
      'www.example. 3600 TXT "hello"',
    ]);
  });

  void it("answers a CNAME query with the CNAME alone", () => {
    const r = ask("chain1.example.", "CNAME");
    assert.deepEqual(shows(r.answers), ["chain1.example. 300 CNAME chain2.example."]);
    assert.deepEqual(shows(r.authority), APEX_NS);
  });

  void it("stops at a loop, adding each CNAME once", () => {
    const r = ask("loop1.example.", "A");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: ["loop1.example. 3600 CNAME loop2.example.", "loop2.example. 3600 CNAME loop1.example."],
      authority: [],
      additional: [],
    });
    assert.deepEqual(shows(ask("self.example.", "A").answers), ["self.example. 3600 CNAME self.example."]);
  });

  void it("ends in NXDOMAIN or NODATA at the target (RFC 6604 §3: the rcode is the last name's)", () => {
    const nx = ask("dangling.example.", "A");
    assert.deepEqual(view(nx), {
      rcode: Rcode.NXDOMAIN,
      aa: true,
      answers: ["dangling.example. 3600 CNAME nothere.example."],
      authority: [NEG_SOA],
      additional: [],
    });
    const nodata = ask("alias.example.", "MX");
    assert.equal(nodata.rcode, Rcode.NOERROR);
    assert.deepEqual(shows(nodata.authority), [NEG_SOA]);
  });

  void it("follows into another zone served here", () => {
    const r = ask("out.example.", "A");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: ["out.example. 3600 CNAME www.other.", "www.other. 3600 A 198.51.100.80"],
      authority: ["other. 3600 NS ns.other."],
      additional: ["ns.other. 3600 A 198.51.100.53"],
    });
    // confine-to-zone: not followed.
    assert.deepEqual(shows(ask("out.example.", "A", { confineToZone: true }).answers), [
      "out.example. 3600 CNAME www.other.",
    ]);
  });

  void it("stops at a target no zone here contains", () => {
    const r = ask("ext.example.", "A");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: ["ext.example. 3600 CNAME www.unserved.test."],
      authority: [],
      additional: [],
    });
  });

  void it("into a delegation: the referral, with AA kept for the CNAME", () => {
    const r = ask("tosub.example.", "A");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: ["tosub.example. 3600 CNAME host.sub.example."],
      authority: ["sub.example. 3600 NS ns.sub.example.", "sub.example. 3600 NS ns.elsewhere.net."],
      additional: ["ns.sub.example. 3600 A 192.0.2.100", "ns.sub.example. 3600 AAAA 2001:db8::100"],
    });
  });

  void it("stops after maxChain links", () => {
    const lines = ["@ NS ns", "ns A 192.0.2.1"];
    for (let i = 0; i < 30; i++) lines.push(`c${i} CNAME c${i + 1}`);
    lines.push("c30 A 192.0.2.30");
    const set = new ZoneSet([zone("long.", lines)]);
    assert.equal(answer(set, question("c0.long.", "A"))!.answers.length, 17);
    assert.equal(answer(set, question("c0.long.", "A"), { maxChain: 3 })!.answers.length, 4);
    assert.equal(answer(set, question("c0.long.", "A"), { maxChain: 40 })!.answers.length, 31);
  });

  void it("a CNAME's case is kept for the names it leads to", () => {
    const z = zone("case.", ["@ NS ns", "ns A 192.0.2.1", "a CNAME WWW", "www A 192.0.2.2"]);
    const r = answer(new ZoneSet([z]), question("A.case.", "A"))!;
    assert.deepEqual(shows(r.answers), ["A.case. 3600 CNAME WWW.case.", "WWW.case. 3600 A 192.0.2.2"]);
  });
});

void describe("answer: delegations", () => {
  const REFERRAL = {
    rcode: Rcode.NOERROR,
    aa: false,
    answers: [],
    authority: ["sub.example. 3600 NS ns.sub.example.", "sub.example. 3600 NS ns.elsewhere.net."],
    additional: ["ns.sub.example. 3600 A 192.0.2.100", "ns.sub.example. 3600 AAAA 2001:db8::100"],
  };

  void it("refers a name below a cut, with in-bailiwick glue (RFC 1034 §4.3.2 step 3b)", () => {
    assert.deepEqual(view(ask("host.sub.example.", "A")), REFERRAL);
    assert.deepEqual(view(ask("a.b.host.sub.example.", "MX")), REFERRAL);
  });

  void it("refers queries at the cut itself, NS included, and for glue names", () => {
    assert.deepEqual(view(ask("sub.example.", "NS")), REFERRAL);
    assert.deepEqual(view(ask("sub.example.", "A")), REFERRAL);
    assert.deepEqual(view(ask("ns.sub.example.", "A")), REFERRAL);
    assert.deepEqual(view(ask("ns.sub.example.", "DS")), REFERRAL);
  });

  void it("refers without additional data when the servers are outside the zone", () => {
    assert.deepEqual(view(ask("x.noglue.example.", "A")), {
      rcode: Rcode.NOERROR,
      aa: false,
      answers: [],
      authority: ["noglue.example. 3600 NS ns.elsewhere.net."],
      additional: [],
    });
  });

  void it("puts AAAA glue first for IPv6 clients", () => {
    assert.deepEqual(shows(ask("host.sub.example.", "A", { ipv6Client: true }).additional), [
      "ns.sub.example. 3600 AAAA 2001:db8::100",
      "ns.sub.example. 3600 A 192.0.2.100",
    ]);
  });

  void it("answers DS at the cut from the parent side (RFC 4035 §3.1.4.1)", () => {
    const r = ask("sub.example.", "DS");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: ["sub.example. 3600 DS 12345 8 2 ABCDEF"],
      authority: [],
      additional: [],
    });
    const none = ask("noglue.example.", "DS");
    assert.deepEqual(view(none), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: [],
      authority: [NEG_SOA],
      additional: [],
    });
  });

  void it("refers to the highest of nested cuts", () => {
    const z = zone("nest.", [
      "@ NS ns",
      "ns A 192.0.2.1",
      "a NS ns.a",
      "ns.a A 192.0.2.2",
      "b.a NS ns.b.a",
      "ns.b.a A 192.0.2.3",
    ]);
    const r = answer(new ZoneSet([z]), question("x.b.a.nest.", "A"))!;
    assert.deepEqual(shows(r.authority), ["a.nest. 3600 NS ns.a.nest."]);
    assert.deepEqual(shows(r.additional), ["ns.a.nest. 3600 A 192.0.2.2"]);
  });

  void it("a served child zone answers for itself; DS at its apex comes from the parent", () => {
    const child = zone("sub.example.", ["@ NS ns", "ns A 192.0.2.100", "host A 192.0.2.7"]);
    const set = new ZoneSet([example, child]);
    const host = answer(set, question("host.sub.example.", "A"))!;
    assert.equal(host.aa, true);
    assert.deepEqual(shows(host.answers), ["host.sub.example. 3600 A 192.0.2.7"]);
    const ds = answer(set, question("sub.example.", "DS"))!;
    assert.deepEqual(shows(ds.answers), ["sub.example. 3600 DS 12345 8 2 ABCDEF"]);
    const ns = answer(set, question("sub.example.", "NS"))!;
    assert.equal(ns.aa, true);
    assert.deepEqual(shows(ns.answers), ["sub.example. 3600 NS ns.sub.example."]);
    // Without the parent, DS at the apex is NODATA from the child itself.
    const alone = answer(new ZoneSet([child]), question("sub.example.", "DS"))!;
    assert.equal(alone.aa, true);
    assert.deepEqual(shows(alone.authority), [
      "sub.example. 300 SOA ns1.sub.example. hostmaster.sub.example. 1 7200 3600 1209600 300",
    ]);
  });
});

void describe("answer: additional section processing (RFC 1034 §4.3.2 step 6)", () => {
  void it("adds A then AAAA records of MX targets in the zone", () => {
    const r = ask("mx4.example.", "MX");
    assert.deepEqual(shows(r.additional), [
      "mail.example. 3600 A 192.0.2.25",
      "sip.example. 3600 A 192.0.2.60",
      NS1_A,
      "mail.example. 3600 AAAA 2001:db8::25",
      "sip.example. 3600 AAAA 2001:db8::60",
      NS1_AAAA,
    ]);
  });

  void it("adds the SRV target's addresses", () => {
    const r = ask("_sip._tcp.example.", "SRV");
    assert.deepEqual(shows(r.additional), [
      "sip.example. 3600 A 192.0.2.60",
      NS1_A,
      "sip.example. 3600 AAAA 2001:db8::60",
      NS1_AAAA,
    ]);
  });

  void it("adds nothing for a target that is glue or outside the zone", () => {
    assert.deepEqual(shows(ask("mx2.example.", "MX").additional), [NS1_A, NS1_AAAA]);
    assert.deepEqual(shows(ask("mx3.example.", "MX").additional), [NS1_A, NS1_AAAA]);
  });

  void it("synthesizes a target's addresses from a wildcard", () => {
    assert.deepEqual(shows(ask("mx5.example.", "MX").additional), [
      "host.wildmx.example. 3600 A 192.0.2.99",
      NS1_A,
      NS1_AAAA,
    ]);
  });
});

void describe("answer: wildcards (RFC 4592)", () => {
  void it("synthesizes with the owner replaced by the query name", () => {
    const r = ask("Foo.Wild.example.", "TXT");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: ['Foo.Wild.example. 3600 TXT "wildcard"'],
      authority: APEX_NS,
      additional: [NS1_A, NS1_AAAA],
    });
    assert.deepEqual(shows(ask("a.b.wild.example.", "MX").answers), [
      "a.b.wild.example. 3600 MX 10 mail.example.",
    ]);
  });

  void it("NODATA from a wildcard without the type", () => {
    const r = ask("foo.wild.example.", "A");
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual(shows(r.authority), [NEG_SOA]);
  });

  void it("a wildcard that is an empty non-terminal still matches, giving NODATA (RFC 4592 §4.9)", () => {
    const z = zone("e.", ["@ NS ns", "ns A 192.0.2.1", "sub.*.x TXT below"]);
    const r = answer(new ZoneSet([z]), question("foo.x.e.", "TXT"))!;
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.equal(r.answers.length, 0);
    assert.equal(answer(new ZoneSet([z]), question("foo.y.e.", "TXT"))!.rcode, Rcode.NXDOMAIN);
  });

  void it("a wildcard CNAME is synthesized and followed (RFC 4592 §4.3)", () => {
    assert.deepEqual(shows(ask("x.wildcname.example.", "A").answers), [
      "x.wildcname.example. 3600 CNAME www.example.",
      "www.example. 3600 A 192.0.2.80",
      "www.example. 3600 A 192.0.2.81",
    ]);
  });

  void it("a wildcard CNAME looping back to a wildcard name stops", () => {
    const z = zone("w.", ["@ NS ns", "ns A 192.0.2.1", "*.w. CNAME a.b.w."]);
    const r = answer(new ZoneSet([z]), question("x.w.", "A"))!;
    // As NSD: the query name and a.b.w. are different owners of the same wildcard RRset.
    assert.deepEqual(shows(r.answers), ["x.w. 3600 CNAME a.b.w.", "a.b.w. 3600 CNAME a.b.w."]);
  });
});

void describe("answer: ANY (RFC 8482)", () => {
  void it("answers one RRset, preferring A, AAAA, SOA, MX or PTR, without zone NS", () => {
    const r = ask("www.example.", "ANY");
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: ["www.example. 3600 A 192.0.2.80", "www.example. 3600 A 192.0.2.81"],
      authority: [],
      additional: [],
    });
    // The apex's first preferred RRset in zone order is the SOA.
    assert.deepEqual(shows(ask("example.", "ANY").answers), [
      "example. 3600 SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300",
    ]);
  });

  void it("without a preferred type, the last other RRset, then DNSKEY/RRSIG/NSEC", () => {
    const z = zone("any.", [
      "@ NS ns",
      "ns A 192.0.2.1",
      "x TXT one",
      "x HINFO a b",
      "x RRSIG foo",
      "y NSEC a",
      "y DNSKEY k",
    ]);
    const set = new ZoneSet([z]);
    assert.deepEqual(shows(answer(set, question("x.any.", "ANY"))!.answers), ["x.any. 3600 HINFO a b"]);
    assert.deepEqual(shows(answer(set, question("y.any.", "ANY"))!.answers), ["y.any. 3600 DNSKEY k"]);
  });

  void it("answers every RRset with any: 'all'", () => {
    const r = ask("www.example.", "ANY", { any: "all" });
    assert.deepEqual(shows(r.answers), [
      "www.example. 3600 A 192.0.2.80",
      "www.example. 3600 A 192.0.2.81",
      'www.example. 3600 TXT "hello"',
    ]);
  });

  void it("gives the CNAME at an alias without following it, and NODATA at an empty non-terminal", () => {
    assert.deepEqual(shows(ask("alias.example.", "ANY").answers), ["alias.example. 3600 CNAME www.example."]);
    assert.deepEqual(shows(ask("c.example.", "ANY").authority), [NEG_SOA]);
  });
});

void describe("answer: classes and types the engine does not answer from zones", () => {
  void it("QCLASS ANY: data of class IN, AA clear, no SOA in negative answers", () => {
    const r = ask("www.example.", "A", {}, RRClass.ANY);
    assert.equal(r.aa, false);
    assert.equal(r.answers.length, 2);
    assert.deepEqual(r.authority, []);
    const nx = ask("nothere.example.", "A", {}, RRClass.ANY);
    assert.deepEqual(view(nx), {
      rcode: Rcode.NXDOMAIN,
      aa: false,
      answers: [],
      authority: [],
      additional: [],
    });
  });

  void it("refuses other classes with no question section, as NSD", () => {
    const r = ask("www.example.", "A", {}, RRClass.HS);
    assert.equal(r.rcode, Rcode.REFUSED);
    assert.equal(r.noQuestion, true);
    assert.equal(r.extendedError, EDE_NOT_SUPPORTED);
  });

  void it("answers CHAOS identity and version queries, refusing the rest", () => {
    const chaos = { identity: "ns.example", version: "Portico 0.1" };
    const id = ask("ID.SERVER.", "TXT", { chaos }, RRClass.CH);
    assert.deepEqual(view(id), {
      rcode: Rcode.NOERROR,
      aa: false,
      answers: ['ID.SERVER. 0 CH TXT "ns.example"'],
      authority: [],
      additional: [],
    });
    assert.deepEqual(shows(ask("version.bind.", "ANY", { chaos }, RRClass.CH).answers), [
      'version.bind. 0 CH TXT "Portico 0.1"',
    ]);
    // Unset: refused as prohibited (NSD's hide-version); anything else: not supported.
    const hidden = ask("version.bind.", "TXT", {}, RRClass.CH);
    assert.equal(hidden.rcode, Rcode.REFUSED);
    assert.equal(hidden.extendedError, EDE_PROHIBITED);
    for (const r of [
      ask("version.bind.", "A", { chaos }, RRClass.CH),
      ask("other.bind.", "TXT", { chaos }, RRClass.CH),
    ]) {
      assert.equal(r.rcode, Rcode.REFUSED);
      assert.equal(r.extendedError, EDE_NOT_SUPPORTED);
    }
  });

  void it("refuses AXFR and IXFR as prohibited, as NSD does without provide-xfr", () => {
    for (const type of ["AXFR", "IXFR"]) {
      const r = ask("example.", type);
      assert.equal(r.rcode, Rcode.REFUSED);
      assert.equal(r.noQuestion, false);
      assert.equal(r.extendedError, EDE_PROHIBITED);
    }
  });

  void it("returns null for a name outside every zone", () => {
    assert.equal(answer(zones, question("www.unserved.test.", "A")), null);
    assert.equal(answer(zones, question(".", "NS")), null);
    assert.equal(answer(new ZoneSet(), question("example.", "SOA")), null);
  });

  void it("answers QTYPE NSEC3 with NODATA, and a name owning only NSEC3 does not exist", () => {
    const z = zone("n3.", ["@ NS ns", "ns A 192.0.2.1", "hash NSEC3 1 0 0 - abc A"]);
    const set = new ZoneSet([z]);
    assert.equal(answer(set, question("hash.n3.", "A"))!.rcode, Rcode.NXDOMAIN);
    const r = answer(set, question("ns.n3.", "NSEC3"))!;
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.equal(r.answers.length, 0);
  });
});

void describe("answer: DNAME (RFC 6672)", () => {
  const d = zone("d.", [
    "@ NS ns",
    "ns A 192.0.2.1",
    "old 600 DNAME new",
    "old A 192.0.2.9",
    "hidden.old A 192.0.2.10",
    "www.new A 192.0.2.2",
    "far DNAME other.",
    "loop DNAME x.loop",
    "long DNAME aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
  ]);
  const set = new ZoneSet([d, other]);

  void it("answers the DNAME, a synthesized CNAME with the DNAME's TTL, and the target", () => {
    const r = answer(set, question("WWW.old.d.", "A"))!;
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      // The new name is lowercased, as NSD builds it from the normalized query name.
      answers: ["old.d. 600 DNAME new.d.", "WWW.old.d. 600 CNAME www.new.d.", "www.new.d. 3600 A 192.0.2.2"],
      authority: ["d. 3600 NS ns.d."],
      additional: ["ns.d. 3600 A 192.0.2.1"],
    });
  });

  void it("occludes data below the DNAME, not at it", () => {
    assert.deepEqual(shows(answer(set, question("hidden.old.d.", "A"))!.answers).slice(0, 2), [
      "old.d. 600 DNAME new.d.",
      "hidden.old.d. 600 CNAME hidden.new.d.",
    ]);
    assert.deepEqual(shows(answer(set, question("old.d.", "A"))!.answers), ["old.d. 3600 A 192.0.2.9"]);
  });

  void it("stops at the synthesized CNAME for QTYPE CNAME, and follows into other zones", () => {
    assert.deepEqual(shows(answer(set, question("x.old.d.", "CNAME"))!.answers), [
      "old.d. 600 DNAME new.d.",
      "x.old.d. 600 CNAME x.new.d.",
    ]);
    assert.deepEqual(shows(answer(set, question("www.far.d.", "A"))!.answers), [
      "far.d. 3600 DNAME other.",
      "www.far.d. 3600 CNAME www.other.",
      "www.other. 3600 A 198.51.100.80",
    ]);
  });

  void it("stops a DNAME that points into its own subtree", () => {
    const r = answer(set, question("a.loop.d.", "A"))!;
    assert.deepEqual(shows(r.answers), ["loop.d. 3600 DNAME x.loop.d.", "a.loop.d. 3600 CNAME a.x.loop.d."]);
  });

  void it("answers YXDOMAIN when the new name would be too long (RFC 6672 §2.2)", () => {
    const label = "b".repeat(63);
    const r = answer(set, question(`${label}.${label}.long.d.`, "A"))!;
    assert.equal(r.rcode, 6);
    assert.deepEqual(shows(r.answers), [
      "long.d. 3600 DNAME aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
    ]);
  });
});

void describe("answer: PTR synthesis", () => {
  const fwd = zone("fwd.", [
    "@ NS ns",
    "ns A 192.0.2.1",
    "host A 192.0.2.7",
    "host AAAA 2001:db8::7",
    "other A 192.0.2.7",
  ]);
  const rev = zone("2.0.192.in-addr.arpa.", ["@ NS ns.fwd.", "1 PTR ns.fwd."]);
  const set = new ZoneSet([fwd, rev]);
  const index = new ReverseIndex(set);

  void it("answers reverse names outside every zone", () => {
    const v6 = "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.";
    const r = answer(set, question(v6, "PTR"), { ptr: { index } })!;
    assert.deepEqual(view(r), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: [`${v6} 3600 PTR host.fwd.`],
      authority: [],
      additional: [],
    });
    assert.deepEqual(answer(set, question(v6, "A"), { ptr: { index } })!.answers, []);
    assert.equal(answer(set, question(v6, "PTR"), { ptr: { index, outsideZones: false } }), null);
    assert.equal(answer(set, question("9.9.9.9.in-addr.arpa.", "PTR"), { ptr: { index } }), null);
  });

  void it("fills in names missing from a listed reverse zone; the zone's data wins", () => {
    const options: AnswerOptions = { ptr: { index, inZones: new Set(["2.0.192.in-addr.arpa."]) } };
    const r = answer(set, question("7.2.0.192.in-addr.arpa.", "PTR"), options)!;
    assert.deepEqual(shows(r.answers), [
      "7.2.0.192.in-addr.arpa. 3600 PTR host.fwd.",
      "7.2.0.192.in-addr.arpa. 3600 PTR other.fwd.",
    ]);
    assert.deepEqual(shows(r.authority), ["2.0.192.in-addr.arpa. 3600 NS ns.fwd."]);
    assert.deepEqual(shows(answer(set, question("1.2.0.192.in-addr.arpa.", "PTR"), options)!.answers), [
      "1.2.0.192.in-addr.arpa. 3600 PTR ns.fwd.",
    ]);
    assert.equal(answer(set, question("7.2.0.192.in-addr.arpa.", "PTR"))!.rcode, Rcode.NXDOMAIN);
    assert.equal(
      answer(set, question("7.2.0.192.in-addr.arpa.", "PTR"), { ptr: { index, inZones: "all" } })!.rcode,
      Rcode.NOERROR,
    );
  });
});
