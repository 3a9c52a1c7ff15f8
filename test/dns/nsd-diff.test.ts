/**
 * The DNS acceptance test: the zones of testdata/ served by Portico and by NSD (the
 * reference, Debian's `nsd`), the same raw queries sent to both over UDP and TCP, and the
 * responses compared: rcode, header flags (AA, TC, …), the question echo, EDNS, the answer
 * section as a set of records, and the authority and additional sections (negative answers,
 * referrals, glue).
 *
 * NSD runs with its defaults except: RRL off (it would drop our burst), and hide-version /
 * hide-identity, since Portico does not disclose a version or identity in CHAOS TXT unless
 * configured to (NSD then answers REFUSED, as Portico does).
 *
 * Without `nsd` installed the test is skipped, except in CI (`CI` set), where it fails.
 */

import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { decodeMessage } from "../../src/dns/codec/index.js";
import { startDnsService, type DnsService } from "../../src/dns/service.js";
import { RRClass, RRType, type Message } from "../../src/dns/types.js";
import { classToText, typeToText } from "../../src/dns/zone/index.js";
import { diffResponses } from "./support/compare.js";
import { nameToWire } from "../../src/dns/name.js";
import { findNsd, startNsd, zoneOfFile, type RunningNsd } from "./support/nsd.js";
import { buildQuery, exchangeTcp, exchangeUdp, type QuerySpec } from "./support/wire.js";

const TESTDATA = join(import.meta.dirname, "../../../test/dns/testdata");
const ZONE_FILES = readdirSync(TESTDATA)
  .filter((f) => f.endsWith(".zone"))
  .sort()
  .map((f) => join(TESTDATA, f));

/** NSD's server options besides the harness's own (see the module comment). */
const NSD_OPTIONS = ["hide-version: yes", "hide-identity: yes"];

const T = { SSHFP: 44, TYPE65280: 65280, UNKNOWN: 65000, HINFO: 13, AXFR: 252, IXFR: 251 } as const;

type Case = Omit<QuerySpec, "id">;

/** Names of the zones, relative to example.test. unless absolute. */
const EXAMPLE_NAMES = [
  "@",
  "ns1",
  "mail",
  "www",
  "mixed",
  "long",
  "big",
  "mid",
  "empty",
  "hinfo",
  "_sip._tcp",
  "_tcp",
  "sip",
  "naptr",
  "sshfp",
  "svc",
  "svc-target",
  "alias",
  "generic",
  "ptr",
  "txtdup",
  "cname1",
  "cname2",
  "tother",
  "tback",
  "tout",
  "loop1",
  "loop2",
  "self",
  "loopy",
  "cnx",
  "tdeleg",
  "twild",
  "tchild",
  "tdname",
  "tbig",
  "tmx",
  "dn",
  "www.dn",
  "x.y.dn",
  "ns2.dn",
  "nothing.dn",
  "wild",
  "foo.wild",
  "a.b.wild",
  "*.wild",
  "below.*.wild",
  "x.below.*.wild",
  "exists.wild",
  "x.exists.wild",
  "q.wc",
  "q.wcx",
  "q.wl",
  "a.wl",
  "wc",
  "ent",
  "b.ent",
  "a.b.ent",
  "x.ent",
  "q.b.ent",
  "x.a.b.ent",
  "z",
  "y.z",
  "x.y.z",
  "q.y.z",
  "deleg",
  "ns.deleg",
  "ns2.deleg",
  "host.deleg",
  "a.b.deleg",
  "outdeleg",
  "x.outdeleg",
  "child",
  "ns.child",
  "www.child",
  "nope.child",
  "mxdeleg",
  "nothere",
  "a.nothere",
  "x.www",
  "fit",
  "mxmix",
  "mxbig",
  "mxsmall",
];

const OTHER_NAMES = [
  "other.test.",
  "ns2.other.test.",
  "ns1.other.test.",
  "www.other.test.",
  "back.other.test.",
  "loopx.other.test.",
  "missing.other.test.",
];

/** RFC 4592 §2.2.1's zone, and the queries of its §2.2.1 discussion and more. */
const WILD_NAMES = [
  "wild.test.",
  "host3.wild.test.",
  "foo.bar.wild.test.",
  "host1.wild.test.",
  "sub.*.wild.test.",
  "_telnet._tcp.host1.wild.test.",
  "host.subdel.wild.test.",
  "ghost.*.wild.test.",
  "*.wild.test.",
  "_tcp.host1.wild.test.",
  "_ssh._tcp.host1.wild.test.",
  "_ssh._tcp.host2.wild.test.",
  "host2.wild.test.",
  "subdel.wild.test.",
  "x.sub.*.wild.test.",
];

const REVERSE_NAMES = [
  "2.0.192.in-addr.arpa.",
  "1.2.0.192.in-addr.arpa.",
  "80.2.0.192.in-addr.arpa.",
  "99.2.0.192.in-addr.arpa.",
  "65.2.0.192.in-addr.arpa.",
  "64/26.2.0.192.in-addr.arpa.",
  "65.64/26.2.0.192.in-addr.arpa.",
  "0.192.in-addr.arpa.",
  "8.b.d.0.1.0.0.2.ip6.arpa.",
  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
  "0.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
  "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
  "0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
];

/** Outside every zone served: REFUSED. */
const OUTSIDE_NAMES = [".", "test.", "www.outside.example.", "arpa.", "example.test.invalid."];

function absolute(name: string): string {
  if (name.endsWith(".")) return name;
  return name === "@" ? "example.test." : `${name}.example.test.`;
}

/** Types asked at every name. */
const COMMON_TYPES = [
  RRType.A,
  RRType.AAAA,
  RRType.NS,
  RRType.SOA,
  RRType.MX,
  RRType.TXT,
  RRType.CNAME,
  RRType.DS,
  RRType.ANY,
];

/** Further types, asked where the zones have them (and at the apex, where most are absent). */
const SPECIAL: readonly (readonly [string, readonly number[]])[] = [
  [
    "@",
    [
      RRType.DNSKEY,
      RRType.CAA,
      RRType.HTTPS,
      RRType.SRV,
      RRType.PTR,
      T.TYPE65280,
      T.UNKNOWN,
      RRType.RRSIG,
      RRType.NSEC,
      RRType.NSEC3,
      RRType.NSEC3PARAM,
      RRType.DNAME,
    ],
  ],
  ["_sip._tcp", [RRType.SRV]],
  ["naptr", [RRType.NAPTR]],
  ["sshfp", [T.SSHFP]],
  ["svc", [RRType.SVCB, RRType.HTTPS]],
  ["alias", [RRType.HTTPS, RRType.SVCB]],
  ["generic", [T.TYPE65280, T.UNKNOWN]],
  ["ptr", [RRType.PTR]],
  ["hinfo", [T.HINFO]],
  ["dn", [RRType.DNAME]],
  ["www.dn", [RRType.DNAME]],
  ["deleg", [RRType.DNSKEY, RRType.SRV]],
  ["child", [RRType.DNSKEY]],
  ["foo.wild", [T.UNKNOWN, RRType.SRV]],
  ["www", [T.UNKNOWN, RRType.RRSIG, RRType.NSEC]],
  ["1.2.0.192.in-addr.arpa.", [RRType.PTR]],
  ["80.2.0.192.in-addr.arpa.", [RRType.PTR]],
  ["65.2.0.192.in-addr.arpa.", [RRType.PTR]],
  ["1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", [RRType.PTR]],
  ["host3.wild.test.", [RRType.SRV]],
  ["_ssh._tcp.host1.wild.test.", [RRType.SRV]],
  ["_telnet._tcp.host1.wild.test.", [RRType.SRV]],
];

const EDNS = { udpPayloadSize: 1232 } as const;

/** Every question of the test (a few thousand exchanges in all, a few seconds). */
function cases(): Case[] {
  const out: Case[] = [];
  /** Adds a question: class IN with EDNS unless `extra` says otherwise (`edns: null`: none). */
  const q = (
    name: string,
    type: number,
    extra: Omit<Partial<Case>, "edns"> & { edns?: Case["edns"] | null } = {},
  ): void => {
    const { edns = EDNS, ...rest } = extra;
    out.push({ name, type, class: RRClass.IN, ...rest, ...(edns !== null && { edns }) });
  };
  const allNames = [
    ...EXAMPLE_NAMES.map(absolute),
    ...OTHER_NAMES,
    ...WILD_NAMES,
    ...REVERSE_NAMES,
    ...OUTSIDE_NAMES,
  ];
  // Every name × the common types, with EDNS (as resolvers ask); RD set on every other one.
  let i = 0;
  for (const name of allNames) for (const type of COMMON_TYPES) q(name, type, { rd: i++ % 2 === 0 });
  for (const [name, types] of SPECIAL) for (const type of types) q(absolute(name), type);

  // Without EDNS: 512-byte UDP limit (TC for mid, long, big, the apex ANY/TXT …).
  for (const name of [
    "@",
    "www",
    "mid",
    "long",
    "big",
    "tbig",
    "cname1",
    "deleg",
    "child",
    "nothere",
    "foo.wild",
    "_sip._tcp",
    "www.dn",
    "fit",
    "mxmix",
  ]) {
    for (const type of [RRType.A, RRType.TXT, RRType.MX, RRType.NS, RRType.ANY]) {
      out.push({ name: absolute(name), type, class: RRClass.IN });
    }
  }
  // Small, odd and large EDNS sizes; the DO bit (unsigned zones: no RRSIGs, DO echoed).
  for (const udpPayloadSize of [0, 511, 512, 600, 1232, 1400, 4096, 65535]) {
    for (const name of ["@", "mid", "long", "big", "tbig", "deleg", "www", "fit", "mxmix"]) {
      for (const type of [RRType.TXT, RRType.ANY, RRType.NS, RRType.MX])
        q(absolute(name), type, { edns: { udpPayloadSize } });
    }
  }
  for (const name of ["@", "www", "deleg", "child", "nothere", "foo.wild", "cname1", "big"]) {
    for (const type of [RRType.A, RRType.DS, RRType.DNSKEY, RRType.ANY, RRType.TXT]) {
      q(absolute(name), type, { edns: { udpPayloadSize: 1232, dnssecOk: true } });
    }
  }
  // The CD bit is cleared in authoritative answers (RFC 4035 §3.1.6).
  q("www.example.test.", RRType.A, { cd: true, rd: true });
  q("nothere.example.test.", RRType.A, { cd: true });
  // Zone transfers are not offered: REFUSED (NSD without provide-xfr).
  for (const type of [T.AXFR, T.IXFR]) {
    q("example.test.", type);
    q("example.test.", type, { edns: null });
  }
  // Another opcode: NOTIMP with the header alone (the rest of such a message is not parsed,
  // so there is no OPT record either).
  for (const opcode of [1, 2, 3, 5, 6, 15]) {
    q("www.example.test.", RRType.A, { opcode, edns: null, rd: true, cd: true });
    q("www.example.test.", RRType.A, { opcode });
  }
  // EDNS: version 1 gets BADVERS; unknown options and flags are ignored.
  q("www.example.test.", RRType.A, { edns: { udpPayloadSize: 1232, version: 1 } });
  q("www.example.test.", RRType.A, { edns: { udpPayloadSize: 1232, version: 1, dnssecOk: true } });
  q("www.example.test.", RRType.A, { edns: { udpPayloadSize: 1232, flags: 0x4000 | 0x0001 } });
  q("www.example.test.", RRType.A, {
    edns: {
      udpPayloadSize: 1232,
      options: [
        { code: 65001, data: Uint8Array.of(1, 2, 3) },
        { code: 3, data: new Uint8Array(0) },
      ],
    },
  });

  // The question name's case is echoed, and kept in owners synthesized from it.
  for (const [name, type] of [
    ["WWW.EXAMPLE.TEST.", RRType.A],
    ["Www.Example.Test.", RRType.ANY],
    ["Cname1.Example.Test.", RRType.A],
    ["X.Wild.Example.Test.", RRType.TXT],
    ["FOO.WILD.example.test.", RRType.MX],
    ["MIXED.example.test.", RRType.A],
    ["mixed.example.test.", RRType.A],
    ["Host.Deleg.Example.Test.", RRType.A],
    ["NoThere.Example.Test.", RRType.A],
    ["Q.WC.example.test.", RRType.A],
    ["ChIlD.ExAmPlE.TeSt.", RRType.DS],
    ["WwW.cHiLd.example.test.", RRType.A],
    ["X.Y.DN.example.test.", RRType.A],
    ["HOST3.WILD.TEST.", RRType.MX],
    ["Example.Test.", RRType.SOA],
    ["80.2.0.192.IN-ADDR.ARPA.", RRType.PTR],
  ] as const) {
    q(name, type);
  }

  // Other classes: CHAOS (identity/version hidden: REFUSED), ANY (answered from IN, AA
  // clear), and classes nobody serves.
  for (const name of [
    "version.bind.",
    "version.server.",
    "id.server.",
    "hostname.bind.",
    "www.example.test.",
  ]) {
    for (const type of [RRType.TXT, RRType.ANY, RRType.A]) q(name, type, { class: RRClass.CH });
  }
  for (const name of ["www", "@", "nothere", "deleg", "cname1", "foo.wild", "child", "mixed", "tbig"]) {
    for (const type of [RRType.A, RRType.SOA, RRType.ANY, RRType.NS])
      q(absolute(name), type, { class: RRClass.ANY });
  }
  for (const rrclass of [RRClass.HS, RRClass.NONE, 2, 1234])
    q("www.example.test.", RRType.A, { class: rrclass });
  q("www.outside.example.", RRType.A, { class: RRClass.ANY });
  return out;
}

function describe(c: Case): string {
  const flags = [
    c.opcode !== undefined && `opcode=${c.opcode}`,
    c.edns?.version !== undefined && `+edns-version=${c.edns.version}`,
    c.edns?.options !== undefined && `+ednsopt×${c.edns.options.length}`,
    c.edns?.flags !== undefined && `+ednsflags=${c.edns.flags}`,
    c.rd && "+rd",
    c.cd && "+cd",
    c.edns ? `+edns(${c.edns.udpPayloadSize}${c.edns.dnssecOk ? ",do" : ""})` : "+noedns",
  ].filter(Boolean);
  return `${c.name} ${classToText(c.class)} ${typeToText(c.type)} ${flags.join(" ")}`;
}

/** The name with the case of its ASCII letters swapped (the cache folds case). */
function swapCase(name: string): string {
  return name.replace(/[A-Za-z]/g, (ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()));
}

/** Runs `work` over `items` with at most `width` in flight. */
async function pool<T>(
  items: readonly T[],
  width: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

const MAX_REPORTED = Number(process.env.PORTICO_DIFF_SHOW ?? "40");

/** Whether this machine can use ::1 (a container may have IPv6 off). */
function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp6");
    socket.once("error", () => {
      socket.close();
      resolve(false);
    });
    socket.bind(0, "::1", () => {
      socket.close();
      resolve(true);
    });
  });
}

/**
 * The questions asked again over IPv6, where NSD lists AAAA glue before A glue: those whose
 * additional data gets cut to fit (a set compare shows only what is left out).
 */
function ipv6Cases(all: readonly Case[]): Case[] {
  const names = new Set([
    "example.test.",
    "deleg.example.test.",
    "child.example.test.",
    "mxmix.example.test.",
    "x.outdeleg.example.test.",
  ]);
  return all.filter((c) => names.has(c.name) && c.class === RRClass.IN);
}

test("Portico answers like NSD over UDP and TCP", async (t) => {
  if (findNsd() === undefined) {
    if (process.env.CI) assert.fail("nsd is not installed; .ci/run must install Debian's nsd package");
    t.skip("nsd is not installed (apt-get install nsd)");
    return;
  }
  const ipv6 = await ipv6Loopback();
  if (!ipv6) t.diagnostic("::1 is not usable here: the IPv6 questions are left out");
  const nsd: RunningNsd = await startNsd(ZONE_FILES.map(zoneOfFile), { server: NSD_OPTIONS, ipv6 });
  t.after(() => nsd.stop());
  const portico: DnsService = await startDnsService(
    {
      listen: [
        { host: "127.0.0.1", port: 0, family: 4 },
        ...(ipv6 ? [{ host: "::1", port: 0, family: 6 } as const] : []),
      ],
      zones: ZONE_FILES,
      recursion: false,
      forwarders: [],
    },
    { watchZones: false },
  );
  t.after(() => portico.stop(0));
  const porticoPort = (host: string): number =>
    portico.endpoints.find((e) => e.address.host === host)!.address.port;

  const v4 = cases();
  const all: (Case & { host: string })[] = [
    ...v4.map((c) => ({ ...c, host: "127.0.0.1" })),
    ...(ipv6 ? ipv6Cases(v4).map((c) => ({ ...c, host: "::1" })) : []),
  ];
  const failures: string[] = [];
  let compared = 0;
  await pool(all, 16, async ({ host, ...c }, index) => {
    const query = buildQuery({ ...c, id: index });
    for (const transport of ["udp", "tcp"] as const) {
      const exchange = transport === "udp" ? exchangeUdp : exchangeTcp;
      const [fromNsd, fromPortico] = await Promise.all([
        exchange(nsd.port, query, { host }),
        exchange(porticoPort(host), query, { host }),
      ]);
      let a: Message;
      let b: Message;
      try {
        a = decodeMessage(fromNsd);
        b = decodeMessage(fromPortico);
      } catch (error) {
        failures.push(
          `${describe(c)} over ${transport} to ${host}: undecodable response (${(error as Error).message})`,
        );
        continue;
      }
      compared++;
      // Asked again (with another id and the name in other case), Portico answers from its
      // response cache: the bytes must be those of a fresh answer, id and case aside.
      const again = buildQuery({ ...c, name: swapCase(c.name), id: index ^ 0xffff });
      const cached = await exchange(porticoPort(host), again, { host });
      const expected = Buffer.from(fromPortico);
      expected.writeUInt16BE(index ^ 0xffff, 0);
      if (expected.length >= 12 && expected[5] === 1) {
        expected.set(Buffer.from(again).subarray(12, 12 + nameToWire(c.name).length), 12);
      }
      if (!expected.equals(cached)) {
        failures.push(
          `${describe(c)} over ${transport} to ${host}: the cached answer differs from the fresh one`,
        );
      }
      const diff = diffResponses(a, b, ["nsd", "portico"]);
      if (diff.length > 0) {
        failures.push(
          [`${describe(c)} over ${transport} to ${host}:`, ...diff.map((l) => `    ${l}`)].join("\n"),
        );
      }
    }
  });
  const shown = failures.slice(0, MAX_REPORTED).join("\n");
  const more = failures.length > MAX_REPORTED ? `\n… and ${failures.length - MAX_REPORTED} more` : "";
  assert.equal(
    failures.length,
    0,
    `${failures.length} of ${compared} responses differ from NSD's (${all.length} questions):\n${shown}${more}`,
  );
});
