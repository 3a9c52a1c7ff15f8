/**
 * Random zones and questions: `answer()` must not throw or loop, must keep its invariants,
 * and must classify every name (referral, exists, wildcard, NXDOMAIN) as a naive oracle
 * working on the plain record list does.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfigError } from "../../core/errors.js";
import { canonicalName, isSubdomain, parentName } from "../name.js";
import { Rcode, RRClass, RRType } from "../types.js";
import type { ResourceRecord } from "../types.js";
import { answer } from "./answer.js";
import { rr } from "./test-support.js";
import { Zone } from "./zone.js";
import { ZoneSet } from "./zone-set.js";
import { seededRandom as random } from "../../../test/support/fuzz.js";

const ITERATIONS = Number(process.env.PORTICO_FUZZ_ITERATIONS ?? "300");

const LABELS = ["a", "B", "c", "*", "ns", "www"];
const QTYPES = ["A", "AAAA", "TXT", "MX", "NS", "CNAME", "DS", "ANY", "SOA", "SRV"];

function randomName(next: () => number, origin: string, maxDepth: number): string {
  const depth = Math.floor(next() * (maxDepth + 1));
  let name = origin;
  for (let i = 0; i < depth; i++) name = `${LABELS[Math.floor(next() * LABELS.length)]!}.${name}`;
  return name;
}

function randomZone(next: () => number, origin: string, allowDname: boolean): ResourceRecord[] {
  const lines = [
    `${origin} 3600 SOA ns.${origin} h.${origin} 1 2 3 4 ${next() < 0.5 ? 60 : 7200}`,
    `${origin} NS ns.${origin}`,
  ];
  const count = 1 + Math.floor(next() * 12);
  for (let i = 0; i < count; i++) {
    const owner = randomName(next, origin, 3);
    const target = randomName(next, next() < 0.8 ? origin : "elsewhere.", 3);
    const pick = next();
    if (pick < 0.25) lines.push(`${owner} A 192.0.2.${i}`);
    else if (pick < 0.35) lines.push(`${owner} AAAA 2001:db8::${i}`);
    else if (pick < 0.5) lines.push(`${owner} TXT t${i}`);
    else if (pick < 0.6) lines.push(`${owner} MX ${i} ${target}`);
    else if (pick < 0.7) lines.push(`${owner} NS ${target}`);
    else if (pick < 0.85) lines.push(`${owner} CNAME ${target}`);
    else if (pick < 0.9 && allowDname) lines.push(`${owner} DNAME ${target}`);
    else lines.push(`${owner} SRV 0 0 1 ${target}`);
  }
  return lines.map((l) => rr(l, origin));
}

/**
 * The oracle: what RFC 1034 §4.3.2 says about a name in one zone without CNAME or DNAME
 * records, computed from the record list alone.
 */
function classify(records: readonly ResourceRecord[], origin: string, qname: string, qtype: number): string {
  const owners = records.map((r) => canonicalName(r.name));
  const q = canonicalName(qname);
  const exists = (n: string): boolean => owners.some((o) => isSubdomain(o, n));
  // The highest cut at or above the name (DS at the cut itself is the parent's).
  let cut: string | undefined;
  for (let n = q; n !== origin; n = parentName(n)) {
    if (records.some((r) => r.type === RRType.NS && canonicalName(r.name) === n)) cut = n;
  }
  if (cut !== undefined && !(qtype === RRType.DS && cut === q)) return "referral";
  if (exists(q)) return "exists";
  let ce = q;
  while (!exists(ce)) ce = parentName(ce);
  // A wildcard that is an empty non-terminal still exists, and synthesizes NODATA.
  return exists(ce === "." ? "*." : `*.${ce}`) ? "wildcard" : "nxdomain";
}

void describe("answer (fuzz)", () => {
  void it(`keeps its invariants over ${ITERATIONS} random zones`, () => {
    const next = random(0x5eed);
    let checked = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const withAliases = next() < 0.6;
      const recordsA = randomZone(next, "example.", withAliases).filter(
        (r) => withAliases || (r.type !== RRType.CNAME && r.type !== RRType.DNAME),
      );
      let zones: ZoneSet;
      try {
        zones = new ZoneSet([new Zone({ origin: "example.", records: recordsA })]);
        if (next() < 0.3)
          zones.set(new Zone({ origin: "B.a.example.", records: randomZone(next, "b.a.example.", true) }));
      } catch (e) {
        if (e instanceof ConfigError) continue; // e.g. a CNAME beside other data
        throw e;
      }
      for (let k = 0; k < 20; k++) {
        const qname = randomName(next, next() < 0.9 ? "example." : "other.", 4);
        const qtypeName = QTYPES[Math.floor(next() * QTYPES.length)]!;
        const qtype = RRType[qtypeName as keyof typeof RRType];
        const qclass = next() < 0.9 ? RRClass.IN : RRClass.ANY;
        const r = answer(
          zones,
          { name: qname, type: qtype, class: qclass },
          { any: next() < 0.5 ? "single" : "all" },
        );
        const where = `${qname} ${qtypeName} in ${recordsA.map((x) => `${x.name} ${x.type}`).join(", ")}`;
        if (!qname.endsWith("example.")) {
          assert.equal(r, null, where);
          continue;
        }
        assert.ok(r !== null, where);
        assert.ok([Rcode.NOERROR, Rcode.NXDOMAIN, 6].includes(r.rcode), where);
        // No record of the zone twice in a response (an RRset goes in one section only).
        const seen = new Set<ResourceRecord>();
        for (const x of [...r.answers, ...r.authority, ...r.additional]) {
          assert.ok(!seen.has(x), `${where}: ${x.name} twice`);
          seen.add(x);
        }
        // The answer starts at the question's name (or a DNAME above it), case kept.
        const first = r.answers[0];
        if (first !== undefined && first.type !== RRType.DNAME) assert.equal(first.name, qname, where);
        if (r.rcode === Rcode.NXDOMAIN && qclass === RRClass.IN) {
          assert.equal(r.authority.at(-1)?.type, RRType.SOA, where);
        }
        if (qclass === RRClass.ANY)
          assert.ok(
            r.authority.every((x) => x.type !== RRType.SOA),
            where,
          );
        if (r.optionalAuthority > 0)
          assert.ok(r.authority.slice(-r.optionalAuthority).every((x) => x.type === RRType.NS));

        // Against the oracle: a single zone without aliases, class IN.
        if (withAliases || zones.size !== 1 || qclass !== RRClass.IN) continue;
        const expected = classify(recordsA, "example.", qname, qtype);
        const got = !r.aa
          ? "referral"
          : r.rcode === Rcode.NXDOMAIN
            ? "nxdomain"
            : zones.find(qname)!.node(canonicalName(qname)) !== undefined
              ? "exists"
              : "wildcard";
        assert.equal(got, expected, where);
        if (got === "referral") {
          assert.equal(r.answers.length, 0, where);
          assert.ok(r.authority.length > 0 && r.authority.every((x) => x.type === RRType.NS), where);
        }
        checked++;
      }
    }
    assert.ok(checked > ITERATIONS, `only ${checked} oracle checks`);
  });
});
