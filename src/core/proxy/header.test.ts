import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encodeProxyV1, encodeProxyV2 } from "./encode.js";
import { parseProxyHeader, PROXY_V2_SIGNATURE, type ProxyParseResult } from "./header.js";

const text = (s: string): Buffer => Buffer.from(s, "latin1");
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const SIG = Buffer.from(PROXY_V2_SIGNATURE).toString("hex");

function done(result: ProxyParseResult): Extract<ProxyParseResult, { kind: "done" }> {
  assert.equal(result.kind, "done", `expected done, got ${JSON.stringify(result)}`);
  return result as Extract<ProxyParseResult, { kind: "done" }>;
}

function error(result: ProxyParseResult, pattern?: RegExp, offset?: number): void {
  assert.equal(result.kind, "error", `expected error, got ${JSON.stringify(result)}`);
  const e = result as Extract<ProxyParseResult, { kind: "error" }>;
  if (pattern !== undefined) assert.match(e.reason, pattern);
  if (offset !== undefined) assert.equal(e.offset, offset);
}

/** Every strict prefix is incomplete, and the whole (with anything after it) is `expected`. */
function everySplit(header: Buffer, after = text("EHLO client\r\n")): ProxyParseResult {
  for (let n = 0; n < header.length; n++) {
    assert.deepEqual(parseProxyHeader(header.subarray(0, n)), { kind: "incomplete" }, `prefix of ${n} bytes`);
  }
  const whole = parseProxyHeader(Buffer.concat([header, after]));
  assert.deepEqual(parseProxyHeader(header), whole);
  return whole;
}

describe("version 1", () => {
  test("the spec's TCP4 example, and the request after it is left alone", () => {
    const line = text("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
    const result = done(everySplit(line, text("GET / HTTP/1.1\r\n")));
    assert.deepEqual(result, {
      kind: "done",
      consumed: line.length,
      version: 1,
      command: "PROXY",
      family: "TCP4",
      source: { address: "192.168.0.1", port: 56324 },
      destination: { address: "192.168.0.11", port: 443 },
    });
  });

  test("TCP6, in Node's canonical text form whatever the case or compression", () => {
    const line = text("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:192.0.2.1 0 65535\r\n");
    const result = done(everySplit(line));
    assert.equal(result.family, "TCP6");
    assert.deepEqual(result.source, { address: "2001:db8::1", port: 0 });
    assert.deepEqual(result.destination, { address: "::ffff:192.0.2.1", port: 65535 });
    assert.equal(result.consumed, line.length);
  });

  test("the longest lines the spec lists are accepted: 56 (TCP4), 104 (TCP6), 107 (UNKNOWN)", () => {
    const v4 = text("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
    assert.equal(v4.length, 56);
    assert.equal(done(parseProxyHeader(v4)).consumed, 56);
    const f = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const v6 = text(`PROXY TCP6 ${f} ${f} 65535 65535\r\n`);
    assert.equal(v6.length, 104);
    assert.equal(done(parseProxyHeader(v6)).consumed, 104);
    const worst = text(`PROXY UNKNOWN ${f} ${f} 65535 65535\r\n`);
    assert.equal(worst.length, 107);
    const result = done(everySplit(worst));
    assert.equal(result.consumed, 107);
    assert.equal(result.family, "UNKNOWN");
  });

  test("a line without CRLF in its first 107 bytes is refused at once", () => {
    const f = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const long = text(`PROXY UNKNOWN ${f} ${f} 65535 655355\r\n`);
    assert.equal(long.length, 108);
    error(parseProxyHeader(long), /107/);
    error(parseProxyHeader(long.subarray(0, 106)), /107/);
    assert.equal(parseProxyHeader(long.subarray(0, 105)).kind, "incomplete");
    error(parseProxyHeader(text(`PROXY UNKNOWN ${"x".repeat(200)}`)), /107/);
  });

  test("UNKNOWN, short or with anything before the CRLF (ignored, as the spec says)", () => {
    const short = done(everySplit(text("PROXY UNKNOWN\r\n")));
    assert.deepEqual(short, { kind: "done", consumed: 15, version: 1, command: "PROXY", family: "UNKNOWN" });
    const long = done(everySplit(text("PROXY UNKNOWN whatever \x01 the sender wants\r\n")));
    assert.equal(long.family, "UNKNOWN");
    assert.equal(long.source, undefined);
    error(parseProxyHeader(text("PROXY UNKNOWNX\r\n")), /unknown protocol/);
  });

  test("malformed lines", () => {
    const cases: [string, RegExp][] = [
      ["PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", /unknown protocol/],
      ["PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", /unknown protocol/],
      ["PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", /unknown protocol/],
      ["PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", /4 fields/],
      ["PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", /5 fields|4 fields/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", /4 fields/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", /4 fields/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", /4 fields/],
      ["PROXY TCP4\r\n", /space after the protocol/],
      ["PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", /source is not an IPv4/],
      ["PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", /source is not an IPv4/],
      ["PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", /source is not an IPv4/],
      ["PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", /source is not an IPv4/],
      ["PROXY TCP4 1.2.3.4 ::1 1 2\r\n", /destination is not an IPv4/],
      ["PROXY TCP6 1.2.3.4 ::1 1 2\r\n", /source is not an IPv6/],
      ["PROXY TCP6 ::1 1::2::3 1 2\r\n", /destination is not an IPv6/],
      ["PROXY TCP6 ::1 12345::1 1 2\r\n", /destination is not an IPv6/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", /source port/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", /source port/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 123456\r\n", /destination port/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 a\r\n", /destination port/],
      ["PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", /unexpected character/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", /LF without CR/],
      ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", /CR not followed by LF/],
      ["PROXY UNKNOWN\n", /unknown protocol/],
      ["PROXY UNKNOWN foo\nbar\r\n", /LF without CR/],
      ["proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", /not a PROXY/],
    ];
    for (const [line, pattern] of cases) {
      const result = parseProxyHeader(text(line));
      assert.equal(result.kind, "error", `${JSON.stringify(line)} gave ${JSON.stringify(result)}`);
      assert.match((result as { reason: string }).reason, pattern, JSON.stringify(line));
    }
  });

  test("a client that is not a proxy fails on its first bytes, before any CRLF", () => {
    error(parseProxyHeader(text("E")), /not a PROXY/, 0);
    error(parseProxyHeader(text("GET / HTTP/1.1")), /not a PROXY/, 0);
    error(parseProxyHeader(text("PROXZ")), /not a PROXY/, 4);
    error(parseProxyHeader(text("PROXY X")), /unknown protocol/, 6);
    error(parseProxyHeader(text("PROXY TCP4 1.2.3.4 hello")), /unexpected character/, 19);
    error(parseProxyHeader(hex("16 03 01 02 00 01")), /not a PROXY/, 0);
  });
});

describe("version 2", () => {
  test("TCP over IPv4, from known bytes", () => {
    const header = hex(`${SIG} 21 11 000c c0000201 c6336407 d3a4 01bb`);
    const result = done(everySplit(header, text("\x16\x03\x01")));
    assert.deepEqual(result, {
      kind: "done",
      consumed: 28,
      version: 2,
      command: "PROXY",
      family: "TCP4",
      source: { address: "192.0.2.1", port: 54180 },
      destination: { address: "198.51.100.7", port: 443 },
    });
  });

  test("TCP over IPv6, and UDP over IPv4", () => {
    const v6 = hex(
      `${SIG} 21 21 0024 20010db8000000000000000000000001 00000000000000000000ffffc0000202 0019 0050`,
    );
    const result = done(everySplit(v6));
    assert.equal(result.family, "TCP6");
    assert.deepEqual(result.source, { address: "2001:db8::1", port: 25 });
    assert.deepEqual(result.destination, { address: "::ffff:192.0.2.2", port: 80 });
    const udp = done(parseProxyHeader(hex(`${SIG} 21 12 000c 01020304 05060708 0035 0035`)));
    assert.equal(udp.family, "UDP4");
    assert.deepEqual(udp.source, { address: "1.2.3.4", port: 53 });
  });

  test("LOCAL: no addresses; the length is honoured and the family ignored", () => {
    assert.deepEqual(done(everySplit(hex(`${SIG} 20 00 0000`))), {
      kind: "done",
      consumed: 16,
      version: 2,
      command: "LOCAL",
      family: "UNKNOWN",
    });
    // "Receivers MUST always consider this field to skip the appropriate number of bytes and
    // must not assume zero is presented for LOCAL connections."
    const padded = done(everySplit(hex(`${SIG} 20 ff 0005 0102030405`)));
    assert.equal(padded.command, "LOCAL");
    assert.equal(padded.consumed, 21);
  });

  test("AF_UNSPEC, UNSPEC transport and AF_UNIX carry no usable address", () => {
    const unspec = done(parseProxyHeader(hex(`${SIG} 21 00 0003 aabbcc`)));
    assert.deepEqual(unspec, { kind: "done", consumed: 19, version: 2, command: "PROXY", family: "UNKNOWN" });
    const noTransport = done(parseProxyHeader(hex(`${SIG} 21 10 000c 01020304 05060708 0001 0002`)));
    assert.equal(noTransport.family, "UNKNOWN");
    assert.equal(noTransport.source, undefined);
    const unix = Buffer.concat([hex(`${SIG} 21 31 00d8`), Buffer.alloc(216, 0x2f)]);
    const result = done(everySplit(unix));
    assert.deepEqual(result, {
      kind: "done",
      consumed: 232,
      version: 2,
      command: "PROXY",
      family: "UNIX_STREAM",
    });
    error(parseProxyHeader(hex(`${SIG} 21 32 00d7`)), /shorter than the 216-byte/, 14);
  });

  test("TLVs are skipped when they fit, and refused when they do not", () => {
    const withTlvs = encodeProxyV2({
      source: { address: "10.0.0.1", port: 1 },
      destination: { address: "10.0.0.2", port: 2 },
      tlvs: [
        { type: 0x02, value: text("mx.example.test") },
        { type: 0x04, value: new Uint8Array(0) },
        { type: 0xe0, value: new Uint8Array(300) },
      ],
    });
    const result = done(everySplit(withTlvs));
    assert.equal(result.consumed, withTlvs.length);
    assert.deepEqual(result.source, { address: "10.0.0.1", port: 1 });

    const base = `${SIG} 21 11`;
    const addresses = "01020304 05060708 0001 0002";
    error(parseProxyHeader(hex(`${base} 000e ${addresses} 04 00`)), /truncated TLV/, 28);
    error(parseProxyHeader(hex(`${base} 000d ${addresses} 04`)), /truncated TLV/, 28);
    error(parseProxyHeader(hex(`${base} 0010 ${addresses} 04 0002 aa`)), /overruns/, 28);
    error(parseProxyHeader(hex(`${base} 0011 ${addresses} 04 0001 aa 01`)), /truncated TLV/, 32);
  });

  test("a CRC32C TLV is verified", () => {
    const header = encodeProxyV2({
      source: { address: "2001:db8::5", port: 4000 },
      destination: { address: "2001:db8::6", port: 25 },
      tlvs: [{ type: 0x05, value: text("conn-1") }],
      crc32c: true,
    });
    assert.equal(done(everySplit(header)).family, "TCP6");
    for (const at of [0x20, header.length - 1, header.length - 8]) {
      const corrupted = Buffer.from(header);
      corrupted[at]! ^= 0x01;
      error(parseProxyHeader(corrupted), /CRC32C checksum mismatch/);
    }
    const wrongSize = hex(`${SIG} 21 11 0011 01020304 05060708 0001 0002 03 0002 abcd`);
    error(parseProxyHeader(wrongSize), /not 4 bytes/);
  });

  test("bad signature, version, command, family, protocol or length", () => {
    const sig = Buffer.from(PROXY_V2_SIGNATURE);
    for (let i = 1; i < sig.length; i++) {
      const bad = Buffer.from(sig);
      bad[i]! ^= 0x40;
      error(parseProxyHeader(bad), /not a PROXY/, i);
      error(parseProxyHeader(bad.subarray(0, i + 1)), /not a PROXY/, i);
    }
    error(parseProxyHeader(hex(`${SIG} 11`)), /unsupported version 1/, 12);
    error(parseProxyHeader(hex(`${SIG} 31`)), /unsupported version 3/, 12);
    error(parseProxyHeader(hex(`${SIG} 22`)), /unknown command 2/, 12);
    error(parseProxyHeader(hex(`${SIG} 2f`)), /unknown command 15/, 12);
    error(parseProxyHeader(hex(`${SIG} 21 41`)), /unknown address family 4/, 13);
    error(parseProxyHeader(hex(`${SIG} 21 13`)), /unknown transport protocol 3/, 13);
    // Too short for the addresses: refused as soon as the length is known.
    error(parseProxyHeader(hex(`${SIG} 21 11 000b`)), /shorter than the 12-byte/, 14);
    error(parseProxyHeader(hex(`${SIG} 21 21 0023`)), /shorter than the 36-byte/, 14);
  });

  test("the largest header (65535 bytes after the fixed part) is read whole", () => {
    const header = encodeProxyV2({ command: "LOCAL", tlvs: [{ type: 0x04, value: new Uint8Array(65532) }] });
    assert.equal(header.length, 16 + 65535);
    assert.equal(parseProxyHeader(header.subarray(0, header.length - 1)).kind, "incomplete");
    assert.equal(done(parseProxyHeader(header)).consumed, header.length);
  });
});

describe("encoders", () => {
  test("version 1 round trips, UNKNOWN without addresses", () => {
    const v4 = encodeProxyV1({
      source: { address: "192.0.2.1", port: 40000 },
      destination: { address: "198.51.100.1", port: 25 },
    });
    assert.equal(v4.toString("latin1"), "PROXY TCP4 192.0.2.1 198.51.100.1 40000 25\r\n");
    const v6 = encodeProxyV1({
      source: { address: "2001:DB8:0::1", port: 1 },
      destination: { address: "::ffff:192.0.2.1", port: 2 },
    });
    assert.equal(v6.toString("latin1"), "PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 1 2\r\n");
    assert.deepEqual(done(parseProxyHeader(v6)).source, { address: "2001:db8::1", port: 1 });
    assert.equal(encodeProxyV1().toString("latin1"), "PROXY UNKNOWN\r\n");
  });

  test("version 2 bytes for TCP4, LOCAL and AF_UNSPEC", () => {
    const v4 = encodeProxyV2({
      source: { address: "192.0.2.1", port: 54180 },
      destination: { address: "198.51.100.7", port: 443 },
    });
    assert.equal(v4.toString("hex"), `${SIG}2111000cc0000201c6336407d3a401bb`);
    assert.equal(encodeProxyV2({ command: "LOCAL" }).toString("hex"), `${SIG}20000000`);
    assert.equal(encodeProxyV2().toString("hex"), `${SIG}21000000`);
    const udp6 = encodeProxyV2({
      source: { address: "::1", port: 53 },
      destination: { address: "::2", port: 53 },
      transport: "DGRAM",
    });
    assert.equal(done(parseProxyHeader(udp6)).family, "UDP6");
  });

  test("misuse is a TypeError or RangeError", () => {
    const a = { address: "192.0.2.1", port: 1 };
    const b6 = { address: "2001:db8::1", port: 1 };
    assert.throws(() => encodeProxyV1({ source: a, destination: b6 }), TypeError);
    assert.throws(
      () => encodeProxyV1({ source: { address: "example.test", port: 1 }, destination: a }),
      TypeError,
    );
    assert.throws(
      () => encodeProxyV1({ source: { address: "fe80::1%eth0", port: 1 }, destination: b6 }),
      TypeError,
    );
    assert.throws(
      () => encodeProxyV1({ source: { address: "192.0.2.1", port: 70000 }, destination: a }),
      RangeError,
    );
    assert.throws(
      () => encodeProxyV1({ source: { address: "192.0.2.1", port: 1.5 }, destination: a }),
      RangeError,
    );
    assert.throws(() => encodeProxyV2({ source: a }), TypeError);
    assert.throws(() => encodeProxyV2({ command: "LOCAL", source: a, destination: a }), TypeError);
    assert.throws(() => encodeProxyV2({ tlvs: [{ type: 256, value: new Uint8Array(0) }] }), RangeError);
    assert.throws(() => encodeProxyV2({ tlvs: [{ type: 4, value: new Uint8Array(65533) }] }), RangeError);
  });
});
