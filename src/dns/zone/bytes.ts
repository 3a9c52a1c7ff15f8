/**
 * A small growable byte buffer for building RDATA, and its reading counterpart. RDATA is at
 * most 65535 bytes (RFC 1035 §3.2.1, RDLENGTH is 16 bits); the writer refuses to grow past it.
 */

import { NameBuilder, writeNameWire } from "../name.js";

/** The largest RDATA (RDLENGTH is a 16-bit field). */
export const MAX_RDATA_LENGTH = 0xffff;

/** Thrown by `ByteWriter` when data would exceed 65535 bytes; callers turn it into their error. */
export class RdataTooLongError extends RangeError {
  constructor() {
    super("Cannot build RDATA: longer than 65535 bytes");
  }
}

/** Appends big-endian integers, bytes and uncompressed names. */
export class ByteWriter {
  #buf = new Uint8Array(64);
  length = 0;

  #reserve(n: number): void {
    const need = this.length + n;
    if (need > MAX_RDATA_LENGTH + 320) throw new RdataTooLongError();
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
  }

  u8(v: number): void {
    this.#reserve(1);
    this.#buf[this.length++] = v;
  }

  u16(v: number): void {
    this.#reserve(2);
    this.#buf[this.length++] = v >>> 8;
    this.#buf[this.length++] = v & 0xff;
  }

  u32(v: number): void {
    this.#reserve(4);
    this.#buf[this.length++] = v >>> 24;
    this.#buf[this.length++] = (v >>> 16) & 0xff;
    this.#buf[this.length++] = (v >>> 8) & 0xff;
    this.#buf[this.length++] = v & 0xff;
  }

  bytes(data: Uint8Array): void {
    this.#reserve(data.length);
    this.#buf.set(data, this.length);
    this.length += data.length;
  }

  /** A length octet and then `data` (a <character-string>, at most 255 bytes). */
  string(data: Uint8Array): void {
    this.u8(data.length);
    this.bytes(data);
  }

  /** The uncompressed wire form of an absolute presentation name (RFC 3597 §4). */
  name(name: string): void {
    this.#reserve(320);
    this.length = writeNameWire(name, this.#buf, this.length);
  }

  /** Overwrites a 16-bit value written earlier at `offset`. */
  setU16(offset: number, v: number): void {
    this.#buf[offset] = v >>> 8;
    this.#buf[offset + 1] = v & 0xff;
  }

  /** A copy of what was written. Throws RdataTooLongError past 65535 bytes. */
  finish(): Uint8Array {
    if (this.length > MAX_RDATA_LENGTH) throw new RdataTooLongError();
    return this.#buf.slice(0, this.length);
  }
}

/** Thrown by `ByteReader` for data that ends early or holds a malformed name. */
export class MalformedRdataError extends Error {}

/** Reads big-endian integers, strings and uncompressed names from RDATA. */
export class ByteReader {
  readonly data: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(data: Uint8Array, pos = 0, end = data.length) {
    this.data = data;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  #need(n: number): void {
    if (this.pos + n > this.end) throw new MalformedRdataError("RDATA ends early");
  }

  u8(): number {
    this.#need(1);
    return this.data[this.pos++]!;
  }

  u16(): number {
    this.#need(2);
    const d = this.data;
    const v = (d[this.pos]! << 8) | d[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const d = this.data;
    const p = this.pos;
    this.pos += 4;
    return d[p]! * 0x1000000 + ((d[p + 1]! << 16) | (d[p + 2]! << 8) | d[p + 3]!);
  }

  /** The next `n` bytes, as a view (not a copy). */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const v = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** The rest of the data, as a view. */
  rest(): Uint8Array {
    return this.bytes(this.end - this.pos);
  }

  /** A <character-string>: a length octet and that many bytes, as a view. */
  string(): Uint8Array {
    return this.bytes(this.u8());
  }

  /** An uncompressed name (RDATA in a zone never holds compression pointers). */
  name(): string {
    const builder = nameBuilder;
    builder.reset();
    let total = 1;
    for (;;) {
      const len = this.u8();
      if (len === 0) break;
      if (len > 63) throw new MalformedRdataError("bad label length in name");
      total += len + 1;
      if (total > 255) throw new MalformedRdataError("name longer than 255 octets");
      this.#need(len);
      builder.label(this.data, this.pos, this.pos + len);
      this.pos += len;
    }
    return builder.finish();
  }
}

const nameBuilder = new NameBuilder();
