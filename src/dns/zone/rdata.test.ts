import { rdataKey } from "../rdata-identity.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../core/errors.js";
import type { RData } from "../types.js";
import { textToType } from "./mnemonics.js";
import { genericRdataText, rdataFromText, rdataFromWire, rdataToText, rdataToWire } from "./rdata.js";

const ORIGIN = "example.test.";

function parse(type: string, text: string): RData {
  const t = textToType(type);
  assert.ok(t >= 0, type);
  return rdataFromText(t, text, ORIGIN);
}

/** text → RData → text, and RData → wire → RData → text; returns the printed text. */
function roundTrip(type: string, text: string): string {
  const t = textToType(type);
  const data = parse(type, text);
  const printed = rdataToText(t, data);
  // The printed form reads back to the same data...
  assert.deepEqual(rdataToWire(parse(type, printed)), rdataToWire(data), `${type} ${printed}`);
  // ...and so does the wire form, and the generic form.
  const wire = rdataToWire(data);
  assert.equal(rdataToText(t, rdataFromWire(t, wire)), printed);
  assert.equal(rdataToText(t, parse(type, genericRdataText(wire))), printed);
  return printed;
}

function rdataError(type: string, text: string): ConfigError {
  try {
    parse(type, text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail(`expected ${type} '${text.slice(0, 80)}' to be refused`);
}

/** [type, presentation in, presentation as dig prints it] */
const CASES: readonly (readonly [string, string, string])[] = [
  ["A", "192.0.2.1", "192.0.2.1"],
  ["AAAA", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
  ["AAAA", "::ffff:192.0.2.1", "::ffff:192.0.2.1"],
  ["NS", "ns1", "ns1.example.test."],
  ["NS", "ns.example.net.", "ns.example.net."],
  ["CNAME", "@", "example.test."],
  ["PTR", "host.example.net.", "host.example.net."],
  ["DNAME", "example.net.", "example.net."],
  ["MX", "10 mail", "10 mail.example.test."],
  ["MX", "0 .", "0 ."],
  [
    "SOA",
    "ns1 hostmaster 2024010101 1h30m 15M 1W 300",
    "ns1.example.test. hostmaster.example.test. 2024010101 5400 900 604800 300",
  ],
  ["SOA", "ns1 host ( 1 2 3 4 4294967295 )", "ns1.example.test. host.example.test. 1 2 3 4 4294967295"],
  ["TXT", '"v=spf1 -all"', '"v=spf1 -all"'],
  ["TXT", 'several "strings" unquoted\\ word', '"several" "strings" "unquoted word"'],
  ["TXT", '"a \\"quoted\\" \\\\ \\065\\000" ""', '"a \\"quoted\\" \\\\ A\\000" ""'],
  ["TXT", '"semi;colon (paren)"', '"semi;colon (paren)"'],
  ["TXT", '"é"', '"\\195\\169"'],
  ["SRV", "10 60 5060 sip", "10 60 5060 sip.example.test."],
  ["CAA", '0 issue "letsencrypt.org"', '0 issue "letsencrypt.org"'],
  ["CAA", "128 iodef mailto:a@example.test", '128 iodef "mailto:a@example.test"'],
  ["CAA", '0 issue "ca.ex;\\"ample"', '0 issue "ca.ex;\\"ample"'],
  [
    "NAPTR",
    '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.test!" .',
    '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.test!" .',
  ],
  ["NAPTR", '102 10 S SIP+D2U "" _sip._udp', '102 10 "S" "SIP+D2U" "" _sip._udp.example.test.'],
  ["HINFO", '"PC-Intel" "Linux 2.4"', '"PC-Intel" "Linux 2.4"'],
  ["HINFO", "cpu os", '"cpu" "os"'],
  [
    "DS",
    "60485 5 1 2BB183AF5F22588179A53B0A 98631FAD1A292118",
    "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
  ],
  [
    "DS",
    "12345 ECDSAP256SHA256 SHA-256 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "12345 13 2 000102030405060708090A0B0C0D0E0F101112131415161718191A1B 1C1D1E1F",
  ],
  ["CDS", "0 0 0 00", "0 0 0 00"],
  [
    "DNSKEY",
    "257 3 13 ( mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+\n KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )",
    "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+ KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
  ],
  ["CDNSKEY", "0 3 0 AA==", "0 3 0 AA=="],
  [
    "RRSIG",
    "A 13 2 3600 20300101000000 20240101000000 12345 example.test. AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==",
    "A 13 2 3600 20300101000000 20240101000000 12345 example.test. AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp KissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==",
  ],
  [
    "RRSIG",
    "TYPE65280 8 0 0 1893456000 1704067200 1 . AA==",
    "TYPE65280 8 0 0 20300101000000 20240101000000 1 . AA==",
  ],
  ["NSEC", "next A NS SOA RRSIG NSEC TYPE1234", "next.example.test. A NS SOA RRSIG NSEC TYPE1234"],
  ["NSEC3", "1 0 0 - 000G40O40K30E209185GO38E1S8124GJ", "1 0 0 - 000G40O40K30E209185GO38E1S8124GJ"],
  ["EUI48", "0-0-5e-0-53-2a", "00-00-5e-00-53-2a"],
  [
    "NSEC3",
    "1 0 10 AABBCCDD 000G40O40K30E209185GO38E1S8124GJ A NS SOA TYPE54 HIP",
    "1 0 10 AABBCCDD 000G40O40K30E209185GO38E1S8124GJ A NS SOA TYPE54 HIP",
  ],
  ["NSEC3", "1 1 0 - 000g40o40k30e209185go38e1s8124gj", "1 1 0 - 000G40O40K30E209185GO38E1S8124GJ"],
  ["NSEC3PARAM", "1 0 0 -", "1 0 0 -"],
  ["NSEC3PARAM", "1 0 10 aabb", "1 0 10 AABB"],
  [
    "SVCB",
    '1 svc mandatory=alpn,port alpn="h2,h3" no-default-alpn port=8080 ipv4hint=192.0.2.1,192.0.2.2 ech=AQID ipv6hint=2001:db8::1 key65001=a',
    '1 svc.example.test. mandatory=alpn,port alpn="h2,h3" no-default-alpn port=8080 ipv4hint=192.0.2.1,192.0.2.2 ech=AQID ipv6hint=2001:db8::1 key65001="a"',
  ],
  ["SVCB", "1 . port=53 alpn=dot", '1 . alpn="dot" port=53'],
  ["SVCB", '1 . alpn="f\\\\\\\\oo\\\\,bar,h2"', '1 . alpn="f\\\\\\\\oo\\\\,bar,h2"'],
  ["SVCB", '1 . dohpath="/q{?dns}" key9 key65534=""', '1 . dohpath="/q{?dns}" key9 key65534'],
  ["HTTPS", "0 alias", "0 alias.example.test."],
  ["HTTPS", "1 . alpn=h3 port=443", '1 . alpn="h3" port=443'],
  [
    "SSHFP",
    "4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789",
    "4 2 123456789ABCDEF67890123456789ABCDEF67890123456789ABCDEF1 23456789",
  ],
  ["TLSA", "3 1 1 0011", "3 1 1 0011"],
  ["SMIMEA", "3 1 1 0011", "3 1 1 0011"],
  ["OPENPGPKEY", "AAECAwQF BgcICQ==", "AAECAwQFBgcICQ=="],
  ["DHCID", "AAECAwQFBgcICQ==", "AAECAwQFBgcICQ=="],
  ["URI", '10 1 "https://example.test/"', '10 1 "https://example.test/"'],
  ["RP", "hostmaster txt", "hostmaster.example.test. txt.example.test."],
  ["AFSDB", "1 afs.example.net.", "1 afs.example.net."],
  ["KX", "10 mail", "10 mail.example.test."],
  ["PX", "10 map822 mapx400", "10 map822.example.test. mapx400.example.test."],
  ["SPF", '"v=spf1 -all"', '"v=spf1 -all"'],
  ["EUI48", "00-00-5E-00-53-2a", "00-00-5e-00-53-2a"],
  ["EUI64", "00-00-5e-ef-10-00-00-2a", "00-00-5e-ef-10-00-00-2a"],
  ["L32", "10 10.1.2.0", "10 10.1.2.0"],
  ["L64", "10 2001:0DB8:1140:1000", "10 2001:db8:1140:1000"],
  ["NID", "10 0014:4fff:ff20:ee64", "10 14:4fff:ff20:ee64"],
  ["LP", "10 l64-subnet1", "10 l64-subnet1.example.test."],
  ["CSYNC", "66 3 A NS AAAA", "66 3 A NS AAAA"],
  ["ZONEMD", "2024010101 1 241 4b6f6e7a00112233 44556677", "2024010101 1 241 4B6F6E7A0011223344556677"],
  ["X25", "311061700956", '"311061700956"'],
  ["ISDN", '"150862028003217" "004"', '"150862028003217" "004"'],
  ["ISDN", "150862028003217", '"150862028003217"'],
  ["MB", "mbox", "mbox.example.test."],
  ["MINFO", "rmail emailbx", "rmail.example.test. emailbx.example.test."],
  ["TYPE65280", "\\# 4 0A000001", "\\# 4 0A000001"],
  ["TYPE65280", "\\# 0", "\\# 0"],
  [
    "TYPE65280",
    "\\# 40 000102030405060708090a0b0c0d0e0f1011121314151617 18191a1b1c1d1e1f2021222324252627",
    "\\# 40 000102030405060708090A0B0C0D0E0F101112131415161718191A1B 1C1D1E1F2021222324252627",
  ],
  ["A", "\\# 4 C0000201", "192.0.2.1"],
  ["MX", "\\# 3 000a00", "10 ."],
  ["AMTRELAY", "\\# 3 000000", "\\# 3 000000"],
];

test("every type: text → RData → text as dig prints it, and back", () => {
  for (const [type, input, output] of CASES) {
    assert.equal(roundTrip(type, input), output, `${type} ${input}`);
  }
});

test("structured types give their RData variants", () => {
  assert.deepEqual(parse("A", "192.0.2.1"), { kind: "A", address: "192.0.2.1" });
  assert.deepEqual(parse("MX", "10 Mail"), { kind: "MX", preference: 10, exchange: "Mail.example.test." });
  assert.deepEqual(parse("TXT", "a b"), { kind: "TXT", strings: [Uint8Array.of(0x61), Uint8Array.of(0x62)] });
  assert.deepEqual(parse("SOA", "a b 1 2 3 4 5"), {
    kind: "SOA",
    mname: "a.example.test.",
    rname: "b.example.test.",
    serial: 1,
    refresh: 2,
    retry: 3,
    expire: 4,
    minimum: 5,
  });
  assert.deepEqual(parse("CAA", "0 issue x"), {
    kind: "CAA",
    flags: 0,
    tag: "issue",
    value: Uint8Array.of(0x78),
  });
  assert.equal(parse("DS", "1 13 2 " + "00".repeat(32)).kind, "opaque");
});

test("names in RDATA keep their case, escapes normalised", () => {
  assert.deepEqual(parse("CNAME", "WWW.Example.NET."), { kind: "CNAME", target: "WWW.Example.NET." });
  assert.deepEqual(parse("PTR", "a\\046b"), { kind: "PTR", target: "a\\.b.example.test." });
  assert.deepEqual(parse("NS", "\\@"), { kind: "NS", target: "\\@.example.test." });
});

test("a TXT string may be 255 bytes, not 256 (BIND refuses longer ones)", () => {
  assert.equal(parse("TXT", "x".repeat(255)).kind, "TXT");
  assert.match(rdataError("TXT", "x".repeat(256)).message, /256 bytes long, more than 255/);
});

test("rdataKey treats names without case and data exactly", () => {
  assert.equal(rdataKey(parse("NS", "NS1")), rdataKey(parse("NS", "ns1")));
  assert.equal(rdataKey(parse("TXT", "x")), rdataKey(parse("TXT", '"x"')));
  assert.notEqual(rdataKey(parse("TXT", "X")), rdataKey(parse("TXT", "x")));
  assert.equal(rdataKey(parse("MX", "10 A")), rdataKey(parse("MX", "10 a")));
  assert.notEqual(rdataKey(parse("MX", "10 a")), rdataKey(parse("MX", "20 a")));
});

/** [type, rdata text, what the message must say] */
const BAD: readonly (readonly [string, string, RegExp])[] = [
  ["A", "1.2.3", /bad IPv4 address '1\.2\.3'/],
  ["A", "01.2.3.4", /bad IPv4 address/],
  ["A", "", /missing IPv4 address/],
  ["A", "1.2.3.4 5", /unexpected extra data '5'/],
  ["A", '"1.2.3.4"', /must not be quoted/],
  ["AAAA", "1::2::3", /bad IPv6 address/],
  ["NS", "a..b", /bad target name 'a\.\.b': empty label/],
  ["NS", "a".repeat(64), /label longer than 63 octets/],
  ["NS", `${"a".repeat(60)}.`.repeat(5), /longer than 255 octets/],
  ["NS", "a\\256", /\\DDD escape above 255/],
  ["NS", "a\\", /backslash at the end/],
  ["MX", "mail", /preference must be a number/],
  ["MX", "65536 mail", /from 0 to 65535/],
  ["MX", "10", /missing mail exchange/],
  ["SOA", "a b 1 2 3 4", /missing minimum/],
  ["SOA", "a b 1h 2 3 4 5", /serial must be a number/],
  ["SOA", "a b 1 2 3 4 1h30", /bad minimum '1h30'/],
  ["SOA", "a b 4294967296 2 3 4 5", /serial/],
  ["TXT", "", /missing text/],
  ["TXT", '"\\25"', /bad escape/],
  ["TXT", "\\2x5", /bad escape/],
  ["SRV", "1 2 3", /missing target name/],
  ["CAA", "0 is-sue x", /bad tag/],
  ["CAA", "256 issue x", /flags/],
  ["NAPTR", '1 1 "" "" "!a!b" .', /three delimiters/],
  ["NAPTR", '1 1 "" "" "!a!\\\\2!" .', /group 2/],
  ["HINFO", "one", /missing OS/],
  ["HINFO", "a b c", /extra data 'c'/],
  ["DS", "1 13 2 0011", /needs 32 bytes of digest, not 2/],
  ["DS", "1 13 1 00", /needs 20 bytes/],
  ["DS", "1 BOGUS 1 00", /unknown algorithm 'BOGUS'/],
  ["DS", "1 13 2 xyz", /not valid hex/],
  ["DNSKEY", "257 3 13", /missing public key/],
  ["DNSKEY", "257 3 13 AAE", /not valid base64/],
  ["RRSIG", "A 13 2 1h 20240101000000 20231202000000 1 . AA==", /original TTL must be a number/],
  ["RRSIG", "A 13 2 0 20241301000000 20231202000000 1 . AA==", /bad time '20241301000000'/],
  ["RRSIG", "BOGUS 13 2 0 1 2 1 . AA==", /unknown type 'BOGUS'/],
  [
    "RRSIG",
    "A 13 2 0 1 2 1 x.example.test. AA==",
    /signer's name has 3 labels, more than the labels field \(2\)/,
  ],
  ["NSEC", "next A BOGUS", /unknown type 'BOGUS' in the type bitmap/],
  ["NSEC", "next", /names no type/],
  ["NSEC3", "1 0 0 - 00 A", /SHA-1 hashes are 20 bytes, not 1/],
  ["NSEC3", "1 0 0 xyz 000G40O40K30E209185GO38E1S8124GJ", /bad salt/],
  ["NSEC3", "1 0 0 - 000G40O40K30E209185GO38E1S8124G!", /bad next hashed owner name/],
  ["SVCB", "1 . alpn=h2 alpn=h3", /alpn appears twice/],
  ["SVCB", "1 . mandatory=port", /mandatory lists port, which is not present/],
  ["SVCB", "1 . mandatory=mandatory", /must not list itself/],
  ["SVCB", "1 . no-default-alpn", /needs alpn/],
  ["SVCB", "1 . port=99999", /bad port/],
  ["SVCB", "1 . port", /needs a value/],
  ["SVCB", "1 . ipv4hint=1.2.3", /bad IPv4 address '1\.2\.3' in ipv4hint/],
  ["SVCB", "1 . ipv4hint=192.0\\.2.1", /takes no escapes/],
  ["SVCB", "1 . ipv6hint=::g", /bad IPv6 address/],
  ["SVCB", "1 . ech=!!!!", /not valid base64/],
  ["SVCB", "1 . foo=bar", /unknown SvcParam key 'foo'/],
  ["SVCB", "1 . key65535", /reserved/],
  ["SVCB", "1 . key01=x", /unknown SvcParam key/],
  ["SVCB", "1 . no-default-alpn=x alpn=h2", /takes no value/],
  ["SSHFP", "1 1 0011", /needs 20 bytes/],
  ["ZONEMD", "1 1 241 0011", /at least 12 bytes/],
  ["ZONEMD", "1 1 1 " + "00".repeat(12), /needs 48 bytes/],
  ["URI", '10 1 ""', /empty target/],
  ["EUI48", "00-00-5e-00-53", /bad EUI-48 address/],
  ["X25", "123", /4 or more digits/],
  ["TYPE65280", "\\# 2 00", /says 2 bytes but the hex holds 1/],
  ["TYPE65280", "\\# 0 00", /extra data '00'/],
  ["TYPE65280", "\\# x", /RDATA length must be a number/],
  ["A", "\\# 3 000000", /not valid A RDATA/],
  ["MX", "\\# 3 000a01", /not valid MX RDATA/],
  ["TXT", "\\# 2 0500", /not valid TXT RDATA/],
  ["NSEC", "\\# 5 0000010000", /not valid NSEC RDATA/], // a bitmap window ending in a zero octet
  ["AMTRELAY", "0 0 0 .", /no presentation format is known for AMTRELAY/],
];

test("malformed RDATA is refused with a message saying what is wrong", () => {
  for (const [type, text, pattern] of BAD) {
    const e = rdataError(type, text);
    assert.match(e.message, pattern, `${type} ${text}: ${e.message}`);
    assert.equal(e.line, 1);
  }
});

test("RDATA longer than 65535 bytes is refused", () => {
  const strings = Array.from({ length: 260 }, () => "x".repeat(255)).join(" ");
  assert.match(rdataError("TXT", strings).message, /longer than 65535 bytes/);
});

test("meta-types are not data", () => {
  assert.throws(() => rdataFromText(255, "\\# 0"), /meta-type/);
  assert.throws(() => rdataFromText(41, "\\# 0"), /meta-type/);
  assert.throws(() => rdataFromText(0, "\\# 0"), /meta-type/);
});

test("opaque data that does not fit its type prints as \\#", () => {
  assert.equal(rdataToText(43, { kind: "opaque", data: Uint8Array.of(1, 2) }), "\\# 2 0102");
  assert.equal(rdataToText(1, { kind: "opaque", data: Uint8Array.of(192, 0, 2, 1) }), "192.0.2.1");
  assert.equal(rdataToText(1, { kind: "opaque", data: Uint8Array.of(1) }), "\\# 1 01");
});
