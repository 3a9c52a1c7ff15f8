/**
 * Reading the fields of one record's RDATA from the tokens of a master-file entry, with
 * errors that name the file, the line of the field and the record type.
 */

import { ConfigError } from "../../core/errors.js";
import { joinName } from "../name.js";
import { decodeBase64, decodeCharString, decodeHex, escapeNameToken } from "./encoding.js";
import { TOKEN_ESCAPED, TOKEN_QUOTED, type ZoneLexer } from "./lexer.js";
import { parseDecimal } from "./ttl.js";

/** Resolves names of a zone file against the current origin. */
export class NameResolver {
  #origin: string;
  readonly #bytes: boolean;
  /** Recently resolved rdata names ("ns1", "mail", "@"), which repeat a great deal. */
  readonly #cache = new Map<string, string>();

  /**
   * @param origin the absolute origin that relative names are completed with
   * @param bytes whether each char code of the text is one byte (latin1-decoded file)
   */
  constructor(origin: string, bytes: boolean) {
    this.#origin = origin;
    this.#bytes = bytes;
  }

  get origin(): string {
    return this.#origin;
  }

  set origin(origin: string) {
    if (origin !== this.#origin) this.#cache.clear();
    this.#origin = origin;
  }

  /**
   * The absolute presentation name of zone-file name text `text` (`@`, relative, absolute;
   * escapes as written). Throws TypeError (from name.ts) for a malformed name.
   */
  resolve(text: string, escaped: boolean, cache: boolean): string {
    if (cache) {
      const hit = this.#cache.get(text);
      if (hit !== undefined) return hit;
    }
    if (escaped) {
      // A token can end in a lone backslash (before a line end); joinName() would take it
      // as escaping the dot it adds.
      let k = text.length - 1;
      while (k >= 0 && text.charCodeAt(k) === 0x5c) k--;
      if ((text.length - 1 - k) % 2 === 1)
        throw new TypeError(`Cannot parse domain name ${JSON.stringify(text)}: backslash at the end`);
    }
    const name = joinName(escaped ? escapeNameToken(text, this.#bytes) : text, this.#origin);
    if (cache) {
      if (this.#cache.size >= 4096) this.#cache.clear();
      this.#cache.set(text, name);
    }
    return name;
  }

  get bytes(): boolean {
    return this.#bytes;
  }
}

/** The longest message a zone error carries; tokens can be long (a 64 KiB TXT). */
const MAX_MESSAGE_LENGTH = 300;

/**
 * `message` made fit for a one-line error: control characters as `\xHH`, and its middle cut
 * out when it is very long (it may quote a token from the file).
 */
export function oneLine(message: string): string {
  let clean = "";
  for (const c of message) {
    const code = c.charCodeAt(0);
    clean += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, "0")}` : c;
  }
  if (clean.length <= MAX_MESSAGE_LENGTH) return clean;
  // Cut from the middle: the start says where, the end says what is wrong.
  const half = MAX_MESSAGE_LENGTH / 2;
  return `${clean.slice(0, half)}…${clean.slice(clean.length - half)}`;
}

/** The reason in a TypeError thrown by name.ts ("Cannot parse domain name "x": why"). */
export function nameErrorReason(e: unknown): string {
  if (!(e instanceof TypeError)) throw e;
  const m = e.message;
  const at = m.lastIndexOf('": ');
  if (at >= 0) return m.slice(at + 3);
  const colon = m.indexOf(": ");
  return m.startsWith("Cannot ") && colon >= 0 ? m.slice(colon + 2) : m;
}

/** Whether a token's text may need escape processing (a backslash or non-ASCII). */
function mayNeedEscapes(flags: number, text: string): boolean {
  if ((flags & TOKEN_ESCAPED) !== 0) return true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return true;
  }
  return false;
}

/**
 * A cursor over the RDATA tokens `[from, end)` of the lexer's current entry. Every reader
 * method consumes tokens and throws ConfigError naming the field when it cannot.
 */
export class FieldReader {
  lexer: ZoneLexer;
  names: NameResolver;
  /** The record type's mnemonic, for messages. */
  typeName: string;
  i: number;
  end: number;

  constructor(lexer: ZoneLexer, from: number, end: number, names: NameResolver, typeName: string) {
    this.lexer = lexer;
    this.i = from;
    this.end = end;
    this.names = names;
    this.typeName = typeName;
  }

  /** Points the reader at other tokens (one reader serves a whole file). */
  reset(lexer: ZoneLexer, from: number, end: number, names: NameResolver, typeName: string): this {
    this.lexer = lexer;
    this.i = from;
    this.end = end;
    this.names = names;
    this.typeName = typeName;
    return this;
  }

  /** Whether every token has been consumed. */
  get done(): boolean {
    return this.i >= this.end;
  }

  /** The line of token `i`, or of the entry's last token when past the end. */
  lineOf(i: number): number {
    const lx = this.lexer;
    if (i < this.end) return lx.lines[i]!;
    return this.end > 0 ? lx.lines[this.end - 1]! : lx.line;
  }

  /** Throws a ConfigError about the field at token `i` (default: the current one). */
  fail(message: string, i: number = this.i): never {
    throw new ConfigError(oneLine(`${this.typeName} record: ${message}`), this.lexer.file, this.lineOf(i));
  }

  /** Throws unless `what` is present; returns the index of its token. */
  #take(what: string): number {
    if (this.i >= this.end) this.fail(`missing ${what}`);
    return this.i++;
  }

  /** The raw text of the next token, which must not be quoted. */
  word(what: string): string {
    const i = this.#take(what);
    if ((this.lexer.flags[i]! & TOKEN_QUOTED) !== 0) this.fail(`${what} must not be quoted`, i);
    return this.lexer.text(i);
  }

  /** The text of the next token if it is `text` exactly (not quoted): consumes it. */
  accept(text: string): boolean {
    if (this.i >= this.end || this.lexer.flags[this.i]! & TOKEN_QUOTED) return false;
    const lx = this.lexer;
    const len = lx.ends[this.i]! - lx.starts[this.i]!;
    if (len !== text.length || !lx.source.startsWith(text, lx.starts[this.i])) return false;
    this.i++;
    return true;
  }

  /** An unsigned decimal integer of at most `max`. */
  number(what: string, max: number): number {
    const text = this.word(what);
    const v = parseDecimal(text, max);
    if (v < 0) this.fail(`${what} must be a number from 0 to ${max}, not '${text}'`, this.i - 1);
    return v;
  }

  u8(what: string): number {
    return this.number(what, 0xff);
  }

  u16(what: string): number {
    return this.number(what, 0xffff);
  }

  u32(what: string): number {
    return this.number(what, 0xffffffff);
  }

  /** A domain name, completed with the origin if relative. */
  name(what: string): string {
    const i = this.#take(what);
    const lx = this.lexer;
    const flags = lx.flags[i]!;
    if ((flags & TOKEN_QUOTED) !== 0) this.fail(`${what} must not be quoted`, i);
    const text = lx.text(i);
    try {
      return this.names.resolve(text, mayNeedEscapes(flags, text), true);
    } catch (e) {
      return this.fail(`bad ${what} '${text}': ${nameErrorReason(e)}`, i);
    }
  }

  /** The bytes of the next token, quoted or not, with escapes decoded; at most `max` bytes. */
  bytes(what: string, max: number): Uint8Array {
    const i = this.#take(what);
    const lx = this.lexer;
    const data = decodeCharString(lx.source, lx.starts[i]!, lx.ends[i]!, this.names.bytes);
    if (data === null)
      this.fail(`bad escape in ${what} '${lx.text(i)}' (\\DDD needs three digits up to 255)`, i);
    if (data.length > max) this.fail(`${what} is ${data.length} bytes long, more than ${max}`, i);
    return data;
  }

  /** A <character-string> (RFC 1035 §3.3): at most 255 bytes. */
  charString(what: string): Uint8Array {
    return this.bytes(what, 255);
  }

  /** The remaining tokens, unquoted, joined (hex and base64 may be split by blanks). */
  joinRest(what: string, required: boolean): string {
    if (this.i >= this.end) {
      if (required) this.fail(`missing ${what}`);
      return "";
    }
    let text = "";
    while (this.i < this.end) text += this.word(what);
    return text;
  }

  /** Hex digits, possibly split across tokens, to the end. */
  hexRest(what: string, required: boolean): Uint8Array {
    const from = this.i;
    const text = this.joinRest(what, required);
    const data = decodeHex(text);
    if (data === null) this.fail(`${what} is not valid hex (an even number of 0-9 a-f)`, from);
    return data;
  }

  /** Base64 (RFC 4648 §4), possibly split across tokens, to the end. */
  base64Rest(what: string): Uint8Array {
    const from = this.i;
    const text = this.joinRest(what, true);
    const data = decodeBase64(text);
    if (data === null) this.fail(`${what} is not valid base64`, from);
    return data;
  }

  /** Throws unless every token has been consumed. */
  finish(): void {
    if (this.i < this.end) this.fail(`unexpected extra data '${this.lexer.text(this.i)}'`);
  }
}
