import { DecodeError } from "../../core/errors.js";
import type { Flags } from "../types.js";

/** Length of the fixed message header (RFC 1035 §4.1.1). */
export const HEADER_LENGTH = 12;

/**
 * The fixed header of a message, readable before (and without) a full decode, so a server
 * can answer a message it cannot parse with FORMERR and the right id. `rcode` is only the
 * header's 4 bits (the extended bits live in OPT).
 */
export interface Header {
  readonly id: number;
  readonly opcode: number;
  readonly flags: Flags;
  readonly rcode: number;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
}

/*
 * RFC 1035 §4.1.1, with AD and CD from RFC 4035 §3.2:
 *
 *                                   1  1  1  1  1  1
 *     0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                      ID                       |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                    QDCOUNT                    |
 *   |                    ANCOUNT                    |
 *   |                    NSCOUNT                    |
 *   |                    ARCOUNT                    |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 */
const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;
const Z = 0x0040;
const AD = 0x0020;
const CD = 0x0010;

/** The flag bits of header word 2. */
export function flagsFromWord(word: number): Flags {
  return {
    qr: (word & QR) !== 0,
    aa: (word & AA) !== 0,
    tc: (word & TC) !== 0,
    rd: (word & RD) !== 0,
    ra: (word & RA) !== 0,
    z: (word & Z) !== 0,
    ad: (word & AD) !== 0,
    cd: (word & CD) !== 0,
  };
}

/** Header word 2 from flags, a 4-bit opcode and the low 4 bits of the rcode. */
export function flagsToWord(flags: Flags, opcode: number, rcode: number): number {
  return (
    (flags.qr ? QR : 0) |
    ((opcode & 0xf) << 11) |
    (flags.aa ? AA : 0) |
    (flags.tc ? TC : 0) |
    (flags.rd ? RD : 0) |
    (flags.ra ? RA : 0) |
    (flags.z ? Z : 0) |
    (flags.ad ? AD : 0) |
    (flags.cd ? CD : 0) |
    (rcode & 0xf)
  );
}

/** Reads the 12-byte header; throws DecodeError if `buf` is shorter than that. */
export function decodeHeader(buf: Uint8Array): Header {
  if (buf.length < HEADER_LENGTH) {
    throw new DecodeError(`Cannot decode DNS header: message is ${buf.length} bytes, need 12`, buf.length);
  }
  const word = (buf[2]! << 8) | buf[3]!;
  return {
    id: (buf[0]! << 8) | buf[1]!,
    opcode: (word >> 11) & 0xf,
    flags: flagsFromWord(word),
    rcode: word & 0xf,
    qdcount: (buf[4]! << 8) | buf[5]!,
    ancount: (buf[6]! << 8) | buf[7]!,
    nscount: (buf[8]! << 8) | buf[9]!,
    arcount: (buf[10]! << 8) | buf[11]!,
  };
}
