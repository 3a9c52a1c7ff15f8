import assert from "node:assert/strict";
import { test } from "node:test";
import { seededRandom } from "../codec/testing.js";
import { isSubdomain, namesEqual } from "../name.js";
import { Rcode, RRType } from "../types.js";
import type { Message, ResourceRecord } from "../types.js";
import { judgeResponse } from "./response.js";

const ITERATIONS = Number(process.env.PORTICO_FUZZ_ITERATIONS ?? "2000");

/** Names in and out of the bailiwicks used, in mixed case, so every rule gets exercised. */
const NAMES = [
  ".",
  "test.",
  "TEST.",
  "example.test.",
  "www.example.test.",
  "WWW.Example.Test.",
  "a.www.example.test.",
  "sub.example.test.",
  "ns.sub.example.test.",
  "other.",
  "www.other.",
  "victim.test.",
  "ns1.example.test.",
];
const ZONES = [".", "test.", "example.test.", "sub.example.test.", "other."];
const TYPES = [RRType.A, RRType.AAAA, RRType.CNAME, RRType.NS, RRType.SOA, RRType.MX, RRType.TXT];
const RCODES = [Rcode.NOERROR, Rcode.NOERROR, Rcode.NXDOMAIN, Rcode.SERVFAIL, Rcode.REFUSED];

test("judgeResponse: never throws, and keeps nothing from outside the bailiwick", () => {
  const random = seededRandom(Number(process.env.PORTICO_FUZZ_SEED ?? "24301"));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const record = (): ResourceRecord => {
    const name = pick(NAMES);
    const type = pick(TYPES);
    const target = pick(NAMES);
    switch (type) {
      case RRType.A:
        return { name, type, class: 1, ttl: 60, data: { kind: "A", address: "192.0.2.1" } };
      case RRType.AAAA:
        return { name, type, class: 1, ttl: 60, data: { kind: "AAAA", address: "2001:db8::1" } };
      case RRType.CNAME:
        return { name, type, class: 1, ttl: 60, data: { kind: "CNAME", target } };
      case RRType.NS:
        return { name, type, class: 1, ttl: 60, data: { kind: "NS", target } };
      case RRType.MX:
        return { name, type, class: 1, ttl: 60, data: { kind: "MX", preference: 10, exchange: target } };
      case RRType.SOA:
        return {
          name,
          type,
          class: 1,
          ttl: 60,
          data: {
            kind: "SOA",
            mname: target,
            rname: target,
            serial: 1,
            refresh: 1,
            retry: 1,
            expire: 1,
            minimum: 30,
          },
        };
      default:
        return { name, type, class: random() < 0.9 ? 1 : 3, ttl: 60, data: { kind: "TXT", strings: [] } };
    }
  };
  const section = (): ResourceRecord[] => Array.from({ length: Math.floor(random() * 5) }, record);

  for (let i = 0; i < ITERATIONS; i++) {
    const message: Message = {
      id: 1,
      opcode: 0,
      flags: {
        qr: true,
        aa: random() < 0.5,
        tc: random() < 0.05,
        rd: false,
        ra: false,
        z: false,
        ad: false,
        cd: false,
      },
      rcode: pick(RCODES),
      questions: [],
      answers: section(),
      authority: section(),
      additional: section(),
    };
    const qname = pick(NAMES);
    const qtype = pick(TYPES);
    const zone = pick(ZONES);
    const referrals = random() < 0.7;
    const verdict = judgeResponse(message, qname, qtype, { zone, referrals, maxChain: 8 });
    switch (verdict.kind) {
      case "final":
        assert.ok(verdict.steps.size > 0);
        for (const step of verdict.steps.values()) {
          const records =
            step.kind === "answer"
              ? step.records
              : step.kind === "cname"
                ? [step.record]
                : step.soa === undefined
                  ? []
                  : [step.soa];
          for (const r of records) assert.ok(isSubdomain(r.name, zone), `${r.name} is outside ${zone}`);
        }
        break;
      case "referral":
        assert.ok(referrals);
        assert.ok(isSubdomain(verdict.zone, zone) && !namesEqual(verdict.zone, zone));
        assert.ok(isSubdomain(qname, verdict.zone));
        for (const r of verdict.ns) assert.ok(namesEqual(r.name, verdict.zone));
        for (const r of verdict.glue)
          assert.ok(isSubdomain(r.name, zone), `glue ${r.name} is outside ${zone}`);
        break;
      case "unusable":
        assert.ok(verdict.reason.length > 0);
        break;
    }
  }
});
