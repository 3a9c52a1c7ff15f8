/**
 * The example zone of RFC 4592 §2.2.1 and its table of queries that are and are not
 * answered from a wildcard.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Rcode } from "../types.js";
import { answer } from "./answer.js";
import { question, shows, zone } from "./test-support.js";
import { ZoneSet } from "./zone-set.js";

const example = zone(
  "example.",
  [
    "example.                 3600 IN  SOA   ns.example.com. hostmaster.example.com. 1 7200 3600 1209600 3600",
    "example.                 3600     NS    ns.example.com.",
    "example.                 3600     NS    ns.example.net.",
    "*.example.               3600     TXT   this_is_a_wildcard",
    "*.example.               3600     MX    10 host1.example.",
    "sub.*.example.           3600     TXT   this_is_not_a_wildcard",
    "host1.example.           3600     A     192.0.2.1",
    "_ssh._tcp.host1.example. 3600     SRV   0 0 22 host1.example.",
    "_ssh._tcp.host2.example. 3600     SRV   0 0 22 host2.example.",
    "subdel.example.          3600     NS    ns.example.com.",
    "subdel.example.          3600     NS    ns.example.net.",
  ].map((l) => l.replace(" IN ", " ")),
);
const zones = new ZoneSet([example]);
const SOA = "example. 3600 SOA ns.example.com. hostmaster.example.com. 1 7200 3600 1209600 3600";
const NS = ["example. 3600 NS ns.example.com.", "example. 3600 NS ns.example.net."];

function ask(
  name: string,
  type: string,
): { rcode: number; aa: boolean; answers: string[]; authority: string[]; additional: string[] } {
  const r = answer(zones, question(name, type))!;
  return {
    rcode: r.rcode,
    aa: r.aa,
    answers: shows(r.answers),
    authority: shows(r.authority),
    additional: shows(r.additional),
  };
}

void describe("RFC 4592 §2.2.1: answers synthesized from a wildcard", () => {
  void it("host3.example. MX: the answer is host3.example. IN MX", () => {
    assert.deepEqual(ask("host3.example.", "MX"), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: ["host3.example. 3600 MX 10 host1.example."],
      authority: NS,
      additional: ["host1.example. 3600 A 192.0.2.1"],
    });
  });

  void it("host3.example. A: no error, but no data (no A RRset at *.example.)", () => {
    assert.deepEqual(ask("host3.example.", "A"), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: [],
      authority: [SOA],
      additional: [],
    });
  });

  void it("foo.bar.example. TXT: bar.example. does not exist, but the wildcard does", () => {
    assert.deepEqual(ask("foo.bar.example.", "TXT").answers, [
      'foo.bar.example. 3600 TXT "this_is_a_wildcard"',
    ]);
  });
});

void describe("RFC 4592 §2.2.1: queries not answered from a wildcard", () => {
  void it("host1.example. MX: host1.example. exists (NODATA)", () => {
    assert.deepEqual(ask("host1.example.", "MX"), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: [],
      authority: [SOA],
      additional: [],
    });
  });

  void it("sub.*.example. MX: sub.*.example. exists (NODATA)", () => {
    assert.deepEqual(ask("sub.*.example.", "MX"), {
      rcode: Rcode.NOERROR,
      aa: true,
      answers: [],
      authority: [SOA],
      additional: [],
    });
    assert.deepEqual(ask("sub.*.example.", "TXT").answers, [
      'sub.*.example. 3600 TXT "this_is_not_a_wildcard"',
    ]);
  });

  void it("_telnet._tcp.host1.example. SRV: _tcp.host1.example. exists without data (NXDOMAIN)", () => {
    assert.deepEqual(ask("_telnet._tcp.host1.example.", "SRV"), {
      rcode: Rcode.NXDOMAIN,
      aa: true,
      answers: [],
      authority: [SOA],
      additional: [],
    });
    assert.equal(ask("_tcp.host1.example.", "SRV").rcode, Rcode.NOERROR);
    assert.equal(ask("host2.example.", "A").rcode, Rcode.NOERROR);
  });

  void it("host.subdel.example. A: subdel.example. exists and is a zone cut (referral)", () => {
    assert.deepEqual(ask("host.subdel.example.", "A"), {
      rcode: Rcode.NOERROR,
      aa: false,
      answers: [],
      authority: ["subdel.example. 3600 NS ns.example.com.", "subdel.example. 3600 NS ns.example.net."],
      additional: [],
    });
  });

  void it("ghost.*.example. MX: *.example. exists, and a wildcard does not match below itself", () => {
    assert.deepEqual(ask("ghost.*.example.", "MX"), {
      rcode: Rcode.NXDOMAIN,
      aa: true,
      answers: [],
      authority: [SOA],
      additional: [],
    });
  });

  void it("*.example. itself is answered as an ordinary name (RFC 4592 §2.3)", () => {
    assert.deepEqual(ask("*.example.", "MX").answers, ["*.example. 3600 MX 10 host1.example."]);
  });
});
