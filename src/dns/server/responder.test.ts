import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NetworkSet } from "../../core/address.js";
import { ReverseIndex, reverseName, Zone, ZoneSet } from "../authority/index.js";
import { decodeMessage, encodeMessage } from "../codec/index.js";
import type { ResolveResult } from "../resolver/index.js";
import { Opcode, Rcode, RRClass, RRType } from "../types.js";
import type { Edns, Message, ResourceRecord } from "../types.js";
import { parseZone } from "../zone/index.js";
import { Recursion } from "./recursion.js";
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

const TRANSFER_ZONES = new ZoneSet([...zones]);
const transferring = new Responder({
  zones: () => TRANSFER_ZONES,
  allowTransfer: new NetworkSet(["192.0.2.0/24", "2001:db8::/32"]),
});

function serveOne(r: Responder, bytes: Uint8Array, transport: "udp" | "tcp", address: string): Message {
  const reply = r.serve(bytes, transport, address);
  assert.ok(reply instanceof Uint8Array, "one message");
  return decodeMessage(reply);
}

function soaRecord(serial: number): ResourceRecord {
  return {
    name: "example.test.",
    type: RRType.SOA,
    class: RRClass.IN,
    ttl: 0,
    data: { kind: "SOA", mname: ".", rname: ".", serial, refresh: 0, retry: 0, expire: 0, minimum: 0 },
  };
}

void describe("Responder: zone transfers (RFC 5936, RFC 1995)", () => {
  void it("streams an AXFR over TCP to an allowed client, AA set, RA clear", () => {
    const reply = transferring.serve(query("example.test.", RRType.AXFR, { edns: EDNS }), "tcp", "192.0.2.7");
    assert.ok(reply !== undefined && !(reply instanceof Uint8Array) && !(reply instanceof Promise));
    const messages = [...reply].map((b) => decodeMessage(b));
    const answers = messages.flatMap((m) => m.answers);
    assert.equal(answers[0]?.type, RRType.SOA);
    assert.equal(answers.at(-1)?.type, RRType.SOA);
    assert.equal(answers.length, 9); // 7 records, the SOA twice
    assert.equal(messages[0]?.flags.aa, true);
    assert.equal(messages[0]?.flags.ra, false);
    assert.ok(messages[0]?.edns);
  });

  void it("refuses a client outside allow_transfer (EDE 18), and everyone through respond()", () => {
    const r = serveOne(transferring, query("example.test.", RRType.AXFR, { edns: EDNS }), "tcp", "10.0.0.1");
    assert.equal(r.rcode, Rcode.REFUSED);
    assert.deepEqual(r.edns?.options, [{ code: 15, data: Uint8Array.of(0, 18) }]);
    assert.equal(
      decodeMessage(transferring.respond(query("example.test.", RRType.AXFR), "tcp")!).rcode,
      Rcode.REFUSED,
    );
    // The refusal was not cached for the next, allowed client.
    const allowed = transferring.serve(query("example.test.", RRType.AXFR), "tcp", "192.0.2.7");
    assert.ok(allowed !== undefined && !(allowed instanceof Uint8Array) && !(allowed instanceof Promise));
  });

  void it("answers NOTAUTH for a name that is not a zone apex, as NSD (RFC 5936 §2.2.1 note e)", () => {
    for (const name of ["www.example.test.", "elsewhere."]) {
      const r = serveOne(transferring, query(name, RRType.AXFR, { edns: EDNS }), "tcp", "192.0.2.7");
      assert.equal(r.rcode, Rcode.NOTAUTH);
      assert.deepEqual(r.questions[0]?.name, name);
      assert.deepEqual(r.edns?.options, []);
    }
  });

  void it("keeps AXFR over UDP NOTIMP, even for an allowed client", () => {
    assert.equal(
      serveOne(transferring, query("example.test.", RRType.AXFR), "udp", "192.0.2.7").rcode,
      Rcode.NOTIMP,
    );
  });

  void it("answers IXFR: the SOA alone when up to date, the whole zone when not, FORMERR without a SOA", () => {
    const ixfr = (serial: number | undefined): Uint8Array =>
      query("example.test.", RRType.IXFR, serial === undefined ? {} : { authority: [soaRecord(serial)] });
    for (const serial of [1, 2]) {
      const r = serveOne(transferring, ixfr(serial), "tcp", "192.0.2.7");
      assert.deepEqual(
        r.answers.map((a) => a.type),
        [RRType.SOA],
      );
      assert.equal(r.flags.aa, true);
    }
    const full = transferring.serve(ixfr(0), "tcp", "192.0.2.7");
    assert.ok(full !== undefined && !(full instanceof Uint8Array) && !(full instanceof Promise));
    const first = decodeMessage([...full][0]!);
    assert.equal(first.questions[0]?.type, RRType.IXFR);
    assert.equal(first.answers.length, 9);
    // Over UDP the whole zone when it fits (it does here), else the SOA alone (§4).
    assert.equal(serveOne(transferring, ixfr(0), "udp", "192.0.2.7").answers.length, 9);
    assert.equal(serveOne(transferring, ixfr(undefined), "tcp", "192.0.2.7").rcode, Rcode.FORMERR);
    // Refusal comes before the format check, as in NSD.
    assert.equal(serveOne(transferring, ixfr(undefined), "tcp", "10.0.0.1").rcode, Rcode.REFUSED);
  });
});

void describe("Responder: NOTIFY to us (RFC 1996)", () => {
  const notify = (name: string, extra: Partial<Message> = {}): Uint8Array =>
    query(name, RRType.SOA, {
      opcode: Opcode.NOTIFY,
      flags: { qr: false, aa: true, tc: false, rd: false, ra: false, z: false, ad: false, cd: false },
      ...extra,
    });

  void it("refuses a NOTIFY for a zone we serve (we are its primary), header alone, AA copied", () => {
    const r = ask(notify("example.test.", { answers: [soaRecord(9)], edns: EDNS }));
    assert.equal(r.opcode, Opcode.NOTIFY);
    assert.equal(r.rcode, Rcode.REFUSED);
    assert.equal(r.flags.aa, true);
    assert.deepEqual([r.questions.length, r.answers.length, r.edns], [0, 0, undefined]);
  });

  void it("answers NXDOMAIN for another name and FORMERR without a question, as NSD", () => {
    assert.equal(ask(notify("www.example.test.")).rcode, Rcode.NXDOMAIN);
    assert.equal(ask(notify("elsewhere.")).rcode, Rcode.NXDOMAIN);
    assert.equal(ask(notify("example.test.", { questions: [] })).rcode, Rcode.FORMERR);
  });
});

/** A resolver stand-in: answers from a table, and counts lookups. */
function fakeResolver(results: Record<string, Partial<ResolveResult>>): {
  resolve: (name: string, type: number) => Promise<ResolveResult>;
  calls: string[];
} {
  const calls: string[] = [];
  return {
    calls,
    resolve: (name, type) => {
      calls.push(`${name}/${type}`);
      const found = results[name];
      return Promise.resolve({
        rcode: Rcode.SERVFAIL,
        name,
        type,
        answers: [],
        finalName: name,
        reason: "no forwarder answered",
        ...found,
      });
    },
  };
}

const ELSEWHERE_A: ResourceRecord = {
  name: "www.elsewhere.",
  type: RRType.A,
  class: RRClass.IN,
  ttl: 60,
  data: { kind: "A", address: "198.51.100.1" },
};
const ELSEWHERE_SOA: ResourceRecord = { ...soaRecord(3), name: "elsewhere." };

void describe("Responder: recursion", () => {
  const resolver = fakeResolver({
    "www.elsewhere.": { rcode: Rcode.NOERROR, answers: [ELSEWHERE_A] },
    "nx.elsewhere.": { rcode: Rcode.NXDOMAIN, soa: ELSEWHERE_SOA },
  });
  const recursive = new Responder({
    zones: () => zones,
    recursion: new Recursion({ resolve: resolver.resolve, allow: new NetworkSet(["127.0.0.0/8"]) }),
  });
  const serve = async (
    bytes: Uint8Array,
    address = "127.0.0.1",
    transport: "udp" | "tcp" = "udp",
  ): Promise<Message> => {
    const reply = await recursive.serve(bytes, transport, address);
    assert.ok(reply instanceof Uint8Array);
    return decodeMessage(reply);
  };

  void it("resolves a name outside the zones for an allowed client: RA set, AA clear", async () => {
    const r = await serve(query("www.elsewhere.", RRType.A, { edns: EDNS }));
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.deepEqual([r.flags.ra, r.flags.aa, r.flags.rd], [true, false, true]);
    assert.deepEqual(r.answers, [ELSEWHERE_A]);
    assert.deepEqual(r.edns?.options, []);
  });

  void it("passes a negative answer on with its SOA", async () => {
    const r = await serve(query("nx.elsewhere.", RRType.A));
    assert.equal(r.rcode, Rcode.NXDOMAIN);
    assert.deepEqual(r.authority, [ELSEWHERE_SOA]);
  });

  void it("answers SERVFAIL with an Extended DNS Error when the lookup fails", async () => {
    const r = await serve(query("down.elsewhere.", RRType.A, { edns: EDNS }));
    assert.equal(r.rcode, Rcode.SERVFAIL);
    const ede = r.edns?.options[0];
    assert.equal(ede?.code, 15);
    assert.deepEqual([...ede!.data.subarray(0, 2)], [0, 22]);
    assert.equal(Buffer.from(ede!.data.subarray(2)).toString(), "no forwarder answered");
  });

  void it("refuses a query without RD (EDE 20) and a client not allowed (EDE 18)", async () => {
    const flags = { qr: false, aa: false, tc: false, rd: false, ra: false, z: false, ad: false, cd: false };
    const norec = await serve(query("www.elsewhere.", RRType.A, { flags, edns: EDNS }));
    assert.equal(norec.rcode, Rcode.REFUSED);
    assert.deepEqual(norec.edns?.options, [{ code: 15, data: Uint8Array.of(0, 20) }]);
    const stranger = await serve(query("www.elsewhere.", RRType.A, { edns: EDNS }), "192.0.2.1");
    assert.equal(stranger.rcode, Rcode.REFUSED);
    assert.equal(stranger.flags.ra, false);
    assert.deepEqual(stranger.edns?.options, [{ code: 15, data: Uint8Array.of(0, 18) }]);
    assert.equal(
      decodeMessage(recursive.respond(query("www.elsewhere.", RRType.A), "udp")!).rcode,
      Rcode.REFUSED,
    );
  });

  void it("does not resolve meta types or other classes (NOTIMP, EDE 21)", async () => {
    const before = resolver.calls.length;
    assert.equal((await serve(query("www.elsewhere.", RRType.ANY))).rcode, Rcode.NOTIMP);
    assert.equal((await serve(query("www.elsewhere.", 254))).rcode, Rcode.NOTIMP);
    assert.equal(resolver.calls.length, before);
  });

  void it("answers its own zones authoritatively, with RA only for clients allowed recursion", async () => {
    // The cache holds the bytes without RA, so one client's RA does not leak to another.
    for (const [address, ra] of [
      ["127.0.0.1", true],
      ["192.0.2.1", false],
      ["127.0.0.2", true],
      ["192.0.2.1", false],
    ] as const) {
      const r = await serve(query("www.example.test.", RRType.A), address);
      assert.deepEqual([r.flags.aa, r.flags.ra], [true, ra], address);
    }
  });

  void it("answers SERVFAIL at once when too many lookups are in progress", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = new Responder({
      zones: () => zones,
      recursion: new Recursion({
        resolve: async (name, type) => {
          await gate;
          return { rcode: Rcode.NOERROR, name, type, answers: [], finalName: name };
        },
        allow: new NetworkSet(["127.0.0.1"]),
        maxLookups: 2,
      }),
    });
    const replies = [1, 2, 3].map((i) => slow.serve(query(`h${i}.elsewhere.`, RRType.A), "udp", "127.0.0.1"));
    assert.ok(replies[0] instanceof Promise && replies[1] instanceof Promise);
    assert.ok(replies[2] instanceof Uint8Array);
    assert.equal(decodeMessage(replies[2]).rcode, Rcode.SERVFAIL);
    release();
    assert.equal(decodeMessage((await replies[0])!).rcode, Rcode.NOERROR);
  });
});

void describe("Responder: PTR synthesis", () => {
  let state = { zones, reverse: new ReverseIndex(zones) };
  const synthesizing = new Responder({ zones: () => state.zones, reverseIndex: () => state.reverse });

  void it("answers a reverse name outside the zones from their A/AAAA records", () => {
    const r = decodeMessage(synthesizing.respond(query("80.2.0.192.in-addr.arpa.", RRType.PTR), "udp")!);
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.equal(r.flags.aa, true);
    assert.deepEqual(
      r.answers.map((a) => (a.data.kind === "PTR" ? a.data.target : "")),
      ["www.example.test."],
    );
    const v6 = reverseName("2001:db8::1");
    assert.equal(decodeMessage(synthesizing.respond(query(v6, RRType.PTR), "udp")!).answers.length, 1);
    // An address no zone has: refused as any name outside the zones.
    assert.equal(
      decodeMessage(synthesizing.respond(query("9.2.0.192.in-addr.arpa.", RRType.PTR), "udp")!).rcode,
      Rcode.REFUSED,
    );
  });

  void it("follows the index when the zones are reloaded", () => {
    const reloaded = new ZoneSet([
      new Zone(
        parseZone("$TTL 60\n@ SOA ns1 h 2 1 1 1 1\n@ NS ns1\nns1 A 192.0.2.9\n", {
          file: "example.test.zone",
          origin: "example.test.",
        }),
      ),
    ]);
    state = { zones: reloaded, reverse: new ReverseIndex(reloaded) };
    const ptr = (name: string): Message =>
      decodeMessage(synthesizing.respond(query(name, RRType.PTR), "udp")!);
    assert.equal(ptr("9.2.0.192.in-addr.arpa.").rcode, Rcode.NOERROR);
    assert.equal(ptr("80.2.0.192.in-addr.arpa.").rcode, Rcode.REFUSED);
  });
});
