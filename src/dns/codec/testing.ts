/**
 * Helpers shared by the codec's tests: message builders and a seeded random source. Not part
 * of the public API.
 */
import type { Flags, Message, RData, ResourceRecord } from "../types.js";
export { seededRandom } from "../../../test/support/fuzz.js";

export const NO_FLAGS: Flags = {
  qr: false,
  aa: false,
  tc: false,
  rd: false,
  ra: false,
  z: false,
  ad: false,
  cd: false,
};

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A record of class IN with TTL 3600 unless told otherwise. */
export function rr(name: string, type: number, data: RData, ttl = 3600, cls = 1): ResourceRecord {
  return { name, type, class: cls, ttl, data };
}

/** A message with defaults for everything not given. */
export function message(fields: Partial<Message>): Message {
  return {
    id: 0x1234,
    opcode: 0,
    flags: NO_FLAGS,
    rcode: 0,
    questions: [],
    answers: [],
    authority: [],
    additional: [],
    ...fields,
  };
}

/** One record of every type the codec knows, plus opaque ones, all owned by `owner`. */
export function everyType(owner: string): ResourceRecord[] {
  return [
    rr(owner, 1, { kind: "A", address: "192.0.2.1" }),
    rr(owner, 28, { kind: "AAAA", address: "2001:db8::1:0:0:1" }),
    rr(owner, 28, { kind: "AAAA", address: "::ffff:10.0.0.1" }),
    rr(owner, 2, { kind: "NS", target: "ns1.example.test." }),
    rr(owner, 5, { kind: "CNAME", target: "a\\.b\\032c.example.test." }),
    rr(owner, 12, { kind: "PTR", target: "ptr.example.test." }),
    rr(owner, 39, { kind: "DNAME", target: "dname.example.test." }),
    rr(owner, 15, { kind: "MX", preference: 10, exchange: "mail.example.test." }),
    rr(owner, 6, {
      kind: "SOA",
      mname: "ns1.example.test.",
      rname: "host\\.master.example.test.",
      serial: 4294967295,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 300,
    }),
    rr(owner, 16, {
      kind: "TXT",
      strings: [text("hello world"), new Uint8Array(0), new Uint8Array(255).fill(0xff)],
    }),
    rr(owner, 33, { kind: "SRV", priority: 1, weight: 2, port: 5060, target: "sip.example.test." }),
    rr(owner, 257, { kind: "CAA", flags: 128, tag: "issue", value: text("ca.example.net") }),
    rr(owner, 35, {
      kind: "NAPTR",
      order: 100,
      preference: 10,
      flags: text("S"),
      services: text("SIP+D2U"),
      regexp: new Uint8Array(0),
      replacement: "_sip._udp.example.test.",
    }),
    rr(owner, 43, { kind: "opaque", data: Uint8Array.from([0x30, 0x39, 8, 2, 1, 2, 3, 4]) }), // DS
    rr(owner, 13, { kind: "opaque", data: Uint8Array.from([3, 0x41, 0x42, 0x43, 1, 0x44]) }), // HINFO
    rr(owner, 65280, { kind: "opaque", data: new Uint8Array(0) }),
    rr(owner, 1, { kind: "opaque", data: Uint8Array.from([1, 2, 3, 4, 5, 6]) }, 1, 3), // CH A
  ];
}
