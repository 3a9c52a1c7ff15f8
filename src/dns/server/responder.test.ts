import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Zone, ZoneSet } from "../authority/index.js";
import { decodeMessage, encodeMessage } from "../codec/index.js";
import { Opcode, Rcode, RRClass, RRType } from "../types.js";
import type { Edns, Message } from "../types.js";
import { parseZone } from "../zone/index.js";
import { Responder } from "./responder.js";

const zones = new ZoneSet([
  new Zone(
    parseZone(
      [
        "$TTL 3600",
        "@ SOA ns1 hostmaster 1 7200 900 1209600 300",
        "@ NS ns1",
        "ns1 A 192.0.2.1",
        "ns1 AAAA 2001:db8::1",
        "www A 192.0.2.80",
        "deleg NS ns.deleg",
        "ns.deleg A 192.0.2.53",
        "ns.deleg AAAA 2001:db8::53",
      ].join("\n"),
      { file: "example.test.zone", origin: "example.test." },
    ),
  ),
]);

const responder = new Responder({ zones: () => zones });

const EDNS: Edns = {
  udpPayloadSize: 1232,
  extendedRcode: 0,
  version: 0,
  dnssecOk: false,
  flags: 0,
  options: [],
};

function query(name: string, type: number, extra: Partial<Message> = {}): Uint8Array {
  return encodeMessage({
    id: 0x1234,
    opcode: Opcode.QUERY,
    flags: { qr: false, aa: false, tc: false, rd: true, ra: false, z: false, ad: false, cd: false },
    rcode: 0,
    questions: [{ name, type, class: RRClass.IN }],
    answers: [],
    authority: [],
    additional: [],
    ...extra,
  });
}

function ask(bytes: Uint8Array, transport: "udp" | "tcp" = "udp", ipv6 = false): Message {
  const response = responder.respond(bytes, transport, ipv6);
  assert.ok(response !== undefined);
  return decodeMessage(response);
}

void describe("Responder", () => {
  void it("copies CD and RD into an authoritative answer (RFC 4035 §3.1.6, RFC 1035 §4.1.1)", () => {
    const flags = { qr: false, aa: false, tc: false, rd: true, ra: false, z: false, ad: false, cd: true };
    const r = ask(query("www.example.test.", RRType.A, { flags }));
    assert.equal(r.flags.cd, true);
    assert.equal(r.flags.rd, true);
    assert.equal(r.flags.aa, true);
  });

  void it("refuses a name outside its zones with EDE 20 when the query has EDNS (RFC 8914)", () => {
    const r = ask(query("www.elsewhere.", RRType.A, { edns: EDNS }));
    assert.equal(r.rcode, Rcode.REFUSED);
    assert.deepEqual(r.edns?.options, [{ code: 15, data: Uint8Array.of(0, 20) }]);
    assert.equal(ask(query("www.elsewhere.", RRType.A)).edns, undefined);
  });

  void it("answers another opcode with NOTIMP and the header alone, without parsing the rest", () => {
    const bytes = Buffer.from(query("www.example.test.", RRType.A, { opcode: Opcode.UPDATE, edns: EDNS }));
    bytes.writeUInt16BE(0xffff, 6); // ANCOUNT the message does not have: not looked at
    const r = ask(bytes);
    assert.equal(r.rcode, Rcode.NOTIMP);
    assert.equal(r.opcode, Opcode.UPDATE);
    assert.equal(r.questions.length, 0);
    assert.equal(r.edns, undefined);
  });

  void it("answers EDNS version 1 with BADVERS, the question, version 0 and DO clear", () => {
    const r = ask(query("www.example.test.", RRType.A, { edns: { ...EDNS, version: 1, dnssecOk: true } }));
    assert.equal(r.rcode, Rcode.BADVERS);
    assert.equal(r.questions[0]?.name, "www.example.test.");
    assert.equal(r.edns?.version, 0);
    assert.equal(r.edns?.dnssecOk, false);
  });

  void it("answers AXFR with NOTIMP over UDP and REFUSED (EDE 18) over TCP", () => {
    assert.equal(ask(query("example.test.", RRType.AXFR)).rcode, Rcode.NOTIMP);
    const tcp = ask(query("example.test.", RRType.AXFR, { edns: EDNS }), "tcp");
    assert.equal(tcp.rcode, Rcode.REFUSED);
    assert.deepEqual(tcp.edns?.options, [{ code: 15, data: Uint8Array.of(0, 18) }]);
  });

  void it("lists AAAA glue first for an IPv6 client, so it is what stays when space runs short", () => {
    const referral = query("host.deleg.example.test.", RRType.A);
    assert.deepEqual(
      ask(referral).additional.map((r) => r.type),
      [RRType.A, RRType.AAAA],
    );
    assert.deepEqual(
      ask(referral, "udp", true).additional.map((r) => r.type),
      [RRType.AAAA, RRType.A],
    );
  });

  void it("drops responses and messages shorter than a header", () => {
    const bytes = Buffer.from(query("www.example.test.", RRType.A));
    bytes[2]! |= 0x80;
    assert.equal(responder.respond(bytes, "udp"), undefined);
    assert.equal(responder.respond(bytes.subarray(0, 11), "udp"), undefined);
  });
});
