import { RRClass } from "../types.js";
import type { EdnsOption, Message } from "../types.js";
import { DNS_CLIENT_LIMITS } from "./limits.js";

/** Options of `queryMessage()`. */
export interface QueryMessageOptions {
  /** Class of the question; default IN. */
  readonly class?: number;
  /** Recursion Desired (RFC 1035 §4.1.1); default true, as dig and stub resolvers send. */
  readonly rd?: boolean;
  /** Checking Disabled (RFC 4035 §3.2.2); default false. */
  readonly cd?: boolean;
  /**
   * Authentic Data in a query: "I understand the AD bit" (RFC 6840 §5.7). dig sets it by
   * default; default false here.
   */
  readonly ad?: boolean;
  /**
   * EDNS (RFC 6891): the payload size to advertise (default 1232), DNSSEC OK and options
   * (an empty NSID asks for the server's id, RFC 5001), or `false` for a plain RFC 1035 query.
   */
  readonly edns?:
    | false
    | {
        readonly udpPayloadSize?: number;
        readonly dnssecOk?: boolean;
        readonly options?: readonly EdnsOption[];
      };
}

/**
 * A standard query (opcode QUERY) for one question. The id is 0: `query()` gives every
 * attempt a fresh random one.
 */
export function queryMessage(name: string, type: number, options: QueryMessageOptions = {}): Message {
  const edns = options.edns ?? {};
  return {
    id: 0,
    opcode: 0,
    flags: {
      qr: false,
      aa: false,
      tc: false,
      rd: options.rd ?? true,
      ra: false,
      z: false,
      ad: options.ad ?? false,
      cd: options.cd ?? false,
    },
    rcode: 0,
    questions: [{ name, type, class: options.class ?? RRClass.IN }],
    answers: [],
    authority: [],
    additional: [],
    ...(edns !== false && {
      edns: {
        udpPayloadSize: edns.udpPayloadSize ?? DNS_CLIENT_LIMITS.udpPayloadSize,
        extendedRcode: 0,
        version: 0,
        dnssecOk: edns.dnssecOk ?? false,
        flags: 0,
        options: edns.options ?? [],
      },
    }),
  };
}
