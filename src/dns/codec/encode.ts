import { canonicalName, namesEqual, writeNameWire } from "../name.js";
import { RRType } from "../types.js";
import type { Edns, Message, RData, ResourceRecord } from "../types.js";
import { flagsToWord, HEADER_LENGTH } from "./header.js";
import { parseIPv4, parseIPv6 } from "./ip.js";

/** Options of `encodeMessage()`. */
export interface EncodeOptions {
  /** Truncate to this many bytes as `encodeResponse()` does (512..65535 in practice). */
  readonly maxSize?: number;
}

/** Result of `encodeResponse()`. */
export interface EncodedResponse {
  readonly bytes: Uint8Array;
  /** The answer and authority sections did not fit: they were dropped and TC was set. */
  readonly truncated: boolean;
}

/** Largest message: TCP's two-octet length prefix (RFC 1035 §4.2.2). */
const MAX_MESSAGE = 0xffff;
/** Compression pointers hold a 14-bit offset (RFC 1035 §4.1.4). */
const MAX_POINTER_TARGET = 0x3fff;
/** Room `writeNameWire()` needs: a 255-octet name plus one over-long label it detects late. */
const NAME_ROOM = 320;

/** The kind of RData each type must carry (or "opaque", which any type may carry). */
const TYPE_OF_KIND = {
  A: RRType.A,
  AAAA: RRType.AAAA,
  NS: RRType.NS,
  CNAME: RRType.CNAME,
  PTR: RRType.PTR,
  DNAME: RRType.DNAME,
  MX: RRType.MX,
  SOA: RRType.SOA,
  TXT: RRType.TXT,
  SRV: RRType.SRV,
  CAA: RRType.CAA,
  NAPTR: RRType.NAPTR,
} as const;

function u8(value: number, what: string): number {
  if ((value & 0xff) !== value)
    throw new RangeError(`Cannot encode ${what}: ${value} is not an integer in 0..255`);
  return value;
}

function u16(value: number, what: string): number {
  if ((value & 0xffff) !== value) {
    throw new RangeError(`Cannot encode ${what}: ${value} is not an integer in 0..65535`);
  }
  return value;
}

function u32(value: number, what: string): number {
  if (value >>> 0 !== value) {
    throw new RangeError(`Cannot encode ${what}: ${value} is not an integer in 0..4294967295`);
  }
  return value;
}

/** Index of the dot ending the label that starts at `from` in a canonical name. */
function labelEnd(name: string, from: number): number {
  for (let i = from; ; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) return i;
    if (c === 0x5c) i++; // skip the escaped character (or the first digit of \DDD)
  }
}

/**
 * One growable output buffer and the compression table, reused by every encode (encoding is
 * synchronous, so one per module suffices). Compression keys are the canonical (lowercase)
 * presentation strings of name suffixes, so matching is case-insensitive while the bytes
 * written are those of the first occurrence, in its case (RFC 1035 §4.1.4, RFC 4343 §4).
 */
class Writer {
  buf = new Uint8Array(4096);
  pos = 0;
  readonly #table = new Map<string, number>();

  /** @param compression whether names may be compressed at all (not for RDATA alone). */
  constructor(readonly compression = true) {}

  reset(): void {
    this.pos = 0;
    this.#table.clear();
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    const b = this.buf;
    b[this.pos++] = v >>> 8;
    b[this.pos++] = v & 0xff;
  }

  u32(v: number): void {
    const b = this.buf;
    b[this.pos++] = v >>> 24;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = v & 0xff;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** A <character-string> (RFC 1035 §3.3): a length octet and at most 255 bytes. */
  characterString(data: Uint8Array, what: string): void {
    if (data.length > 0xff)
      throw new RangeError(`Cannot encode ${what}: string of ${data.length} bytes exceeds 255`);
    this.ensure(1);
    this.u8(data.length);
    this.bytes(data);
  }

  /**
   * Writes a name; if `compress`, points at the longest suffix already written and makes
   * its own suffixes available to later names. Uncompressed names (rdata of newer types,
   * RFC 3597 §4) are not offered as targets either.
   */
  name(name: string, compress: boolean): void {
    this.ensure(NAME_ROOM);
    const buf = this.buf;
    if (!compress || !this.compression) {
      this.pos = writeNameWire(name, buf, this.pos);
      return;
    }
    const canon = canonicalName(name);
    if (canon.length === 1) {
      buf[this.pos++] = 0;
      return;
    }
    const table = this.#table;
    let target = table.get(canon);
    if (target !== undefined) {
      this.u16(0xc000 | target);
      return;
    }
    const start = this.pos;
    const end = writeNameWire(name, buf, start);
    if (start <= MAX_POINTER_TARGET) table.set(canon, start);
    let w = start + buf[start]! + 1;
    let s = labelEnd(canon, 0) + 1;
    while (buf[w] !== 0) {
      const key = canon.slice(s);
      target = table.get(key);
      if (target !== undefined) {
        this.pos = w;
        this.u16(0xc000 | target);
        return;
      }
      if (w <= MAX_POINTER_TARGET) table.set(key, w);
      w += buf[w]! + 1;
      s = labelEnd(canon, s) + 1;
    }
    this.pos = end;
  }
}

const writer = new Writer();

/** Where the sections of the last encode ended, for truncation. */
interface Layout {
  readonly questionEnd: number;
  readonly authorityEnd: number;
  /** End offset of each additional record (OPT excluded). */
  readonly additionalEnds: readonly number[];
  /** Where the OPT record starts (the end of the message if there is none). */
  readonly optStart: number;
}

function kindMismatch(type: number, kind: string): TypeError {
  return new TypeError(`Cannot encode a record of type ${type} with ${kind} data`);
}

function writeRData(w: Writer, type: number, data: RData): void {
  if (data.kind !== "opaque" && TYPE_OF_KIND[data.kind] !== type) throw kindMismatch(type, data.kind);
  switch (data.kind) {
    case "A":
      w.ensure(4);
      parseIPv4(data.address, w.buf, w.pos);
      w.pos += 4;
      return;
    case "AAAA":
      w.ensure(16);
      parseIPv6(data.address, w.buf, w.pos);
      w.pos += 16;
      return;
    case "NS":
    case "CNAME":
    case "PTR":
      w.name(data.target, true);
      return;
    case "DNAME":
      w.name(data.target, false); // RFC 6672 §2.5: not compressed
      return;
    case "MX": {
      const preference = u16(data.preference, "MX preference");
      w.ensure(2);
      w.u16(preference);
      w.name(data.exchange, true);
      return;
    }
    case "SOA": {
      const fields = [
        u32(data.serial, "SOA serial"),
        u32(data.refresh, "SOA refresh"),
        u32(data.retry, "SOA retry"),
        u32(data.expire, "SOA expire"),
        u32(data.minimum, "SOA minimum"),
      ];
      w.name(data.mname, true);
      w.name(data.rname, true);
      w.ensure(20);
      for (const f of fields) w.u32(f);
      return;
    }
    case "TXT":
      if (data.strings.length === 0) {
        // RDATA must hold at least one string (RFC 1035 §3.3.14): none becomes one empty one.
        w.ensure(1);
        w.u8(0);
        return;
      }
      for (const s of data.strings) w.characterString(s, "TXT string");
      return;
    case "SRV": {
      const priority = u16(data.priority, "SRV priority");
      const weight = u16(data.weight, "SRV weight");
      const port = u16(data.port, "SRV port");
      w.ensure(6);
      w.u16(priority);
      w.u16(weight);
      w.u16(port);
      w.name(data.target, false); // RFC 2782: no compression
      return;
    }
    case "CAA": {
      const flags = u8(data.flags, "CAA flags");
      const tag = data.tag;
      if (tag.length === 0 || tag.length > 0xff) {
        throw new RangeError(`Cannot encode CAA tag ${JSON.stringify(tag)}: length must be 1..255`);
      }
      w.ensure(2 + tag.length);
      w.u8(flags);
      w.u8(tag.length);
      for (let i = 0; i < tag.length; i++) {
        const c = tag.charCodeAt(i);
        if (c > 0xff) throw new TypeError(`Cannot encode CAA tag ${JSON.stringify(tag)}: not Latin-1`);
        w.u8(c);
      }
      w.bytes(data.value);
      return;
    }
    case "NAPTR": {
      const order = u16(data.order, "NAPTR order");
      const preference = u16(data.preference, "NAPTR preference");
      w.ensure(4);
      w.u16(order);
      w.u16(preference);
      w.characterString(data.flags, "NAPTR flags");
      w.characterString(data.services, "NAPTR services");
      w.characterString(data.regexp, "NAPTR regexp");
      w.name(data.replacement, false); // RFC 3403 §4.1: no compression
      return;
    }
    case "opaque":
      w.bytes(data.data);
      return;
    default: {
      const never: never = data;
      throw new TypeError(`Cannot encode record data of kind ${JSON.stringify((never as RData).kind)}`);
    }
  }
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  const type = u16(rr.type, "record type");
  if (type === RRType.OPT) {
    throw new TypeError("Cannot encode an OPT record in a section: put it in Message.edns");
  }
  const cls = u16(rr.class, "record class");
  const ttl = u32(rr.ttl, "record TTL");
  w.name(rr.name, true);
  w.ensure(10);
  w.u16(type);
  w.u16(cls);
  w.u32(ttl);
  const lengthAt = w.pos;
  w.pos += 2;
  writeRData(w, type, rr.data);
  const rdlength = w.pos - lengthAt - 2;
  if (rdlength > 0xffff)
    throw new RangeError(`Cannot encode record data of ${rdlength} bytes: exceeds 65535`);
  w.buf[lengthAt] = rdlength >>> 8;
  w.buf[lengthAt + 1] = rdlength & 0xff;
}

/** The OPT pseudo-record (RFC 6891 §6.1.2-§6.1.3), carrying the upper 8 bits of `rcode`. */
function writeOpt(w: Writer, edns: Edns, rcode: number): void {
  const size = u16(edns.udpPayloadSize, "EDNS UDP payload size");
  const version = u8(edns.version, "EDNS version");
  if ((edns.flags & 0x7fff) !== edns.flags) {
    throw new RangeError(`Cannot encode EDNS flags ${edns.flags}: only the 15 bits below DO are free`);
  }
  w.ensure(11);
  w.u8(0); // root owner
  w.u16(RRType.OPT);
  w.u16(size);
  w.u8(rcode >>> 4);
  w.u8(version);
  w.u16((edns.dnssecOk ? 0x8000 : 0) | edns.flags);
  const lengthAt = w.pos;
  w.pos += 2;
  for (const option of edns.options) {
    const code = u16(option.code, "EDNS option code");
    const length = u16(option.data.length, "EDNS option length");
    w.ensure(4);
    w.u16(code);
    w.u16(length);
    w.bytes(option.data);
  }
  const rdlength = u16(w.pos - lengthAt - 2, "OPT RDATA length");
  w.buf[lengthAt] = rdlength >>> 8;
  w.buf[lengthAt + 1] = rdlength & 0xff;
}

function count(n: number, what: string): number {
  if (n > 0xffff) throw new RangeError(`Cannot encode DNS message: ${n} ${what} exceed 65535`);
  return n;
}

/** Writes the whole message into `writer` (header last, by `writeHeader`). */
function writeBody(msg: Message): Layout {
  u16(msg.id, "message id");
  if ((msg.opcode & 0xf) !== msg.opcode)
    throw new RangeError(`Cannot encode opcode ${msg.opcode}: not in 0..15`);
  const maxRcode = msg.edns === undefined ? 0xf : 0xfff;
  if ((msg.rcode & maxRcode) !== msg.rcode) {
    throw new RangeError(
      `Cannot encode rcode ${msg.rcode}: ${msg.edns === undefined ? "above 15 needs EDNS" : "not in 0..4095"}`,
    );
  }
  count(msg.questions.length, "questions");
  count(msg.answers.length, "answers");
  count(msg.authority.length, "authority records");
  count(msg.additional.length + (msg.edns === undefined ? 0 : 1), "additional records");

  const w = writer;
  w.reset();
  w.ensure(HEADER_LENGTH);
  w.pos = HEADER_LENGTH;
  for (const q of msg.questions) {
    const type = u16(q.type, "question type");
    const cls = u16(q.class, "question class");
    w.name(q.name, true);
    w.ensure(4);
    w.u16(type);
    w.u16(cls);
  }
  const questionEnd = w.pos;
  for (const rr of msg.answers) writeRecord(w, rr);
  for (const rr of msg.authority) writeRecord(w, rr);
  const authorityEnd = w.pos;
  const additionalEnds: number[] = [];
  for (const rr of msg.additional) {
    writeRecord(w, rr);
    additionalEnds.push(w.pos);
  }
  const optStart = w.pos;
  if (msg.edns !== undefined) writeOpt(w, msg.edns, msg.rcode);
  return { questionEnd, authorityEnd, additionalEnds, optStart };
}

function writeHeader(msg: Message, tc: boolean, an: number, ns: number, ar: number): void {
  const b = writer.buf;
  const flags = tc === msg.flags.tc ? msg.flags : { ...msg.flags, tc };
  const word = flagsToWord(flags, msg.opcode, msg.rcode);
  const qd = msg.questions.length;
  b[0] = msg.id >>> 8;
  b[1] = msg.id & 0xff;
  b[2] = word >>> 8;
  b[3] = word & 0xff;
  b[4] = qd >>> 8;
  b[5] = qd & 0xff;
  b[6] = an >>> 8;
  b[7] = an & 0xff;
  b[8] = ns >>> 8;
  b[9] = ns & 0xff;
  b[10] = ar >>> 8;
  b[11] = ar & 0xff;
}

function output(): Uint8Array {
  const out = Buffer.allocUnsafe(writer.pos);
  out.set(writer.buf.subarray(0, writer.pos));
  return out;
}

/** Whether two adjacent records belong to one RRset (RFC 2181 §5). */
function sameRRset(a: ResourceRecord, b: ResourceRecord): boolean {
  return a.type === b.type && a.class === b.class && namesEqual(a.name, b.name);
}

/**
 * Encodes a message to at most `maxSize` bytes, for a UDP response (RFC 1035 §4.2.1; RFC
 * 6891 §6.2.5 with EDNS). If the whole message does not fit:
 *  1. whole RRsets are dropped from the end of the additional section (the OPT record is
 *     kept); TC is not set for that, as RFC 2181 §9 says;
 *  2. if the answer and authority sections still do not fit, all records are dropped (the
 *     question and the OPT record stay) and TC is set, so the client retries over TCP.
 * The question section and OPT are never dropped, so the result exceeds `maxSize` only if
 * they alone do. Throws RangeError for a `maxSize` outside 12..65535 and TypeError or
 * RangeError for an unencodable message, like `encodeMessage()`.
 */
export function encodeResponse(msg: Message, maxSize: number): EncodedResponse {
  if (!Number.isInteger(maxSize) || maxSize < HEADER_LENGTH || maxSize > MAX_MESSAGE) {
    throw new RangeError(`Cannot encode DNS message: maxSize ${maxSize} is not an integer in 12..65535`);
  }
  const layout = writeBody(msg);
  const w = writer;
  const opt = msg.edns === undefined ? 0 : 1;
  if (w.pos <= maxSize) {
    writeHeader(msg, msg.flags.tc, msg.answers.length, msg.authority.length, msg.additional.length + opt);
    return { bytes: output(), truncated: false };
  }
  const optLength = w.pos - layout.optStart;
  const additional = msg.additional;
  const ends = layout.additionalEnds;
  // Keep the first k additional records, k as large as fits, ending on an RRset boundary.
  for (let k = additional.length - 1; k >= 0; k--) {
    const end = k === 0 ? layout.authorityEnd : ends[k - 1]!;
    if (end + optLength > maxSize) continue;
    if (k > 0 && sameRRset(additional[k - 1]!, additional[k]!)) continue;
    w.buf.copyWithin(end, layout.optStart, layout.optStart + optLength);
    w.pos = end + optLength;
    writeHeader(msg, msg.flags.tc, msg.answers.length, msg.authority.length, k + opt);
    return { bytes: output(), truncated: false };
  }
  w.buf.copyWithin(layout.questionEnd, layout.optStart, layout.optStart + optLength);
  w.pos = layout.questionEnd + optLength;
  writeHeader(msg, true, 0, 0, opt);
  return { bytes: output(), truncated: true };
}

/**
 * Encodes a message (RFC 1035 §4.1). Owner names and the names in NS, CNAME, PTR, MX and SOA
 * data are compressed; names in other types' data never are (RFC 3597 §4). `edns` becomes
 * an OPT record at the end of the additional section carrying the upper 8 bits of `rcode`
 * (`edns.extendedRcode` is ignored: `rcode` is the full value). With `maxSize`, truncates
 * as `encodeResponse()` does.
 *
 * Throws TypeError for a malformed name or address, data of the wrong kind for its type, or
 * an OPT record in a section; RangeError for a number out of its field's range, an rcode
 * above 15 without EDNS, or a message over 65535 bytes.
 */
/**
 * The RDATA of one record alone, names uncompressed (RFC 3597 §4): the form the zone parser
 * compares records by and prints as `\\# len hex`. `type` defaults to the one `data` is for.
 */
export function encodeRData(data: RData, type?: number): Uint8Array {
  if (data.kind === "opaque") return data.data;
  const w = new Writer(false);
  writeRData(w, type ?? TYPE_OF_KIND[data.kind], data);
  return w.buf.slice(0, w.pos);
}

export function encodeMessage(msg: Message, options?: EncodeOptions): Uint8Array {
  if (options?.maxSize !== undefined) return encodeResponse(msg, options.maxSize).bytes;
  writeBody(msg);
  if (writer.pos > MAX_MESSAGE) {
    throw new RangeError(`Cannot encode DNS message: ${writer.pos} bytes exceeds 65535`);
  }
  writeHeader(
    msg,
    msg.flags.tc,
    msg.answers.length,
    msg.authority.length,
    msg.additional.length + (msg.edns ? 1 : 0),
  );
  return output();
}
