/**
 * Mnemonics of TYPE, CLASS and RCODE values, and their generic forms `TYPEnnn` and
 * `CLASSnnn` (RFC 3597 §5), as BIND's zone loader and dig read and print them.
 */

/** Every type mnemonic BIND 9 knows, with its value (IANA "Resource Record (RR) TYPEs"). */
const TYPES: readonly (readonly [string, number])[] = [
  ["A", 1],
  ["NS", 2],
  ["MD", 3],
  ["MF", 4],
  ["CNAME", 5],
  ["SOA", 6],
  ["MB", 7],
  ["MG", 8],
  ["MR", 9],
  ["NULL", 10],
  ["WKS", 11],
  ["PTR", 12],
  ["HINFO", 13],
  ["MINFO", 14],
  ["MX", 15],
  ["TXT", 16],
  ["RP", 17],
  ["AFSDB", 18],
  ["X25", 19],
  ["ISDN", 20],
  ["RT", 21],
  ["NSAP", 22],
  ["NSAP-PTR", 23],
  ["SIG", 24],
  ["KEY", 25],
  ["PX", 26],
  ["GPOS", 27],
  ["AAAA", 28],
  ["LOC", 29],
  ["NXT", 30],
  ["EID", 31],
  ["NIMLOC", 32],
  ["SRV", 33],
  ["ATMA", 34],
  ["NAPTR", 35],
  ["KX", 36],
  ["CERT", 37],
  ["A6", 38],
  ["DNAME", 39],
  ["SINK", 40],
  ["OPT", 41],
  ["APL", 42],
  ["DS", 43],
  ["SSHFP", 44],
  ["IPSECKEY", 45],
  ["RRSIG", 46],
  ["NSEC", 47],
  ["DNSKEY", 48],
  ["DHCID", 49],
  ["NSEC3", 50],
  ["NSEC3PARAM", 51],
  ["TLSA", 52],
  ["SMIMEA", 53],
  ["HIP", 55],
  ["NINFO", 56],
  ["RKEY", 57],
  ["TALINK", 58],
  ["CDS", 59],
  ["CDNSKEY", 60],
  ["OPENPGPKEY", 61],
  ["CSYNC", 62],
  ["ZONEMD", 63],
  ["SVCB", 64],
  ["HTTPS", 65],
  ["DSYNC", 66],
  ["HHIT", 67],
  ["BRID", 68],
  ["SPF", 99],
  ["UINFO", 100],
  ["UID", 101],
  ["GID", 102],
  ["UNSPEC", 103],
  ["NID", 104],
  ["L32", 105],
  ["L64", 106],
  ["LP", 107],
  ["EUI48", 108],
  ["EUI64", 109],
  ["TKEY", 249],
  ["TSIG", 250],
  ["IXFR", 251],
  ["AXFR", 252],
  ["MAILB", 253],
  ["MAILA", 254],
  ["ANY", 255],
  ["URI", 256],
  ["CAA", 257],
  ["AVC", 258],
  ["DOA", 259],
  ["AMTRELAY", 260],
  ["RESINFO", 261],
  ["WALLET", 262],
  ["TA", 32768],
  ["DLV", 32769],
];

const typeByName = new Map<string, number>();
const nameByType = new Map<number, string>();
for (const [name, value] of TYPES) {
  typeByName.set(name, value);
  nameByType.set(value, name);
}

const CLASSES: readonly (readonly [string, number])[] = [
  ["IN", 1],
  ["CH", 3],
  ["HS", 4],
  ["NONE", 254],
  ["ANY", 255],
];
const classByName = new Map<string, number>([...CLASSES, ["CHAOS", 3], ["HESIOD", 4]]);
const nameByClass = new Map<number, string>(CLASSES.map(([n, v]) => [v, n]));

const RCODES = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
  "RESERVED11",
  "RESERVED12",
  "RESERVED13",
  "RESERVED14",
  "RESERVED15",
  "BADVERS",
  "BADKEY",
  "BADTIME",
  "BADMODE",
  "BADNAME",
  "BADALG",
  "BADTRUNC",
  "BADCOOKIE",
] as const;

/**
 * Parses the digits after a `TYPE`/`CLASS` prefix: a decimal 0..65535 without sign, as
 * BIND does (leading zeros allowed). Returns -1 if `s` is not that.
 */
function genericNumber(s: string, from: number): number {
  const n = s.length;
  if (from >= n || n - from > 5) return -1;
  let v = 0;
  for (let i = from; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= 0xffff ? v : -1;
}

/** Whether `s` starts with `prefix` ignoring ASCII case (`prefix` is upper case). */
function startsWithUpper(s: string, prefix: string): boolean {
  if (s.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if ((s.charCodeAt(i) & 0xdf) !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/** The mnemonic of a TYPE value ("A", "TXT"), or `TYPEnnn` for one without (RFC 3597 §5). */
export function typeToText(type: number): string {
  return nameByType.get(type) ?? `TYPE${type}`;
}

/**
 * The TYPE value of a mnemonic or of `TYPEnnn`, case-insensitive; -1 if `text` is neither.
 */
export function textToType(text: string): number {
  const known = typeByName.get(text) ?? typeByName.get(text.toUpperCase());
  if (known !== undefined) return known;
  return startsWithUpper(text, "TYPE") ? genericNumber(text, 4) : -1;
}

/** The mnemonic of a CLASS value ("IN"), or `CLASSnnn` for one without (RFC 3597 §5). */
export function classToText(rrclass: number): string {
  return nameByClass.get(rrclass) ?? `CLASS${rrclass}`;
}

/**
 * The CLASS value of a mnemonic (IN, CH/CHAOS, HS/HESIOD, NONE, ANY) or `CLASSnnn`,
 * case-insensitive; -1 if `text` is neither.
 */
export function textToClass(text: string): number {
  // Most tokens tried here are TTLs and types: reject them without a map lookup.
  const c = text.charCodeAt(0) | 0x20;
  if (c !== 0x69 && c !== 0x63 && c !== 0x68 && c !== 0x6e && c !== 0x61) return -1; // i c h n a
  const known = classByName.get(text) ?? classByName.get(text.toUpperCase());
  if (known !== undefined) return known;
  return startsWithUpper(text, "CLASS") ? genericNumber(text, 5) : -1;
}

/** The mnemonic of an RCODE as dig prints it ("NXDOMAIN"); beyond the table, the number. */
export function rcodeToText(rcode: number): string {
  return RCODES[rcode] ?? String(rcode);
}

/** DNSSEC algorithm mnemonics (RFC 4034 Appendix A.1 and the IANA registry), as BIND reads them. */
const ALGORITHMS: readonly (readonly [string, number])[] = [
  ["RSAMD5", 1],
  ["DH", 2],
  ["DSA", 3],
  ["RSASHA1", 5],
  ["NSEC3DSA", 6],
  ["DSA-NSEC3-SHA1", 6],
  ["NSEC3RSASHA1", 7],
  ["RSASHA1-NSEC3-SHA1", 7],
  ["RSASHA256", 8],
  ["RSASHA512", 10],
  ["ECCGOST", 12],
  ["ECDSAP256SHA256", 13],
  ["ECDSA256", 13],
  ["ECDSAP384SHA384", 14],
  ["ECDSA384", 14],
  ["ED25519", 15],
  ["ED448", 16],
  ["INDIRECT", 252],
  ["PRIVATEDNS", 253],
  ["PRIVATEOID", 254],
];
const algorithmByName = new Map<string, number>(ALGORITHMS);

/** A DNSSEC algorithm from its number or mnemonic (case-insensitive); -1 if neither. */
export function textToAlgorithm(text: string): number {
  return algorithmByName.get(text.toUpperCase()) ?? -1;
}

/** DS digest type mnemonics (RFC 4034 §5.1.3, RFC 4509, RFC 6605), as BIND reads them. */
const DIGESTS = new Map<string, number>([
  ["SHA-1", 1],
  ["SHA1", 1],
  ["SHA-256", 2],
  ["SHA256", 2],
  ["GOST", 3],
  ["SHA-384", 4],
  ["SHA384", 4],
]);

/** A DS digest type from its mnemonic (case-insensitive); -1 if unknown. */
export function textToDigestType(text: string): number {
  return DIGESTS.get(text.toUpperCase()) ?? -1;
}
