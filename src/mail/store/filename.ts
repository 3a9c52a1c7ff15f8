import { randomHex } from "../../core/random.js";
import { hostname } from "node:os";

/*
 * Maildir file names (https://cr.yp.to/proto/maildir.html, with Dovecot's extensions):
 *
 *   <base>[:2,<flags>[,<other>]]
 *   base  = <seconds>.M<usec>P<pid>Q<counter>R<random>.<host>[,S=<size>][,W=<vsize>]
 *
 * The base never changes and identifies the message (dovecot-uidlist matches on it); the
 * info after ":2," holds the flags, one letter each, sorted by ASCII code: D(raft)
 * F(lagged) P(assed) R(eplied) S(een) T(rashed), then Dovecot's keywords a–z.
 */

/** Flag bits of the upper-case Maildir letters (the only ones the spec defines). */
export const FLAG = {
  draft: 1,
  flagged: 2,
  passed: 4,
  replied: 8,
  seen: 16,
  trashed: 32,
} as const;

const LETTER_BITS: Readonly<Record<string, number>> = {
  D: FLAG.draft,
  F: FLAG.flagged,
  P: FLAG.passed,
  R: FLAG.replied,
  S: FLAG.seen,
  T: FLAG.trashed,
};
const BIT_LETTERS = ["D", "F", "P", "R", "S", "T"] as const;

/**
 * IMAP system flags (RFC 3501 §2.3.2) and the Maildir letters that store them. "P" (passed:
 * forwarded, bounced or resent) has no IMAP system flag; it is shown as the keyword
 * `$Forwarded` of RFC 5788's registry, which means the same.
 */
export const IMAP_FLAG_BITS: ReadonlyMap<string, number> = new Map([
  ["\\draft", FLAG.draft],
  ["\\flagged", FLAG.flagged],
  ["$forwarded", FLAG.passed],
  ["\\answered", FLAG.replied],
  ["\\seen", FLAG.seen],
  ["\\deleted", FLAG.trashed],
]);
const BIT_IMAP_FLAGS = ["\\Draft", "\\Flagged", "$Forwarded", "\\Answered", "\\Seen", "\\Deleted"] as const;

/** The parts of a Maildir file name. */
export interface ParsedName {
  /** The unique part before ":" (the whole name when there is no info). */
  readonly base: string;
  /** Octets of the file, from ",S=" (undefined when the name does not say). */
  readonly size: number | undefined;
  /** Octets with CRLF line ends (IMAP RFC822.SIZE), from ",W=". */
  readonly vsize: number | undefined;
  /** Bits of FLAG. */
  readonly flags: number;
  /** Keyword letters a–z as bits (bit 0 = "a"), mapped to names by dovecot-keywords. */
  readonly keywords: number;
  /** Letters we do not know (kept when the flags change) and any ",<other>" after them. */
  readonly unknown: string;
  readonly rest: string;
}

/** Splits a Maildir file name into its base, sizes and flags. */
export function parseName(name: string): ParsedName {
  const colon = name.indexOf(":");
  const base = colon < 0 ? name : name.slice(0, colon);
  let size: number | undefined;
  let vsize: number | undefined;
  let comma = base.indexOf(",");
  while (comma >= 0) {
    const next = base.indexOf(",", comma + 1);
    const field = base.slice(comma + 1, next < 0 ? undefined : next);
    if (field.length > 2 && field[1] === "=" && /^\d+$/.test(field.slice(2))) {
      if (field[0] === "S") size = Number(field.slice(2));
      else if (field[0] === "W") vsize = Number(field.slice(2));
    }
    comma = next;
  }
  let flags = 0;
  let keywords = 0;
  let unknown = "";
  let rest = "";
  // Only the "2," info is about flags; "1," (experimental semantics) is left alone.
  if (colon >= 0 && name.startsWith("2,", colon + 1)) {
    const info = name.slice(colon + 3);
    const end = info.indexOf(",");
    const letters = end < 0 ? info : info.slice(0, end);
    if (end >= 0) rest = info.slice(end);
    for (const letter of letters) {
      const bit = LETTER_BITS[letter];
      if (bit !== undefined) flags |= bit;
      else if (letter >= "a" && letter <= "z") keywords |= 1 << (letter.charCodeAt(0) - 97);
      else if (!unknown.includes(letter)) unknown += letter;
    }
  }
  return { base, size, vsize, flags, keywords, unknown, rest };
}

/** The file name for `base` with these flags: letters sorted by ASCII code, as the spec says. */
export function formatName(base: string, flags: number, keywords: number, unknown = "", rest = ""): string {
  const letters: string[] = Array.from(unknown);
  for (let i = 0; i < BIT_LETTERS.length; i++) if ((flags & (1 << i)) !== 0) letters.push(BIT_LETTERS[i]!);
  for (let i = 0; i < 26; i++) if ((keywords & (1 << i)) !== 0) letters.push(String.fromCharCode(97 + i));
  letters.sort();
  return `${base}:2,${letters.join("")}${rest}`;
}

/** The IMAP system flags (and $Forwarded) of FLAG bits, in Maildir letter order. */
export function flagNames(flags: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < BIT_IMAP_FLAGS.length; i++)
    if ((flags & (1 << i)) !== 0) names.push(BIT_IMAP_FLAGS[i]!);
  return names;
}

/** The host part of unique names: "/" and ":" (and "," which starts S=) escaped as octal. */
export function safeHostname(host = hostname()): string {
  return host.replaceAll("/", "\\057").replaceAll(":", "\\072").replaceAll(",", "\\054") || "localhost";
}

let counter = 0;
const host = safeHostname();

/**
 * A new unique base name: `<sec>.M<usec>P<pid>Q<counter>R<random>.<host>`. Seconds, pid and
 * counter make it unique within the machine (the counter never repeats in one process even
 * within a microsecond); 64 random bits cover pid reuse, clocks stepping back, and Maildirs
 * shared by several machines (the host is only as unique as its configured name).
 */
export function uniqueBase(): string {
  counter++;
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const sec = Math.floor(micros / 1e6);
  return `${sec}.M${micros % 1e6}P${process.pid}Q${counter}R${randomHex(8)}.${host}`;
}

/** Orders bases by delivery time (seconds, then microseconds), so UIDs follow arrival. */
export function compareBases(a: string, b: string): number {
  const sa = leadingNumber(a, 0);
  const sb = leadingNumber(b, 0);
  if (sa !== sb) return sa - sb;
  const ua = a.startsWith(".M", digitsEnd(a, 0)) ? leadingNumber(a, digitsEnd(a, 0) + 2) : 0;
  const ub = b.startsWith(".M", digitsEnd(b, 0)) ? leadingNumber(b, digitsEnd(b, 0) + 2) : 0;
  if (ua !== ub) return ua - ub;
  return a < b ? -1 : a > b ? 1 : 0;
}

function digitsEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  return i;
}

function leadingNumber(text: string, from: number): number {
  const end = digitsEnd(text, from);
  return end === from ? 0 : Number(text.slice(from, end));
}
