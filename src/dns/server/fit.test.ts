import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeMessage, encodeMessage } from "../codec/index.js";
import { Opcode, RRClass, RRType } from "../types.js";
import type { Message, ResourceRecord } from "../types.js";
import { fitResponse } from "./fit.js";

function a(name: string, address: string): ResourceRecord {
  return { name, type: RRType.A, class: RRClass.IN, ttl: 60, data: { kind: "A", address } };
}

function aaaa(name: string, address: string): ResourceRecord {
  return { name, type: RRType.AAAA, class: RRClass.IN, ttl: 60, data: { kind: "AAAA", address } };
}

/** A TXT record of `size` bytes of text, in strings of at most 255. */
function txt(name: string, size: number): ResourceRecord {
  const strings: Uint8Array[] = [];
  for (let left = size; left > 0; left -= 255) strings.push(new Uint8Array(Math.min(left, 255)).fill(0x61));
  return { name, type: RRType.TXT, class: RRClass.IN, ttl: 60, data: { kind: "TXT", strings } };
}

function ns(name: string, target: string): ResourceRecord {
  return { name, type: RRType.NS, class: RRClass.IN, ttl: 60, data: { kind: "NS", target } };
}

function cname(name: string, target: string): ResourceRecord {
  return { name, type: RRType.CNAME, class: RRClass.IN, ttl: 60, data: { kind: "CNAME", target } };
}

function response(parts: Partial<Message>): Message {
  return {
    id: 7,
    opcode: Opcode.QUERY,
    flags: { qr: true, aa: true, tc: false, rd: false, ra: false, z: false, ad: false, cd: false },
    rcode: 0,
    questions: [{ name: "q.test.", type: RRType.TXT, class: RRClass.IN }],
    answers: [],
    authority: [],
    additional: [],
    ...parts,
  };
}

/** The names and types sent, per section. */
function sent(bytes: Uint8Array): {
  tc: boolean;
  answers: string[];
  authority: string[];
  additional: string[];
} {
  const m = decodeMessage(bytes);
  const show = (rrs: readonly ResourceRecord[]): string[] => rrs.map((r) => `${r.name} ${r.type}`);
  return {
    tc: m.flags.tc,
    answers: show(m.answers),
    authority: show(m.authority),
    additional: show(m.additional),
  };
}

void describe("fitResponse", () => {
  void it("sends a response that fits as it is", () => {
    const m = response({ answers: [txt("q.test.", 100)], authority: [ns("test.", "ns.test.")] });
    const { bytes, truncated } = fitResponse(m, 512, { optionalAuthority: 1, additionalSplit: 0 });
    assert.equal(truncated, false);
    assert.deepEqual(bytes, encodeMessage(m));
  });

  void it("keeps the answer RRsets that fit and sets TC at the first that does not", () => {
    const m = response({
      answers: [
        cname("q.test.", "big.test."),
        txt("big.test.", 200),
        txt("big.test.", 200),
        txt("big.test.", 200),
      ],
      authority: [ns("test.", "ns.test.")],
      additional: [a("ns.test.", "192.0.2.1")],
    });
    const { bytes, truncated } = fitResponse(m, 512, { optionalAuthority: 1, additionalSplit: 1 });
    assert.equal(truncated, true);
    assert.deepEqual(sent(bytes), { tc: true, answers: ["q.test. 5"], authority: [], additional: [] });
  });

  void it("sets TC with nothing in the answer when its one RRset is too big, over TCP's 65535 too", () => {
    const m = response({ answers: Array.from({ length: 300 }, () => txt("q.test.", 250)) });
    const { bytes, truncated } = fitResponse(m, 65_535);
    assert.equal(truncated, true);
    assert.deepEqual(sent(bytes), { tc: true, answers: [], authority: [], additional: [] });
  });

  void it("leaves out an optional NS RRset that does not fit, and then all additional data, without TC", () => {
    const m = response({
      answers: [txt("q.test.", 440)],
      authority: [ns("test.", "ns1.test."), ns("test.", "ns2.test.")],
      additional: [a("ns1.test.", "192.0.2.1")],
    });
    const { bytes, truncated } = fitResponse(m, 512, { optionalAuthority: 2, additionalSplit: 1 });
    assert.equal(truncated, false);
    assert.deepEqual(sent(bytes), { tc: false, answers: ["q.test. 16"], authority: [], additional: [] });
  });

  void it("skips an additional RRset that does not fit, adds later ones of its part, stops before the next part", () => {
    const big = Array.from({ length: 30 }, (_, i) => a("big.test.", `192.0.2.${i + 1}`));
    const m = response({
      answers: [txt("q.test.", 100)],
      additional: [...big, a("small.test.", "192.0.2.200"), aaaa("small.test.", "2001:db8::1")],
    });
    const { bytes, truncated } = fitResponse(m, 512, { optionalAuthority: 0, additionalSplit: 31 });
    assert.equal(truncated, false);
    assert.deepEqual(sent(bytes).additional, ["small.test. 1"]);
  });

  void it("keeps the OPT record and its DO bit when truncating", () => {
    const m = response({
      answers: [txt("q.test.", 250), txt("q.test.", 250), txt("q.test.", 250)],
      edns: { udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, flags: 0, options: [] },
    });
    const decoded = decodeMessage(fitResponse(m, 512).bytes);
    assert.equal(decoded.flags.tc, true);
    assert.equal(decoded.edns?.dnssecOk, true);
  });
});
