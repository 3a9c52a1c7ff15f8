/**
 * The client side of numeric-code replies (SMTP RFC 5321 §4.2, FTP RFC 959 §4.2): a sans-I/O
 * parser that turns received bytes into `{ code, enhanced?, lines }` objects.
 */
import { ProtocolError } from "../errors.js";
import { LineReader } from "./line-reader.js";

/** One complete reply. */
export interface Reply {
  /** The three-digit reply code. */
  readonly code: number;
  /**
   * The RFC 3463 enhanced status code (`"2.1.0"`) if the first line's text begins with one
   * whose class agrees with `code` (RFC 2034 §4); it is then removed from every line's text.
   */
  readonly enhanced?: string;
  /** The text of each line: what follows `250-` / `250 `, which may be empty. */
  readonly lines: readonly string[];
}

/**
 * How multi-line replies are framed.
 * - `"smtp"`: every line begins with the same code (RFC 5321 §4.2.1: "MUST be the same");
 *   anything else is a protocol error.
 * - `"ftp"`: RFC 959 §4.2: only the first (`123-`) and the last (`123 `) line must carry the
 *   code; lines between are free text (a `123-` on one is removed).
 */
export type ReplyStyle = "smtp" | "ftp";

/** Options for {@link ReplyParser}. */
export interface ReplyParserOptions {
  /** Default `"smtp"`. */
  readonly style?: ReplyStyle;
  /**
   * Longest reply line in bytes, not counting CR LF; a longer one is a protocol error. RFC 5321
   * §4.5.3.1.5 allows servers 512 octets; the default, 8192, is generous for FTP listings.
   */
  readonly maxLineLength?: number;
  /**
   * Most lines kept per reply; lines past it are read and dropped, as RFC 1123 §4.1.2.11
   * asks of an FTP client that has a limit. Default 1000.
   */
  readonly maxLines?: number;
  /** Recognise enhanced status codes (RFC 2034). Default true for `"smtp"`, false for `"ftp"`. */
  readonly enhancedStatusCodes?: boolean;
}

const STYLES: readonly string[] = ["smtp", "ftp"];
const HYPHEN = 0x2d;
const SP = 0x20;
const ENHANCED_PREFIX = /^[245]\.(?:0|[1-9][0-9]{0,2})\.(?:0|[1-9][0-9]{0,2})(?= |$)/;

/**
 * Reads replies. `push` what arrives, then `next()` (or iterate) until `null`. A malformed
 * reply throws a `ProtocolError`, and so does every later call: the stream cannot be trusted
 * to be in step any more.
 *
 * Bare LF line endings are accepted (Postel: a client loses nothing by it).
 */
export class ReplyParser implements Iterable<Reply> {
  readonly #reader: LineReader;
  readonly #ftp: boolean;
  readonly #maxLines: number;
  readonly #maxLineLength: number;
  readonly #enhanced: boolean;
  #code = -1;
  #lines: string[] = [];
  #failure: ProtocolError | null = null;

  constructor(options: ReplyParserOptions = {}) {
    const style = options.style ?? "smtp";
    if (!STYLES.includes(style)) {
      throw new RangeError(`Cannot create ReplyParser: style must be "smtp" or "ftp", got ${style}`);
    }
    const maxLines = options.maxLines ?? 1000;
    if (!Number.isSafeInteger(maxLines) || maxLines < 1) {
      throw new RangeError(`Cannot create ReplyParser: maxLines must be a positive integer, got ${maxLines}`);
    }
    this.#maxLineLength = options.maxLineLength ?? 8192;
    this.#reader = new LineReader({ maxLineLength: this.#maxLineLength, bareLf: "accept" });
    this.#ftp = style === "ftp";
    this.#maxLines = maxLines;
    this.#enhanced = options.enhancedStatusCodes ?? !this.#ftp;
  }

  /** Queues received bytes. */
  push(chunk: Uint8Array): void {
    this.#reader.push(chunk);
  }

  /** The next complete reply, or `null` when more bytes are needed. */
  next(): Reply | null {
    if (this.#failure !== null) throw this.#failure;
    for (let event = this.#reader.next(); event !== null; event = this.#reader.next()) {
      if (event.tooLong) this.#fail(`a reply line is longer than ${this.#maxLineLength} bytes`);
      const reply = this.#line(event.line);
      if (reply !== null) return reply;
    }
    return null;
  }

  /** Yields every reply currently available. */
  *[Symbol.iterator](): Iterator<Reply> {
    for (let reply = this.next(); reply !== null; reply = this.next()) yield reply;
  }

  /** A multi-line reply has begun and not yet ended. */
  get inReply(): boolean {
    return this.#code !== -1;
  }

  /**
   * Drops bytes received after the last complete line and returns their count. A client does
   * this after the server's go-ahead to STARTTLS: anything that arrived with it in plaintext
   * was not protected and must not be taken as the server's (RFC 3207 §4.2, RFC 2595 §3.1).
   */
  discardBuffered(): number {
    return this.#reader.discardBuffered();
  }

  #line(line: Buffer): Reply | null {
    const code = replyCode(line);
    const last = line.length === 3 || line[3] === SP;
    if (this.#code === -1) {
      if (code === -1) this.#fail(`expected a three-digit code, got ${preview(line)}`);
      this.#code = code;
      this.#add(line, 4);
    } else if (code === this.#code) {
      this.#add(line, 4);
    } else if (this.#ftp) {
      // RFC 959 §4.2: free text between the first and last lines, taken whole.
      this.#add(line, 0);
      return null;
    } else {
      this.#fail(`a multi-line ${this.#code} reply continues with ${preview(line)}`);
    }
    return last ? this.#finish() : null;
  }

  #add(line: Buffer, from: number): void {
    if (this.#lines.length < this.#maxLines)
      this.#lines.push(line.length > from ? line.toString("utf8", from) : "");
  }

  #finish(): Reply {
    const code = this.#code;
    const lines = this.#lines;
    this.#code = -1;
    this.#lines = [];
    if (this.#enhanced) {
      const match = ENHANCED_PREFIX.exec(lines[0]!);
      const enhanced = match?.[0];
      if (enhanced !== undefined && enhanced.charCodeAt(0) - 0x30 === Math.floor(code / 100)) {
        // RFC 2034 §4: "the same status code must appear at the beginning of the text in each line".
        for (let i = 0; i < lines.length; i++) {
          const text = lines[i]!;
          if (text === enhanced) lines[i] = "";
          else if (text.startsWith(enhanced) && text.charCodeAt(enhanced.length) === SP) {
            lines[i] = text.slice(enhanced.length + 1);
          }
        }
        return { code, enhanced, lines };
      }
    }
    return { code, lines };
  }

  #fail(detail: string): never {
    this.#failure = new ProtocolError(`Cannot parse reply: ${detail}`);
    throw this.#failure;
  }
}

/** The code of a line that starts `ddd`, `ddd ` or `ddd-` with d1 in 1–5; otherwise -1. */
function replyCode(line: Buffer): number {
  if (line.length < 3) return -1;
  const d1 = line[0]! - 0x30;
  const d2 = line[1]! - 0x30;
  const d3 = line[2]! - 0x30;
  if (d1 < 1 || d1 > 5 || d2 < 0 || d2 > 9 || d3 < 0 || d3 > 9) return -1;
  if (line.length > 3 && line[3] !== SP && line[3] !== HYPHEN) return -1;
  return d1 * 100 + d2 * 10 + d3;
}

/** A short, printable rendering of a peer's line for an error message. */
function preview(line: Buffer): string {
  return JSON.stringify(line.toString("latin1", 0, Math.min(line.length, 40)));
}
