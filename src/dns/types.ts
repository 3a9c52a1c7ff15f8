/**
 * The values of DNS: record types, classes, rcodes, and the shapes of records and messages
 * shared by the wire codec (`codec/`), the zone-file parser (`zone/`), the authoritative
 * server, the resolver and `portico dig`.
 *
 * Names are strings in RFC 1035 §5.1 presentation form, absolute, with the trailing dot
 * ("www.example.test.", the root is "."). A byte that is not a letter, digit, hyphen or
 * underscore... is escaped as `\.` `\\` or `\DDD`, so every wire name has exactly one string
 * and the string round-trips. Case is kept as received (a question is echoed in the case it
 * was asked, RFC 1034 §3.1); compare names with `canonicalName()` from `name.ts`.
 */

/** RR TYPE values (RFC 1035 §3.2.2 and later registrations). */
export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  SVCB: 64,
  HTTPS: 65,
  CAA: 257,
  // QTYPE-only values (RFC 1035 §3.2.3, RFC 5936)
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

/** CLASS values (RFC 1035 §3.2.4/§3.2.5). */
export const RRClass = {
  IN: 1,
  CH: 3,
  HS: 4,
  NONE: 254,
  ANY: 255,
} as const;

/** OPCODE values (RFC 1035 §4.1.1, RFC 1996). */
export const Opcode = {
  QUERY: 0,
  IQUERY: 1,
  STATUS: 2,
  NOTIFY: 4,
  UPDATE: 5,
} as const;

/** RCODE values; 16 and up need EDNS's extended rcode (RFC 6891 §6.1.3). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  BADVERS: 16,
} as const;

/**
 * Record data, one variant per type the codec understands field by field. Every other type
 * (DS, DNSKEY, RRSIG, NSEC, NSEC3, SVCB, HTTPS, HINFO, and unknown types, RFC 3597) is
 * carried as `{ kind: "opaque", data }`: the exact RDATA bytes, never compressed.
 * Names inside rdata are presentation strings like owner names.
 */
export type RData =
  | { readonly kind: "A"; readonly address: string }
  | { readonly kind: "AAAA"; readonly address: string }
  | { readonly kind: "NS" | "CNAME" | "PTR" | "DNAME"; readonly target: string }
  | { readonly kind: "MX"; readonly preference: number; readonly exchange: string }
  | {
      readonly kind: "SOA";
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  /** Each string is at most 255 bytes (the zone parser splits longer ones). */
  | { readonly kind: "TXT"; readonly strings: readonly Uint8Array[] }
  | {
      readonly kind: "SRV";
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  | { readonly kind: "CAA"; readonly flags: number; readonly tag: string; readonly value: Uint8Array }
  | {
      readonly kind: "NAPTR";
      readonly order: number;
      readonly preference: number;
      readonly flags: Uint8Array;
      readonly services: Uint8Array;
      readonly regexp: Uint8Array;
      readonly replacement: string;
    }
  | { readonly kind: "opaque"; readonly data: Uint8Array };

/** A resource record (RFC 1035 §3.2.1, §4.1.3). `type` is the numeric TYPE. */
export interface ResourceRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly data: RData;
}

/** A question (RFC 1035 §4.1.2). */
export interface Question {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

/** One EDNS option (RFC 6891 §6.1.2); unknown codes are kept, not interpreted. */
export interface EdnsOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** The OPT pseudo-record's meaning (RFC 6891 §6.1.3), lifted out of the additional section. */
export interface Edns {
  /** Requestor's or responder's UDP payload size; values below 512 are treated as 512. */
  readonly udpPayloadSize: number;
  /** The upper 8 bits of the 12-bit extended RCODE. */
  readonly extendedRcode: number;
  readonly version: number;
  /** DNSSEC OK (RFC 3225). */
  readonly dnssecOk: boolean;
  /** The other 15 flag bits as received (must be ignored by a responder, RFC 6891 §6.1.4). */
  readonly flags: number;
  readonly options: readonly EdnsOption[];
}

/** Header flags (RFC 1035 §4.1.1); AD and CD from RFC 4035 §3.2. */
export interface Flags {
  readonly qr: boolean;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  /** The Z bit, which must be zero and is echoed as received. */
  readonly z: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
}

/**
 * A whole DNS message. `rcode` is the full 12-bit value: with EDNS the upper 8 bits travel in
 * the OPT record, which the codec moves in and out of `edns` (so `additional` never holds an
 * OPT record).
 */
export interface Message {
  readonly id: number;
  readonly opcode: number;
  readonly flags: Flags;
  readonly rcode: number;
  readonly questions: readonly Question[];
  readonly answers: readonly ResourceRecord[];
  readonly authority: readonly ResourceRecord[];
  readonly additional: readonly ResourceRecord[];
  readonly edns?: Edns;
}
