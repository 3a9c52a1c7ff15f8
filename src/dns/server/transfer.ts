/**
 * Zone transfers out: AXFR (RFC 5936) and IXFR (RFC 1995) answered with the whole zone, as
 * RFC 1995 §4 permits ("the server may … respond with a full zone transfer") and as NSD does
 * when it keeps no differences. Pure: messages are encoded one at a time as the transport
 * takes them, so a large zone is never held encoded in memory.
 */

import { axfrRecords, type Zone } from "../authority/index.js";
import { encodeMessage, encodeResponse } from "../codec/index.js";
import { Opcode, Rcode, RRType } from "../types.js";
import type { Edns, Message, Question, ResourceRecord } from "../types.js";
import { DNS_LIMITS } from "./limits.js";

/** The largest DNS message: TCP's two-octet length prefix (RFC 1035 §4.2.2). */
const MAX_MESSAGE = 0xffff;
/** A first guess at the encoded size of one record, before any message says better. */
const FIRST_GUESS_BYTES = 48;
/** Re-encodes of one message that came out under half the target, at most. */
const MAX_AIMS = 3;

/** What a transfer response needs from the query. */
export interface TransferRequest {
  readonly id: number;
  /** Copied (RFC 5936 §2.2.1: "RECOMMENDED: copy request's value"). */
  readonly rd: boolean;
  /** Echoed in the first message only (RFC 5936 §2.2.2). */
  readonly question: Question;
  /** The OPT record of the response, in the first message only (RFC 5936 §2.2.5). */
  readonly edns?: Edns | undefined;
}

/**
 * Whether serial `a` is the same as or later than `b` in sequence space arithmetic
 * (RFC 1982 §3.2): equal, or ahead by less than 2^31. At exactly 2^31 apart the comparison
 * is undefined, and we say no (a transfer is the safe answer).
 */
export function serialAtOrAfter(a: number, b: number): boolean {
  const ahead = (a - b) >>> 0;
  return ahead < 0x8000_0000;
}

/** The serial of the first SOA record in the authority section of an IXFR query, if any (RFC 1995 §3). */
export function ixfrClientSerial(query: Message): number | undefined {
  for (const rr of query.authority) {
    if (rr.type === RRType.SOA && rr.data.kind === "SOA") return rr.data.serial;
  }
  return undefined;
}

function header(
  request: TransferRequest,
  rcode: number,
  aa: boolean,
): Omit<Message, "questions" | "answers"> {
  return {
    id: request.id,
    opcode: Opcode.QUERY,
    // RFC 5936 §2.2.1: AA set when the rcode is NOERROR; TC, RA, Z, AD and CD zero.
    flags: { qr: true, aa, tc: false, rd: request.rd, ra: false, z: false, ad: false, cd: false },
    rcode,
    authority: [],
    additional: [],
  };
}

/**
 * The response to an IXFR from a client that is up to date (its serial at or after ours),
 * or one over UDP that the zone does not fit: the current SOA alone (RFC 1995 §2 and §4).
 */
export function soaOnlyResponse(zone: Zone, request: TransferRequest): Uint8Array {
  return encodeMessage({
    ...header(request, Rcode.NOERROR, true),
    questions: [request.question],
    answers: [zone.soa],
    ...(request.edns && { edns: request.edns }),
  });
}

/**
 * The whole transfer in one message of at most `maxSize` bytes (for IXFR over UDP), or
 * undefined when it does not fit.
 */
export function singleMessageTransfer(
  zone: Zone,
  request: TransferRequest,
  maxSize: number,
): Uint8Array | undefined {
  // Every record takes at least 11 bytes (a compressed owner and the fixed fields): skip
  // encoding a zone that cannot fit.
  if (zone.recordCount * 11 > maxSize) return undefined;
  const encoded = encodeResponse(
    {
      ...header(request, Rcode.NOERROR, true),
      questions: [request.question],
      answers: axfrRecords(zone),
      ...(request.edns && { edns: request.edns }),
    },
    maxSize,
  );
  return encoded.truncated ? undefined : encoded.bytes;
}

/**
 * The messages of a full zone transfer of `zone` (RFC 5936 §2.2): every record, the SOA
 * first and last, in as many messages as it takes, each filled to about
 * `DNS_LIMITS.transferMessageSize` bytes and never more than 65,535, with names compressed
 * within each; the question and the OPT record only in the first, AA in all. Encoded lazily,
 * one message per `next()`. A record that cannot be encoded even alone ends the transfer
 * with a SERVFAIL message carrying the question (RFC 5936 §2.2: an error terminates it).
 */
export function* transferMessages(
  zone: Zone,
  request: TransferRequest,
  targetSize: number = DNS_LIMITS.transferMessageSize,
): Generator<Uint8Array, void, void> {
  const records = axfrRecords(zone);
  const base = header(request, Rcode.NOERROR, true);
  let at = 0;
  let perRecord = FIRST_GUESS_BYTES;
  while (at < records.length) {
    const first = at === 0;
    const left = records.length - at;
    // Guess how many records fill a message from the size of the last one; halve the guess
    // while the message comes out over the maximum (a run of large records), and aim again
    // (a few times) when it comes out under half the target (a run of small ones).
    let count = Math.min(left, Math.max(1, Math.floor(targetSize / perRecord)));
    let bytes: Uint8Array | undefined;
    for (let aims = 0; ;) {
      bytes = encodeSlice(base, request, records, at, count, first);
      if (bytes === undefined) {
        if (count === 1) break;
        count = Math.ceil(count / 2);
        continue;
      }
      if (bytes.length >= targetSize / 2 || count === left || aims++ === MAX_AIMS) break;
      count = Math.min(left, Math.max(count + 1, Math.floor((count * targetSize) / bytes.length)));
    }
    if (bytes === undefined) {
      yield encodeMessage({
        ...header(request, Rcode.SERVFAIL, false),
        questions: [request.question],
        answers: [],
        ...(request.edns && { edns: request.edns }),
      });
      return;
    }
    yield bytes;
    at += count;
    perRecord = bytes.length / count;
  }
}

/** Records `at..at+count` as one message, or undefined when they exceed 65,535 bytes. */
function encodeSlice(
  base: Omit<Message, "questions" | "answers">,
  request: TransferRequest,
  records: readonly ResourceRecord[],
  at: number,
  count: number,
  first: boolean,
): Uint8Array | undefined {
  const message: Message = {
    ...base,
    questions: first ? [request.question] : [],
    answers: records.slice(at, at + count),
    ...(first && request.edns && { edns: request.edns }),
  };
  try {
    const bytes = encodeMessage(message);
    return bytes.length <= MAX_MESSAGE ? bytes : undefined;
  } catch (error) {
    // The encoder's RangeError for a message over 65,535 bytes (or a record it cannot encode).
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
