import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { axfrRecords, Zone } from "../authority/index.js";
import { decodeMessage } from "../codec/index.js";
import { Rcode, RRClass, RRType } from "../types.js";
import type { Edns, Message, ResourceRecord } from "../types.js";
import { parseZone, recordToText } from "../zone/index.js";
import {
  ixfrClientSerial,
  serialAtOrAfter,
  singleMessageTransfer,
  soaOnlyResponse,
  transferMessages,
  type TransferRequest,
} from "./transfer.js";

function zone(lines: readonly string[]): Zone {
  return new Zone(
    parseZone(
      [
        "$TTL 3600",
        "@ SOA ns1 hostmaster 7 7200 900 1209600 300",
        "@ NS ns1",
        "ns1 A 192.0.2.53",
        ...lines,
      ].join("\n"),
      {
        file: "big.test.zone",
        origin: "big.test.",
      },
    ),
  );
}

const EDNS: Edns = {
  udpPayloadSize: 1232,
  extendedRcode: 0,
  version: 0,
  dnssecOk: false,
  flags: 0,
  options: [],
};

function request(type: number = RRType.AXFR, edns?: Edns): TransferRequest {
  return { id: 0x4242, rd: true, question: { name: "BIG.test.", type, class: RRClass.IN }, edns };
}

const text = (records: readonly ResourceRecord[]): string[] =>
  records.map((r) => recordToText(r).toLowerCase());

describe("serialAtOrAfter (RFC 1982 §3.2)", () => {
  it("compares in sequence space, across the wrap", () => {
    assert.equal(serialAtOrAfter(7, 7), true);
    assert.equal(serialAtOrAfter(8, 7), true);
    assert.equal(serialAtOrAfter(6, 7), false);
    assert.equal(serialAtOrAfter(0, 0xffff_ffff), true, "0 follows 2^32-1");
    assert.equal(serialAtOrAfter(0xffff_ffff, 0), false);
    assert.equal(serialAtOrAfter(0x7fff_ffff, 0), true);
    assert.equal(serialAtOrAfter(0x8000_0000, 0), false, "2^31 apart is undefined: not after");
    assert.equal(serialAtOrAfter(0, 0x8000_0000), false);
  });
});

describe("transferMessages (RFC 5936 §2.2)", () => {
  // 3,000 names with two records each, and a few big TXT RRsets among them.
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    lines.push(`host${i} A 10.${i >> 8}.${i & 255}.1`, `host${i} AAAA 2001:db8::${i.toString(16)}`);
    if (i % 700 === 0) {
      const strings = Array.from({ length: 100 }, () => `"${"x".repeat(250)}"`).join(" ");
      lines.push(`big${i} TXT ${strings}`); // ~25 KB of rdata
    }
  }
  const big = zone(lines);

  it("sends every record once, SOA first and last, in messages of at most 65,535 bytes", () => {
    const messages = [...transferMessages(big, request(RRType.AXFR, EDNS))].map((bytes) => {
      assert.ok(bytes.length <= 65_535, `a message of ${bytes.length} bytes`);
      return decodeMessage(bytes);
    });
    assert.ok(messages.length > 5, `only ${messages.length} messages`);
    const all = messages.flatMap((m) => m.answers);
    assert.deepEqual(text(all), text(axfrRecords(big)));
    assert.equal(all[0]?.type, RRType.SOA);
    assert.equal(all.at(-1)?.type, RRType.SOA);
    assert.equal(all.filter((r) => r.type === RRType.SOA).length, 2);
    for (const [index, m] of messages.entries()) {
      assert.equal(m.id, 0x4242);
      assert.equal(m.rcode, Rcode.NOERROR);
      assert.deepEqual(
        [m.flags.qr, m.flags.aa, m.flags.tc, m.flags.rd, m.flags.ra, m.flags.cd],
        [true, true, false, true, false, false],
      );
      assert.equal(m.authority.length, 0);
      // The question (as asked, case kept) and the OPT record in the first message only.
      assert.deepEqual(m.questions, index === 0 ? [request().question] : []);
      assert.equal(m.edns !== undefined, index === 0);
    }
  });

  it("fills messages to about the target size, compressing within each", () => {
    const sizes = [...transferMessages(big, request())].map((b) => b.length);
    const small = sizes.slice(0, -1).filter((s) => s < 8_000);
    assert.deepEqual(small, [], `messages well under the 16 KiB target: ${sizes.join(", ")}`);
    const total = sizes.reduce((a, b) => a + b, 0);
    // Uncompressed, the 3,000 hosts take 78 bytes each (two owners of 19 bytes) and the TXT
    // RRsets 102,400: 336 KB. Compressed, the owners of the AAAA records are pointers.
    assert.ok(total < 300_000, `transfer of ${total} bytes`);
  });

  it("is lazy: a message is encoded when it is asked for", () => {
    const messages = transferMessages(big, request());
    const first = messages.next();
    assert.equal(first.done, false);
    messages.return();
    assert.equal(messages.next().done, true);
  });

  it("puts a record too large for any message into none, ending with SERVFAIL and the question", () => {
    // 65,280 bytes of rdata (the most is 65,535) at a 254-byte owner name: with the header,
    // more than a message holds.
    const owner = Array.from({ length: 4 }, () => "o".repeat(60)).join(".");
    const huge = `${owner} TXT ${Array.from({ length: 255 }, () => `"${"y".repeat(255)}"`).join(" ")}`;
    const messages = [...transferMessages(zone(["www A 192.0.2.1", huge]), request())].map((b) =>
      decodeMessage(b),
    );
    const last = messages.at(-1)!;
    assert.equal(last.rcode, Rcode.SERVFAIL);
    assert.deepEqual(last.questions, [request().question]);
    assert.equal(last.answers.length, 0);
  });

  it("a small zone is one message", () => {
    const small = zone(["www A 192.0.2.1"]);
    const messages = [...transferMessages(small, request())];
    assert.equal(messages.length, 1);
    assert.deepEqual(text(decodeMessage(messages[0]!).answers), text(axfrRecords(small)));
  });
});

describe("IXFR answers (RFC 1995)", () => {
  const small = zone(["www A 192.0.2.1", "mail A 192.0.2.25"]);

  it("reads the client's serial from the first SOA of the authority section (§3)", () => {
    const soa = axfrRecords(small)[0]!;
    const query = (authority: ResourceRecord[]): Message => ({
      id: 1,
      opcode: 0,
      flags: { qr: false, aa: false, tc: false, rd: false, ra: false, z: false, ad: false, cd: false },
      rcode: 0,
      questions: [],
      answers: [],
      authority,
      additional: [],
    });
    assert.equal(ixfrClientSerial(query([soa])), 7);
    assert.equal(ixfrClientSerial(query([])), undefined);
  });

  it("answers an up-to-date client with the SOA alone", () => {
    const m = decodeMessage(soaOnlyResponse(small, request(RRType.IXFR, EDNS)));
    assert.equal(m.flags.aa, true);
    assert.deepEqual(m.questions, [request(RRType.IXFR).question]);
    assert.deepEqual(text(m.answers), text([small.soa]));
    assert.ok(m.edns);
  });

  it("fits a small zone in one UDP message, and says so when it does not (§4)", () => {
    const whole = singleMessageTransfer(small, request(RRType.IXFR), 512);
    assert.ok(whole);
    assert.deepEqual(text(decodeMessage(whole).answers), text(axfrRecords(small)));
    const lines = Array.from({ length: 100 }, (_, i) => `h${i} A 192.0.2.${i}`);
    assert.equal(singleMessageTransfer(zone(lines), request(RRType.IXFR), 512), undefined);
  });
});
