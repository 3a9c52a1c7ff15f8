import { DecodeError } from "../../core/errors.js";
import { MAX_NAME_WIRE_LENGTH, NameBuilder } from "../name.js";
import { RRClass, RRType } from "../types.js";
import type { Edns, EdnsOption, Message, Question, RData, ResourceRecord } from "../types.js";
import { flagsFromWord, HEADER_LENGTH } from "./header.js";
import { formatIPv4, formatIPv6 } from "./ip.js";

/** Options of `decodeMessage()`. */
export interface DecodeOptions {
  /**
   * Accept bytes after the last record instead of failing. Off by default: a message is
   * exactly its sections (over TCP the length prefix says so, over UDP the datagram does),
   * and bytes after them mean the sender and we disagree about the layout.
   */
  readonly allowTrailingBytes?: boolean;
}

/** Smallest question: root name, TYPE, CLASS. Smallest RR: root name, the fixed 10 bytes. */
const MIN_QUESTION = 5;
const MIN_RECORD = 11;
/** Requestors' payload sizes below this mean this (RFC 6891 §6.2.3, §6.2.5). */
const MIN_UDP_PAYLOAD = 512;

const builder = new NameBuilder();

/**
 * Decodes a whole DNS message (RFC 1035 §4.1). Throws DecodeError, with the offset where
 * decoding stopped, for anything that is not a well-formed message: truncation, counts the
 * data does not hold, bad compression pointers (into the header, forward, or looping), names
 * over 255 octets, reserved label types, rdata that does not exactly fill RDLENGTH, more than
 * one OPT or an OPT outside the additional section or with a non-root owner, and (unless
 * `allowTrailingBytes`) bytes after the last record.
 *
 * The OPT record is lifted into `edns` and its extended rcode merged into `rcode`; a UDP
 * payload size below 512 is reported as 512. Names inside rdata are decompressed; byte
 * fields are copies, so `buf` may be reused afterwards. TTLs are reported as on the wire (an
 * unsigned 32-bit value; RFC 2181 §8's "treat the high bit as zero TTL" is the cache's job).
 */
export function decodeMessage(buf: Uint8Array, options?: DecodeOptions): Message {
  const length = buf.length;
  if (length < HEADER_LENGTH) {
    throw new DecodeError(`Cannot decode DNS message: ${length} bytes is shorter than the header`, length);
  }
  const id = (buf[0]! << 8) | buf[1]!;
  const word = (buf[2]! << 8) | buf[3]!;
  const qdcount = (buf[4]! << 8) | buf[5]!;
  const ancount = (buf[6]! << 8) | buf[7]!;
  const nscount = (buf[8]! << 8) | buf[9]!;
  const arcount = (buf[10]! << 8) | buf[11]!;
  // Refuse before allocating if the counts cannot possibly fit.
  if (qdcount * MIN_QUESTION + (ancount + nscount + arcount) * MIN_RECORD > length - HEADER_LENGTH) {
    throw new DecodeError("Cannot decode DNS message: section counts exceed the message length", 4);
  }
  const reader = new Reader(buf);
  const questions: Question[] = [];
  for (let i = 0; i < qdcount; i++) questions.push(reader.question());
  const answers = reader.records(ancount, false);
  const authority = reader.records(nscount, false);
  const additional = reader.records(arcount, true);
  if (reader.pos !== length && options?.allowTrailingBytes !== true) {
    throw new DecodeError(
      `Cannot decode DNS message: ${length - reader.pos} bytes after the last record`,
      reader.pos,
    );
  }
  const headerRcode = word & 0xf;
  const edns = reader.edns;
  const opcode = (word >> 11) & 0xf;
  const flags = flagsFromWord(word);
  if (edns === undefined) {
    return { id, opcode, flags, rcode: headerRcode, questions, answers, authority, additional };
  }
  const rcode = (edns.extendedRcode << 4) | headerRcode;
  return { id, opcode, flags, rcode, questions, answers, authority, additional, edns };
}

/** Reads sections from a message, tracking the position. */
class Reader {
  readonly #buf: Uint8Array;
  pos = HEADER_LENGTH;
  edns: Edns | undefined = undefined;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  #truncated(what: string, at: number): DecodeError {
    return new DecodeError(`Cannot decode DNS message: truncated in ${what}`, at);
  }

  #u16(what: string): number {
    const p = this.pos;
    if (p + 2 > this.#buf.length) throw this.#truncated(what, p);
    this.pos = p + 2;
    return (this.#buf[p]! << 8) | this.#buf[p + 1]!;
  }

  #u32(what: string): number {
    const b = this.#buf;
    const p = this.pos;
    if (p + 4 > b.length) throw this.#truncated(what, p);
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /**
   * Reads a possibly compressed name (RFC 1035 §4.1.4) at `pos`. Every pointer must point
   * strictly before the start of the label run that contains it, so targets strictly
   * decrease: forward pointers and loops are refused, and decoding is bounded.
   */
  name(): string {
    const b = this.#buf;
    const end = b.length;
    let p = this.pos;
    let limit = p; // start of the current run of labels; pointers must go below it
    let jumped = false;
    let wireLength = 1; // the root's zero octet
    builder.reset();
    for (;;) {
      if (p >= end) throw this.#truncated("a name", p);
      const len = b[p]!;
      if (len === 0) {
        if (!jumped) this.pos = p + 1;
        return builder.finish();
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (p + 1 >= end) throw this.#truncated("a compression pointer", p);
        const target = ((len & 0x3f) << 8) | b[p + 1]!;
        if (!jumped) {
          this.pos = p + 2;
          jumped = true;
        }
        if (target < HEADER_LENGTH) {
          throw new DecodeError("Cannot decode DNS name: compression pointer into the header", p);
        }
        if (target >= limit) {
          throw new DecodeError("Cannot decode DNS name: compression pointer does not point backwards", p);
        }
        limit = target;
        p = target;
        continue;
      }
      if (kind !== 0) {
        // 0x40 (extended labels, RFC 6891 §5) and 0x80 are reserved.
        throw new DecodeError(`Cannot decode DNS name: reserved label type 0x${kind.toString(16)}`, p);
      }
      // len <= 63 holds here since the top two bits are clear.
      wireLength += len + 1;
      if (wireLength > MAX_NAME_WIRE_LENGTH) {
        throw new DecodeError("Cannot decode DNS name: longer than 255 octets", p);
      }
      if (p + 1 + len > end) throw this.#truncated("a label", p);
      builder.label(b, p + 1, p + 1 + len);
      p += len + 1;
    }
  }

  /** RFC 1035 §4.1.2: QNAME (compressed) | QTYPE (16) | QCLASS (16). */
  question(): Question {
    const name = this.name();
    const type = this.#u16("a question");
    const cls = this.#u16("a question");
    return { name, type, class: cls };
  }

  /*
   * RFC 1035 §4.1.3:
   *   NAME (compressed) | TYPE (16) | CLASS (16) | TTL (32) | RDLENGTH (16) | RDATA
   */
  /** Reads `count` records; in the additional section an OPT record becomes `edns`. */
  records(count: number, additional: boolean): ResourceRecord[] {
    const list: ResourceRecord[] = [];
    for (let i = 0; i < count; i++) {
      const start = this.pos;
      const name = this.name();
      const b = this.#buf;
      const p = this.pos;
      if (p + 10 > b.length) throw this.#truncated("a record header", p);
      const type = (b[p]! << 8) | b[p + 1]!;
      const cls = (b[p + 2]! << 8) | b[p + 3]!;
      const ttl = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
      const rdlength = (b[p + 8]! << 8) | b[p + 9]!;
      const rdstart = p + 10;
      const rdend = rdstart + rdlength;
      if (rdend > b.length) {
        throw new DecodeError("Cannot decode DNS record: RDLENGTH runs past the end of the message", p + 8);
      }
      this.pos = rdstart;
      if (type === RRType.OPT) {
        this.#opt(additional, start, name, cls, ttl, rdend);
        continue;
      }
      const data = this.#rdata(type, cls, rdlength, rdend);
      if (this.pos !== rdend) {
        throw new DecodeError("Cannot decode DNS record: RDATA does not fill RDLENGTH exactly", this.pos);
      }
      list.push({ name, type, class: cls, ttl, data });
    }
    return list;
  }

  /*
   * RFC 6891 §6.1.2/§6.1.3: NAME is the root, CLASS the UDP payload size, TTL holds
   * EXTENDED-RCODE (8) | VERSION (8) | DO (1) | Z (15), RDATA is {code, length, data}*.
   */
  #opt(additional: boolean, start: number, name: string, cls: number, ttl: number, rdend: number): void {
    if (!additional)
      throw new DecodeError("Cannot decode DNS message: OPT record outside the additional section", start);
    if (this.edns !== undefined)
      throw new DecodeError("Cannot decode DNS message: more than one OPT record", start);
    if (name !== ".")
      throw new DecodeError("Cannot decode DNS message: OPT record owner is not the root", start);
    const b = this.#buf;
    const options: EdnsOption[] = [];
    let p = this.pos;
    while (p < rdend) {
      if (p + 4 > rdend) throw new DecodeError("Cannot decode EDNS option: truncated header", p);
      const code = (b[p]! << 8) | b[p + 1]!;
      const len = (b[p + 2]! << 8) | b[p + 3]!;
      if (p + 4 + len > rdend)
        throw new DecodeError("Cannot decode EDNS option: data runs past RDLENGTH", p + 2);
      options.push({ code, data: copyBytes(b, p + 4, p + 4 + len) });
      p += 4 + len;
    }
    this.pos = rdend;
    this.edns = {
      udpPayloadSize: Math.max(cls, MIN_UDP_PAYLOAD),
      extendedRcode: ttl >>> 24,
      version: (ttl >>> 16) & 0xff,
      dnssecOk: (ttl & 0x8000) !== 0,
      flags: ttl & 0x7fff,
      options,
    };
  }

  #characterString(rdend: number): Uint8Array {
    const b = this.#buf;
    const p = this.pos;
    if (p >= rdend) throw new DecodeError("Cannot decode DNS record: character-string runs past RDLENGTH", p);
    const len = b[p]!;
    if (p + 1 + len > rdend) {
      throw new DecodeError("Cannot decode DNS record: character-string runs past RDLENGTH", p);
    }
    this.pos = p + 1 + len;
    return copyBytes(b, p + 1, p + 1 + len);
  }

  /** A name inside RDATA: it may be compressed, but its own bytes must lie within RDATA. */
  #rdataName(rdend: number): string {
    const name = this.name();
    if (this.pos > rdend) throw new DecodeError("Cannot decode DNS record: name runs past RDLENGTH", rdend);
    return name;
  }

  #fixed(need: number, rdend: number): void {
    if (this.pos + need > rdend) {
      throw new DecodeError("Cannot decode DNS record: RDATA shorter than its fixed fields", this.pos);
    }
  }

  #rdata(type: number, cls: number, rdlength: number, rdend: number): RData {
    const b = this.#buf;
    const start = this.pos;
    // RFC 2136 §2.4-2.5: UPDATE uses empty RDATA with class ANY or NONE for any type.
    if (rdlength === 0 && (cls === RRClass.ANY || cls === RRClass.NONE)) {
      return { kind: "opaque", data: new Uint8Array(0) };
    }
    switch (type) {
      case RRType.A:
        // A and AAAA are defined for class IN only (RFC 1035 §3.4.1, RFC 3596); NONE is IN's
        // class in an UPDATE deletion.
        if (cls !== RRClass.IN && cls !== RRClass.NONE) break;
        if (rdlength !== 4) throw new DecodeError("Cannot decode A record: RDLENGTH is not 4", start - 2);
        this.pos = rdend;
        return { kind: "A", address: formatIPv4(b, start) };
      case RRType.AAAA:
        if (cls !== RRClass.IN && cls !== RRClass.NONE) break;
        if (rdlength !== 16)
          throw new DecodeError("Cannot decode AAAA record: RDLENGTH is not 16", start - 2);
        this.pos = rdend;
        return { kind: "AAAA", address: formatIPv6(b, start) };
      case RRType.NS:
        return { kind: "NS", target: this.#rdataName(rdend) };
      case RRType.CNAME:
        return { kind: "CNAME", target: this.#rdataName(rdend) };
      case RRType.PTR:
        return { kind: "PTR", target: this.#rdataName(rdend) };
      case RRType.DNAME:
        return { kind: "DNAME", target: this.#rdataName(rdend) };
      case RRType.MX: {
        this.#fixed(2, rdend);
        const preference = this.#u16("MX");
        return { kind: "MX", preference, exchange: this.#rdataName(rdend) };
      }
      case RRType.SOA: {
        const mname = this.#rdataName(rdend);
        const rname = this.#rdataName(rdend);
        this.#fixed(20, rdend);
        return {
          kind: "SOA",
          mname,
          rname,
          serial: this.#u32("SOA"),
          refresh: this.#u32("SOA"),
          retry: this.#u32("SOA"),
          expire: this.#u32("SOA"),
          minimum: this.#u32("SOA"),
        };
      }
      case RRType.TXT: {
        // One or more strings (RFC 1035 §3.3.14); an empty RDATA is tolerated as none.
        const strings: Uint8Array[] = [];
        while (this.pos < rdend) strings.push(this.#characterString(rdend));
        return { kind: "TXT", strings };
      }
      case RRType.SRV: {
        this.#fixed(6, rdend);
        const priority = this.#u16("SRV");
        const weight = this.#u16("SRV");
        const port = this.#u16("SRV");
        return { kind: "SRV", priority, weight, port, target: this.#rdataName(rdend) };
      }
      case RRType.CAA: {
        // RFC 8659 §4.1: flags, tag length (at least 1), tag, value (the rest).
        this.#fixed(2, rdend);
        const flags = b[start]!;
        const tagLength = b[start + 1]!;
        if (tagLength === 0) throw new DecodeError("Cannot decode CAA record: empty tag", start + 1);
        if (start + 2 + tagLength > rdend)
          throw new DecodeError("Cannot decode CAA record: tag runs past RDLENGTH", start + 1);
        const tag = latin1(b, start + 2, start + 2 + tagLength);
        this.pos = rdend;
        return { kind: "CAA", flags, tag, value: copyBytes(b, start + 2 + tagLength, rdend) };
      }
      case RRType.NAPTR: {
        // RFC 3403 §4.1.
        this.#fixed(4, rdend);
        const order = this.#u16("NAPTR");
        const preference = this.#u16("NAPTR");
        const flags = this.#characterString(rdend);
        const services = this.#characterString(rdend);
        const regexp = this.#characterString(rdend);
        return {
          kind: "NAPTR",
          order,
          preference,
          flags,
          services,
          regexp,
          replacement: this.#rdataName(rdend),
        };
      }
      default:
        break;
    }
    // Everything else is opaque (RFC 3597 §5).
    this.pos = rdend;
    return { kind: "opaque", data: copyBytes(b, start, rdend) };
  }
}

/** A copy of `b[start..end)` as a plain Uint8Array (Buffer's slice() would be a view). */
function copyBytes(b: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(b.subarray(start, end));
  return out;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}
