import {
  answer,
  EDE_NOT_AUTHORITATIVE,
  type AnswerOptions,
  type AuthorityResult,
  type ZoneSet,
} from "../authority/index.js";
import { decodeHeader, decodeMessage, HEADER_LENGTH } from "../codec/index.js";
import { DecodeError } from "../../core/errors.js";
import type { TraceDirection } from "../../core/log.js";
import { Opcode, Rcode, RRType, type Edns, type Message, type Question } from "../types.js";
import { rcodeToText, typeToText, classToText } from "../zone/index.js";
import { fitResponse, type ResponseLayout } from "./fit.js";
import { DNS_LIMITS } from "./limits.js";
import { ResponseCache } from "./response-cache.js";

/** The Extended DNS Error option (RFC 8914 §2). */
const EDNS_OPTION_EDE = 15;

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
  /**
   * Keep encoded responses for repeated questions (default true; always off with `trace`,
   * which must see every query). See response-cache.ts.
   */
  readonly cache?: boolean;
}

/**
 * The DNS server's core, sans-I/O: one query message in, one response message out (or
 * nothing, for input that must not be answered). Every rule about *whether* and *how* to
 * answer lives here; the transports only move bytes.
 */
export class Responder {
  readonly #options: ResponderOptions;
  /** The answer options for IPv4 and IPv6 clients (glue order differs), built once. */
  readonly #answerV4: AnswerOptions;
  readonly #answerV6: AnswerOptions;
  readonly #cache: ResponseCache | undefined;

  constructor(options: ResponderOptions) {
    this.#options = options;
    this.#cache = (options.cache ?? true) && !options.trace ? new ResponseCache() : undefined;
    this.#answerV4 = options.answer ?? {};
    this.#answerV6 = { ...options.answer, ipv6Client: true };
  }

  /**
   * Returns the response to `query`, or undefined when it must be dropped. `ipv6Client`:
   * the query came over IPv6, so glue lists AAAA records first (as NSD does).
   */
  respond(query: Uint8Array, transport: DnsTransport, ipv6Client = false): Uint8Array | undefined {
    const cache = this.#cache;
    const key = cache?.key(query, transport, ipv6Client, this.#options.zones());
    if (key === undefined) return this.#respond(query, transport, ipv6Client);
    const hit = cache!.get(key, query);
    if (hit !== undefined) return hit;
    const response = this.#respond(query, transport, ipv6Client);
    if (response !== undefined) cache!.set(key, response);
    return response;
  }

  #respond(query: Uint8Array, transport: DnsTransport, ipv6Client: boolean): Uint8Array | undefined {
    if (query.length < HEADER_LENGTH) return undefined; // not even an id to answer to
    const header = decodeHeader(query);
    if (header.flags.qr) return undefined; // a response: answering it could loop (RFC 1035 §7.3)
    const trace = this.#options.trace;
    if (header.opcode !== Opcode.QUERY) {
      // Another opcode's message need not even have QUERY's layout, so it is not parsed:
      // NOTIMP with the header alone (RFC 1035 §4.1.1), as NSD answers it.
      trace?.("C", `id=${header.id} opcode ${header.opcode}`);
      return this.#finish(
        bareResponse(header.id, header.opcode, header.flags.rd, header.flags.cd, Rcode.NOTIMP),
        transport,
      );
    }
    let message: Message;
    try {
      message = decodeMessage(query);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      trace?.("C", `undecodable query id=${header.id} (${error.message})`);
      // RFC 1035 §4.1.1: FORMERR; without a trustworthy question section, none is echoed.
      return this.#finish(
        bareResponse(header.id, header.opcode, header.flags.rd, header.flags.cd, Rcode.FORMERR),
        transport,
      );
    }
    if (trace) trace("C", describeQuery(message));
    const reply = (
      rcode: number,
      questions: readonly Question[] = message.questions,
      ede?: number,
    ): Uint8Array =>
      this.#finish(
        {
          ...bareResponse(message.id, message.opcode, message.flags.rd, message.flags.cd, rcode),
          questions,
          ...(message.edns && { edns: responseEdns(message.edns, ede) }),
        },
        transport,
        message.edns,
      );

    // RFC 6891 §6.1.3: a version we do not implement gets BADVERS, with our version (0).
    // The question is echoed and, since the flags of an unknown version mean nothing to us,
    // DO is not (both as NSD does).
    if (message.edns && message.edns.version > 0) {
      return this.#finish(
        {
          ...bareResponse(message.id, message.opcode, message.flags.rd, message.flags.cd, Rcode.BADVERS),
          questions: message.questions,
          edns: responseEdns({ ...message.edns, dnssecOk: false }),
        },
        transport,
      );
    }
    const question = message.questions[0];
    // RFC 9619: QDCOUNT must be 1 for QUERY.
    if (question === undefined || message.questions.length !== 1) return reply(Rcode.FORMERR);
    // RFC 5936 §4.2: AXFR is not defined over UDP; NOTIMP, as NSD answers it.
    if (question.type === RRType.AXFR && transport === "udp") return reply(Rcode.NOTIMP);
    const result = answer(this.#options.zones(), question, ipv6Client ? this.#answerV6 : this.#answerV4);
    // No zone here contains the name and recursion is off: REFUSED (RFC 8906 §3.1.1), with
    // the Extended DNS Error "Not Authoritative" (RFC 8914 §4.21), as NSD sends.
    if (result === null) return reply(Rcode.REFUSED, message.questions, EDE_NOT_AUTHORITATIVE);
    return this.#finish(responseFor(message, question, result), transport, message.edns, result);
  }

  #finish(response: Message, transport: DnsTransport, queryEdns?: Edns, layout?: ResponseLayout): Uint8Array {
    const limit =
      transport === "tcp"
        ? DNS_LIMITS.tcpMessageSize
        : queryEdns
          ? Math.min(Math.max(queryEdns.udpPayloadSize, DNS_LIMITS.classicUdpSize), DNS_LIMITS.udpPayloadSize)
          : DNS_LIMITS.classicUdpSize;
    const encoded = fitResponse(response, limit, layout);
    this.#options.trace?.("S", describeResponse(response, encoded.bytes, encoded.truncated));
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

/**
 * Our OPT record in a response to a query with EDNS (RFC 6891 §6.1.1): DO echoed (RFC 3225
 * §3), and an Extended DNS Error (RFC 8914 §2: INFO-CODE, no EXTRA-TEXT) if `ede` is given.
 */
function responseEdns(query: Edns, ede?: number): Edns {
  return {
    udpPayloadSize: DNS_LIMITS.udpPayloadSize,
    extendedRcode: 0,
    version: 0,
    dnssecOk: query.dnssecOk,
    flags: 0,
    options: ede === undefined ? [] : [{ code: EDNS_OPTION_EDE, data: edeData(ede) }],
  };
}

const edeCache = new Map<number, Uint8Array>();

/** The option data of INFO-CODE `code` (two octets, network order). */
function edeData(code: number): Uint8Array {
  let data = edeCache.get(code);
  if (data === undefined) {
    data = Uint8Array.of(code >>> 8, code & 0xff);
    edeCache.set(code, data);
  }
  return data;
}

function responseFor(query: Message, question: Question, result: AuthorityResult): Message {
  return {
    id: query.id,
    opcode: query.opcode,
    // RFC 4035 §3.1.6: the name server MUST copy CD from the query (NSD clears it instead).
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
    ...(query.edns && { edns: responseEdns(query.edns, result.extendedError) }),
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

/** One line about a response; the counts are those sent (after any truncation), OPT not counted. */
function describeResponse(m: Message, bytes: Uint8Array, truncated: boolean): string {
  const flags = [m.flags.aa && "aa", truncated && "tc"].filter(Boolean).join(" ");
  const count = (at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
  const additional = count(10) - (m.edns ? 1 : 0);
  return `id=${m.id} ${rcodeToText(m.rcode)}${flags ? ` ${flags}` : ""} answer=${count(6)} authority=${count(8)} additional=${additional} (${bytes.length} bytes)`;
}
