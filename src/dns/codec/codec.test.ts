import { test } from "node:test";
import assert from "node:assert/strict";
import { SocketAddress } from "node:net";
import { DecodeError } from "../../core/errors.js";
import { nameToWire } from "../name.js";
import type { Message, ResourceRecord } from "../types.js";
import {
  decodeHeader,
  decodeMessage,
  encodeMessage,
  encodeResponse,
  formatIPv6,
  parseIPv4,
  parseIPv6,
} from "./index.js";
import { everyType, message, NO_FLAGS, rr, seededRandom, text } from "./testing.js";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const ascii = (s: string): string => toHex(text(s));

function throwsDecode(buf: Uint8Array, pattern?: RegExp): DecodeError {
  let caught: unknown;
  try {
    decodeMessage(buf);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DecodeError, `expected DecodeError, got ${String(caught)}`);
  if (pattern !== undefined) assert.match(caught.message, pattern);
  return caught;
}

const EDNS = { udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, flags: 0, options: [] };

/*
 * A response built by hand from RFC 1035 §4.1 and the compression example of §4.1.4:
 *   12: question F.ISI.ARPA A IN
 *   28: FOO.F.ISI.ARPA (FOO + pointer to 12) A 192.0.2.1
 *   48: ARPA (pointer to 18) NS F.ISI.ARPA (pointer to 12)
 */
const RFC_RESPONSE = hex(`
  abcd 8500 0001 0002 0000 0000
  01${ascii("F")} 03${ascii("ISI")} 04${ascii("ARPA")} 00  0001 0001
  03${ascii("FOO")} c00c  0001 0001 00000e10 0004 c0000201
  c012  0002 0001 00000e10 0002 c00c
`);
const RFC_MESSAGE: Message = message({
  id: 0xabcd,
  flags: { ...NO_FLAGS, qr: true, aa: true, rd: true },
  questions: [{ name: "F.ISI.ARPA.", type: 1, class: 1 }],
  answers: [
    rr("FOO.F.ISI.ARPA.", 1, { kind: "A", address: "192.0.2.1" }),
    rr("ARPA.", 2, { kind: "NS", target: "F.ISI.ARPA." }),
  ],
});

void test("decodes a hand-built message with compression pointers", () => {
  assert.deepEqual(decodeMessage(RFC_RESPONSE), RFC_MESSAGE);
});

void test("encodes to the same hand-built bytes, pointers included", () => {
  assert.equal(toHex(encodeMessage(RFC_MESSAGE)), toHex(RFC_RESPONSE));
});

void test("encodes a query to known bytes", () => {
  const query = message({
    id: 0x0102,
    flags: { ...NO_FLAGS, rd: true, ad: true },
    questions: [{ name: "example.test.", type: 28, class: 1 }],
    edns: { ...EDNS, dnssecOk: true },
  });
  assert.equal(
    toHex(encodeMessage(query)),
    "0102 0120 0001 0000 0000 0001".replace(/ /g, "") +
      `07${ascii("example")}04${ascii("test")}00001c0001` +
      "00 0029 04d0 00 00 8000 0000".replace(/ /g, ""),
  );
});

void test("decodeHeader reads the fixed header only", () => {
  const h = decodeHeader(RFC_RESPONSE);
  assert.deepEqual(h, {
    id: 0xabcd,
    opcode: 0,
    flags: { ...NO_FLAGS, qr: true, aa: true, rd: true },
    rcode: 0,
    qdcount: 1,
    ancount: 2,
    nscount: 0,
    arcount: 0,
  });
  const notify = decodeHeader(hex("ffff 2405 0001 0000 0000 0000 ff ff"));
  assert.equal(notify.opcode, 4);
  assert.equal(notify.rcode, 5);
  assert.ok(notify.flags.aa && !notify.flags.qr);
  assert.throws(() => decodeHeader(hex("abcd 0000 0001")), DecodeError);
});

void test("round-trips every record type in every section", () => {
  const msg = message({
    id: 0xfedc,
    opcode: 5,
    flags: { qr: true, aa: true, tc: true, rd: true, ra: true, z: true, ad: true, cd: true },
    rcode: 3,
    questions: [
      { name: "www.example.test.", type: 255, class: 1 },
      { name: ".", type: 2, class: 255 },
    ],
    answers: everyType("www.example.test."),
    authority: everyType("example.test."),
    additional: everyType("other.test."),
  });
  const bytes = encodeMessage(msg);
  assert.deepEqual(decodeMessage(bytes), msg);
  assert.deepEqual(encodeMessage(decodeMessage(bytes)), bytes);
});

void test("decoded byte fields are plain copies, not views of the input", () => {
  const msg = message({ answers: [rr("a.test.", 16, { kind: "TXT", strings: [text("abc")] })] });
  const buf = Buffer.from(encodeMessage(msg));
  const decoded = decodeMessage(buf);
  buf.fill(0);
  const data = decoded.answers[0]!.data;
  assert.ok(data.kind === "TXT");
  assert.equal(Object.getPrototypeOf(data.strings[0]), Uint8Array.prototype);
  assert.deepEqual(data.strings[0], text("abc"));
});

void test("UPDATE-style empty RDATA with class ANY or NONE is opaque", () => {
  const msg = message({
    opcode: 5,
    authority: [
      rr("a.test.", 1, { kind: "opaque", data: new Uint8Array(0) }, 0, 255),
      rr("a.test.", 15, { kind: "opaque", data: new Uint8Array(0) }, 0, 254),
      rr("a.test.", 1, { kind: "A", address: "10.1.2.3" }, 0, 254),
    ],
  });
  assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
});

void test("an empty TXT record decodes as no strings and encodes as one empty string", () => {
  const empty = message({ answers: [rr("t.test.", 16, { kind: "TXT", strings: [] })] });
  const bytes = encodeMessage(empty);
  assert.equal(toHex(bytes.subarray(bytes.length - 3)), "000100"); // rdlength 1, one empty string
  const raw = hex(`0000 0000 0000 0001 0000 0000  00 0010 0001 00000000 0000`);
  assert.deepEqual(decodeMessage(raw).answers[0]!.data, { kind: "TXT", strings: [] });
});

void test("every truncation of a valid message is a DecodeError", () => {
  const msg = message({
    questions: [{ name: "www.example.test.", type: 1, class: 1 }],
    answers: everyType("www.example.test."),
    authority: everyType("example.test."),
    additional: everyType("x.test."),
    edns: { ...EDNS, options: [{ code: 10, data: new Uint8Array(8) }] },
  });
  const bytes = encodeMessage(msg);
  for (let cut = 0; cut < bytes.length; cut++) throwsDecode(bytes.subarray(0, cut));
});

void test("compression pointers must point backwards and not into the header", () => {
  // Self-pointer.
  let e = throwsDecode(hex("0000 0000 0001 0000 0000 0000 c00c 0001 0001"), /backwards/);
  assert.equal(e.offset, 12);
  // Forward pointer to a later name.
  throwsDecode(hex("0000 0000 0002 0000 0000 0000 c012 0001 0001 0161 00 0001 0001"), /backwards/);
  // A loop: the second name points back to the first, which points forward to the second.
  throwsDecode(hex("0000 0000 0002 0000 0000 0000 0161 c013 0001 0001 0162 c00c 0001 0001"), /backwards/);
  // A pointer from inside a label run to its own start.
  throwsDecode(hex("0000 0000 0001 0000 0000 0000 0161 c00c 0001 0001"), /backwards/);
  // Into the header.
  e = throwsDecode(hex("0000 0000 0001 0000 0000 0000 c005 0001 0001"), /header/);
  assert.equal(e.offset, 12);
  // A legal chain: 12 "a.", 19 "b" -> 12, 26 "c" -> 19.
  const chain = decodeMessage(
    hex("0000 0000 0003 0000 0000 0000 0161 00 0001 0001 0162 c00c 0001 0001 0163 c013 0001 0001"),
  );
  assert.deepEqual(
    chain.questions.map((q) => q.name),
    ["a.", "b.a.", "c.b.a."],
  );
});

void test("reserved label types are refused", () => {
  let e = throwsDecode(hex("0000 0000 0001 0000 0000 0000 0161 4100 0001 0001"), /reserved label type 0x40/);
  assert.equal(e.offset, 14);
  e = throwsDecode(hex("0000 0000 0001 0000 0000 0000 8000 0001 0001"), /reserved label type 0x80/);
  assert.equal(e.offset, 12);
});

void test("names over 255 octets are refused, directly or through pointers", () => {
  const label63 = `3f${"61".repeat(63)}`;
  // 63+63+63+62 content + 4 length octets + root = 256.
  throwsDecode(
    hex(`0000 0000 0001 0000 0000 0000 ${label63}${label63}${label63}3e${"61".repeat(62)}00 0001 0001`),
    /255/,
  );
  // Exactly 255 is fine.
  const ok = decodeMessage(
    hex(`0000 0000 0001 0000 0000 0000 ${label63}${label63}${label63}3d${"61".repeat(61)}00 0001 0001`),
  );
  assert.equal(ok.questions[0]!.name.length, 254);
  // 193 octets at 12, then one 63-octet label pointing to it: 64 + 193 = 257.
  throwsDecode(
    hex(`0000 0000 0002 0000 0000 0000 ${label63}${label63}${label63}00 0001 0001 ${label63}c00c 0001 0001`),
    /255/,
  );
});

void test("counts, lengths and RDATA must match the data exactly", () => {
  // A question count with no question.
  throwsDecode(hex("0000 0000 0001 0000 0000 0000"), /counts exceed/);
  throwsDecode(hex(`0000 0000 ffff ffff ffff ffff ${"00".repeat(100)}`), /counts exceed/);
  // An answer count one too many.
  throwsDecode(hex("0000 0000 0000 0002 0000 0000 00 0001 0001 00000000 0004 01020304 00000000000000"));
  // RDLENGTH past the end.
  const e = throwsDecode(
    hex("0000 0000 0000 0001 0000 0000 00 0001 0001 00000000 0005 01020304"),
    /RDLENGTH runs past/,
  );
  assert.equal(e.offset, 21);
  // A with 5 bytes of RDATA.
  throwsDecode(hex("0000 0000 0000 0001 0000 0000 00 0001 0001 00000000 0005 0102030405"), /not 4/);
  // AAAA with 4.
  throwsDecode(hex("0000 0000 0000 0001 0000 0000 00 001c 0001 00000000 0004 01020304"), /not 16/);
  // MX with a byte after the exchange.
  throwsDecode(hex("0000 0000 0000 0001 0000 0000 00 000f 0001 00000000 0004 000a 00 ff"), /fill RDLENGTH/);
  // NS whose name runs past RDLENGTH (into the bytes that follow).
  throwsDecode(hex("0000 0000 0000 0001 0000 0000 00 0002 0001 00000000 0002 0161 00"), /past RDLENGTH/);
  // SOA missing its last byte.
  throwsDecode(
    hex(`0000 0000 0000 0001 0000 0000 00 0006 0001 00000000 0015 00 00 ${"00".repeat(19)}`),
    /shorter/,
  );
  // TXT string running past RDLENGTH.
  throwsDecode(hex("0000 0000 0000 0001 0000 0000 00 0010 0001 00000000 0003 0361 6263"), /character-string/);
  // CAA with an empty tag, and with a tag past the end.
  throwsDecode(hex("0000 0000 0000 0001 0000 0000 00 0101 0001 00000000 0003 00 00 61"), /empty tag/);
  throwsDecode(hex("0000 0000 0000 0001 0000 0000 00 0101 0001 00000000 0003 00 05 61"), /tag runs past/);
  // SRV too short for its fixed fields.
  throwsDecode(hex("0000 0000 0000 0001 0000 0000 00 0021 0001 00000000 0003 000100"), /shorter/);
});

void test("trailing bytes are refused unless allowed", () => {
  const bytes = encodeMessage(RFC_MESSAGE);
  const longer = new Uint8Array(bytes.length + 3);
  longer.set(bytes);
  const e = throwsDecode(longer, /3 bytes after the last record/);
  assert.equal(e.offset, bytes.length);
  assert.deepEqual(decodeMessage(longer, { allowTrailingBytes: true }), RFC_MESSAGE);
});

void test("names in SRV, NAPTR and DNAME data tolerate compression on decode", () => {
  // Question "b.test." at 12; SRV target and DNAME target point to it.
  const buf = hex(`
    0000 8000 0001 0002 0000 0000
    0162 0474657374 00 0021 0001
    c00c 0021 0001 00000000 0008 0001 0002 0003 c00c
    c00c 0027 0001 00000000 0002 c00c`);
  const msg = decodeMessage(buf);
  assert.deepEqual(msg.answers[0]!.data, { kind: "SRV", priority: 1, weight: 2, port: 3, target: "b.test." });
  assert.deepEqual(msg.answers[1]!.data, { kind: "DNAME", target: "b.test." });
});

void test("compression is case-insensitive and keeps the first occurrence's case", () => {
  const msg = message({
    questions: [{ name: "WWW.Example.TEST.", type: 1, class: 1 }],
    answers: [rr("www.example.test.", 1, { kind: "A", address: "192.0.2.1" })],
  });
  const bytes = encodeMessage(msg);
  assert.equal(bytes.length, 12 + 18 + 4 + 2 + 10 + 4);
  assert.equal(decodeMessage(bytes).answers[0]!.name, "WWW.Example.TEST.");
});

void test("names in SRV, NAPTR and DNAME data are neither compressed nor used as targets", () => {
  const msg = message({
    answers: [
      rr("_sip._udp.example.test.", 33, {
        kind: "SRV",
        priority: 0,
        weight: 0,
        port: 5060,
        target: "host.example.test.",
      }),
      rr("d.example.test.", 39, { kind: "DNAME", target: "example.test." }),
      rr("host.example.test.", 1, { kind: "A", address: "192.0.2.7" }),
    ],
  });
  const bytes = encodeMessage(msg);
  const wire = toHex(bytes);
  assert.ok(wire.includes(toHex(nameToWire("host.example.test."))), "SRV target uncompressed");
  // The DNAME target is the whole name, although "example.test." was written just before.
  const dnameAt = wire.indexOf(`0027000100000e10000e`);
  assert.ok(dnameAt > 0);
  assert.equal(wire.slice(dnameAt + 20, dnameAt + 20 + 28), toHex(nameToWire("example.test.")));
  // The A owner: "host" then a pointer to "example.test." in the first owner (offset 22),
  // not into the SRV data.
  assert.ok(wire.endsWith(`04${ascii("host")}c016000100010000 0e10 0004 c0000207`.replace(/ /g, "")));
  assert.deepEqual(decodeMessage(bytes), msg);
});

void test("names past offset 0x3fff are not used as compression targets", () => {
  const big = rr("big.test.", 65280, { kind: "opaque", data: new Uint8Array(20000) });
  const msg = message({
    answers: [
      big,
      rr("late.test.", 1, { kind: "A", address: "192.0.2.1" }),
      rr("LATE.test.", 1, { kind: "A", address: "192.0.2.2" }),
    ],
  });
  const decoded = decodeMessage(encodeMessage(msg));
  assert.deepEqual(
    decoded.answers.map((a) => a.name),
    ["big.test.", "late.test.", "LATE.test."],
  );
});

void test("EDNS: OPT becomes edns and the 12-bit rcode is split and joined", () => {
  const msg = message({
    flags: { ...NO_FLAGS, qr: true },
    rcode: 16, // BADVERS
    questions: [{ name: "a.test.", type: 1, class: 1 }],
    additional: [rr("a.test.", 1, { kind: "A", address: "192.0.2.1" })],
    edns: {
      udpPayloadSize: 4096,
      extendedRcode: 1,
      version: 0,
      dnssecOk: true,
      flags: 0x1234,
      options: [
        { code: 10, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
        { code: 12, data: new Uint8Array(0) },
      ],
    },
  });
  const bytes = encodeMessage(msg);
  assert.equal(bytes[3]! & 0xf, 0); // header rcode: low 4 bits of 16
  assert.equal(bytes[11], 2); // ARCOUNT includes OPT
  const optAt = bytes.length - (11 + 12 + 4);
  assert.equal(toHex(bytes.subarray(optAt, optAt + 11)), "00002910000100" + "9234" + "0010");
  assert.deepEqual(decodeMessage(bytes), msg);
  assert.equal(decodeMessage(bytes).rcode, 16);

  // Other rcodes: 0xabc splits into 0xab in OPT and 0xc in the header.
  const wide = decodeMessage(encodeMessage({ ...msg, rcode: 0xabc }));
  assert.equal(wide.rcode, 0xabc);
  assert.equal(wide.edns?.extendedRcode, 0xab);
  assert.throws(() => encodeMessage({ ...msg, rcode: 0x1000 }), RangeError);
  const { edns: _edns, ...plain } = msg;
  assert.throws(() => encodeMessage({ ...plain, rcode: 16 }), RangeError);
});

void test("EDNS: a payload size below 512 reads as 512", () => {
  const bytes = hex("0000 0000 0000 0000 0000 0001 00 0029 0064 00000000 0000");
  assert.equal(decodeMessage(bytes).edns?.udpPayloadSize, 512);
});

void test("EDNS: a second OPT, a non-root owner, or OPT outside additional is a DecodeError", () => {
  const opt = "00 0029 1000 00000000 0000";
  throwsDecode(hex(`0000 0000 0000 0000 0000 0002 ${opt} ${opt}`), /more than one OPT/);
  throwsDecode(hex("0000 0000 0000 0000 0000 0001 0161 00 0029 1000 00000000 0000"), /not the root/);
  throwsDecode(hex(`0000 0000 0000 0001 0000 0000 ${opt}`), /outside the additional/);
  throwsDecode(hex(`0000 0000 0000 0000 0001 0000 ${opt}`), /outside the additional/);
  // Options must fill RDATA exactly.
  throwsDecode(hex("0000 0000 0000 0000 0000 0001 00 0029 1000 00000000 0003 000a00"), /truncated header/);
  throwsDecode(hex("0000 0000 0000 0000 0000 0001 00 0029 1000 00000000 0005 000a 0002 00"), /past RDLENGTH/);
  assert.throws(
    () => encodeMessage(message({ additional: [rr(".", 41, { kind: "opaque", data: new Uint8Array(0) })] })),
    TypeError,
  );
});

/** A referral-shaped response: NS records, then glue as two RRsets of three A records. */
function referral(answerCount: number): Message {
  const glue = (host: string): ResourceRecord[] =>
    [1, 2, 3].map((i) => rr(host, 1, { kind: "A", address: `192.0.2.${i}` }));
  return message({
    flags: { ...NO_FLAGS, qr: true },
    questions: [{ name: "www.example.test.", type: 16, class: 1 }],
    answers: Array.from({ length: answerCount }, (_, i) =>
      rr("www.example.test.", 16, { kind: "TXT", strings: [text(`answer ${i}`)] }),
    ),
    authority: [
      rr("example.test.", 2, { kind: "NS", target: "ns1.example.test." }),
      rr("example.test.", 2, { kind: "NS", target: "ns2.example.test." }),
    ],
    additional: [...glue("ns1.example.test."), ...glue("NS2.example.test.")],
    edns: EDNS,
  });
}

void test("truncation: a message that fits is unchanged", () => {
  const msg = referral(1);
  const full = encodeMessage(msg);
  const { bytes, truncated } = encodeResponse(msg, full.length);
  assert.equal(truncated, false);
  assert.deepEqual(bytes, full);
  assert.deepEqual(encodeMessage(msg, { maxSize: 512 }), full);
});

void test("truncation: additional RRsets are dropped whole, OPT kept, TC not set", () => {
  const msg = referral(1);
  const full = encodeMessage(msg);
  const recordSize = 16; // pointer (2) + fixed fields (10) + address (4)
  for (let drop = 1; drop <= 5; drop++) {
    const { bytes, truncated } = encodeResponse(msg, full.length - drop * recordSize + 1);
    assert.equal(truncated, false);
    const d = decodeMessage(bytes);
    assert.equal(d.flags.tc, false);
    assert.deepEqual(d.edns, EDNS);
    assert.equal(d.answers.length, 1);
    assert.equal(d.authority.length, 2);
    // Never a partial RRset: ns1's three records, or nothing.
    assert.equal(d.additional.length, drop <= 3 ? 3 : 0, `drop ${drop}`);
  }
});

void test("truncation: answers that do not fit leave question and OPT with TC set", () => {
  const msg = referral(60);
  const result = encodeResponse(msg, 512);
  assert.equal(result.truncated, true);
  assert.ok(result.bytes.length <= 512);
  const d = decodeMessage(result.bytes);
  assert.equal(d.flags.tc, true);
  assert.deepEqual(d.questions, msg.questions);
  assert.deepEqual([d.answers.length, d.authority.length, d.additional.length], [0, 0, 0]);
  assert.deepEqual(d.edns, EDNS);
  // Without EDNS the same, and no OPT.
  const { edns: _edns, ...plain } = msg;
  const d2 = decodeMessage(encodeMessage(plain, { maxSize: 512 }));
  assert.equal(d2.flags.tc, true);
  assert.equal(d2.edns, undefined);
  assert.throws(() => encodeResponse(msg, 11), RangeError);
  assert.throws(() => encodeResponse(msg, 70000), RangeError);
  assert.throws(() => encodeResponse(msg, 600.5), RangeError);
});

void test("a message over 65535 bytes cannot be encoded whole", () => {
  const msg = message({
    answers: [1, 2, 3, 4].map((i) =>
      rr(`n${i}.test.`, 65280, { kind: "opaque", data: new Uint8Array(20000) }),
    ),
  });
  assert.throws(() => encodeMessage(msg), RangeError);
  assert.equal(encodeResponse(msg, 65535).truncated, true);
});

void test("encoding refuses malformed values", () => {
  const cases: [ResourceRecord, typeof TypeError | typeof RangeError][] = [
    [rr("a.test.", 1, { kind: "MX", preference: 1, exchange: "m.test." }), TypeError],
    [rr("a.test.", 1, { kind: "A", address: "192.0.2" }), TypeError],
    [rr("a.test.", 1, { kind: "A", address: "192.0.2.01" }), TypeError],
    [rr("a.test.", 28, { kind: "AAAA", address: "1::2::3" }), TypeError],
    [rr("a.test", 1, { kind: "A", address: "192.0.2.1" }), TypeError],
    [rr("a.test.", 2, { kind: "NS", target: "b..test." }), TypeError],
    [rr("a.test.", 33, { kind: "SRV", priority: 0, weight: 0, port: 0, target: "x" }), TypeError],
    [rr("a.test.", 1, { kind: "A", address: "192.0.2.1" }, -1), RangeError],
    [rr("a.test.", 1, { kind: "A", address: "192.0.2.1" }, 2 ** 32), RangeError],
    [rr("a.test.", 1, { kind: "A", address: "192.0.2.1" }, 1.5), RangeError],
    [rr("a.test.", 70000, { kind: "opaque", data: new Uint8Array(0) }), RangeError],
    [rr("a.test.", 15, { kind: "MX", preference: 65536, exchange: "m.test." }), RangeError],
    [rr("a.test.", 16, { kind: "TXT", strings: [new Uint8Array(256)] }), RangeError],
    [rr("a.test.", 257, { kind: "CAA", flags: 0, tag: "", value: new Uint8Array(0) }), RangeError],
    [rr("a.test.", 257, { kind: "CAA", flags: 256, tag: "x", value: new Uint8Array(0) }), RangeError],
    [rr("a.test.", 257, { kind: "CAA", flags: 0, tag: "\u0100", value: new Uint8Array(0) }), TypeError],
    [rr("a.test.", 65280, { kind: "opaque", data: new Uint8Array(65536) }), RangeError],
  ];
  for (const [record, errorClass] of cases) {
    assert.throws(() => encodeMessage(message({ answers: [record] })), errorClass, JSON.stringify(record));
  }
  assert.throws(() => encodeMessage(message({ id: 65536 })), RangeError);
  assert.throws(() => encodeMessage(message({ opcode: 16 })), RangeError);
  assert.throws(() => encodeMessage(message({ edns: { ...EDNS, flags: 0x8000 } })), RangeError);
  assert.throws(() => encodeMessage(message({ edns: { ...EDNS, udpPayloadSize: 65536 } })), RangeError);
  // The module's shared buffer recovers after a failed encode.
  assert.equal(toHex(encodeMessage(RFC_MESSAGE)), toHex(RFC_RESPONSE));
});

void test("IPv4 and IPv6 text forms", () => {
  const out = new Uint8Array(16);
  parseIPv4("255.0.10.1", out, 0);
  assert.deepEqual(Array.from(out.subarray(0, 4)), [255, 0, 10, 1]);
  for (const bad of ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ", "a.b.c.d", "01.2.3.4"]) {
    assert.throws(
      () => {
        parseIPv4(bad, out, 0);
      },
      TypeError,
      bad,
    );
  }
  for (const [input, expected] of [
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:DB8::1", "2001:db8::1"],
    ["1:0:0:1:0:0:0:1", "1:0:0:1::1"],
    ["1:0:0:1:0:0:1:1", "1::1:0:0:1:1"],
    ["1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1"],
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::1.2.3.4", "::1.2.3.4"],
    ["0:0:0:0:0:0:1:0", "::0.1.0.0"],
    ["::fffe:1.2.3.4", "::fffe:102:304"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ] as const) {
    parseIPv6(input, out, 0);
    assert.equal(formatIPv6(out, 0), expected, input);
  }
  for (const bad of [
    "",
    ":",
    ":::",
    "1:2",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    ":1::",
    "1::2:",
    "g::",
    "::1.2.3",
    "1:2:3:4:5:6:7:1.2.3.4",
    "1.2.3.4::",
  ]) {
    assert.throws(
      () => {
        parseIPv6(bad, out, 0);
      },
      TypeError,
      bad,
    );
  }
});

void test("IPv6 formatting matches node's net module", () => {
  const random = seededRandom(6);
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 2000; i++) {
    for (let w = 0; w < 8; w++) {
      const r = random();
      const word = r < 0.5 ? 0 : r < 0.6 ? 0xffff : Math.floor(random() * 0x10000);
      bytes[2 * w] = word >> 8;
      bytes[2 * w + 1] = word & 0xff;
    }
    const text = formatIPv6(bytes, 0);
    const expected = new SocketAddress({ address: text, family: "ipv6" }).address;
    assert.equal(text, expected);
    const back = new Uint8Array(16);
    parseIPv6(text, back, 0);
    assert.deepEqual(back, bytes);
  }
});
