import { answer, type AnswerOptions, type AuthorityResult, type ZoneSet } from "../authority/index.js";
import { decodeHeader, decodeMessage, encodeResponse, HEADER_LENGTH } from "../codec/index.js";
import { DecodeError } from "../../core/errors.js";
import type { TraceDirection } from "../../core/log.js";
import { Opcode, Rcode, type Edns, type Message, type Question } from "../types.js";
import { rcodeToText, typeToText, classToText } from "../zone/index.js";
import { DNS_LIMITS } from "./limits.js";

/** How a query arrived; decides the response size limit. */
export type DnsTransport = "udp" | "tcp";

/** Options of the responder. */
export interface ResponderOptions {
  /** The zones served now (a getter, so a reload swaps them atomically). */
  readonly zones: () => ZoneSet;
  /** Choices of the answering engine (ANY handling, minimal responses, …). */
  readonly answer?: AnswerOptions;
  /** Receives a one-line summary of each query and response (for `--trace`). */
  readonly trace?: (direction: TraceDirection, line: string) => void;
}

/**
 * The DNS server's core, sans-I/O: one query message in, one response message out (or
 * nothing, for input that must not be answered). Every rule about *whether* and *how* to
 * answer lives here; the transports only move bytes.
 */
export class Responder {
  readonly #options: ResponderOptions;

  constructor(options: ResponderOptions) {
    this.#options = options;
  }

  /** Returns the response to `query`, or undefined when it must be dropped. */
  respond(query: Uint8Array, transport: DnsTransport): Uint8Array | undefined {
    if (query.length < HEADER_LENGTH) return undefined; // not even an id to answer to
    const header = decodeHeader(query);
    if (header.flags.qr) return undefined; // a response: answering it could loop (RFC 1035 §7.3)
    const trace = this.#options.trace;
    let message: Message;
    try {
      message = decodeMessage(query);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      trace?.("C", `undecodable query id=${header.id} (${error.message})`);
      // RFC 1035 §4.1.1: FORMERR; without a trustworthy question section, none is echoed.
      return this.#finish(
        { ...bareResponse(header.id, header.opcode, header.flags.rd, header.flags.cd, Rcode.FORMERR) },
        transport,
      );
    }
    if (trace) trace("C", describeQuery(message));
    const reply = (rcode: number, questions: readonly Question[] = message.questions): Uint8Array =>
      this.#finish(
        {
          ...bareResponse(message.id, message.opcode, message.flags.rd, message.flags.cd, rcode),
          questions,
          ...(message.edns && { edns: responseEdns(message.edns) }),
        },
        transport,
        message.edns,
      );

    // RFC 6891 §6.1.3: a version we do not implement gets BADVERS, with our version (0).
    if (message.edns && message.edns.version > 0) return reply(Rcode.BADVERS, []);
    if (message.opcode !== Opcode.QUERY) return reply(Rcode.NOTIMP);
    const question = message.questions[0];
    // RFC 9619: QDCOUNT must be 1 for QUERY.
    if (question === undefined || message.questions.length !== 1) return reply(Rcode.FORMERR);
    const result = answer(this.#options.zones(), question, this.#options.answer);
    // No zone here contains the name and recursion is off: REFUSED (RFC 8906 §3.1.1).
    if (result === null) return reply(Rcode.REFUSED);
    return this.#finish(
      responseFor(message, question, result),
      transport,
      message.edns,
      result.optionalAuthority,
    );
  }

  #finish(response: Message, transport: DnsTransport, queryEdns?: Edns, optionalAuthority = 0): Uint8Array {
    const limit =
      transport === "tcp"
        ? DNS_LIMITS.tcpMessageSize
        : queryEdns
          ? Math.min(Math.max(queryEdns.udpPayloadSize, DNS_LIMITS.classicUdpSize), DNS_LIMITS.udpPayloadSize)
          : DNS_LIMITS.classicUdpSize;
    let encoded = encodeResponse(response, limit);
    if (encoded.truncated && optionalAuthority > 0) {
      // The zone's NS RRset in a positive answer is optional: drop it before setting TC.
      const authority = response.authority.slice(0, response.authority.length - optionalAuthority);
      encoded = encodeResponse({ ...response, authority }, limit);
    }
    this.#options.trace?.("S", describeResponse(response, encoded.bytes.length, encoded.truncated));
    return encoded.bytes;
  }
}

function bareResponse(id: number, opcode: number, rd: boolean, cd: boolean, rcode: number): Message {
  return {
    id,
    opcode,
    flags: { qr: true, aa: false, tc: false, rd, ra: false, z: false, ad: false, cd },
    rcode,
    questions: [],
    answers: [],
    authority: [],
    additional: [],
  };
}

/** Our OPT record in a response to a query with EDNS (RFC 6891 §6.1.1): DO echoed (RFC 3225 §3). */
function responseEdns(query: Edns): Edns {
  return {
    udpPayloadSize: DNS_LIMITS.udpPayloadSize,
    extendedRcode: 0,
    version: 0,
    dnssecOk: query.dnssecOk,
    flags: 0,
    options: [],
  };
}

function responseFor(query: Message, question: Question, result: AuthorityResult): Message {
  return {
    id: query.id,
    opcode: query.opcode,
    flags: {
      qr: true,
      aa: result.aa,
      tc: false,
      rd: query.flags.rd,
      ra: false,
      z: false,
      ad: false,
      cd: query.flags.cd,
    },
    rcode: result.rcode,
    // The question is echoed as asked, case included (RFC 1034 §3.1).
    questions: result.noQuestion ? [] : [question],
    answers: result.answers,
    authority: result.authority,
    additional: result.additional,
    ...(query.edns && { edns: responseEdns(query.edns) }),
  };
}

function describeQuery(m: Message): string {
  const q = m.questions[0];
  const what = q ? `${q.name} ${classToText(q.class)} ${typeToText(q.type)}` : "(no question)";
  const flags = [
    m.flags.rd && "+rd",
    m.flags.cd && "+cd",
    m.edns && `+edns(${m.edns.udpPayloadSize}${m.edns.dnssecOk ? ",do" : ""})`,
  ]
    .filter(Boolean)
    .join(" ");
  const opcode = m.opcode === Opcode.QUERY ? "QUERY" : `opcode ${m.opcode}`;
  return `id=${m.id} ${opcode} ${what}${m.questions.length > 1 ? ` (+${m.questions.length - 1} more)` : ""} ${flags}`.trimEnd();
}

function describeResponse(m: Message, size: number, truncated: boolean): string {
  const flags = [m.flags.aa && "aa", truncated && "tc"].filter(Boolean).join(" ");
  return `id=${m.id} ${rcodeToText(m.rcode)}${flags ? ` ${flags}` : ""} answer=${m.answers.length} authority=${m.authority.length} additional=${m.additional.length} (${size} bytes)`;
}
