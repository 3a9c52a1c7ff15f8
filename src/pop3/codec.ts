/**
 * POP3's wire format (RFC 1939 §3, RFC 2449 §3), both directions, without I/O: command lines
 * are taken apart in place from the Buffer the line reader returns, and replies are formatted
 * as `+OK` / `-ERR` lines, with RFC 2449 §8 response codes, and dot-stuffed multi-line
 * listings.
 *
 *   command      =  keyword *(SP param) CRLF    ;255 octets maximum
 *   keyword      =  3*4VCHAR
 *   single-line  =  status [SP text] CRLF       ;512 octets maximum
 *   resp-code    =  "[" resp-level *("/" resp-level) "]"
 */

/**
 * The extended response codes Portico sends (RFC 2449 §8.1, RFC 3206), after `-ERR`:
 * `-ERR [IN-USE] ...`. Clients match them case-insensitively and ignore levels they do not
 * know.
 */
export const RESP_CODES = {
  /** RFC 2449 §8.1.2: the credentials were good, but the maildrop is locked by another session. */
  inUse: "IN-USE",
  /** RFC 3206: the failure is due to the credentials (or the lack of a secure channel). */
  auth: "AUTH",
  /** RFC 3206: a temporary problem on the server; the client should try again later. */
  sysTemp: "SYS/TEMP",
  /** RFC 3206: a problem on the server that retrying will not fix. */
  sysPerm: "SYS/PERM",
} as const;

/** One of {@link RESP_CODES}. */
export type RespCode = (typeof RESP_CODES)[keyof typeof RESP_CODES];

/** A command line taken apart: the keyword in upper case, the rest as a view of the line. */
export interface Pop3Command {
  /** The keyword, upper-cased (RFC 1939 §3: keywords are case-insensitive). */
  readonly verb: string;
  /**
   * Everything after the first space (a view into the line, no copy); empty without one.
   * PASS takes it whole, as RFC 1939 §7 allows ("a POP3 server may treat spaces in the
   * argument as part of the password").
   */
  readonly args: Buffer;
}

const SP = 0x20;
const TAB = 0x09;
const EMPTY = Buffer.alloc(0);
/** Keywords are 3 or 4 characters (RFC 1939 §3, RFC 2449 §3 `3*4VCHAR`). */
const MIN_KEYWORD = 3;
const MAX_KEYWORD = 4;

/**
 * Splits a command line (without its CRLF) into keyword and arguments, reading the bytes in
 * place. Returns `undefined` when the line does not start with a keyword of 3–4 letters — no
 * POP3 command has anything else there, so the caller answers `-ERR` without a lookup.
 */
export function parseCommand(line: Buffer): Pop3Command | undefined {
  const n = line.length;
  let end = 0;
  let verb = "";
  while (end < n && end <= MAX_KEYWORD) {
    let c = line[end]!;
    if (c === SP) break;
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    else if (c < 0x41 || c > 0x5a) return undefined;
    verb += String.fromCharCode(c);
    end++;
  }
  if (end < MIN_KEYWORD || end > MAX_KEYWORD) return undefined;
  return { verb, args: end < n ? line.subarray(end + 1) : EMPTY };
}

/** The arguments with spaces and tabs at either end removed (a view, no copy). */
export function trimArgs(args: Buffer): Buffer {
  let start = 0;
  let end = args.length;
  while (start < end && (args[start] === SP || args[start] === TAB)) start++;
  while (end > start && (args[end - 1] === SP || args[end - 1] === TAB)) end--;
  return start === 0 && end === args.length ? args : args.subarray(start, end);
}

/**
 * Decimal digits beyond which a number is "larger than anything": a message number that
 * cannot exist, a TOP line count that means the whole message.
 */
const MAX_DIGITS = 15;

/**
 * Parses arguments that must be between `min` and `max` decimal numbers (RFC 1939 §3:
 * message-numbers and line counts are base-10) separated by spaces, straight from the bytes.
 * Extra spaces between and around them are tolerated, as servers commonly do; signs, other
 * characters and a wrong count are not, and give `undefined`. A number of more than 15
 * digits comes back as `Number.MAX_SAFE_INTEGER`.
 */
export function parseNumbers(args: Buffer, min: number, max: number): number[] | undefined {
  const numbers: number[] = [];
  const n = args.length;
  let i = 0;
  for (;;) {
    while (i < n && (args[i] === SP || args[i] === TAB)) i++;
    if (i === n) break;
    if (numbers.length === max) return undefined;
    let value = 0;
    let digits = 0;
    while (i < n) {
      const c = args[i]!;
      if (c === SP || c === TAB) break;
      if (c < 0x30 || c > 0x39) return undefined;
      if (digits > 0 || c !== 0x30) digits++;
      value = value * 10 + (c - 0x30);
      i++;
    }
    numbers.push(digits > MAX_DIGITS ? Number.MAX_SAFE_INTEGER : value);
  }
  return numbers.length < min ? undefined : numbers;
}

const CRLF = "\r\n";
const LINE_BREAK = /[\r\n]/;
/** RFC 2449 §4: the first line of a response is at most 512 octets including CRLF. */
const MAX_STATUS_LINE = 512;

/** Checks a status line's text, `status` being "+OK" or "-ERR". */
function checkText(status: string, text: string): void {
  if (LINE_BREAK.test(text)) throw new RangeError("Cannot format reply: the text contains CR or LF");
  if (status.length + 1 + Buffer.byteLength(text) + 2 > MAX_STATUS_LINE) {
    throw new RangeError("Cannot format reply: the line would exceed 512 octets (RFC 2449 §4)");
  }
}

/** `+OK text` (or a bare `+OK`) with its CRLF. Throws RangeError for CR/LF or an over-long text. */
export function ok(text = ""): string {
  checkText("+OK", text);
  return text === "" ? `+OK${CRLF}` : `+OK ${text}${CRLF}`;
}

/** `-ERR [CODE] text` with its CRLF (RFC 2449 §8). Throws RangeError like {@link ok}. */
export function err(text: string, code?: RespCode): string {
  const full = code === undefined ? text : `[${code}] ${text}`;
  checkText("-ERR", full);
  return `-ERR ${full}${CRLF}`;
}

/**
 * A multi-line response (RFC 1939 §3): the `+OK` line, then each line — a line that begins
 * with "." gets another in front — then the terminating `.`. For listings built in memory
 * (CAPA, LIST, UIDL, AUTH); message bodies go through the streaming DotEncoder instead.
 */
export function multiline(first: string, lines: readonly string[]): string {
  let out = ok(first);
  for (const line of lines) {
    if (LINE_BREAK.test(line)) throw new RangeError("Cannot format reply: a line contains CR or LF");
    out += line.charCodeAt(0) === 0x2e ? `.${line}${CRLF}` : `${line}${CRLF}`;
  }
  return `${out}.${CRLF}`;
}

/** True if a formatted reply is negative (`-ERR`). */
export function isError(reply: string): boolean {
  return reply.charCodeAt(0) === 0x2d;
}
