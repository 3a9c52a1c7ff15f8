/**
 * A sans-I/O reader that cuts a byte stream into CRLF-terminated lines, shared by every text
 * protocol (SMTP, POP3, IMAP, FTP, TELNET). Bytes go in with `push`, lines come out of `next`;
 * no sockets, no timers.
 *
 * RFC 5321 §2.3.8: lines end with CR LF, and a "bare" CR or LF (one without the other) has a
 * long history of causing trouble — SMTP smuggling is the latest. The reader therefore reports
 * both: a line cut at a lone LF and a line that contains a lone CR are flagged, so the protocol
 * layer decides (SMTP answers 500, a lenient client ignores the flag).
 */

/** What to do with a LF that is not preceded by CR. */
export type BareLfPolicy = "accept" | "reject";

/** Options for {@link LineReader}. */
export interface LineReaderOptions {
  /**
   * The longest line accepted, in bytes, not counting the line ending. A longer line is
   * reported once as `{ tooLong: true }` and the rest of it is dropped unread. Default
   * {@link DEFAULT_MAX_LINE_LENGTH}.
   */
  readonly maxLineLength?: number;
  /**
   * A lone LF always ends the line — waiting for a CR LF that a LF-only peer never sends would
   * only hang the session until its timeout, and treating the LF as data would glue two
   * commands together. The policy says whether that is worth reporting:
   * - `"accept"` (default): the line is returned like any other, `bareLf: false`. What Go's
   *   textproto, and most servers, do.
   * - `"reject"`: the line is returned with `bareLf: true`, so that the protocol answers it with
   *   an error (SMTP: `500 5.5.2`) instead of executing it — RFC 5321 §2.3.8 says a conforming
   *   implementation MUST NOT recognise any other line terminator than CR LF.
   */
  readonly bareLf?: BareLfPolicy;
}

/** One complete line. */
export interface Line {
  readonly tooLong: false;
  /**
   * The line's bytes without its line ending. A view into the pushed chunk when the line
   * arrived in one piece (no copy): it stays valid as long as the caller does not overwrite
   * the chunk it pushed.
   */
  readonly line: Buffer;
  /** The line was ended by a lone LF and the policy is `"reject"`. */
  readonly bareLf: boolean;
  /** The line contains a CR that is not followed by LF (the CR is kept in `line`). */
  readonly bareCr: boolean;
}

/**
 * A line longer than `maxLineLength`. Reported once, as soon as the cap is passed (before the
 * line has ended); the rest of that line up to its LF is then dropped without being buffered.
 */
export interface TooLongLine {
  readonly tooLong: true;
}

/** What {@link LineReader.next} yields. */
export type LineEvent = Line | TooLongLine;

/**
 * Default cap on a line's length: generous for any command line (RFC 5321 §4.5.3.1.4 asks
 * for 512 octets, RFC 4954 §4 for 12288 for AUTH exchanges, which set their own), small enough
 * that a connection cannot make the server hold much.
 */
export const DEFAULT_MAX_LINE_LENGTH = 8192;

const BARE_LF_POLICIES: readonly string[] = ["accept", "reject"];
const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
const TOO_LONG: TooLongLine = Object.freeze({ tooLong: true });
/** A partial-line buffer larger than this is released once its line is complete. */
const KEEP_PARTIAL_CAPACITY = 4096;

/**
 * Cuts pushed bytes into lines. Call `next()` (or iterate the reader) until it gives `null`
 * after every `push`: bytes not yet read out stay queued, and the memory bound of
 * `maxLineLength` holds only for bytes the reader has looked at.
 *
 * ```ts
 * reader.push(chunk);
 * for (const event of reader) {
 *   if (event.tooLong) reply(500, "Line too long");
 *   else if (event.bareLf || event.bareCr) reply(500, "Bare CR or LF not allowed");
 *   else dispatch(event.line);
 * }
 * ```
 *
 * For bytes that are not lines (an IMAP literal, an SMTP BDAT chunk, the bytes after
 * STARTTLS) switch to raw mode with {@link LineReader.takeBuffered} or
 * {@link LineReader.discardBuffered}.
 */
export class LineReader implements Iterable<LineEvent> {
  readonly #maxLineLength: number;
  readonly #rejectBareLf: boolean;
  /** Pushed chunks not yet looked at; `#offset` is the read position in the first. */
  #chunks: Buffer[] = [];
  #offset = 0;
  /** The beginning of a line that spans chunks (copied: chunks are not kept). */
  #partial: Buffer = EMPTY;
  #partialLength = 0;
  /** Dropping the rest of an over-long line, up to its LF. */
  #discarding = false;

  constructor(options: LineReaderOptions = {}) {
    const max = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`Cannot create LineReader: maxLineLength must be a positive integer, got ${max}`);
    }
    const policy = options.bareLf ?? "accept";
    if (!BARE_LF_POLICIES.includes(policy)) {
      throw new RangeError(`Cannot create LineReader: bareLf must be "accept" or "reject", got ${policy}`);
    }
    this.#maxLineLength = max;
    this.#rejectBareLf = policy === "reject";
  }

  /** Queues received bytes. The reader keeps a reference to `chunk` until it has been read. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(
      Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
    );
  }

  /** The next complete line (or over-long-line report), or `null` when more bytes are needed. */
  next(): LineEvent | null {
    const chunks = this.#chunks;
    const max = this.#maxLineLength;
    while (chunks.length > 0) {
      const chunk = chunks[0]!;
      const start = this.#offset;
      const lf = chunk.indexOf(LF, start);

      if (lf === -1) {
        // The line goes on past this chunk.
        chunks.shift();
        this.#offset = 0;
        if (this.#discarding) continue;
        const length = this.#partialLength + chunk.length - start;
        // Content excludes the CR of the CR LF, so a last byte CR may still be a line ending.
        if (length > max + 1 || (length === max + 1 && chunk[chunk.length - 1] !== CR)) {
          this.#clearPartial();
          this.#discarding = true;
          return TOO_LONG;
        }
        this.#append(chunk, start, chunk.length);
        continue;
      }

      this.#offset = lf + 1;
      if (this.#offset === chunk.length) {
        chunks.shift();
        this.#offset = 0;
      }
      if (this.#discarding) {
        // The over-long line was already reported; this LF ends it.
        this.#discarding = false;
        continue;
      }

      let raw: Buffer;
      const rawLength = this.#partialLength + lf - start;
      if (rawLength > max + 1) {
        this.#clearPartial();
        return TOO_LONG;
      }
      if (this.#partialLength === 0) {
        raw = chunk.subarray(start, lf);
      } else {
        this.#append(chunk, start, lf);
        raw = this.#takePartial();
      }

      let end = raw.length;
      let bareLf = false;
      if (end > 0 && raw[end - 1] === CR) end -= 1;
      else bareLf = this.#rejectBareLf;
      if (end > max) return TOO_LONG;
      const line = end === raw.length ? raw : raw.subarray(0, end);
      return { tooLong: false, line, bareLf, bareCr: line.indexOf(CR) !== -1 };
    }
    return null;
  }

  /** Yields every line currently available (`next()` until `null`). */
  *[Symbol.iterator](): Iterator<LineEvent> {
    for (let event = this.next(); event !== null; event = this.next()) yield event;
  }

  /** Bytes received and not yet returned as lines. */
  get bufferedLength(): number {
    let total = this.#partialLength - this.#offset;
    for (const chunk of this.#chunks) total += chunk.length;
    return total;
  }

  /** True while the rest of an over-long line is being dropped. */
  get discarding(): boolean {
    return this.#discarding;
  }

  /**
   * Raw mode: removes and returns up to `max` bytes that have not been returned as lines (a
   * line begun but not ended counts too), in order. Use it for an IMAP literal (`{n}`) or an
   * SMTP BDAT chunk: take what is buffered, push and take again until `n` bytes have come,
   * then go back to `next()` — the bytes beyond `n` stay queued as lines.
   *
   * Taking ends any over-long line being dropped: the bytes that follow are the caller's.
   */
  takeBuffered(max: number = Number.POSITIVE_INFINITY): Buffer {
    if (!(max >= 0) || (max !== Number.POSITIVE_INFINITY && !Number.isSafeInteger(max))) {
      throw new RangeError(`Cannot take buffered bytes: max must be a non-negative integer, got ${max}`);
    }
    this.#discarding = false;
    const parts: Buffer[] = [];
    let remaining = max;

    if (this.#partialLength > 0 && remaining > 0) {
      const n = Math.min(remaining, this.#partialLength);
      parts.push(Buffer.from(this.#partial.subarray(0, n)));
      if (n === this.#partialLength) this.#clearPartial();
      else {
        this.#partial.copy(this.#partial, 0, n, this.#partialLength);
        this.#partialLength -= n;
      }
      remaining -= n;
    }

    const chunks = this.#chunks;
    while (remaining > 0 && chunks.length > 0) {
      const chunk = chunks[0]!;
      const available = chunk.length - this.#offset;
      if (available <= remaining) {
        parts.push(chunk.subarray(this.#offset));
        chunks.shift();
        this.#offset = 0;
        remaining -= available;
      } else {
        parts.push(chunk.subarray(this.#offset, this.#offset + remaining));
        this.#offset += remaining;
        remaining = 0;
      }
    }

    if (parts.length === 0) return EMPTY;
    if (parts.length === 1) return parts[0]!;
    return Buffer.concat(parts);
  }

  /**
   * Drops every byte not yet returned as a line and returns how many there were. After
   * STARTTLS, a server MUST NOT act on plaintext sent after the command (RFC 3207 §4.2,
   * RFC 2595 §3.1: the command-injection attack), so it discards them before the handshake.
   */
  discardBuffered(): number {
    const dropped = this.bufferedLength;
    this.#chunks = [];
    this.#offset = 0;
    this.#clearPartial();
    this.#discarding = false;
    return dropped;
  }

  #append(chunk: Buffer, from: number, to: number): void {
    const needed = this.#partialLength + to - from;
    if (needed > this.#partial.length) {
      // Doubling keeps a line fed one byte at a time linear; it never holds more than a line.
      const capacity = Math.min(Math.max(needed, this.#partial.length * 2, 256), this.#maxLineLength + 1);
      const grown = Buffer.allocUnsafe(Math.max(capacity, needed));
      this.#partial.copy(grown, 0, 0, this.#partialLength);
      this.#partial = grown;
    }
    chunk.copy(this.#partial, this.#partialLength, from, to);
    this.#partialLength = needed;
  }

  /** The partial line's bytes as a buffer of their own; the partial buffer is reset. */
  #takePartial(): Buffer {
    const line = Buffer.from(this.#partial.subarray(0, this.#partialLength));
    if (this.#partial.length > KEEP_PARTIAL_CAPACITY) this.#partial = EMPTY;
    this.#partialLength = 0;
    return line;
  }

  #clearPartial(): void {
    this.#partialLength = 0;
    if (this.#partial.length > KEEP_PARTIAL_CAPACITY) this.#partial = EMPTY;
  }
}
