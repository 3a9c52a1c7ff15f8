/**
 * The IMAP command reader, sans I/O (RFC 3501 §2.2, §4, RFC 7888): bytes go in, commands
 * come out. A command is one or more lines joined by literals; a line ending in `{n}` (a
 * synchronising literal) or `{n+}` (RFC 7888) announces n octets that belong to the command.
 * The reader stops at each announcement and the server decides, before any byte of the
 * literal is read, what happens to it:
 *
 * - `acceptLiteral()`: the octets become part of the command (the server first sends
 *   `+ ...` for a synchronising one);
 * - `streamLiteral()`: the octets are handed out as `data` events as they arrive (APPEND's
 *   message, which is never buffered whole), then the command's next line is read;
 * - `rejectLiteral()`: a synchronising literal refused (the server sends a tagged NO/BAD and
 *   no `+`, so the client sends no octets): the command is forgotten;
 * - `skipLiteral()`: a non-synchronising literal refused: its octets (and any further
 *   non-synchronising literals of the command) are read and thrown away.
 *
 * `expectLine()` makes the next line a raw `line` event (an AUTHENTICATE response, IDLE's
 * DONE). Lines are capped (`maxLineLength`), as are buffered literals and whole commands.
 *
 * {@link Cursor} then parses a command's lines and literals in place, one grammar rule at a
 * time, as the command's syntax asks (RFC 3501 §9).
 */

/** A complete command as read: `lines[i]` (without CRLF) is followed by `literals[i]`. */
export interface RawCommand {
  readonly lines: readonly Buffer[];
  readonly literals: readonly Buffer[];
}

/** What the reader has for the server. */
export type ReaderEvent =
  | { readonly kind: "command"; readonly command: RawCommand }
  /** A literal is announced; call one of the decision methods before calling next() again. */
  | {
      readonly kind: "literal";
      readonly tag: string | undefined;
      /** The command verb in upper case ("UID FETCH" for UID commands), "" if none. */
      readonly verb: string;
      readonly size: number;
      /** `{n}`: the client waits for `+` (RFC 3501 §7.5); `{n+}`: it does not (RFC 7888). */
      readonly sync: boolean;
      /** The command so far: its lines (the last ends with the announcement) and literals. */
      readonly partial: RawCommand;
    }
  /** Octets of a streamed literal (a view into the input: copy it to keep it). */
  | { readonly kind: "data"; readonly chunk: Buffer }
  /** The streamed literal is complete; the command's next line follows. */
  | { readonly kind: "data-end" }
  /** A raw line asked for with expectLine(). */
  | { readonly kind: "line"; readonly line: Buffer }
  /**
   * A line, literal or command over its cap. The reader cannot tell where the command ends
   * without reading what it refuses to hold, so the session ends (`* BYE`).
   */
  | {
      readonly kind: "too-long";
      readonly tag: string | undefined;
      readonly what: "line" | "literal" | "command";
    }
  /** A command that did not end with a skipped literal: its tag, for the tagged reply. */
  | { readonly kind: "skipped"; readonly tag: string | undefined };

/** Caps of a {@link CommandReader}. */
export interface ReaderLimits {
  readonly maxLineLength: number;
  readonly maxLiteralSize: number;
  readonly maxCommandSize: number;
}

type State =
  | { readonly kind: "line" }
  | { readonly kind: "decide"; readonly size: number; readonly sync: boolean }
  | { readonly kind: "literal"; remaining: number; readonly parts: Buffer[] }
  | { readonly kind: "stream"; remaining: number }
  | { readonly kind: "skip"; remaining: number }
  | { readonly kind: "skip-lines" }
  | { readonly kind: "broken" };

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);
/** RFC 3501 §9: number is an unsigned 32-bit integer. */
const MAX_NUMBER = 4294967295;

/** Splits input into commands, stopping at each literal for the server's decision. */
export class CommandReader {
  readonly #limits: ReaderLimits;
  #buffer: Buffer = EMPTY;
  #offset = 0;
  /** Where the search for LF resumes (bytes before it, from #offset, hold none). */
  #scanned = 0;
  #state: State = { kind: "line" };
  #lines: Buffer[] = [];
  #literals: Buffer[] = [];
  #commandSize = 0;
  #rawLine = false;
  #skippedTag: string | undefined;

  constructor(limits: ReaderLimits) {
    this.#limits = limits;
  }

  /** Adds received bytes. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#offset >= this.#buffer.length) {
      this.#buffer = chunk;
      this.#offset = 0;
      this.#scanned = 0;
      return;
    }
    const rest = this.#buffer.subarray(this.#offset);
    this.#scanned -= this.#offset;
    this.#buffer = Buffer.concat([rest, chunk]);
    this.#offset = 0;
  }

  /** Bytes received and not yet handed out. */
  get bufferedLength(): number {
    return this.#buffer.length - this.#offset;
  }

  /** True between a command's first line and its end (a literal is pending or being read). */
  get inCommand(): boolean {
    return this.#lines.length > 0 || this.#state.kind !== "line";
  }

  /** Makes the next line a raw `line` event (no literal processing). */
  expectLine(): void {
    this.#rawLine = true;
  }

  /** Throws away everything buffered (STARTTLS: RFC 3501 §6.2.1 / RFC 2595 §3.1). */
  discardBuffered(): number {
    const n = this.bufferedLength;
    this.#buffer = EMPTY;
    this.#offset = 0;
    this.#scanned = 0;
    return n;
  }

  /** The next event, or null when more input is needed (or a literal awaits a decision). */
  next(): ReaderEvent | null {
    for (;;) {
      const state = this.#state;
      switch (state.kind) {
        case "broken":
        case "decide":
          return null;
        case "line": {
          const event = this.#readLine();
          if (event !== undefined) return event;
          continue;
        }
        case "literal": {
          const available = this.bufferedLength;
          if (available === 0) return null;
          const n = Math.min(available, state.remaining);
          state.parts.push(this.#take(n));
          state.remaining -= n;
          if (state.remaining > 0) return null;
          this.#literals.push(state.parts.length === 1 ? state.parts[0]! : Buffer.concat(state.parts));
          this.#state = { kind: "line" };
          continue;
        }
        case "stream": {
          if (state.remaining === 0) {
            this.#state = { kind: "line" };
            this.#literals.push(EMPTY);
            return { kind: "data-end" };
          }
          const available = this.bufferedLength;
          if (available === 0) return null;
          const n = Math.min(available, state.remaining);
          state.remaining -= n;
          return { kind: "data", chunk: this.#take(n) };
        }
        case "skip": {
          const n = Math.min(this.bufferedLength, state.remaining);
          this.#take(n);
          state.remaining -= n;
          if (state.remaining > 0) return null;
          this.#state = { kind: "skip-lines" };
          continue;
        }
        case "skip-lines": {
          const line = this.#nextLine();
          if (line === null) return null;
          if (line === "too-long") return this.#tooLong("line");
          const literal = literalAt(line);
          if (literal !== undefined && !literal.sync) {
            this.#state = { kind: "skip", remaining: literal.size };
            continue;
          }
          // A synchronising literal here is never sent: the client has had its tagged answer.
          this.#state = { kind: "line" };
          const tag = this.#skippedTag;
          this.#skippedTag = undefined;
          return { kind: "skipped", tag };
        }
      }
    }
  }

  /** Takes a literal announced by the last `literal` event into the command. */
  acceptLiteral(): void {
    const state = this.#decision("accept");
    this.#commandSize += state.size;
    this.#state = { kind: "literal", remaining: state.size, parts: [] };
    if (state.size === 0) {
      this.#literals.push(EMPTY);
      this.#state = { kind: "line" };
    }
  }

  /** Hands the announced literal out as `data` events, then `data-end`. */
  streamLiteral(): void {
    const state = this.#decision("stream");
    this.#state = { kind: "stream", remaining: state.size };
  }

  /** Refuses a synchronising literal: the command is forgotten; the next line is a new one. */
  rejectLiteral(): void {
    const state = this.#decision("reject");
    if (!state.sync) throw new TypeError("Cannot reject a non-synchronising literal: skip it instead");
    this.#resetCommand();
    this.#state = { kind: "line" };
  }

  /**
   * Refuses a literal whose octets are coming anyway: they are read and thrown away, with
   * the rest of the command; a `skipped` event marks its end.
   */
  skipLiteral(): void {
    const state = this.#decision("skip");
    this.#skippedTag = parseTagVerb(this.#lines[0] ?? EMPTY).tag;
    this.#resetCommand();
    this.#state = { kind: "skip", remaining: state.size };
  }

  #decision(what: string): { size: number; sync: boolean } {
    const state = this.#state;
    if (state.kind !== "decide") throw new TypeError(`Cannot ${what} a literal: none is announced`);
    return state;
  }

  #resetCommand(): void {
    this.#lines = [];
    this.#literals = [];
    this.#commandSize = 0;
  }

  #take(n: number): Buffer {
    const out = this.#buffer.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    if (this.#scanned < this.#offset) this.#scanned = this.#offset;
    return out;
  }

  /** The next complete line without its line end, null if none yet, or "too-long". */
  #nextLine(): Buffer | null | "too-long" {
    const buffer = this.#buffer;
    const lf = buffer.indexOf(LF, Math.max(this.#scanned, this.#offset));
    if (lf < 0) {
      this.#scanned = buffer.length;
      if (buffer.length - this.#offset > this.#limits.maxLineLength + 1) return "too-long";
      return null;
    }
    let end = lf;
    if (end > this.#offset && buffer[end - 1] === CR) end--;
    if (end - this.#offset > this.#limits.maxLineLength) return "too-long";
    const line = buffer.subarray(this.#offset, end);
    this.#offset = lf + 1;
    this.#scanned = this.#offset;
    return line;
  }

  #readLine(): ReaderEvent | null | undefined {
    const line = this.#nextLine();
    if (line === null) return null;
    if (line === "too-long") return this.#tooLong("line");
    if (this.#rawLine && this.#lines.length === 0) {
      this.#rawLine = false;
      return { kind: "line", line };
    }
    // An empty line between commands is noise some clients send; it is not a command.
    if (line.length === 0 && this.#lines.length === 0) return undefined;
    this.#lines.push(line);
    this.#commandSize += line.length + 2;
    if (this.#commandSize > this.#limits.maxCommandSize) return this.#tooLong("command");
    const literal = literalAt(line);
    if (literal === undefined) {
      const command: RawCommand = { lines: this.#lines, literals: this.#literals };
      this.#resetCommand();
      return { kind: "command", command };
    }
    const { tag, verb } = parseTagVerb(this.#lines[0]!);
    this.#state = { kind: "decide", size: literal.size, sync: literal.sync };
    return {
      kind: "literal",
      tag,
      verb,
      size: literal.size,
      sync: literal.sync,
      partial: { lines: [...this.#lines], literals: [...this.#literals] },
    };
  }

  #tooLong(what: "line" | "literal" | "command"): ReaderEvent {
    const tag = parseTagVerb(this.#lines[0] ?? this.#buffer.subarray(this.#offset, this.#offset + 200)).tag;
    this.#state = { kind: "broken" };
    this.#resetCommand();
    return { kind: "too-long", tag, what };
  }
}

/** The literal announced at the end of a line (`{n}` or `{n+}`), if any. */
export function literalAt(line: Buffer): { size: number; sync: boolean } | undefined {
  let i = line.length - 1;
  if (i < 2 || line[i] !== 0x7d) return undefined;
  i--;
  const sync = line[i] !== 0x2b;
  if (!sync) i--;
  const end = i + 1;
  while (i >= 0 && line[i]! >= 0x30 && line[i]! <= 0x39) i--;
  if (i < 0 || line[i] !== 0x7b || end - i - 1 === 0 || end - i - 1 > 10) return undefined;
  const size = Number(line.toString("latin1", i + 1, end));
  if (size > MAX_NUMBER) return undefined;
  return { size, sync };
}

/** The tag and upper-case verb of a command line, as far as they can be read. */
export function parseTagVerb(line: Buffer): { tag: string | undefined; verb: string } {
  let i = 0;
  while (i < line.length && isTagChar(line[i]!)) i++;
  if (i === 0 || (i < line.length && line[i] !== 0x20)) return { tag: undefined, verb: "" };
  const tag = line.toString("latin1", 0, i);
  let start = i + 1;
  let end = start;
  while (end < line.length && isAtomChar(line[end]!)) end++;
  let verb = line.toString("latin1", start, end).toUpperCase();
  if (verb === "UID" && line[end] === 0x20) {
    start = end + 1;
    end = start;
    while (end < line.length && isAtomChar(line[end]!)) end++;
    verb = `UID ${line.toString("latin1", start, end).toUpperCase()}`;
  }
  return { tag, verb };
}

/*
 * Character classes of RFC 3501 §9, as tables indexed by octet.
 *
 *   atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
 *   ATOM-CHAR     = <any CHAR except atom-specials>       (CHAR is %x01-7F)
 *   ASTRING-CHAR  = ATOM-CHAR / resp-specials ("]")
 *   list-char     = ATOM-CHAR / list-wildcards / resp-specials
 *   tag           = 1*<any ASTRING-CHAR except "+">
 */
const ATOM = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) ATOM[c] = 1;
// 8-bit octets are not CHARs, but clients send UTF-8 search strings and names as atoms
// (Python's imaplib does); Dovecot takes them, and so do we.
for (let c = 0x80; c < 0x100; c++) ATOM[c] = 1;
for (const c of '(){%*"\\]') ATOM[c.charCodeAt(0)] = 0;

/** An ATOM-CHAR. */
export function isAtomChar(c: number): boolean {
  return ATOM[c] === 1;
}

function isAstringChar(c: number): boolean {
  return ATOM[c] === 1 || c === 0x5d;
}

function isTagChar(c: number): boolean {
  return isAstringChar(c) && c !== 0x2b;
}

function isListChar(c: number): boolean {
  return ATOM[c] === 1 || c === 0x5d || c === 0x25 || c === 0x2a;
}

/** A syntax error in a command: answered with a tagged BAD. */
export class ImapSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImapSyntaxError";
  }
}

/** An element of a sequence set: `*` is Infinity until resolved against a mailbox. */
export interface SequenceRange {
  readonly from: number;
  readonly to: number;
}

/** RFC 3501 §9 sequence-set, as parsed (with `*` = Infinity). */
export type SequenceSet = readonly SequenceRange[];

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/**
 * Reads one command's grammar, rule by rule, from its lines and literals in place. Each
 * method consumes exactly its rule or throws ImapSyntaxError; nothing is copied except the
 * strings returned.
 */
export class Cursor {
  readonly #lines: readonly Buffer[];
  readonly #literals: readonly Buffer[];
  #line = 0;
  #pos = 0;

  constructor(command: RawCommand) {
    this.#lines = command.lines;
    this.#literals = command.literals;
  }

  get #buf(): Buffer {
    return this.#lines[this.#line]!;
  }

  /** The octet at the cursor, or -1 at the end of a line. */
  peek(): number {
    const buf = this.#buf;
    return this.#pos < buf.length ? buf[this.#pos]! : -1;
  }

  /** True when the whole command has been read. */
  atEnd(): boolean {
    return this.#line === this.#lines.length - 1 && this.#pos >= this.#buf.length;
  }

  /** Throws unless the whole command has been read. */
  end(): void {
    if (!this.atEnd()) throw new ImapSyntaxError("Unexpected characters at the end of the command");
  }

  /** Consumes one SP (RFC 3501 §9 note 2: exactly one space, never a tab or two). */
  sp(): void {
    if (this.peek() !== 0x20) throw new ImapSyntaxError("Expected a space");
    this.#pos++;
  }

  /** Consumes `c` if it is next; says whether it was. */
  accept(c: number): boolean {
    if (this.peek() !== c) return false;
    this.#pos++;
    return true;
  }

  expect(c: number, what: string): void {
    if (!this.accept(c)) throw new ImapSyntaxError(`Expected ${what}`);
  }

  /** 1*ATOM-CHAR, as ASCII text. */
  atom(what = "an atom"): string {
    const buf = this.#buf;
    const start = this.#pos;
    let i = start;
    while (i < buf.length && ATOM[buf[i]!] === 1) i++;
    if (i === start) throw new ImapSyntaxError(`Expected ${what}`);
    this.#pos = i;
    return buf.toString("latin1", start, i);
  }

  /** An atom if one is next, else undefined (nothing consumed). */
  maybeAtom(): string | undefined {
    return ATOM[this.peek()] === 1 ? this.atom() : undefined;
  }

  /** The command tag (RFC 3501 §9 tag). */
  tag(): string {
    const buf = this.#buf;
    const start = this.#pos;
    let i = start;
    while (i < buf.length && isTagChar(buf[i]!)) i++;
    if (i === start) throw new ImapSyntaxError("Expected a tag");
    this.#pos = i;
    return buf.toString("latin1", start, i);
  }

  /** string = quoted / literal, as bytes. */
  string(what = "a string"): Buffer {
    const c = this.peek();
    if (c === 0x22) return this.#quoted();
    if (c === 0x7b) return this.#literal();
    throw new ImapSyntaxError(`Expected ${what}`);
  }

  /** astring = 1*ASTRING-CHAR / string, as bytes. */
  astring(what = "a string"): Buffer {
    const c = this.peek();
    if (c === 0x22 || c === 0x7b) return this.string(what);
    const buf = this.#buf;
    const start = this.#pos;
    let i = start;
    while (i < buf.length && isAstringChar(buf[i]!)) i++;
    if (i === start) throw new ImapSyntaxError(`Expected ${what}`);
    this.#pos = i;
    return buf.subarray(start, i);
  }

  /** list-mailbox = 1*list-char / string (RFC 3501 §9), as bytes. */
  listMailbox(): Buffer {
    const c = this.peek();
    if (c === 0x22 || c === 0x7b) return this.string();
    const buf = this.#buf;
    const start = this.#pos;
    let i = start;
    while (i < buf.length && isListChar(buf[i]!)) i++;
    if (i === start) throw new ImapSyntaxError("Expected a mailbox pattern");
    this.#pos = i;
    return buf.subarray(start, i);
  }

  /** nstring = string / "NIL". */
  nstring(): Buffer | null {
    if (this.#nil()) return null;
    return this.string();
  }

  #nil(): boolean {
    const buf = this.#buf;
    const p = this.#pos;
    if (
      p + 3 <= buf.length &&
      (buf[p]! | 0x20) === 0x6e &&
      (buf[p + 1]! | 0x20) === 0x69 &&
      (buf[p + 2]! | 0x20) === 0x6c &&
      (p + 3 === buf.length || ATOM[buf[p + 3]!] !== 1)
    ) {
      this.#pos += 3;
      return true;
    }
    return false;
  }

  /** number = 1*DIGIT, an unsigned 32-bit integer. */
  number(what = "a number"): number {
    const buf = this.#buf;
    const start = this.#pos;
    let i = start;
    let n = 0;
    while (i < buf.length && buf[i]! >= 0x30 && buf[i]! <= 0x39) {
      n = n * 10 + buf[i]! - 0x30;
      i++;
    }
    if (i === start) throw new ImapSyntaxError(`Expected ${what}`);
    if (n > MAX_NUMBER) throw new ImapSyntaxError(`${what} is out of range`);
    this.#pos = i;
    return n;
  }

  /** nz-number: a non-zero number. */
  nzNumber(what = "a non-zero number"): number {
    if (this.peek() === 0x30) throw new ImapSyntaxError(`Expected ${what}`);
    return this.number(what);
  }

  /** sequence-set (RFC 3501 §9), `*` as Infinity. */
  sequenceSet(): SequenceSet {
    const ranges: SequenceRange[] = [];
    do {
      const from = this.#seqNumber();
      let to = from;
      if (this.accept(0x3a)) to = this.#seqNumber();
      ranges.push(from <= to ? { from, to } : { from: to, to: from });
    } while (this.accept(0x2c));
    return ranges;
  }

  #seqNumber(): number {
    if (this.accept(0x2a)) return Infinity;
    return this.nzNumber("a sequence number");
  }

  /**
   * A parenthesised list: calls `item` for each element; `allowEmpty` permits "()".
   * Elements are separated by exactly one SP.
   */
  list(item: () => void, allowEmpty = true): void {
    this.expect(0x28, '"("');
    if (this.accept(0x29)) {
      if (!allowEmpty) throw new ImapSyntaxError("Expected a non-empty list");
      return;
    }
    for (;;) {
      item();
      if (this.accept(0x29)) return;
      this.sp();
    }
  }

  /** flag = "\" atom / atom (RFC 3501 §9 flag; flag-extension included). */
  flag(allowWildcard = false): string {
    if (this.accept(0x5c)) {
      if (allowWildcard && this.accept(0x2a)) return "\\*";
      return `\\${this.atom("a flag")}`;
    }
    return this.atom("a flag");
  }

  /** flag-list = "(" [flag *(SP flag)] ")". */
  flagList(): string[] {
    const flags: string[] = [];
    this.list(() => flags.push(this.flag()));
    return flags;
  }

  /** date = date-text / DQUOTE date-text DQUOTE; a day (UTC midnight, as a date without zone). */
  date(): { year: number; month: number; day: number } {
    const quoted = this.accept(0x22);
    const text = this.#dateText();
    if (quoted) this.expect(0x22, "a closing quote");
    return text;
  }

  #dateText(): { year: number; month: number; day: number } {
    const buf = this.#buf;
    const start = this.#pos;
    let i = start;
    while (i < buf.length && buf[i] !== 0x20 && buf[i] !== 0x22 && buf[i] !== 0x29) i++;
    const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(buf.toString("latin1", start, i));
    const month = match ? MONTHS.indexOf(match[2]!.toLowerCase()) : -1;
    if (!match || month < 0) throw new ImapSyntaxError("Expected a date like 1-Feb-1994");
    const day = Number(match[1]);
    const year = Number(match[3]);
    if (day < 1 || day > 31) throw new ImapSyntaxError("Expected a day of the month");
    this.#pos = i;
    return { year, month, day };
  }

  /** date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE. */
  dateTime(): Date {
    const body = this.#quotedText();
    const match = /^([ \d]?\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(body);
    const month = match ? MONTHS.indexOf(match[2]!.toLowerCase()) : -1;
    if (!match || month < 0)
      throw new ImapSyntaxError('Expected a date-time like "17-Jul-1996 02:44:25 -0700"');
    const num = (i: number): number => Number(match[i]!.trim());
    const [day, year, hour, minute, second, zh, zm] = [
      num(1),
      num(3),
      num(4),
      num(5),
      num(6),
      num(8),
      num(9),
    ];
    if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || zm > 59) {
      throw new ImapSyntaxError("The date-time is out of range");
    }
    const offset = (match[7] === "-" ? -1 : 1) * (zh * 60 + zm);
    const utc = Date.UTC(year, month, day, hour, minute, second) - offset * 60_000;
    const date = new Date(utc);
    if (Number.isNaN(utc) || new Date(Date.UTC(year, month, day)).getUTCDate() !== day) {
      throw new ImapSyntaxError("The date-time is not a real date");
    }
    return date;
  }

  /** A quoted string's text (ASCII). */
  #quotedText(): string {
    if (this.peek() !== 0x22) throw new ImapSyntaxError("Expected a quoted string");
    return this.#quoted().toString("latin1");
  }

  /**
   * quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR = <any TEXT-CHAR except
   * quoted-specials> / "\" quoted-specials. 8-bit octets are taken as they are (UTF-8 from
   * clients that assume RFC 6855), a NUL is refused (RFC 3501 §9 note 3).
   */
  #quoted(): Buffer {
    const buf = this.#buf;
    let i = this.#pos + 1;
    const start = i;
    let escaped = false;
    for (; i < buf.length; i++) {
      const c = buf[i]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        const next = buf[i + 1];
        if (next !== 0x22 && next !== 0x5c)
          throw new ImapSyntaxError('Only \\" and \\\\ may be escaped in a quoted string');
        escaped = true;
        i++;
      } else if (c === 0) {
        throw new ImapSyntaxError("A quoted string cannot hold NUL");
      }
    }
    if (i >= buf.length) throw new ImapSyntaxError("A quoted string is not closed");
    this.#pos = i + 1;
    const raw = buf.subarray(start, i);
    if (!escaped) return raw;
    const out = Buffer.allocUnsafe(raw.length);
    let n = 0;
    for (let j = 0; j < raw.length; j++) {
      const c = raw[j]!;
      if (c === 0x5c) out[n++] = raw[++j]!;
      else out[n++] = c;
    }
    return out.subarray(0, n);
  }

  /** literal = "{" number ["+"] "}" CRLF *CHAR8: the announcement must end the line. */
  #literal(): Buffer {
    const buf = this.#buf;
    const announced = literalAt(buf);
    const start = buf.lastIndexOf(0x7b);
    if (announced === undefined || start !== this.#pos || this.#line >= this.#literals.length) {
      throw new ImapSyntaxError("A literal must end its line");
    }
    const data = this.#literals[this.#line]!;
    this.#line++;
    this.#pos = 0;
    return data;
  }

  /** True when the cursor is at a literal announcement that ends the current line. */
  atLiteral(): boolean {
    if (this.peek() !== 0x7b) return false;
    const buf = this.#buf;
    return literalAt(buf) !== undefined && buf.lastIndexOf(0x7b) === this.#pos;
  }

  /** Octets for which `test` holds, as ASCII text ("" when none). */
  take(test: (c: number) => boolean): string {
    const buf = this.#buf;
    const start = this.#pos;
    let i = start;
    while (i < buf.length && test(buf[i]!)) i++;
    this.#pos = i;
    return buf.toString("latin1", start, i);
  }

  /** The rest of the current line as text (AUTHENTICATE's initial response, ID's junk). */
  rest(): string {
    const buf = this.#buf;
    const text = buf.toString("latin1", this.#pos);
    this.#pos = buf.length;
    return text;
  }
}
