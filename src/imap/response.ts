/**
 * Server response syntax (RFC 3501 §4, §7, §9): strings as quoted or literal, nstrings,
 * parenthesised lists, flags, dates. Values are built as {@link Wire} trees and serialised
 * to bytes in one pass.
 */
import { encodeMutf7 } from "../mail/store/mutf7.js";

/** An atom written as it is (NIL, flags, keywords such as "7BIT" are not atoms but strings). */
export class Atom {
  constructor(readonly text: string) {}
}

/** Elements written one after the other with no space (a multipart body's parts, RFC 3501 §9 body-type-mpart). */
export class Joined {
  constructor(readonly items: readonly Wire[]) {}
}

/**
 * A response value: `null` is NIL, a number is a number, a string or Buffer is an IMAP
 * string (quoted when it can be, a literal otherwise; a JS string is encoded as UTF-8), an
 * Atom is written bare, an array is a parenthesised list.
 */
export type Wire = null | number | string | Buffer | Atom | Joined | readonly Wire[];

const NIL = Buffer.from("NIL");

/**
 * Whether bytes can go in a quoted string: TEXT-CHARs only (no CR, LF, NUL, no 8-bit octets,
 * which RFC 3501 §4.3 allows only in literals), and not too long to read comfortably.
 */
function quotable(bytes: Buffer | string): boolean {
  if (bytes.length > 1024) return false;
  for (let i = 0; i < bytes.length; i++) {
    const c = typeof bytes === "string" ? bytes.charCodeAt(i) : bytes[i]!;
    if (c === 0 || c === 0x0a || c === 0x0d || c > 0x7e) return false;
  }
  return true;
}

/** Appends an IMAP string (quoted or literal) to `out`. */
function pushString(out: Buffer[], value: Buffer | string): void {
  if (quotable(value)) {
    const text = typeof value === "string" ? value : value.toString("latin1");
    out.push(Buffer.from(`"${text.replace(/[\\"]/g, "\\$&")}"`, "latin1"));
    return;
  }
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  out.push(Buffer.from(`{${bytes.length}}\r\n`, "latin1"), bytes);
}

function serialise(out: Buffer[], value: Wire): void {
  if (value === null) out.push(NIL);
  else if (typeof value === "number") out.push(Buffer.from(String(value), "latin1"));
  else if (typeof value === "string" || Buffer.isBuffer(value)) pushString(out, value);
  else if (value instanceof Atom) out.push(Buffer.from(value.text, "latin1"));
  else if (value instanceof Joined) for (const item of value.items) serialise(out, item);
  else {
    out.push(OPEN);
    value.forEach((item, i) => {
      if (i > 0) out.push(SPACE);
      serialise(out, item);
    });
    out.push(CLOSE);
  }
}
const OPEN = Buffer.from("(");
const CLOSE = Buffer.from(")");
const SPACE = Buffer.from(" ");

/** The bytes of a value. */
export function encodeWire(value: Wire): Buffer {
  const out: Buffer[] = [];
  serialise(out, value);
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

/** An IMAP string's text for a response line (quoted, or a literal with its CRLF). */
export function imapString(value: string | Buffer): string {
  const out: Buffer[] = [];
  pushString(out, value);
  return Buffer.concat(out).toString("latin1");
}

/**
 * A mailbox name for a response: modified UTF-7 (RFC 3501 §5.1.3), as an astring-safe
 * quoted string or a literal.
 */
export function mailboxWire(name: string): string {
  return imapString(encodeMutf7(name));
}

/** A flag list: `(\Seen $Forwarded)`. */
export function flagList(flags: readonly string[]): string {
  return `(${flags.join(" ")})`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * INTERNALDATE as date-time (RFC 3501 §9): `"17-Jul-1996 02:44:25 -0700"`, in the server's
 * time zone (as Dovecot shows it); the day is space-padded (date-day-fixed).
 */
export function formatDateTime(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const pad = (n: number): string => String(n).padStart(2, "0");
  const day = String(date.getDate()).padStart(2, " ");
  return (
    `"${day}-${MONTHS[date.getMonth()]!}-${date.getFullYear()} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}"`
  );
}

/** Response-text (RFC 3501 §9 text): one line of printable US-ASCII; anything else becomes "?". */
export function safeText(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/[^\x20-\x7e]/g, "?");
}
