/**
 * What a server's EHLO reply offers (RFC 5321 §4.1.1.1: `250-domain greeting`, then one
 * `keyword [params]` per line).
 */
import type { Reply } from "../../core/line/index.js";

/** The service extensions a server announced. */
export interface SmtpExtensions {
  /** Every keyword, upper-cased, with its parameters as sent ("" when none). */
  readonly keywords: ReadonlyMap<string, string>;
  /** RFC 1870 SIZE: the declared limit in octets; 0 means "no fixed limit"; undefined: not offered. */
  readonly size: number | undefined;
  readonly pipelining: boolean;
  readonly starttls: boolean;
  /** RFC 4954 AUTH mechanisms, upper-cased (empty: AUTH not offered). */
  readonly auth: readonly string[];
  readonly eightBitMime: boolean;
  readonly binaryMime: boolean;
  readonly smtputf8: boolean;
  readonly chunking: boolean;
  readonly dsn: boolean;
  readonly enhancedStatusCodes: boolean;
}

/** A server that answered HELO, or has not said: no extensions. */
export const NO_EXTENSIONS: SmtpExtensions = Object.freeze({
  keywords: new Map<string, string>(),
  size: undefined,
  pipelining: false,
  starttls: false,
  auth: [],
  eightBitMime: false,
  binaryMime: false,
  smtputf8: false,
  chunking: false,
  dsn: false,
  enhancedStatusCodes: false,
});

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/**
 * Reads the extensions from a 250 reply to EHLO. Lines that are not `keyword [params]` are
 * skipped (a client gains nothing by refusing a server over its greeting's decoration).
 * `AUTH=PLAIN LOGIN`, the pre-RFC 4954 form some old servers still send, counts as AUTH.
 */
export function parseEhloReply(reply: Reply): SmtpExtensions {
  const keywords = new Map<string, string>();
  for (let i = 1; i < reply.lines.length; i++) {
    const line = reply.lines[i]!.trim();
    const space = line.search(/[ =]/);
    const keyword = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    if (!KEYWORD.test(keyword)) continue;
    const params = space === -1 ? "" : line.slice(space + 1).trim();
    const previous = keywords.get(keyword);
    // AUTH and AUTH= may both appear; merge their mechanisms.
    keywords.set(keyword, previous === undefined || previous === "" ? params : `${previous} ${params}`);
  }
  const sizeParam = keywords.get("SIZE");
  let size: number | undefined;
  if (sizeParam !== undefined) {
    // RFC 1870 §4: "SIZE" alone or with 0 means no fixed maximum.
    size = /^\d{1,15}$/.test(sizeParam) ? Number(sizeParam) : 0;
  }
  const auth = [
    ...new Set(
      (keywords.get("AUTH") ?? "")
        .toUpperCase()
        .split(/\s+/)
        .filter((m) => m !== ""),
    ),
  ];
  return {
    keywords,
    size,
    pipelining: keywords.has("PIPELINING"),
    starttls: keywords.has("STARTTLS"),
    auth,
    eightBitMime: keywords.has("8BITMIME"),
    binaryMime: keywords.has("BINARYMIME"),
    smtputf8: keywords.has("SMTPUTF8"),
    chunking: keywords.has("CHUNKING"),
    dsn: keywords.has("DSN"),
    enhancedStatusCodes: keywords.has("ENHANCEDSTATUSCODES"),
  };
}
