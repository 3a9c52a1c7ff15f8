import {
  answer,
  EDE_NOT_AUTHORITATIVE,
  EDE_NOT_SUPPORTED,
  EDE_PROHIBITED,
  type AnswerOptions,
  type AuthorityResult,
  type ReverseIndex,
  type ZoneSet,
} from "../authority/index.js";
import { decodeHeader, decodeMessage, HEADER_LENGTH, type Header } from "../codec/index.js";
import type { NetworkSet } from "../../core/address.js";
import { DecodeError } from "../../core/errors.js";
import type { TraceDirection } from "../../core/log.js";
import type { ResolveResult } from "../resolver/index.js";
import { Opcode, Rcode, RRClass, RRType, type Edns, type Message, type Question } from "../types.js";
import { rcodeToText, typeToText, classToText } from "../zone/index.js";
import { fitResponse, type ResponseLayout } from "./fit.js";
import { DNS_LIMITS } from "./limits.js";
import type { Recursion } from "./recursion.js";
import { ResponseCache } from "./response-cache.js";
import {
  ixfrClientSerial,
  serialAtOrAfter,
  singleMessageTransfer,
  soaOnlyResponse,
  transferMessages,
  type TransferRequest,
} from "./transfer.js";

/** The Extended DNS Error option (RFC 8914 §2). */
const EDNS_OPTION_EDE = 15;
/** RFC 8914 §4.1: an error that no other code covers (EXTRA-TEXT says what). */
const EDE_OTHER = 0;
/** RFC 8914 §4.23: the resolver could not reach any authoritative server for the name. */
const EDE_NO_REACHABLE_AUTHORITY = 22;

/** QTYPEs that name no RRset (RFC 1035 §3.2.3, RFC 6891, RFC 2845, RFC 2930): not resolved. */
const META_TYPES: ReadonlySet<number> = new Set([
  RRType.OPT,
  249,
  250,
  RRType.IXFR,
  RRType.AXFR,
  253,
  254,
  RRType.ANY,
]);

/** How a query arrived; decides the response size limit. */
export type DnsTransport = "udp" | "tcp";

/**
 * What `serve()` returns for one query:
 * - `undefined`: send nothing (and, over TCP, close: the stream cannot be trusted);
 * - bytes: the one response message;
 * - a promise of one of those: an answer being looked up (recursion); the transport keeps
 *   serving other queries meanwhile and sends it when it comes (RFC 7766 §7);
 * - a generator: a zone transfer's messages (TCP only), to be sent in order as the
 *   connection takes them (RFC 5936 §2.2).
 */
export type DnsReply =
  Uint8Array | undefined | Promise<Uint8Array | undefined> | Generator<Uint8Array, void, void>;

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
  /**
   * Clients (by address) that may transfer zones with AXFR and IXFR (RFC 5936 §5); absent
   * or empty: nobody, every transfer is REFUSED (as NSD without `provide-xfr`).
   */
  readonly allowTransfer?: NetworkSet;
  /** Recursion for names outside the zones (RD set, allowed client); absent: REFUSED. */
  readonly recursion?: Recursion;
  /**
   * PTR synthesis: the reverse index of the zones served now (a getter, swapped with
   * `zones` on reload), or absent/undefined for none. PTR queries for reverse names
   * outside every zone are answered from the zones' A/AAAA records.
   */
  readonly reverseIndex?: () => ReverseIndex | undefined;
}

/**
 * The DNS server's core, sans-I/O: one query message in, the response out: one message, a
 * promise of one (recursion), several (a zone transfer), or nothing, for input that must
 * not be answered. Every rule about *whether* and *how* to answer lives here; the
 * transports only move bytes. Authoritative answers take the synchronous path (with the
 * response cache); only recursion is asynchronous.
 */
export class Responder {
  readonly #options: ResponderOptions;
  /** The answer options for IPv4 and IPv6 clients (glue order differs), rebuilt with the PTR index. */
  #answerV4: AnswerOptions;
  #answerV6: AnswerOptions;
  #reverseIndex: ReverseIndex | undefined;
  readonly #cache: ResponseCache | undefined;
  /**
   * Set while answering when the response depends on who asked (it must not be cached) and
   * when it is about a zone transfer (which never carries RA, RFC 5936 §2.2.1 note c).
   * False between calls.
   */
  #clientSpecific = false;
  #transferReply = false;

  constructor(options: ResponderOptions) {
    this.#options = options;
    this.#cache = (options.cache ?? true) && !options.trace ? new ResponseCache() : undefined;
    this.#answerV4 = options.answer ?? {};
    this.#answerV6 = { ...options.answer, ipv6Client: true };
  }

  /**
   * Returns the response to `query` from the client at `address` (its IP as the socket
   * reports it): see `DnsReply`. `ipv6Client`: the query came over IPv6, so glue lists
   * AAAA records first (as NSD does). The address decides zone transfers
   * (`allowTransfer`) and recursion (`recursion`); a client allowed recursion sees RA set.
   */
  serve(query: Uint8Array, transport: DnsTransport, address: string, ipv6Client = false): DnsReply {
    const ra = this.#options.recursion?.allows(address) ?? false;
    return this.#serve(query, transport, ipv6Client, address, ra);
  }

  /**
   * The synchronous authoritative answer to `query`, or undefined when it must be dropped:
   * `serve()` for a client allowed neither transfers nor recursion (those are REFUSED).
   */
  respond(query: Uint8Array, transport: DnsTransport, ipv6Client = false): Uint8Array | undefined {
    const reply = this.#serve(query, transport, ipv6Client, undefined, false);
    if (reply === undefined || reply instanceof Uint8Array) return reply;
    throw new TypeError("Cannot answer synchronously: the response needs the client's address");
  }

  #serve(
    query: Uint8Array,
    transport: DnsTransport,
    ipv6Client: boolean,
    address: string | undefined,
    ra: boolean,
  ): DnsReply {
    const cache = this.#cache;
    const key = cache?.key(query, transport, ipv6Client, this.#options.zones());
    if (key !== undefined) {
      const hit = cache!.get(key, query);
      if (hit !== undefined) {
        if (ra) setRa(hit);
        return hit;
      }
    }
    const reply = this.#respond(query, transport, ipv6Client, address, ra);
    const clientSpecific = this.#clientSpecific;
    const transferReply = this.#transferReply;
    this.#clientSpecific = false;
    this.#transferReply = false;
    if (reply instanceof Uint8Array) {
      if (key !== undefined && !clientSpecific) cache!.set(key, reply);
      // RA says recursion is available to this client (RFC 1035 §4.1.1): set after caching,
      // since the cached bytes serve every client. Only QUERY responses carry it.
      if (ra && !transferReply && (query[2]! & 0x78) === 0) setRa(reply);
    }
    return reply;
  }

  #respond(
    query: Uint8Array,
    transport: DnsTransport,
    ipv6Client: boolean,
    address: string | undefined,
    ra: boolean,
  ): DnsReply {
    if (query.length < HEADER_LENGTH) return undefined; // not even an id to answer to
    const header = decodeHeader(query);
    if (header.flags.qr) return undefined; // a response: answering it could loop (RFC 1035 §7.3)
    const trace = this.#options.trace;
    if (header.opcode === Opcode.NOTIFY) return this.#notify(query, header, transport);
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
    if (question === undefined || message.questions.length !== 1) {
      return this.#reply(message, transport, Rcode.FORMERR);
    }
    if (question.type === RRType.AXFR || question.type === RRType.IXFR) {
      // RFC 5936 §4.2: AXFR is not defined over UDP; NOTIMP, as NSD answers it.
      if (question.type === RRType.AXFR && transport === "udp") {
        return this.#reply(message, transport, Rcode.NOTIMP);
      }
      if (question.class === RRClass.IN || question.class === RRClass.ANY) {
        return this.#transfer(message, question, transport, address);
      }
    }
    const result = answer(this.#options.zones(), question, this.#answerOptions(ipv6Client));
    if (result === null) return this.#outside(message, question, transport, ra);
    return this.#finish(responseFor(message, question, result), transport, message.edns, result);
  }

  /** The answer options for this query: the PTR index comes and goes with the zones. */
  #answerOptions(ipv6Client: boolean): AnswerOptions {
    const index = this.#options.reverseIndex?.();
    if (index !== this.#reverseIndex) {
      this.#reverseIndex = index;
      const base: AnswerOptions = {
        ...this.#options.answer,
        ...(index && { ptr: { ...this.#options.answer?.ptr, index } }),
      };
      this.#answerV4 = base;
      this.#answerV6 = { ...base, ipv6Client: true };
    }
    return ipv6Client ? this.#answerV6 : this.#answerV4;
  }

  /** A response with no records: `rcode`, the question echoed, EDNS (with `ede`) if asked. */
  #reply(
    message: Message,
    transport: DnsTransport,
    rcode: number,
    ede?: number,
    edeText?: string,
  ): Uint8Array {
    return this.#finish(
      {
        ...bareResponse(message.id, message.opcode, message.flags.rd, message.flags.cd, rcode),
        questions: message.questions,
        ...(message.edns && { edns: responseEdns(message.edns, ede, edeText) }),
      },
      transport,
      message.edns,
    );
  }

  /**
   * AXFR (TCP) and IXFR (TCP or UDP) of a zone we serve (RFC 5936, RFC 1995), checked as NSD
   * checks them: a name that is not the apex of a served zone gets NOTAUTH (RFC 5936 §2.2.1
   * note e); a client outside `allowTransfer` REFUSED with EDE 18 (RFC 8914 §4.19); an IXFR
   * without the client's SOA in its authority section FORMERR (RFC 1995 §3).
   */
  #transfer(
    message: Message,
    question: Question,
    transport: DnsTransport,
    address: string | undefined,
  ): DnsReply {
    this.#clientSpecific = true;
    this.#transferReply = true;
    const zone = this.#options.zones().get(question.name);
    if (zone === undefined) return this.#reply(message, transport, Rcode.NOTAUTH);
    const allow = this.#options.allowTransfer;
    if (address === undefined || allow === undefined || !allow.has(address)) {
      return this.#reply(message, transport, Rcode.REFUSED, EDE_PROHIBITED);
    }
    const request: TransferRequest = {
      id: message.id,
      rd: message.flags.rd,
      question,
      edns: message.edns && responseEdns(message.edns),
    };
    const trace = this.#options.trace;
    const serial = zone.soa.data.kind === "SOA" ? zone.soa.data.serial : 0;
    if (question.type === RRType.IXFR) {
      const clientSerial = ixfrClientSerial(message);
      if (clientSerial === undefined) return this.#reply(message, transport, Rcode.FORMERR);
      // RFC 1995 §2: a client with our version (or a later one) gets our SOA alone.
      if (serialAtOrAfter(clientSerial, serial)) {
        trace?.("S", `id=${message.id} NOERROR aa IXFR ${zone.origin}: serial ${serial}, up to date`);
        return soaOnlyResponse(zone, request);
      }
      // RFC 1995 §4: over UDP, the whole zone if it fits in one datagram, else the SOA alone
      // ("to inform the client that a TCP query should be initiated").
      if (transport === "udp") {
        const whole = singleMessageTransfer(zone, request, this.#sizeLimit(transport, message.edns));
        trace?.("S", `id=${message.id} NOERROR aa IXFR ${zone.origin}: ${whole ? "whole zone" : "SOA only"}`);
        return whole ?? soaOnlyResponse(zone, request);
      }
    }
    trace?.(
      "S",
      `id=${message.id} NOERROR aa ${typeToText(question.type)} ${zone.origin}: serial ${serial}, ${zone.recordCount} records`,
    );
    return transferMessages(zone, request);
  }

  /**
   * A name outside every zone (and PTR synthesis): without recursion REFUSED with EDE 20
   * (RFC 8906 §3.1.1, RFC 8914 §4.21), as NSD sends. With recursion, a query with RD from an
   * allowed client is resolved; without RD it is refused as without recursion, and from a
   * client not allowed, with EDE 18 (never an open resolver, RFC 5358 §4).
   */
  #outside(message: Message, question: Question, transport: DnsTransport, ra: boolean): DnsReply {
    const recursion = this.#options.recursion;
    if (recursion === undefined) {
      return this.#reply(message, transport, Rcode.REFUSED, EDE_NOT_AUTHORITATIVE);
    }
    this.#clientSpecific = true;
    if (!message.flags.rd) return this.#reply(message, transport, Rcode.REFUSED, EDE_NOT_AUTHORITATIVE);
    if (!ra) return this.#reply(message, transport, Rcode.REFUSED, EDE_PROHIBITED);
    // The resolver looks up class IN RRsets only.
    if (question.class !== RRClass.IN || META_TYPES.has(question.type)) {
      return this.#reply(message, transport, Rcode.NOTIMP, EDE_NOT_SUPPORTED);
    }
    const lookup = recursion.lookup(question.name, question.type);
    if (lookup === undefined) {
      return this.#reply(
        message,
        transport,
        Rcode.SERVFAIL,
        EDE_OTHER,
        "too many recursive lookups in progress",
      );
    }
    return lookup.then((result) =>
      this.#finish(recursiveResponse(message, question, result), transport, message.edns),
    );
  }

  /**
   * NOTIFY (RFC 1996) to us: we are the primary of our zones, never a secondary, so we act on
   * none. Answered as NSD answers a NOTIFY for a zone it is primary for: REFUSED for a zone
   * apex we serve, NXDOMAIN for any other name, FORMERR without a question; the header
   * alone, with the query's AA, RD and CD (RD alone with FORMERR).
   */
  #notify(query: Uint8Array, header: Header, transport: DnsTransport): Uint8Array {
    let rcode: number;
    let what: string;
    try {
      const message = decodeMessage(query);
      const question = message.questions[0];
      what = question ? `${question.name} ${typeToText(question.type)}` : "(no question)";
      rcode =
        question === undefined
          ? Rcode.FORMERR
          : this.#options.zones().get(question.name) !== undefined
            ? Rcode.REFUSED
            : Rcode.NXDOMAIN;
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      what = `undecodable (${error.message})`;
      rcode = Rcode.FORMERR;
    }
    this.#options.trace?.("C", `id=${header.id} NOTIFY ${what}`);
    // A malformed message keeps RD alone (NSD's query_formerr); a refusal all the query's flags.
    const formerr = rcode === Rcode.FORMERR;
    const response = bareResponse(
      header.id,
      header.opcode,
      header.flags.rd,
      !formerr && header.flags.cd,
      rcode,
    );
    return this.#finish(
      { ...response, flags: { ...response.flags, aa: !formerr && header.flags.aa } },
      transport,
    );
  }

  /** The most a response may take: 65,535 over TCP; over UDP 512, or the EDNS size up to ours. */
  #sizeLimit(transport: DnsTransport, queryEdns: Edns | undefined): number {
    return transport === "tcp"
      ? DNS_LIMITS.tcpMessageSize
      : queryEdns
        ? Math.min(Math.max(queryEdns.udpPayloadSize, DNS_LIMITS.classicUdpSize), DNS_LIMITS.udpPayloadSize)
        : DNS_LIMITS.classicUdpSize;
  }

  #finish(response: Message, transport: DnsTransport, queryEdns?: Edns, layout?: ResponseLayout): Uint8Array {
    const encoded = fitResponse(response, this.#sizeLimit(transport, queryEdns), layout);
    this.#options.trace?.("S", describeResponse(response, encoded.bytes, encoded.truncated));
    return encoded.bytes;
  }
}

/** Sets RA ("recursion available") in an encoded response. */
function setRa(bytes: Uint8Array): void {
  bytes[3]! |= 0x80;
}

/**
 * The response to a recursive query: the resolver's rcode, the CNAME chain and the answer,
 * and for a negative answer the SOA (RFC 2308 §3); AA clear, RA set. A failure is SERVFAIL
 * with an Extended DNS Error saying why (RFC 8914), for clients that speak EDNS.
 */
function recursiveResponse(query: Message, question: Question, result: ResolveResult): Message {
  const failed = result.rcode === Rcode.SERVFAIL;
  const ede = failed ? failureCode(result.reason) : undefined;
  return {
    id: query.id,
    opcode: query.opcode,
    flags: {
      qr: true,
      aa: false,
      tc: false,
      rd: query.flags.rd,
      ra: true,
      z: false,
      ad: false,
      cd: query.flags.cd,
    },
    rcode: result.rcode,
    questions: [question],
    answers: failed ? [] : [...result.answers],
    authority: !failed && result.soa ? [result.soa] : [],
    additional: [],
    ...(query.edns && { edns: responseEdns(query.edns, ede, failed ? result.reason : undefined) }),
  };
}

/** The EDE INFO-CODE for a failed lookup: no reachable authority when servers did not answer. */
function failureCode(reason: string | undefined): number {
  return reason !== undefined &&
    /no (forwarder|server) answered|timed out|unreachable|refused|no address/i.test(reason)
    ? EDE_NO_REACHABLE_AUTHORITY
    : EDE_OTHER;
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
 * §3), and an Extended DNS Error (RFC 8914 §2: INFO-CODE, and EXTRA-TEXT if `text` is
 * given) if `ede` is given.
 */
function responseEdns(query: Edns, ede?: number, text?: string): Edns {
  return {
    udpPayloadSize: DNS_LIMITS.udpPayloadSize,
    extendedRcode: 0,
    version: 0,
    dnssecOk: query.dnssecOk,
    flags: 0,
    options:
      ede === undefined
        ? []
        : [{ code: EDNS_OPTION_EDE, data: text === undefined ? edeData(ede) : edeWithText(ede, text) }],
  };
}

/** Longest EXTRA-TEXT we send, in bytes: a reason for a log line, not an essay. */
const MAX_EDE_TEXT = 120;

/** INFO-CODE and EXTRA-TEXT (UTF-8, RFC 8914 §2), the text cut to `MAX_EDE_TEXT` bytes. */
function edeWithText(code: number, text: string): Uint8Array {
  let utf8 = Buffer.from(text, "utf8");
  if (utf8.length > MAX_EDE_TEXT) {
    // Cut on a character boundary: back off continuation bytes (10xxxxxx).
    let end = MAX_EDE_TEXT;
    while (end > 0 && (utf8[end]! & 0xc0) === 0x80) end--;
    utf8 = utf8.subarray(0, end);
  }
  const data = new Uint8Array(2 + utf8.length);
  data[0] = code >>> 8;
  data[1] = code & 0xff;
  data.set(utf8, 2);
  return data;
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
