import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../core/errors.js";
import type { ResourceRecord } from "../types.js";
import { parseZone, type ParseZoneOptions, type ZoneFile } from "./parse.js";
import { recordToText } from "./print.js";

const HEAD = "$TTL 1h\n@ SOA ns1 hostmaster 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n";
// HEAD has four lines: a record written after it is on line 5.

function zone(text: string, opts: Partial<ParseZoneOptions> = {}): ZoneFile {
  return parseZone(text, { file: "z.zone", origin: "example.test.", ...opts });
}

/** The records after HEAD's three, as dig prints them, blanks collapsed. */
function body(text: string, opts: Partial<ParseZoneOptions> = {}): string[] {
  return zone(HEAD + text, opts)
    .records.slice(3)
    .map((r) => recordToText(r).replace(/\s+/g, " "));
}

function zoneError(text: string, opts: Partial<ParseZoneOptions> = {}): ConfigError {
  try {
    zone(text, opts);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail("expected the zone to be refused");
}

/** Asserts that HEAD + `text` is refused at `z.zone:LINE` with a message matching `pattern`. */
function refused(text: string, line: number, pattern: RegExp, opts: Partial<ParseZoneOptions> = {}): void {
  const e = zoneError(HEAD + text, opts);
  assert.equal(e.file, opts.file ?? "z.zone", e.message);
  assert.equal(e.line, line, e.message);
  assert.match(e.message, pattern);
  assert.ok(e.message.startsWith(`${e.file}:${line}: `), e.message);
  assert.ok(!e.message.includes("\n"), "one line");
}

test("a minimal zone", () => {
  const z = zone(HEAD);
  assert.equal(z.origin, "example.test.");
  assert.deepEqual(
    z.records.map((r) => recordToText(r)),
    [
      "example.test.\t\t3600\tIN\tSOA\tns1.example.test. hostmaster.example.test. 1 2 3 4 5",
      "example.test.\t\t3600\tIN\tNS\tns1.example.test.",
      "ns1.example.test.\t3600\tIN\tA\t192.0.2.1",
    ],
  );
  assert.deepEqual(z.warnings, []);
});

test("the origin option may lack its final dot and is normalised", () => {
  assert.equal(parseZone(HEAD, { file: "z", origin: "Example.TEST" }).origin, "Example.TEST.");
  assert.throws(() => parseZone(HEAD, { file: "z", origin: "" }), RangeError);
  assert.throws(() => parseZone(HEAD, { file: "z", origin: "a..b" }), RangeError);
  assert.throws(() => parseZone(HEAD, { file: "z", origin: "x.", defaultTtl: -1 }), RangeError);
});

test("owner names: @, relative, absolute, omitted, escaped, case kept", () => {
  assert.deepEqual(
    body(
      [
        "@ TXT apex",
        "www TXT relative",
        "abs.example.test. TXT absolute",
        " TXT same-owner",
        "Mixed.Case TXT kept",
        "a\\.b TXT escaped-dot",
        "\\065x TXT decimal",
        "x\\ y TXT space",
        "*.wild TXT wildcard",
        '"quoted" TXT quoted-owner',
        '"with space" TXT quoted-space',
        "",
      ].join("\n"),
    ),
    [
      'example.test. 3600 IN TXT "apex"',
      'www.example.test. 3600 IN TXT "relative"',
      'abs.example.test. 3600 IN TXT "absolute"',
      'abs.example.test. 3600 IN TXT "same-owner"',
      'Mixed.Case.example.test. 3600 IN TXT "kept"',
      'a\\.b.example.test. 3600 IN TXT "escaped-dot"',
      'Ax.example.test. 3600 IN TXT "decimal"',
      'x\\032y.example.test. 3600 IN TXT "space"',
      '*.wild.example.test. 3600 IN TXT "wildcard"',
      'quoted.example.test. 3600 IN TXT "quoted-owner"',
      'with\\032space.example.test. 3600 IN TXT "quoted-space"',
    ],
  );
});

test("$ORIGIN, absolute or relative to the current origin, and @ in data", () => {
  assert.deepEqual(
    body("$ORIGIN sub\nx CNAME @\n$ORIGIN other.example.test.\ny MX 1 @\n$ORIGIN @\nz NS w\n"),
    [
      "x.sub.example.test. 3600 IN CNAME sub.example.test.",
      "y.other.example.test. 3600 IN MX 1 other.example.test.",
      "z.other.example.test. 3600 IN NS w.other.example.test.",
    ],
  );
});

test("class and TTL in either order, both optional, CLASSnnn and TYPEnnn", () => {
  assert.deepEqual(
    body(
      "a 60 IN A 192.0.2.2\nb IN 60 A 192.0.2.3\nc IN A 192.0.2.4\nd 60 A 192.0.2.5\ne CLASS1 TYPE1 192.0.2.6\nf in a 192.0.2.7\n",
    ),
    [
      "a.example.test. 60 IN A 192.0.2.2",
      "b.example.test. 60 IN A 192.0.2.3",
      "c.example.test. 3600 IN A 192.0.2.4",
      "d.example.test. 60 IN A 192.0.2.5",
      "e.example.test. 3600 IN A 192.0.2.6",
      "f.example.test. 3600 IN A 192.0.2.7",
    ],
  );
});

test("TTLs with units, case-insensitive", () => {
  assert.deepEqual(body("a 1h30m A 192.0.2.2\nb 1W A 192.0.2.3\n$TTL 2d\nc A 192.0.2.4\n"), [
    "a.example.test. 5400 IN A 192.0.2.2",
    "b.example.test. 604800 IN A 192.0.2.3",
    "c.example.test. 172800 IN A 192.0.2.4",
  ]);
});

test("parentheses span lines; comments anywhere", () => {
  const z = zone(
    "$TTL 1h ; default\n@ IN SOA ns1 hostmaster ( ; comment\n 2024 ; serial\n 1h 15m\n 1w 5m ) ; end\n@ NS ns1\nns1 A 192.0.2.1\n",
  );
  assert.equal(
    recordToText(z.records[0]!).replace(/\s+/g, " "),
    "example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 2024 3600 900 604800 300",
  );
});

test("quoted strings with escapes, unquoted words, empty strings", () => {
  assert.deepEqual(body('t TXT "a \\"b\\" c" d\\"e "\\065\\066" "" "semi;colon"\n'), [
    't.example.test. 3600 IN TXT "a \\"b\\" c" "d\\"e" "AB" "" "semi;colon"',
  ]);
});

test("\\# generic data for unknown and known types", () => {
  assert.deepEqual(
    body("u TYPE65280 \\# 3 010203\nv TYPE65281 \\# 0\nw A \\# 4 C0000202\nx MX \\# ( 3\n 000a00 )\n"),
    [
      "u.example.test. 3600 IN TYPE65280 \\# 3 010203",
      "v.example.test. 3600 IN TYPE65281 \\# 0",
      "w.example.test. 3600 IN A 192.0.2.2",
      "x.example.test. 3600 IN MX 10 .",
    ],
  );
});

test("TTL rules: $TTL, then the last explicit TTL (with a warning), then SOA MINIMUM", () => {
  // No $TTL: the SOA takes its MINIMUM, which becomes the default.
  const a = zone("@ SOA ns1 host 1 2 3 4 300\n@ NS ns1\nns1 A 192.0.2.1\n");
  assert.deepEqual(
    a.records.map((r) => r.ttl),
    [300, 300, 300],
  );
  assert.match(a.warnings[0]!.message, /SOA MINIMUM/);
  assert.equal(a.warnings[0]!.line, 1);
  // No $TTL: a record without a TTL takes the previous record's (RFC 1035 §5.1).
  const b = zone("@ 100 SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 200 A 192.0.2.1\nx A 192.0.2.2\n");
  assert.deepEqual(
    b.records.map((r) => r.ttl),
    [100, 100, 200, 200],
  );
  assert.equal(b.warnings.length, 1);
  assert.match(b.warnings[0]!.message, /previous record's TTL/);
  assert.equal(b.warnings[0]!.line, 2);
  // $TTL wins over the last explicit TTL.
  const c = zone("$TTL 50\n@ 100 SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n");
  assert.deepEqual(
    c.records.map((r) => r.ttl),
    [100, 50, 50],
  );
  // The defaultTtl option acts as a $TTL at the top.
  const d = zone("@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n", { defaultTtl: 77 });
  assert.deepEqual(
    d.records.map((r) => r.ttl),
    [77, 77, 77],
  );
});

test("a record with no TTL at all is an error", () => {
  const e = zoneError("@ NS ns1\n@ SOA ns1 host 1 2 3 4 5\n");
  assert.equal(e.line, 1);
  assert.match(e.message, /^z\.zone:1: no TTL specified/);
});

test("TTLs above 2^31-1 become 0 with a warning; above 2^32-1 they are errors", () => {
  const z = zone(HEAD + "a 2147483648 A 192.0.2.2\n$TTL 4294967295\nb A 192.0.2.3\n");
  assert.deepEqual(
    z.records.slice(3).map((r) => r.ttl),
    [0, 0],
  );
  assert.equal(z.warnings.length, 2);
  assert.equal(z.warnings[0]!.line, 5);
  refused("a 4294967296 A 192.0.2.2\n", 5, /'4294967296' is neither a TTL .* nor a record type/);
  refused("a 7102w A 192.0.2.2\n", 5, /TTL '7102w' does not fit in 32 bits/);
  refused("$TTL 4294967296\n", 5, /bad \$TTL '4294967296'/);
  refused("$TTL 7102w\n", 5, /\$TTL '7102w' does not fit in 32 bits/);
  refused("a 1h30 A 192.0.2.2\n", 5, /'1h30' is neither a TTL/);
});

test("identical records are merged (names compared without case)", () => {
  assert.deepEqual(body('a A 192.0.2.2\na A 192.0.2.2\nb NS X.example.test.\nb NS x\nb TXT x\nb TXT "x"\n'), [
    "a.example.test. 3600 IN A 192.0.2.2",
    "b.example.test. 3600 IN NS X.example.test.",
    'b.example.test. 3600 IN TXT "x"',
  ]);
  // ...also a second identical SOA.
  assert.equal(zone(HEAD + "@ SOA ns1 hostmaster 1 2 3 4 5\n").records.length, 3);
});

test("an RRset has one TTL: within a run the first wins (warning), a later run sets it", () => {
  const z = zone(
    HEAD + "a A 192.0.2.2\na 60 A 192.0.2.3\nb A 192.0.2.9\na 80 A 192.0.2.4\nc 10 TXT x\nc 20 TXT y\n",
  );
  const ttls = z.records.slice(3).map((r) => `${r.name} ${r.ttl}`);
  assert.deepEqual(ttls, [
    "a.example.test. 80",
    "a.example.test. 80",
    "b.example.test. 3600",
    "a.example.test. 80",
    "c.example.test. 10",
    "c.example.test. 10",
  ]);
  assert.deepEqual(
    z.warnings.map((w) => `${w.line} ${w.message}`),
    ["6 TTL set to prior TTL (3600)", "10 TTL set to prior TTL (10)"],
  );
});

test("RRSIGs covering different types are different RRsets", () => {
  const sig = (covered: string, ttl: number, tag: number) =>
    `a ${ttl} RRSIG ${covered} 13 2 60 20300101000000 20240101000000 ${tag} example.test. AAAA\n`;
  const z = zone(HEAD + sig("A", 60, 1) + sig("TXT", 70, 1) + sig("A", 80, 2));
  assert.deepEqual(
    z.records.slice(3).map((r) => r.ttl),
    [60, 70, 60],
  );
  assert.deepEqual(
    z.warnings.map((w) => w.message),
    ["TTL set to prior TTL (60)"],
  );
});

test("glue: the names an NS RRset points to do not end the run of its owner (BIND)", () => {
  // The apex run goes on after the glue record for ns1, so the second NS keeps the TTL of
  // the first (with a warning) instead of setting the RRset's TTL; ns1's A records, read in
  // two runs, take the later TTL.
  const z = zone(HEAD + "@ 60 NS ns2\nns2 A 192.0.2.2\nx TXT a\nns1 60 A 192.0.2.9\n");
  assert.deepEqual(
    z.records.map((r) => `${r.name} ${r.type} ${r.ttl}`),
    [
      "example.test. 6 3600",
      "example.test. 2 3600",
      "ns1.example.test. 1 60",
      "example.test. 2 3600",
      "ns2.example.test. 1 3600",
      "x.example.test. 16 3600",
      "ns1.example.test. 1 60",
    ],
  );
  assert.deepEqual(
    z.warnings.map((w) => `${w.line} ${w.message}`),
    ["5 TTL set to prior TTL (3600)"],
  );
  // BIND checks for a DS at the apex on its current name, which glue leaves at the apex.
  refused(`ns1 DS 1 13 2 ${"00".repeat(32)}\n`, 5, /DS record at the top of the zone \(example\.test\.\)/);
  assert.equal(zone(HEAD + `x TXT a\nns1 DS 1 13 2 ${"00".repeat(32)}\n`).records.length, 5);
});

test("the last TTL (RFC 1035 semantics) is the one a record ended up with", () => {
  const z = zone(
    "@ 100 SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\na 60 TXT x\na 70 TXT y\nb TXT z\n",
  );
  assert.deepEqual(
    z.records.slice(3).map((r) => r.ttl),
    [60, 60, 60],
  );
});

test("MD and MF are obsolete; $DATE is read and then forbids $INCLUDE (BIND)", () => {
  refused("a MD \\# 3 016100\n", 5, /MD is obsolete/);
  refused("a MF \\# 3 016100\n", 5, /MF is obsolete/);
  assert.equal(zone(HEAD + "$DATE 20200101000000\na A 192.0.2.2\n").records.length, 4);
  refused("$DATE 2020\n", 5, /bad \$DATE '2020'/);
  refused("$DATE 20200101000000\n$INCLUDE x.zone\n", 6, /\$INCLUDE may not be used with \$DATE/, {
    readInclude: () => "",
  });
});

test("$INCLUDE: relative to the including file, with origin, loops and depth refused", () => {
  const files: Record<string, string> = {
    "zones/inc.zone":
      "www A 192.0.2.10\n A 192.0.2.11\n$ORIGIN deeper.example.test.\nx TXT in-include\n$TTL 5\n",
    "zones/sub/child.zone": "$INCLUDE ../inc.zone\n",
    "zones/loop.zone": "$INCLUDE loop.zone\n",
  };
  const readInclude = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
    return text;
  };
  const opts = { file: "zones/main.zone", readInclude };
  const z = zone(
    HEAD +
      "before TXT x\n$INCLUDE inc.zone inc\n TXT after\ny TXT relative-to-restored-origin\n$INCLUDE sub/child.zone\n",
    opts,
  );
  assert.deepEqual(
    z.records.slice(3).map((r) => recordToText(r).replace(/\s+/g, " ")),
    [
      // The TXT RRset at "before" gets TTL 5 from its later run (see builder.ts).
      'before.example.test. 5 IN TXT "x"',
      "www.inc.example.test. 3600 IN A 192.0.2.10",
      "www.inc.example.test. 3600 IN A 192.0.2.11",
      'x.deeper.example.test. 5 IN TXT "in-include"',
      // The owner and origin come back after the include; its $TTL stays.
      'before.example.test. 5 IN TXT "after"',
      'y.example.test. 5 IN TXT "relative-to-restored-origin"',
      "www.example.test. 5 IN A 192.0.2.10",
      "www.example.test. 5 IN A 192.0.2.11",
      // x.deeper's TXT came again from the second include: merged.
    ],
  );
  const loop = zoneError(HEAD + '$INCLUDE "loop.zone"\n', opts);
  assert.equal(loop.file, "zones/loop.zone");
  assert.equal(loop.line, 1);
  assert.match(
    loop.message,
    /\$INCLUDE loop: zones\/main\.zone includes zones\/loop\.zone includes zones\/loop\.zone/,
  );
  const missing = zoneError(HEAD + "$INCLUDE nope.zone\n", opts);
  assert.equal(missing.line, 5);
  assert.match(missing.message, /cannot read \$INCLUDE file 'zones\/nope\.zone': ENOENT/);
  refused("$INCLUDE inc.zone\n", 5, /no way to read files/);
  refused("$INCLUDE inc.zone a b\n", 5, /unexpected extra data 'b' after \$INCLUDE/, opts);
  // An error inside an included file names that file.
  files["zones/bad.zone"] = "ok A 192.0.2.1\nbad A 1.2.3\n";
  const inner = zoneError(HEAD + "$INCLUDE bad.zone\n", opts);
  assert.equal(inner.file, "zones/bad.zone");
  assert.equal(inner.line, 2);
});

test("$GENERATE with $, ${offset,width,base}, escapes, TTL and class", () => {
  assert.deepEqual(
    body(
      '$GENERATE 1-3 host$ A 192.0.2.$\n$GENERATE 8-10/2 ${0,3,d}-${1,2,x}-${0,0,X} 60 IN TXT "v=$ \\$ $$"\n$GENERATE 4-4 n${0,3,n} PTR x\n',
    ),
    [
      "host1.example.test. 3600 IN A 192.0.2.1",
      "host2.example.test. 3600 IN A 192.0.2.2",
      "host3.example.test. 3600 IN A 192.0.2.3",
      // The data is read again as RDATA text, so its blanks separate strings (BIND).
      '008-09-8.example.test. 60 IN TXT "v=8" "$" "$"',
      '010-0b-A.example.test. 60 IN TXT "v=10" "$" "$"',
      "n4.0.example.test. 3600 IN PTR x.example.test.",
    ],
  );
  // Nibble mode counts the dots in the width, so this one ends in a dot: absolute.
  assert.match(
    zone(HEAD + "$GENERATE 4-4 n${0,4,n} PTR x\n").warnings[0]!.message,
    /out-of-zone data \(n4\.0\.\)/,
  );
  refused("$GENERATE 5-1 a$ A 192.0.2.$\n", 5, /bad \$GENERATE range '5-1'/);
  refused("$GENERATE 1-2 a$ A\n", 5, /\$GENERATE needs a range/);
  refused("$GENERATE 0-1048576 a$ TXT x\n", 5, /makes more than/);
  refused("$GENERATE 1-2 a$ A 192.0.2.${0,1,q}\n", 5, /bad \$GENERATE data/);
  refused("$GENERATE 1-2 a${0,99999999} A 192.0.2.1\n", 5, /bad \$GENERATE owner/);
  refused("$GENERATE 250-260 a$ A 192.0.2.$\n", 5, /bad IPv4 address '192\.0\.2\.256'/);
});

test("out-of-zone records are dropped with a warning, as BIND drops them", () => {
  const z = zone(HEAD + "a.example.com. A 192.0.2.2\nb A 192.0.2.3\n");
  assert.equal(z.records.length, 4);
  assert.deepEqual(z.warnings, [
    { file: "z.zone", line: 5, message: "ignoring out-of-zone data (a.example.com.)" },
  ]);
});

test("onWarning sees every warning", () => {
  const seen: string[] = [];
  zone(HEAD + "x.other. A 192.0.2.2\n", { onWarning: (w) => seen.push(`${w.file}:${w.line}`) });
  assert.deepEqual(seen, ["z.zone:5"]);
});

test("zone rules: one SOA at the apex, NS at the apex with addresses", () => {
  const noSoa = zoneError("$TTL 1h\n@ NS ns1\nns1 A 192.0.2.1\n");
  assert.equal(noSoa.line, 1);
  assert.match(noSoa.message, /no SOA record at its apex/);
  const noNs = zoneError("$TTL 1h\n\n@ SOA ns1 host 1 2 3 4 5\nns1 A 192.0.2.1\n");
  assert.equal(noNs.line, 3);
  assert.match(noNs.message, /no NS records at its apex/);
  refused("@ NS ns2\n", 5, /NS 'ns2\.example\.test\.' has no address records \(A or AAAA\)/);
  refused("@ NS ns3\nns3 CNAME ns1\n", 5, /NS 'ns3\.example\.test\.' is a CNAME/);
  refused("sub SOA ns1 host 1 2 3 4 5\n", 5, /SOA record not at the top of the zone/);
  refused(`@ DS 1 13 2 ${"00".repeat(32)}\n`, 5, /DS record at the top of the zone/);
  refused("@ SOA ns1 host 2 2 3 4 5\n", 5, /multiple RRs of singleton type/);
  // Below the apex, a delegation without glue or an MX without address is only a warning.
  const z = zone(
    HEAD + "sub NS ns.sub\nmx MX 10 nomail\nsrv SRV 0 0 1 nosrv.example.test.\nout MX 10 mail.example.net.\n",
  );
  assert.deepEqual(
    z.warnings.map((w) => w.line),
    [5, 6, 7],
  );
});

test("CNAME and other data; singletons", () => {
  refused("a CNAME b\na A 192.0.2.2\n", 6, /a\.example\.test\.: CNAME and other data/);
  refused("a A 192.0.2.2\nb TXT x\na CNAME b\n", 7, /CNAME and other data/);
  refused("@ CNAME b\n", 5, /CNAME and other data/);
  refused("a CNAME b\na CNAME c\n", 6, /multiple RRs of singleton type/);
  refused("a DNAME b\na DNAME c\n", 6, /multiple RRs of singleton type/);
  refused("a CNAME b\na DNAME c\n", 6, /CNAME and other data/);
  // DNSSEC records may sit with a CNAME; an identical CNAME is merged.
  assert.deepEqual(
    body(
      "a CNAME b\na NSEC b A\na RRSIG CNAME 13 3 60 20300101000000 20240101000000 1 example.test. AA==\na CNAME B\n",
    ).length,
    3,
  );
});

test("many records at one name: duplicates and conflicts are still found", () => {
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) lines.push(`big TXT "r${i}"`);
  lines.push('big TXT "r5"', "big 60 TXT r200");
  const z = zone(HEAD + lines.join("\n") + "\n");
  assert.equal(z.records.length, 3 + 101);
  assert.ok(z.records.slice(3).every((r) => r.ttl === 3600));
  refused(lines.join("\n") + "\nbig CNAME x\n", 5 + lines.length, /CNAME and other data/);
});

test("NS at a wildcard and NSEC3 at a non-hash name are refused, as by BIND", () => {
  refused("*.w NS ns1\n", 5, /wildcard/);
  refused("a NSEC3 1 0 0 - 000G40O40K30E209185GO38E1S8124GJ A\n", 5, /base32hex hash label/);
  assert.equal(body("0p9mhave NSEC3 1 0 0 - 000G40O40K30E209185GO38E1S8124GJ A\n").length, 1);
});

test("syntax errors name FILE:LINE and say what is wrong", () => {
  refused("a B 192.0.2.2\n", 5, /unknown record type 'B'/);
  refused("a A 1.2.3\n", 5, /A record: bad IPv4 address '1\.2\.3'/);
  refused("a AAAA ::g\n", 5, /AAAA record: bad IPv6 address/);
  refused("a A\n", 5, /missing IPv4 address/);
  refused("a A 192.0.2.2 192.0.2.3\n", 5, /unexpected extra data '192\.0\.2\.3'/);
  refused("a MX ( 10\n\n mail extra )\n", 7, /unexpected extra data 'extra'/);
  refused("a MX ( 10\n\n )\n", 5, /missing mail exchange/);
  refused(`${"a".repeat(64)} A 192.0.2.2\n`, 5, /label longer than 63 octets/);
  refused(`${"a.".repeat(130)} A 192.0.2.2\n`, 5, /longer than 255 octets/);
  refused("a..b A 192.0.2.2\n", 5, /bad owner name 'a\.\.b': empty label/);
  refused("\\256 A 192.0.2.2\n", 5, /escape above 255/);
  refused('a TXT "\\2x5"\n', 5, /bad escape/);
  refused('a TXT "open\n', 5, /unbalanced quotes/);
  refused("a TXT ( x\n\n", 7, /unbalanced parentheses: '\(' on line 5/);
  refused("a TXT x )\n", 5, /unbalanced parentheses/);
  refused("a CH TXT x\n", 5, /class CH differs from the zone's class IN/);
  refused("a IN ANY \\# 0\n", 5, /ANY is a meta-type/);
  refused("a ANY TXT x\n", 5, /class ANY differs/);
  refused("a IN\n", 5, /missing record type/);
  refused('a "A" 192.0.2.2\n', 5, /unknown record type 'A'|must not be quoted/);
  refused("$FOO x\n", 5, /unknown directive '\$FOO'/);
  refused(" $TTL 5\n", 5, /unknown record type '\$TTL'/);
  refused("$ORIGIN\n", 5, /\$ORIGIN needs a domain name/);
  refused("$ORIGIN a b\n", 5, /unexpected extra data 'b' after \$ORIGIN/);
  refused("$TTL 1h x\n", 5, /unexpected extra data 'x' after \$TTL/);
  refused('"" TXT x\n', 5, /bad owner name '': empty relative name/);
  refused("$TTL x\n", 5, /bad \$TTL 'x'/);
  refused("a AMTRELAY 0 0 0 .\n", 5, /no presentation format is known for AMTRELAY/);
  const first = zoneError(" A 192.0.2.1\n");
  assert.equal(first.line, 1);
  assert.match(first.message, /no owner name/);
});

test("directives are case-insensitive", () => {
  assert.deepEqual(body("$origin sub\n$ttl 5\nx A 192.0.2.2\n"), ["x.sub.example.test. 5 IN A 192.0.2.2"]);
});

test("a zone for the root, and a zone with records in escaped names", () => {
  const root = parseZone(
    "$TTL 1d\n. SOA a.root-servers.net. nstld.verisign-grs.com. 1 2 3 4 5\n. NS a.root-servers.net.\na.root-servers.net. A 198.41.0.4\ntest. NS ns.test.\n",
    { file: "root", origin: "." },
  );
  assert.equal(root.origin, ".");
  assert.equal(root.records.length, 4);
});

test("byte mode keeps each character as one byte", () => {
  const records: ResourceRecord[] = zone(HEAD + 'a TXT "\u00c3\u00a9"\nb\u00e9 A 192.0.2.2\n', {
    bytes: true,
  }).records;
  assert.equal(recordToText(records[3]!).split("\t").pop(), '"\\195\\169"');
  assert.equal(records[4]!.name, "b\\233.example.test.");
  // Without it, characters are UTF-8.
  assert.equal(zone(HEAD + "b\u00e9 A 192.0.2.2\n").records[3]!.name, "b\\195\\169.example.test.");
});

test("warns about a missing final newline and still reads the last line", () => {
  const z = zone(HEAD + "a A 192.0.2.2");
  assert.equal(z.records.length, 4);
  assert.match(z.warnings[0]!.message, /newline/);
});
