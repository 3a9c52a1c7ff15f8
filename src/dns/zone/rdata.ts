/**
 * Record data in presentation form (RFC 1035 §5.1 and each type's RFC) to the `RData` values
 * of types.ts and back, plus the RFC 3597 generic form `\# length hex` for every type.
 *
 * Types with their own `RData` variant (A, AAAA, NS, CNAME, PTR, DNAME, MX, SOA, TXT, SRV,
 * CAA, NAPTR) are read field by field; the others Portico knows (formats.ts) become their
 * exact wire bytes, `{ kind: "opaque" }`; any type at all may be written as `\#`.
 */

import { encodeRData } from "../codec/encode.js";
import { ConfigError } from "../../core/errors.js";
import { RRType, type RData } from "../types.js";
import { formatIPv6, isIPv4, parseIPv6 } from "./address.js";
import { ByteReader, MAX_RDATA_LENGTH, MalformedRdataError, RdataTooLongError } from "./bytes.js";
import { encodeCharString, encodeHex } from "./encoding.js";
import { FieldReader, NameResolver } from "./fields.js";
import { formatToText, hasFormat, parseFormat, splitChunks } from "./formats.js";
import { ZoneLexer } from "./lexer.js";
import { typeToText } from "./mnemonics.js";
import { parseTtl } from "./ttl.js";

const { A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, NAPTR, DNAME, CAA } = RRType;

/** Meta-types and QTYPEs, which cannot be the type of data in a zone (RFC 6895 §3.1). */
export function isMetaType(type: number): boolean {
  return type === 0 || type === 41 || (type >= 128 && type <= 255);
}

/** Whether Portico can read the presentation format of `type` (else only `\#` is accepted). */
export function hasPresentationFormat(type: number): boolean {
  switch (type) {
    case A:
    case NS:
    case CNAME:
    case SOA:
    case PTR:
    case MX:
    case TXT:
    case AAAA:
    case SRV:
    case NAPTR:
    case DNAME:
    case CAA:
      return true;
    default:
      return hasFormat(type);
  }
}

const ipv6Scratch = new Uint8Array(16);

/** A SOA timer: a TTL-like value with optional units (BIND's dns_counter_fromtext). */
function soaTimer(f: FieldReader, what: string): number {
  const text = f.word(what);
  const v = parseTtl(text);
  if (v < 0) f.fail(`bad ${what} '${text}' (seconds, or units like 1h30m)`, f.i - 1);
  return v;
}

/**
 * Checks a NAPTR regexp field as BIND does (RFC 3403 §3.2): empty, or
 * `delim ere delim replacement delim [i]` where delim is not a digit, letter or backslash,
 * and a back-reference `\N` names one of the ere's groups.
 */
function naptrRegexpProblem(re: Uint8Array): string | undefined {
  if (re.length === 0) return undefined;
  const delim = re[0]!;
  const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
  if (isAlnum(delim) || delim === 0x5c || delim === 0)
    return "regexp delimiter must not be a letter, digit or '\\'";
  let part = 1; // 1: ere, 2: replacement, 3: flags
  let groups = 0;
  let flags = 0;
  for (let i = 1; i < re.length; i++) {
    const c = re[i]!;
    if (part === 3) {
      if (c !== 0x69 || flags > 0) return "regexp flags may only be 'i'";
      flags++;
      continue;
    }
    if (c === 0x5c) {
      i++;
      if (i >= re.length) return "regexp ends in a backslash";
      const d = re[i]!;
      if (part === 2 && d >= 0x31 && d <= 0x39 && d - 0x30 > groups)
        return `regexp refers to group ${d - 0x30}, which the ere lacks`;
      continue;
    }
    if (c === delim) {
      part++;
      continue;
    }
    if (part === 1 && c === 0x28) groups++;
  }
  return part === 3 ? undefined : "regexp needs three delimiters";
}

/** Reads the RDATA of a type with an `RData` variant. */
function parseStructured(type: number, f: FieldReader): RData {
  switch (type) {
    case A: {
      const text = f.word("IPv4 address");
      if (!isIPv4(text)) f.fail(`bad IPv4 address '${text}'`, f.i - 1);
      f.finish();
      return { kind: "A", address: text };
    }
    case AAAA: {
      const text = f.word("IPv6 address");
      if (!parseIPv6(text, ipv6Scratch, 0)) f.fail(`bad IPv6 address '${text}'`, f.i - 1);
      f.finish();
      const address = formatIPv6(ipv6Scratch);
      return { kind: "AAAA", address: address === text ? text : address };
    }
    case NS:
    case CNAME:
    case PTR:
    case DNAME: {
      const target = f.name("target name");
      f.finish();
      return { kind: type === NS ? "NS" : type === CNAME ? "CNAME" : type === PTR ? "PTR" : "DNAME", target };
    }
    case MX: {
      const preference = f.u16("preference");
      const exchange = f.name("mail exchange");
      f.finish();
      return { kind: "MX", preference, exchange };
    }
    case SOA: {
      const mname = f.name("primary server name");
      const rname = f.name("mailbox name");
      const serial = f.u32("serial");
      const refresh = soaTimer(f, "refresh");
      const retry = soaTimer(f, "retry");
      const expire = soaTimer(f, "expire");
      const minimum = soaTimer(f, "minimum");
      f.finish();
      return { kind: "SOA", mname, rname, serial, refresh, retry, expire, minimum };
    }
    case TXT: {
      const strings: Uint8Array[] = [];
      let length = 0;
      do {
        const s = f.charString("text");
        length += 1 + s.length;
        strings.push(s);
      } while (!f.done);
      if (length > MAX_RDATA_LENGTH) f.fail("RDATA longer than 65535 bytes");
      return { kind: "TXT", strings };
    }
    case SRV: {
      const priority = f.u16("priority");
      const weight = f.u16("weight");
      const port = f.u16("port");
      const target = f.name("target name");
      f.finish();
      return { kind: "SRV", priority, weight, port, target };
    }
    case CAA: {
      const flags = f.u8("flags");
      const tag = f.word("tag");
      if (!/^[A-Za-z0-9]{1,255}$/.test(tag))
        f.fail(`bad tag '${tag}' (letters and digits only, RFC 8659 §4.1)`, f.i - 1);
      const value = f.bytes("value", MAX_RDATA_LENGTH - 2 - tag.length);
      f.finish();
      return { kind: "CAA", flags, tag, value };
    }
    case NAPTR: {
      const order = f.u16("order");
      const preference = f.u16("preference");
      const flags = f.charString("flags");
      const services = f.charString("services");
      const regexpAt = f.i;
      const regexp = f.charString("regexp");
      const problem = naptrRegexpProblem(regexp);
      if (problem !== undefined) f.fail(problem, regexpAt);
      const replacement = f.name("replacement");
      f.finish();
      return { kind: "NAPTR", order, preference, flags, services, regexp, replacement };
    }
    default:
      throw new RangeError(`Cannot parse type ${type}: not a structured type`);
  }
}

/**
 * Reads the RFC 3597 §5 generic form after `\#`: a length and that many bytes in hex,
 * possibly split by blanks. For a type Portico knows, the bytes must be valid RDATA of it.
 */
function parseGeneric(type: number, f: FieldReader): RData {
  const length = f.u16("RDATA length");
  const at = f.i;
  const data = length === 0 ? new Uint8Array(0) : f.hexRest("RDATA hex", true);
  if (length === 0) f.finish();
  if (data.length !== length) f.fail(`\\# says ${length} bytes but the hex holds ${data.length}`, at);
  try {
    return rdataFromWire(type, data);
  } catch (e) {
    if (e instanceof MalformedRdataError)
      f.fail(`the \\# data is not valid ${typeToText(type)} RDATA: ${e.message}`, at);
    throw e;
  }
}

/**
 * Reads one record's RDATA from the reader's tokens, in the type's presentation format or
 * the generic `\#` form. Throws ConfigError for anything malformed.
 */
export function parseRdata(type: number, f: FieldReader): RData {
  if (f.accept("\\#")) return parseGeneric(type, f);
  try {
    if (hasFormat(type)) return { kind: "opaque", data: parseFormat(type, f) };
    if (hasPresentationFormat(type)) return parseStructured(type, f);
  } catch (e) {
    if (e instanceof RdataTooLongError) f.fail("RDATA longer than 65535 bytes");
    throw e;
  }
  return f.fail(
    `no presentation format is known for ${typeToText(type)}; write it as \\# length hex (RFC 3597)`,
  );
}

/**
 * Decodes RDATA wire bytes (uncompressed names) into the `RData` of `type`: a variant for the
 * structured types, `opaque` for the rest (checked against the type's format if known).
 * Throws MalformedRdataError if the bytes are not valid RDATA of the type.
 */
export function rdataFromWire(type: number, data: Uint8Array): RData {
  const r = new ByteReader(data);
  let rdata: RData;
  switch (type) {
    case A:
      if (data.length !== 4) throw new MalformedRdataError("A RDATA is 4 bytes");
      return { kind: "A", address: data.join(".") };
    case AAAA:
      if (data.length !== 16) throw new MalformedRdataError("AAAA RDATA is 16 bytes");
      return { kind: "AAAA", address: formatIPv6(data) };
    case NS:
      rdata = { kind: "NS", target: r.name() };
      break;
    case CNAME:
      rdata = { kind: "CNAME", target: r.name() };
      break;
    case PTR:
      rdata = { kind: "PTR", target: r.name() };
      break;
    case DNAME:
      rdata = { kind: "DNAME", target: r.name() };
      break;
    case MX:
      rdata = { kind: "MX", preference: r.u16(), exchange: r.name() };
      break;
    case SOA:
      rdata = {
        kind: "SOA",
        mname: r.name(),
        rname: r.name(),
        serial: r.u32(),
        refresh: r.u32(),
        retry: r.u32(),
        expire: r.u32(),
        minimum: r.u32(),
      };
      break;
    case TXT: {
      const strings: Uint8Array[] = [];
      do strings.push(r.string().slice());
      while (r.remaining > 0);
      rdata = { kind: "TXT", strings };
      break;
    }
    case SRV:
      rdata = { kind: "SRV", priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
      break;
    case CAA: {
      const flags = r.u8();
      const tag = r.string();
      if (tag.length === 0 || !tag.every((b) => /[A-Za-z0-9]/.test(String.fromCharCode(b)))) {
        throw new MalformedRdataError("bad CAA tag");
      }
      rdata = { kind: "CAA", flags, tag: Buffer.from(tag).toString("latin1"), value: r.rest().slice() };
      break;
    }
    case NAPTR:
      rdata = {
        kind: "NAPTR",
        order: r.u16(),
        preference: r.u16(),
        flags: r.string().slice(),
        services: r.string().slice(),
        regexp: r.string().slice(),
        replacement: r.name(),
      };
      break;
    default:
      if (hasFormat(type) && formatToText(type, data) === null) {
        throw new MalformedRdataError(`does not match the ${typeToText(type)} format`);
      }
      return { kind: "opaque", data: data.slice() };
  }
  if (r.remaining !== 0) throw new MalformedRdataError("extra bytes at the end");
  return rdata;
}

/** The uncompressed wire form of `data` (RFC 3597 §4: names in RDATA never compressed). */
export function rdataToWire(data: RData): Uint8Array {
  return encodeRData(data);
}

/** `\# len HEX` (RFC 3597 §5), hex split in chunks as dig prints it. */
export function genericRdataText(data: Uint8Array): string {
  return data.length === 0 ? "\\# 0" : `\\# ${data.length} ${splitChunks(encodeHex(data))}`;
}

function quoted(data: Uint8Array): string {
  return `"${encodeCharString(data)}"`;
}

/**
 * The presentation form of RDATA as dig prints it: names absolute, character-strings quoted
 * with `\"` `\\` `\DDD` escapes, hex and base64 in 56-character chunks, and the generic
 * `\# len hex` form for a type whose format is unknown or whose opaque data does not fit it.
 */
export function rdataToText(type: number, data: RData): string {
  switch (data.kind) {
    case "A":
    case "AAAA":
      return data.address;
    case "NS":
    case "CNAME":
    case "PTR":
    case "DNAME":
      return data.target;
    case "MX":
      return `${data.preference} ${data.exchange}`;
    case "SOA":
      return `${data.mname} ${data.rname} ${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
    case "TXT":
      return data.strings.map(quoted).join(" ");
    case "SRV":
      return `${data.priority} ${data.weight} ${data.port} ${data.target}`;
    case "CAA":
      return `${data.flags} ${data.tag} ${quoted(data.value)}`;
    case "NAPTR":
      return `${data.order} ${data.preference} ${quoted(data.flags)} ${quoted(data.services)} ${quoted(data.regexp)} ${data.replacement}`;
    case "opaque": {
      const bytes = data.data;
      if (hasPresentationFormat(type) && !hasFormat(type)) {
        // A structured type carried as bytes: decode it to print it properly.
        try {
          return rdataToText(type, rdataFromWire(type, bytes));
        } catch (e) {
          if (!(e instanceof MalformedRdataError)) throw e;
          return genericRdataText(bytes);
        }
      }
      return formatToText(type, bytes) ?? genericRdataText(bytes);
    }
  }
}

/**
 * Reads RDATA of type `type` from presentation text (`"10 mail"`, `"\\# 4 c0000201"`),
 * relative names completed with `origin`. Throws ConfigError (file "rdata", line 1...) if
 * malformed.
 */
export function rdataFromText(type: number, text: string, origin = "."): RData {
  const lexer = new ZoneLexer(text, "rdata");
  const count = lexer.next() ? lexer.count : 0;
  const f = new FieldReader(lexer, 0, count, new NameResolver(origin, false), typeToText(type));
  if (isMetaType(type)) f.fail(`${typeToText(type)} is a meta-type, not data`);
  const data = parseRdata(type, f);
  if (lexer.next()) throw new ConfigError("rdata text holds more than one line", "rdata", lexer.line);
  return data;
}
