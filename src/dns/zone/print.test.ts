import assert from "node:assert/strict";
import { test } from "node:test";
import { recordToText } from "./print.js";
import { rdataFromText, rdataFromWire } from "./rdata.js";

/**
 * [owner, type, TTL, RDATA hex, the line dig 9.18 printed for that record] — captured by
 * answering dig's query with these records. dig 9.18 prints SvcParam key 7 as `key7`; Portico
 * prints its RFC 9461 name `dohpath`, as newer dig does.
 */
const DIG_LINES: readonly (readonly [string, number, number, string, string])[] = [
  ["example.test.", 1, 300, "c0000201", "example.test.\t\t300\tIN\tA\t192.0.2.1"],
  [
    "a-much-longer-name.example.test.",
    1,
    300,
    "c0000201",
    "a-much-longer-name.example.test. 300 IN\tA\t192.0.2.1",
  ],
  [
    "abcdefghijklmnopqrstu.test.",
    1,
    3000000,
    "c0000201",
    "abcdefghijklmnopqrstu.test. 3000000 IN\tA\t192.0.2.1",
  ],
  ["x.test.", 16, 0, "056162225c630301c84100", 'x.test.\t\t\t0\tIN\tTXT\t"ab\\"\\\\c" "\\001\\200A" ""'],
  [
    "x.test.",
    43,
    60,
    "30390d02000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "x.test.\t\t\t60\tIN\tDS\t12345 13 2 000102030405060708090A0B0C0D0E0F101112131415161718191A1B 1C1D1E1F",
  ],
  [
    "x.test.",
    48,
    60,
    "0101030d000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
    "x.test.\t\t\t60\tIN\tDNSKEY\t257 3 13 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp KissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==",
  ],
  [
    "x.test.",
    999,
    60,
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627",
    "x.test.\t\t\t60\tIN\tTYPE999\t\\# 40 000102030405060708090A0B0C0D0E0F101112131415161718191A1B 1C1D1E1F2021222324252627",
  ],
  ["x.test.", 999, 60, "", "x.test.\t\t\t60\tIN\tTYPE999\t\\# 0"],
  ["x.test.", 13, 60, "03637075026f73", 'x.test.\t\t\t60\tIN\tHINFO\t"cpu" "os"'],
  [
    "x.test.",
    257,
    60,
    "0005697373756563612e65783b22616d706c65",
    'x.test.\t\t\t60\tIN\tCAA\t0 issue "ca.ex;\\"ample"',
  ],
  [
    "x.test.",
    35,
    60,
    "0064000a0153075349502b44325500045f736970045f756470076578616d706c6503636f6d00",
    'x.test.\t\t\t60\tIN\tNAPTR\t100 10 "S" "SIP+D2U" "" _sip._udp.example.com.',
  ],
  [
    "x.test.",
    47,
    60,
    "046e6578740474657374000006620000000003",
    "x.test.\t\t\t60\tIN\tNSEC\tnext.test. A NS SOA RRSIG NSEC",
  ],
  [
    "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.test.",
    50,
    60,
    "0100000a04aabbccdd14000102030405060708090a0b0c0d0e0f10111213000762000000000003",
    "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.test. 60 IN NSEC3 1 0 10 AABBCCDD 000G40O40K30E209185GO38E1S8124GJ A NS SOA TYPE54 HIP",
  ],
  [
    "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.test.",
    50,
    60,
    "010100000014000102030405060708090a0b0c0d0e0f10111213",
    "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.test. 60 IN NSEC3 1 1 0 - 000G40O40K30E209185GO38E1S8124GJ",
  ],
  ["x.test.", 51, 60, "0100000000", "x.test.\t\t\t60\tIN\tNSEC3PARAM 1 0 0 -"],
  [
    "x.test.",
    46,
    60,
    "00010d0200000e1065920080656a73803039076578616d706c65047465737400000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
    "x.test.\t\t\t60\tIN\tRRSIG\tA 13 2 3600 20240101000000 20231202000000 12345 example.test. AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp KissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==",
  ],
  [
    "x.test.",
    64,
    60,
    "000103737663076578616d706c650000000004000100030001000602683202683b00020000000300021f9000040008c0000201c0000202000500030102030006001020010db8000000000000000000000001000700082f717b3f646e737dfde9000161",
    'x.test.\t\t\t60\tIN\tSVCB\t1 svc.example. mandatory=alpn,port alpn="h2,h;" no-default-alpn port=8080 ipv4hint=192.0.2.1,192.0.2.2 ech=AQID ipv6hint=2001:db8::1 dohpath="/q{?dns}" key65001="a"',
  ],
  ["x.test.", 65, 60, "000005616c696173076578616d706c6500", "x.test.\t\t\t60\tIN\tHTTPS\t0 alias.example."],
  [
    "x.test.",
    6,
    60,
    "026e7304746573740004686f737404746573740000000001000000020000000300000004ffffffff",
    "x.test.\t\t\t60\tIN\tSOA\tns.test. host.test. 1 2 3 4 4294967295",
  ],
  ["x.test.", 33, 60, "000a00141f900174047465737400", "x.test.\t\t\t60\tIN\tSRV\t10 20 8080 t.test."],
  ["x.test.", 15, 60, "000a00", "x.test.\t\t\t60\tIN\tMX\t10 ."],
  [
    "x.test.",
    44,
    60,
    "0402000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "x.test.\t\t\t60\tIN\tSSHFP\t4 2 000102030405060708090A0B0C0D0E0F101112131415161718191A1B 1C1D1E1F",
  ],
  [
    "x.test.",
    52,
    60,
    "030101000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "x.test.\t\t\t60\tIN\tTLSA\t3 1 1 000102030405060708090A0B0C0D0E0F101112131415161718191A1B 1C1D1E1F",
  ],
  ["x.test.", 28, 60, "00000000000000000000ffff01020304", "x.test.\t\t\t60\tIN\tAAAA\t::ffff:1.2.3.4"],
  ["x.test.", 256, 60, "000a0001687474703a2f2f782f", 'x.test.\t\t\t60\tIN\tURI\t10 1 "http://x/"'],
  ["x.test.", 62, 60, "0000000a0003000162", "x.test.\t\t\t60\tIN\tCSYNC\t10 3 A NS SOA"],
  ["x.test.", 108, 60, "00005e0053ff", "x.test.\t\t\t60\tIN\tEUI48\t00-00-5e-00-53-ff"],
  ["x.test.", 106, 60, "000a2001db8000000001", "x.test.\t\t\t60\tIN\tL64\t10 2001:db80:0:1"],
  [
    "x.test.",
    63,
    60,
    "000000010101000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f",
    "x.test.\t\t\t60\tIN\tZONEMD\t1 1 1 000102030405060708090A0B0C0D0E0F101112131415161718191A1B 1C1D1E1F202122232425262728292A2B2C2D2E2F",
  ],
  ["x.test.", 61, 60, "00010203040506070809", "x.test.\t\t\t60\tIN\tOPENPGPKEY AAECAwQFBgcICQ=="],
  ["x.test.", 49, 60, "00010203040506070809", "x.test.\t\t\t60\tIN\tDHCID\tAAECAwQFBgcICQ=="],
  [
    "x.test.",
    17,
    60,
    "046d626f7804746573740003747874047465737400",
    "x.test.\t\t\t60\tIN\tRP\tmbox.test. txt.test.",
  ],
  ["x.test.", 26, 60, "000a01610474657374000162047465737400", "x.test.\t\t\t60\tIN\tPX\t10 a.test. b.test."],
  ["x.test.", 19, 60, "0431323334", 'x.test.\t\t\t60\tIN\tX25\t"1234"'],
  ["x.test.", 20, 60, "03313233023435", 'x.test.\t\t\t60\tIN\tISDN\t"123" "45"'],
  ["x.test.", 105, 60, "000a0a000001", "x.test.\t\t\t60\tIN\tL32\t10 10.0.0.1"],
  ["x.test.", 25, 60, "0100030500010203040506070809", "x.test.\t\t\t60\tIN\tKEY\t256 3 5 AAECAwQFBgcICQ=="],
];

test("records print as dig prints them, tabs and all", () => {
  for (const [name, type, ttl, hex, line] of DIG_LINES) {
    const data = rdataFromWire(type, Uint8Array.from(Buffer.from(hex, "hex")));
    assert.equal(recordToText({ name, type, class: 1, ttl, data }), line, line);
  }
});

test("unknown classes print as CLASSnnn", () => {
  const data = rdataFromText(16, "x");
  assert.equal(recordToText({ name: "a.", type: 16, class: 3, ttl: 0, data }), 'a.\t\t\t0\tCH\tTXT\t"x"');
  assert.equal(
    recordToText({ name: "a.", type: 16, class: 42, ttl: 0, data }),
    'a.\t\t\t0\tCLASS42\tTXT\t"x"',
  );
});
