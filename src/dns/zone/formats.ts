/**
 * Record types that Portico carries as opaque RDATA bytes (types.ts) but whose presentation
 * format it knows: each is a list of fields, read from zone-file text into wire bytes and
 * printed back from wire bytes the way dig prints them. The same description validates RDATA
 * given in the RFC 3597 generic form (`\# len hex`), as BIND does for types it knows.
 */

import { parseIPv4 } from "./address.js";
import { ByteReader, ByteWriter, MalformedRdataError } from "./bytes.js";
import {
  decodeBase32Hex,
  decodeHex,
  encodeBase32Hex,
  encodeBase64,
  encodeCharString,
  encodeHex,
} from "./encoding.js";
import type { FieldReader } from "./fields.js";
import { textToAlgorithm, textToDigestType, textToType, typeToText } from "./mnemonics.js";
import { parseSvcParams, svcParamsToText } from "./svcb.js";
import { parseDecimal } from "./ttl.js";

/** One field of a presentation format. */
type FieldKind =
  | "u8"
  | "u16"
  | "u32"
  /** A DNSSEC algorithm: number or mnemonic (RFC 4034 Appendix A.1), one octet. */
  | "alg"
  /** A DS digest type: number or mnemonic, one octet. */
  | "digest-type"
  /** A TYPE as mnemonic or TYPEnnn, two octets (RRSIG type covered). */
  | "type"
  /** An RRSIG time: YYYYMMDDHHmmSS or seconds, four octets (RFC 4034 §3.2). */
  | "time"
  /** A domain name, uncompressed on the wire. */
  | "name"
  /** A <character-string>. */
  | "string"
  /** A <character-string> that may be absent, last in a format. */
  | "string?"
  /** One or more <character-string>s to the end (TXT-like). */
  | "strings"
  /** One string of any length without a length octet, to the end of RDATA (URI target). */
  | "text"
  /** Hex to the end of RDATA, at least one octet; printed upper case in chunks. */
  | "hex"
  /** Base64 to the end of RDATA, at least one octet; printed in chunks. */
  | "base64"
  /** NSEC3 salt: `-` or hex, with a length octet (RFC 5155 §3.3). */
  | "salt"
  /** NSEC3 next hashed owner: base32hex, with a length octet (RFC 5155 §3.3). */
  | "hash"
  /** A type bitmap to the end of RDATA, possibly empty (RFC 4034 §4.1.2, RFC 5155 §3.2). */
  | "bitmap"
  /** A type bitmap that names at least one type (NSEC, as BIND requires). */
  | "bitmap+"
  | "ipv4"
  /** EUI-48 (RFC 7043 §3.2): six hex pairs joined by `-`. */
  | "eui48"
  /** EUI-64 (RFC 7043 §4.2): eight hex pairs joined by `-`. */
  | "eui64"
  /** NID/L64 locator (RFC 6742 §2.3): four groups of 1-4 hex digits joined by `:`. */
  | "l64"
  /** SVCB SvcParams to the end (RFC 9460 §2.1). */
  | "svcparams";

/** A field: its kind and what it is called in messages ("key tag"). */
type Field = readonly [FieldKind, string];

interface Format {
  readonly fields: readonly Field[];
  /** A check of the whole wire form; returns what is wrong, or undefined. */
  readonly check?: (data: Uint8Array) => string | undefined;
}

/** Digest lengths BIND enforces for DS-like records (RFC 3658, RFC 4509, RFC 6605). */
const DS_DIGEST_LENGTH: Record<number, number> = { 1: 20, 2: 32, 4: 48 };
/** SSHFP fingerprint lengths by fingerprint type (RFC 4255, RFC 6594). */
const SSHFP_LENGTH: Record<number, number> = { 1: 20, 2: 32 };
/** ZONEMD digest lengths by hash algorithm (RFC 8976 §2.2.4). */
const ZONEMD_LENGTH: Record<number, number> = { 1: 48, 2: 64 };

function lengthCheck(at: number, digestAt: number, lengths: Record<number, number>, what: string) {
  return (data: Uint8Array): string | undefined => {
    const expected = lengths[data[at]!];
    const actual = data.length - digestAt;
    if (expected !== undefined && actual !== expected) {
      return `${what} type ${data[at]} needs ${expected} bytes of digest, not ${actual}`;
    }
    return undefined;
  };
}

const DS: Format = {
  fields: [
    ["u16", "key tag"],
    ["alg", "algorithm"],
    ["digest-type", "digest type"],
    ["hex", "digest"],
  ],
  check: lengthCheck(3, 4, DS_DIGEST_LENGTH, "digest"),
};
const DNSKEY: Format = {
  fields: [
    ["u16", "flags"],
    ["u8", "protocol"],
    ["alg", "algorithm"],
    ["base64", "public key"],
  ],
};
/**
 * The signer of an RRSIG is the apex of the zone of the signed RRset, so it has no more
 * labels than the owner, which the labels field counts (RFC 4034 §3.1.3, §3.1.7); BIND
 * refuses an RRSIG whose signer has more labels than that field.
 */
function checkRrsig(data: Uint8Array): string | undefined {
  const labels = data[3];
  let count = 0;
  for (let p = 18; p < data.length && data[p] !== 0; p += data[p]! + 1) count++;
  if (labels !== undefined && count > labels) {
    return `the signer's name has ${count} labels, more than the labels field (${labels})`;
  }
  return undefined;
}

const RRSIG: Format = {
  check: checkRrsig,
  fields: [
    ["type", "type covered"],
    ["alg", "algorithm"],
    ["u8", "labels"],
    ["u32", "original TTL"],
    ["time", "signature expiration"],
    ["time", "signature inception"],
    ["u16", "key tag"],
    ["name", "signer's name"],
    ["base64", "signature"],
  ],
};
const TXT_LIKE: Format = { fields: [["strings", "text"]] };
const PREFERENCE_NAME: Format = {
  fields: [
    ["u16", "preference"],
    ["name", "host name"],
  ],
};
const TLSA: Format = {
  fields: [
    ["u8", "certificate usage"],
    ["u8", "selector"],
    ["u8", "matching type"],
    ["hex", "certificate association data"],
  ],
};
const SVCB: Format = {
  fields: [
    ["u16", "priority"],
    ["name", "target name"],
    ["svcparams", "SvcParams"],
  ],
};
const LOCATOR64: Format = {
  fields: [
    ["u16", "preference"],
    ["l64", "locator"],
  ],
};

/** NSEC3 with hash algorithm 1 (SHA-1) has 20-byte hashes (RFC 5155 §3.3); BIND checks it. */
function checkNsec3(data: Uint8Array): string | undefined {
  const saltLength = data[4]!;
  const hashLength = data[5 + saltLength]!;
  if (data[0] === 1 && hashLength !== 20) return `SHA-1 hashes are 20 bytes, not ${hashLength}`;
  return undefined;
}

/** X25 (RFC 1183 §3.1): a PSDN address of at least 4 decimal digits, as BIND checks. */
function checkX25(data: Uint8Array): string | undefined {
  const digits = data.subarray(1);
  if (digits.length < 4 || !digits.every((b) => b >= 0x30 && b <= 0x39))
    return "PSDN address must be 4 or more digits";
  return undefined;
}

const FORMATS = new Map<number, Format>([
  [
    13, // HINFO
    {
      fields: [
        ["string", "CPU"],
        ["string", "OS"],
      ],
    },
  ],
  [43, DS],
  [59, DS], // CDS
  [32768, DS], // TA
  [32769, DS], // DLV
  [48, DNSKEY],
  [60, DNSKEY], // CDNSKEY
  [25, DNSKEY], // KEY
  [46, RRSIG],
  [24, RRSIG], // SIG
  [
    47, // NSEC
    {
      fields: [
        ["name", "next domain name"],
        ["bitmap+", "type"],
      ],
    },
  ],
  [
    50, // NSEC3
    {
      fields: [
        ["u8", "hash algorithm"],
        ["u8", "flags"],
        ["u16", "iterations"],
        ["salt", "salt"],
        ["hash", "next hashed owner name"],
        ["bitmap", "type"],
      ],
      check: checkNsec3,
    },
  ],
  [
    51, // NSEC3PARAM
    {
      fields: [
        ["u8", "hash algorithm"],
        ["u8", "flags"],
        ["u16", "iterations"],
        ["salt", "salt"],
      ],
    },
  ],
  [64, SVCB],
  [65, SVCB], // HTTPS
  [99, TXT_LIKE], // SPF
  [258, TXT_LIKE], // AVC
  [261, TXT_LIKE], // RESINFO
  [262, TXT_LIKE], // WALLET
  [7, { fields: [["name", "mailbox"]] }], // MB
  [8, { fields: [["name", "mailbox"]] }], // MG
  [9, { fields: [["name", "mailbox"]] }], // MR
  [
    14, // MINFO
    {
      fields: [
        ["name", "responsible mailbox"],
        ["name", "error mailbox"],
      ],
    },
  ],
  [
    17, // RP
    {
      fields: [
        ["name", "mailbox"],
        ["name", "TXT name"],
      ],
    },
  ],
  [18, PREFERENCE_NAME], // AFSDB
  [21, PREFERENCE_NAME], // RT
  [36, PREFERENCE_NAME], // KX
  [107, PREFERENCE_NAME], // LP
  [
    26, // PX
    {
      fields: [
        ["u16", "preference"],
        ["name", "MAP822"],
        ["name", "MAPX400"],
      ],
    },
  ],
  [
    44, // SSHFP
    {
      fields: [
        ["u8", "algorithm"],
        ["u8", "fingerprint type"],
        ["hex", "fingerprint"],
      ],
      check: lengthCheck(1, 2, SSHFP_LENGTH, "fingerprint"),
    },
  ],
  [52, TLSA],
  [53, TLSA], // SMIMEA
  [61, { fields: [["base64", "public key"]] }], // OPENPGPKEY
  [49, { fields: [["base64", "data"]] }], // DHCID
  [
    256, // URI
    {
      fields: [
        ["u16", "priority"],
        ["u16", "weight"],
        ["text", "target"],
      ],
    },
  ],
  [
    63, // ZONEMD
    {
      fields: [
        ["u32", "serial"],
        ["u8", "scheme"],
        ["u8", "hash algorithm"],
        ["hex", "digest"],
      ],
      check: (data) =>
        data.length - 6 < 12
          ? "digest must be at least 12 bytes (RFC 8976 §2.2.4)"
          : lengthCheck(5, 6, ZONEMD_LENGTH, "hash algorithm")(data),
    },
  ],
  [
    62, // CSYNC
    {
      fields: [
        ["u32", "SOA serial"],
        ["u16", "flags"],
        ["bitmap", "type"],
      ],
    },
  ],
  [108, { fields: [["eui48", "address"]] }], // EUI48
  [109, { fields: [["eui64", "address"]] }], // EUI64
  [104, LOCATOR64], // NID
  [106, LOCATOR64], // L64
  [
    105, // L32
    {
      fields: [
        ["u16", "preference"],
        ["ipv4", "locator"],
      ],
    },
  ],
  [19, { fields: [["string", "PSDN address"]], check: checkX25 }], // X25
  [
    20, // ISDN
    {
      fields: [
        ["string", "ISDN address"],
        ["string?", "subaddress"],
      ],
    },
  ],
]);

/** Whether Portico knows the presentation format of opaque type `type`. */
export function hasFormat(type: number): boolean {
  return FORMATS.has(type);
}

// --- RRSIG times (RFC 4034 §3.2) ------------------------------------------------------------

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses an RRSIG time: up to 10 characters is a number of seconds; otherwise exactly
 * YYYYMMDDHHmmSS (UTC, year 1970-9999), taken modulo 2^32 (serial number arithmetic,
 * RFC 4034 §3.1.5). Returns -1 if malformed.
 */
export function parseSigTime(text: string): number {
  if (text.length <= 10) return parseDecimal(text, 0xffffffff);
  if (text.length !== 14 || !/^[0-9]{14}$/.test(text)) return -1;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(4, 6));
  const day = Number(text.slice(6, 8));
  const hour = Number(text.slice(8, 10));
  const minute = Number(text.slice(10, 12));
  const second = Number(text.slice(12, 14));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (year < 1970 || month < 1 || month > 12) return -1;
  const days = DAYS_IN_MONTH[month - 1]! + (month === 2 && leap ? 1 : 0);
  if (day < 1 || day > days || hour > 23 || minute > 59 || second > 60) return -1;
  const seconds = Date.UTC(year, month - 1, day, hour, minute, 0) / 1000 + second;
  return seconds % 0x100000000;
}

/**
 * Prints an RRSIG time as YYYYMMDDHHmmSS, choosing the 2^32-second epoch that puts it
 * nearest to `now` (seconds), as BIND does.
 */
export function sigTimeToText(value: number, now: number = Math.floor(Date.now() / 1000)): string {
  let t = Math.floor(now / 0x100000000) * 0x100000000 + value;
  if (t - now > 0x80000000) t -= 0x100000000;
  else if (now - t > 0x80000000) t += 0x100000000;
  if (t < 0) t = 0;
  const d = new Date(t * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    String(d.getUTCFullYear()).padStart(4, "0") +
    two(d.getUTCMonth() + 1) +
    two(d.getUTCDate()) +
    two(d.getUTCHours()) +
    two(d.getUTCMinutes()) +
    two(d.getUTCSeconds())
  );
}

// --- Type bitmaps (RFC 4034 §4.1.2) ---------------------------------------------------------

/** Reads type mnemonics to the end of the fields and writes them as a type bitmap. */
function parseBitmap(f: FieldReader, out: ByteWriter): void {
  const types: number[] = [];
  while (!f.done) {
    const text = f.word("type");
    const t = textToType(text);
    if (t < 0) f.fail(`unknown type '${text}' in the type bitmap`, f.i - 1);
    types.push(t);
  }
  writeBitmap(types, out);
}

/** Writes a type bitmap: a window per 256 types in use, each cut after its last set bit. */
export function writeBitmap(types: readonly number[], out: ByteWriter): void {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  let i = 0;
  while (i < sorted.length) {
    const window = sorted[i]! >> 8;
    const bits = new Uint8Array(32);
    let used = 0;
    while (i < sorted.length && sorted[i]! >> 8 === window) {
      const low = sorted[i]! & 0xff;
      bits[low >> 3]! |= 0x80 >> (low & 7);
      used = (low >> 3) + 1;
      i++;
    }
    out.u8(window);
    out.u8(used);
    out.bytes(bits.subarray(0, used));
  }
}

/** Reads a type bitmap to the end of `r`; throws MalformedRdataError if malformed. */
export function readBitmap(r: ByteReader): number[] {
  const types: number[] = [];
  let last = -1;
  while (r.remaining > 0) {
    const window = r.u8();
    const len = r.u8();
    if (window <= last || len === 0 || len > 32) throw new MalformedRdataError("bad type bitmap window");
    last = window;
    const bits = r.bytes(len);
    if (bits[len - 1] === 0) throw new MalformedRdataError("type bitmap window ends in a zero octet");
    for (let k = 0; k < len; k++) {
      const b = bits[k]!;
      for (let bit = 0; bit < 8; bit++) if (b & (0x80 >> bit)) types.push((window << 8) | (k << 3) | bit);
    }
  }
  return types;
}

// --- Text to wire -----------------------------------------------------------------------------

function parseEui(f: FieldReader, groups: number, what: string, out: ByteWriter): void {
  const text = f.word(what);
  const parts = text.split("-");
  // BIND reads the groups with sscanf("%x"), so a single digit is accepted too.
  if (parts.length !== groups || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    f.fail(`bad EUI-${groups * 8} address '${text}' (${groups} hex pairs joined by '-')`, f.i - 1);
  }
  for (const p of parts) out.u8(parseInt(p, 16));
}

function parseField(kind: FieldKind, what: string, f: FieldReader, out: ByteWriter): void {
  switch (kind) {
    case "u8":
      out.u8(f.u8(what));
      return;
    case "u16":
      out.u16(f.u16(what));
      return;
    case "u32":
      out.u32(f.u32(what));
      return;
    case "alg": {
      const text = f.word(what);
      const v = parseDecimal(text, 255);
      const alg = v >= 0 ? v : textToAlgorithm(text);
      if (alg < 0) f.fail(`unknown algorithm '${text}'`, f.i - 1);
      out.u8(alg);
      return;
    }
    case "digest-type": {
      const text = f.word(what);
      const v = parseDecimal(text, 255);
      const d = v >= 0 ? v : textToDigestType(text);
      if (d < 0) f.fail(`unknown digest type '${text}'`, f.i - 1);
      out.u8(d);
      return;
    }
    case "type": {
      const text = f.word(what);
      const t = textToType(text);
      if (t < 0) f.fail(`unknown type '${text}'`, f.i - 1);
      out.u16(t);
      return;
    }
    case "time": {
      const text = f.word(what);
      const t = parseSigTime(text);
      if (t < 0) f.fail(`bad time '${text}' (YYYYMMDDHHmmSS or seconds)`, f.i - 1);
      out.u32(t);
      return;
    }
    case "name":
      out.name(f.name(what));
      return;
    case "string":
      out.string(f.charString(what));
      return;
    case "string?":
      if (!f.done) out.string(f.charString(what));
      return;
    case "strings":
      do out.string(f.charString(what));
      while (!f.done);
      return;
    case "text": {
      const data = f.bytes(what, 0xffff);
      if (data.length === 0) f.fail(`empty ${what}`, f.i - 1);
      out.bytes(data);
      return;
    }
    case "hex":
      out.bytes(f.hexRest(what, true));
      return;
    case "base64":
      out.bytes(f.base64Rest(what));
      return;
    case "salt": {
      const text = f.word(what);
      const salt = text === "-" ? new Uint8Array(0) : decodeHex(text);
      if (salt === null || (text !== "-" && salt.length === 0))
        f.fail(`bad salt '${text}' ('-' or hex)`, f.i - 1);
      if (salt.length > 255) f.fail("salt longer than 255 bytes", f.i - 1);
      out.string(salt);
      return;
    }
    case "hash": {
      const text = f.word(what);
      const hash = decodeBase32Hex(text);
      if (hash === null || hash.length === 0)
        f.fail(`bad next hashed owner name '${text}' (base32hex)`, f.i - 1);
      if (hash.length > 255) f.fail("next hashed owner name longer than 255 bytes", f.i - 1);
      out.string(hash);
      return;
    }
    case "bitmap":
    case "bitmap+":
      if (kind === "bitmap+" && f.done) f.fail("the type bitmap names no type");
      parseBitmap(f, out);
      return;
    case "ipv4": {
      const text = f.word(what);
      const quad = new Uint8Array(4);
      if (!parseIPv4(text, quad, 0)) f.fail(`bad IPv4 address '${text}'`, f.i - 1);
      out.bytes(quad);
      return;
    }
    case "eui48":
      parseEui(f, 6, what, out);
      return;
    case "eui64":
      parseEui(f, 8, what, out);
      return;
    case "l64": {
      const text = f.word(what);
      const parts = text.split(":");
      if (parts.length !== 4 || !parts.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p))) {
        f.fail(`bad locator '${text}' (four groups of hex joined by ':')`, f.i - 1);
      }
      for (const p of parts) out.u16(parseInt(p, 16));
      return;
    }
    case "svcparams":
      parseSvcParams(f, out);
      return;
  }
}

/**
 * Reads the presentation fields of opaque type `type` into wire bytes. Throws ConfigError
 * (through `f`) for malformed or missing fields and for extra tokens.
 */
export function parseFormat(type: number, f: FieldReader): Uint8Array {
  const format = FORMATS.get(type);
  if (format === undefined) throw new RangeError(`Cannot parse type ${type}: no presentation format`);
  const out = new ByteWriter();
  for (const [kind, what] of format.fields) parseField(kind, what, f, out);
  f.finish();
  const data = out.finish();
  const problem = format.check?.(data);
  if (problem !== undefined) f.fail(problem, f.end - 1);
  return data;
}

// --- Wire to text -----------------------------------------------------------------------------

/** Splits a long hex or base64 field into 56-character chunks, as dig does by default. */
export function splitChunks(text: string): string {
  if (text.length <= 56) return text;
  let out = text.slice(0, 56);
  for (let i = 56; i < text.length; i += 56) out += " " + text.slice(i, i + 56);
  return out;
}

function fieldText(kind: FieldKind, r: ByteReader): string {
  switch (kind) {
    case "u8":
    case "alg":
    case "digest-type":
      return String(r.u8());
    case "u16":
      return String(r.u16());
    case "u32":
      return String(r.u32());
    case "type":
      return typeToText(r.u16());
    case "time":
      return sigTimeToText(r.u32());
    case "name":
      return r.name();
    case "string":
      return `"${encodeCharString(r.string())}"`;
    case "string?":
      return r.remaining === 0 ? "" : `"${encodeCharString(r.string())}"`;
    case "strings": {
      if (r.remaining === 0) throw new MalformedRdataError("no strings");
      const parts: string[] = [];
      while (r.remaining > 0) parts.push(`"${encodeCharString(r.string())}"`);
      return parts.join(" ");
    }
    case "text":
      if (r.remaining === 0) throw new MalformedRdataError("empty text");
      return `"${encodeCharString(r.rest())}"`;
    case "hex":
      if (r.remaining === 0) throw new MalformedRdataError("no data");
      return splitChunks(encodeHex(r.rest()));
    case "base64":
      if (r.remaining === 0) throw new MalformedRdataError("no data");
      return splitChunks(encodeBase64(r.rest()));
    case "salt": {
      const salt = r.string();
      return salt.length === 0 ? "-" : encodeHex(salt);
    }
    case "hash": {
      const hash = r.string();
      if (hash.length === 0) throw new MalformedRdataError("empty hash");
      return encodeBase32Hex(hash);
    }
    case "bitmap":
    case "bitmap+": {
      const types = readBitmap(r);
      if (kind === "bitmap+" && types.length === 0) throw new MalformedRdataError("empty type bitmap");
      return types.map(typeToText).join(" ");
    }
    case "ipv4":
      return r.bytes(4).join(".");
    case "eui48":
    case "eui64": {
      const b = r.bytes(kind === "eui48" ? 6 : 8);
      return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("-");
    }
    case "l64":
      return [r.u16(), r.u16(), r.u16(), r.u16()].map((x) => x.toString(16)).join(":");
    case "svcparams":
      return svcParamsToText(r);
  }
}

/**
 * The presentation text of opaque RDATA `data` of type `type` as dig prints it, or null
 * if Portico does not know the type's format or `data` does not fit it (the caller then
 * prints the generic `\# len hex` form).
 */
export function formatToText(type: number, data: Uint8Array): string | null {
  const format = FORMATS.get(type);
  if (format === undefined) return null;
  if (format.check?.(data) !== undefined) return null;
  const r = new ByteReader(data);
  let out = "";
  try {
    for (const [kind] of format.fields) {
      const text = fieldText(kind, r);
      if (text.length === 0) continue; // an empty bitmap
      out += out.length === 0 ? text : text.startsWith(" ") ? text : ` ${text}`;
    }
  } catch (e) {
    if (e instanceof MalformedRdataError) return null;
    throw e;
  }
  return r.remaining === 0 ? out : null;
}
