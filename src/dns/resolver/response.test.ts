import assert from "node:assert/strict";
import { test } from "node:test";
import { Rcode } from "../types.js";
import type { Message, RData, ResourceRecord } from "../types.js";
import { judgeResponse, type JudgeOptions } from "./response.js";

function rr(name: string, type: number, data: RData, ttl = 300): ResourceRecord {
  return { name, type, class: 1, ttl, data };
}
const A = (name: string, address: string): ResourceRecord => rr(name, 1, { kind: "A", address });
const CNAME = (name: string, target: string): ResourceRecord => rr(name, 5, { kind: "CNAME", target });
const NS = (name: string, target: string): ResourceRecord => rr(name, 2, { kind: "NS", target });
const SOA = (name: string): ResourceRecord =>
  rr(name, 6, {
    kind: "SOA",
    mname: `ns.${name}`,
    rname: `h.${name}`,
    serial: 1,
    refresh: 1,
    retry: 1,
    expire: 1,
    minimum: 60,
  });

function response(fields: Partial<Message> & { aa?: boolean }): Message {
  const { aa, ...rest } = fields;
  return {
    id: 1,
    opcode: 0,
    flags: { qr: true, aa: aa ?? false, tc: false, rd: false, ra: false, z: false, ad: false, cd: false },
    rcode: Rcode.NOERROR,
    questions: [],
    answers: [],
    authority: [],
    additional: [],
    ...rest,
  };
}

const iterative = (zone: string): JudgeOptions => ({ zone, referrals: true, maxChain: 12 });

test("an answer: the RRset asked for, matched without case", () => {
  const verdict = judgeResponse(
    response({
      aa: true,
      answers: [A("WWW.example.test.", "192.0.2.1"), A("www.example.test.", "192.0.2.2")],
    }),
    "www.Example.test.",
    1,
    iterative("example.test."),
  );
  assert.equal(verdict.kind, "final");
  const step = verdict.kind === "final" ? verdict.steps.get("www.example.test.") : undefined;
  assert.equal(step?.kind === "answer" && step.records.length, 2);
});

test("bailiwick: a CNAME chain is taken only as far as it stays in the zone asked", () => {
  const verdict = judgeResponse(
    response({
      aa: true,
      answers: [
        CNAME("www.example.test.", "web.example.test."),
        CNAME("web.example.test.", "www.victim.test."),
        A("www.victim.test.", "198.51.100.66"),
      ],
    }),
    "www.example.test.",
    1,
    iterative("example.test."),
  );
  assert.equal(verdict.kind, "final");
  if (verdict.kind !== "final") return;
  assert.deepEqual([...verdict.steps.keys()], ["www.example.test.", "web.example.test."]);
  assert.ok([...verdict.steps.values()].every((s) => s.kind === "cname"));
});

test("bailiwick: out-of-zone glue is discarded from a referral; in-zone glue kept", () => {
  const verdict = judgeResponse(
    response({
      authority: [NS("example.test.", "ns1.example.test."), NS("example.test.", "ns.other.")],
      additional: [
        A("ns1.example.test.", "192.0.2.53"),
        A("ns.other.", "198.51.100.66"),
        A("www.bank.test.", "198.51.100.66"),
      ],
    }),
    "www.example.test.",
    1,
    iterative("test."),
  );
  assert.equal(verdict.kind, "referral");
  if (verdict.kind !== "referral") return;
  assert.equal(verdict.zone, "example.test.");
  assert.equal(verdict.ns.length, 2);
  assert.deepEqual(
    verdict.glue.map((r) => r.name),
    ["ns1.example.test."],
  );
});

test("referrals upwards or sideways are unusable (lame), and so is one to a forwarder", () => {
  const up = judgeResponse(
    response({ authority: [NS("test.", "ns.test.")] }),
    "www.example.test.",
    1,
    iterative("example.test."),
  );
  assert.equal(up.kind, "unusable");
  const sideways = judgeResponse(
    response({ authority: [NS("other.test.", "ns.other.test.")] }),
    "www.example.test.",
    1,
    iterative("test."),
  );
  assert.equal(sideways.kind, "unusable");
  const forwarded = judgeResponse(
    response({ authority: [NS("example.test.", "ns.example.test.")] }),
    "www.example.test.",
    1,
    { zone: ".", referrals: false, maxChain: 12 },
  );
  assert.equal(forwarded.kind, "unusable");
});

test("negative answers: NXDOMAIN and NODATA with the zone's SOA; an out-of-bailiwick SOA is ignored", () => {
  const nx = judgeResponse(
    response({ aa: true, rcode: Rcode.NXDOMAIN, authority: [SOA("example.test.")] }),
    "nx.example.test.",
    1,
    iterative("example.test."),
  );
  const nxStep = nx.kind === "final" ? nx.steps.get("nx.example.test.") : undefined;
  assert.equal(nxStep?.kind, "nxdomain");
  assert.equal(nxStep?.kind === "nxdomain" && nxStep.soa?.name, "example.test.");

  const nodata = judgeResponse(
    response({ aa: true, authority: [SOA("victim.")] }),
    "www.example.test.",
    16,
    iterative("example.test."),
  );
  const nodataStep = nodata.kind === "final" ? nodata.steps.get("www.example.test.") : undefined;
  assert.equal(nodataStep?.kind, "nodata");
  assert.equal(nodataStep?.kind === "nodata" && nodataStep.soa, undefined);
});

test("NXDOMAIN at the end of a CNAME chain is about the last name (RFC 6604)", () => {
  const verdict = judgeResponse(
    response({
      aa: true,
      rcode: Rcode.NXDOMAIN,
      answers: [CNAME("www.example.test.", "gone.example.test.")],
      authority: [SOA("example.test.")],
    }),
    "www.example.test.",
    1,
    iterative("example.test."),
  );
  assert.equal(verdict.kind, "final");
  if (verdict.kind !== "final") return;
  assert.equal(verdict.steps.get("www.example.test.")?.kind, "cname");
  assert.equal(verdict.steps.get("gone.example.test.")?.kind, "nxdomain");
});

test("error rcodes, truncation, empty non-authoritative answers are unusable", () => {
  for (const rcode of [Rcode.SERVFAIL, Rcode.REFUSED, Rcode.FORMERR, Rcode.NOTIMP]) {
    assert.equal(judgeResponse(response({ rcode }), "a.test.", 1, iterative(".")).kind, "unusable");
  }
  const tc = response({ aa: true, answers: [A("a.test.", "192.0.2.1")] });
  assert.equal(
    judgeResponse({ ...tc, flags: { ...tc.flags, tc: true } }, "a.test.", 1, iterative(".")).kind,
    "unusable",
  );
  assert.equal(judgeResponse(response({}), "a.test.", 1, iterative(".")).kind, "unusable");
  // A question outside the zone asked cannot be answered by its servers.
  assert.equal(judgeResponse(response({ aa: true }), "a.other.", 1, iterative("test.")).kind, "unusable");
});

test("a CNAME loop inside one response stops the chain", () => {
  const verdict = judgeResponse(
    response({ aa: true, answers: [CNAME("a.test.", "b.test."), CNAME("b.test.", "a.test.")] }),
    "a.test.",
    1,
    iterative("test."),
  );
  assert.equal(verdict.kind, "final");
  assert.equal(verdict.kind === "final" && verdict.steps.size, 2);
});

test("a query for CNAME itself gets the CNAME record as the answer", () => {
  const verdict = judgeResponse(
    response({ aa: true, answers: [CNAME("a.test.", "b.test.")] }),
    "a.test.",
    5,
    iterative("test."),
  );
  assert.equal(verdict.kind === "final" && verdict.steps.get("a.test.")?.kind, "answer");
});
