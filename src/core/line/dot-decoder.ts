/**
 * The receiving side of dot-stuffing (RFC 5321 §4.5.2, RFC 1939 §3): turns the bytes that
 * follow an SMTP `354` (or a POP3 `+OK` to RETR/TOP/LIST/UIDL) into the message they carry.
 *
 * Wire rules, and the reading this decoder gives them:
 * - Lines end with CR LF and only CR LF (RFC 5321 §2.3.8). A lone CR or a lone LF is a data
 *   byte inside a line, never a line end.
 * - A line that is a single "." ends the data: the terminator is exactly `<CRLF>.<CRLF>`, where
 *   the first CR LF ends the message's last line (RFC 5321 §4.1.1.4) and, for an empty
 *   message, is the one that ended the command. `\n.\n`, `\n.\r\n`, `\r.\n`, `\r\n.\n`
 *   and `\r\n.\r` + anything else do NOT end the message: a receiver that accepts them while
 *   the next hop does not (or the reverse) lets a sender smuggle a second message through.
 * - A line that starts with "." and has more characters loses that first ".".
 *
 * Lone CRs and LFs are reported, and handled by policy (see {@link BareLineEndingPolicy}).
 */

/**
 * What the decoder does with a lone CR or lone LF in the data:
 * - `"reject"`: the message is to be refused. At the first lone CR or LF, output stops: the
 *   bytes before it have been emitted, nothing from it on is (no part of a smuggled second
 *   message reaches the consumer). The decoder still reads up to the terminator, so the
 *   session knows where the next command begins; `bareCr`/`bareLf` then say why, and the SMTP
 *   layer answers e.g. `550 5.6.0` (and deletes what it spooled).
 * - `"normalize-to-crlf"`: every lone CR and every lone LF is written out as CR LF; the output
 *   has CR LF line endings only. Line structure — which lines are unstuffed, where the message
 *   ends — is still decided by the CR LFs received and nothing else, so normalising can never
 *   end a message early. `bareCr`/`bareLf` are still set, for logging.
 *
 * Note that normalising may put a `CRLF.CRLF` inside the decoded message (from `a\n.\r\n`):
 * harmless, because every path that sends a message on (the SMTP client, POP3 RETR) dot-stuffs
 * it again with the encoder.
 */
export type BareLineEndingPolicy = "reject" | "normalize-to-crlf";

/** Options for {@link DotDecoder}. */
export interface DotDecoderOptions {
  /** Default `"reject"`. */
  readonly bareLineEndings?: BareLineEndingPolicy;
  /**
   * The most decoded bytes to deliver (RFC 1870 SIZE: the message including its CR LFs, not
   * the terminator nor the stuffed dots). Once the message would exceed it, `overLimit` is set,
   * the chunk that crossed it and everything after produce no output, and the decoder goes on
   * reading up to the terminator. Default: no limit.
   */
  readonly maxSize?: number;
}

/** What one {@link DotDecoder.decode} call produced. */
export interface DotDecodeResult {
  /**
   * Decoded message bytes from this chunk; possibly empty. A view into the chunk when nothing
   * in it needed rewriting (the common case), otherwise a new buffer.
   */
  readonly data: Buffer;
  /**
   * How many bytes of the chunk belong to the message data. It is the whole chunk unless
   * `done`: then the bytes after it are what the peer sent next (pipelined commands).
   */
  readonly consumed: number;
  /** The terminator has been read; the decoder takes no more input. */
  readonly done: boolean;
  /**
   * The message is over `maxSize` (from this call on): stop spooling it and answer 552 once
   * `done` (RFC 1870 §6.3).
   */
  readonly overLimit: boolean;
}

const POLICIES: readonly string[] = ["reject", "normalize-to-crlf"];
const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const EMPTY = Buffer.alloc(0);
const CR_BYTE = Buffer.from("\r");
const CRLF = Buffer.from("\r\n");

// Decoder states. A "held" byte is one read but not yet emitted, because what it means depends
// on the bytes after it (possibly in the next chunk).
/** At the beginning of a line (the start of the data counts). */
const S_LINE_START = 0;
/** Read "." at the beginning of a line; the dot is held (it is either stuffing or the end). */
const S_DOT = 1;
/** Read ".\r" at the beginning of a line; both held. */
const S_DOT_CR = 2;
/** Inside a line. */
const S_DATA = 3;
/** Read a CR inside a line; held if it was the last byte of the previous chunk. */
const S_CR = 4;
/** Read the terminator. */
const S_DONE = 5;

/**
 * A streaming, sans-I/O dot-unstuffer. Feed it chunks with {@link DotDecoder.decode} until a
 * result says `done`; then `consumed` tells where the next command starts in that chunk.
 * The terminator may be split across chunks at any point.
 */
export class DotDecoder {
  readonly #normalize: boolean;
  readonly #maxSize: number;
  #state = S_LINE_START;
  #size = 0;
  #consumed = 0;
  #overLimit = false;
  #bareCr = false;
  #bareLf = false;
  /** No more output: a lone CR/LF under "reject", or the size limit passed. */
  #suppressed = false;

  // Per-call output, kept in fields so the helpers below need no closures.
  #parts: Buffer[] = [];
  #chunk: Buffer = EMPTY;

  constructor(options: DotDecoderOptions = {}) {
    const policy = options.bareLineEndings ?? "reject";
    if (!POLICIES.includes(policy)) {
      throw new RangeError(
        `Cannot create DotDecoder: bareLineEndings must be "reject" or "normalize-to-crlf", got ${policy}`,
      );
    }
    const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
    if (!(maxSize >= 0)) {
      throw new RangeError(`Cannot create DotDecoder: maxSize must be >= 0, got ${maxSize}`);
    }
    this.#normalize = policy === "normalize-to-crlf";
    this.#maxSize = maxSize;
  }

  /** The terminator has been read. */
  get done(): boolean {
    return this.#state === S_DONE;
  }
  /**
   * Decoded size so far, counted whether or not the bytes were delivered (over the limit, or
   * after a rejected lone CR/LF, which count as one byte each).
   */
  get size(): number {
    return this.#size;
  }
  /** Input bytes consumed so far, the terminator included once `done`. */
  get consumed(): number {
    return this.#consumed;
  }
  /** The message is larger than `maxSize`. */
  get overLimit(): boolean {
    return this.#overLimit;
  }
  /** The data contained a CR not followed by LF. */
  get bareCr(): boolean {
    return this.#bareCr;
  }
  /** The data contained a LF not preceded by CR. */
  get bareLf(): boolean {
    return this.#bareLf;
  }

  /** Decodes the next chunk of data. Throws a TypeError once `done`. */
  decode(input: Uint8Array): DotDecodeResult {
    if (this.#state === S_DONE) throw new TypeError("Cannot decode: the message has already ended");
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);
    this.#chunk = chunk;
    const n = chunk.length;
    let state = this.#state;
    let i = 0;
    // Start of the bytes to emit verbatim; `crAt` is where a CR that is not held sits.
    let runStart = 0;
    let crAt = -1;
    // Cached positions of the next CR and LF at or after i (-1: none left; -2: not searched).
    let nextCr = -2;
    let nextLf = -2;

    while (i < n) {
      switch (state) {
        case S_DATA: {
          // The hot loop: skip to the next CR or LF without looking at the bytes between.
          if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
          if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
          let p: number;
          if (nextCr === -1) p = nextLf;
          else if (nextLf === -1) p = nextCr;
          else p = Math.min(nextCr, nextLf);
          if (p === -1) {
            i = n;
            break;
          }
          if (chunk[p] === CR) {
            state = S_CR;
            crAt = p;
          } else {
            runStart = this.#bare(LF, runStart, p);
          }
          i = p + 1;
          break;
        }

        case S_LINE_START: {
          const b = chunk[i]!;
          if (b === DOT) {
            this.#emitRun(runStart, i);
            runStart = i + 1;
            state = S_DOT;
          } else if (b === CR) {
            state = S_CR;
            crAt = i;
          } else if (b === LF) {
            runStart = this.#bare(LF, runStart, i);
            state = S_DATA;
          } else {
            state = S_DATA;
          }
          i += 1;
          break;
        }

        case S_DOT: {
          // The dot is gone (runStart is past it) whatever comes next, unless ".\r\n".
          const b = chunk[i]!;
          if (b === CR) {
            runStart = i + 1;
            state = S_DOT_CR;
          } else {
            if (b === LF) runStart = this.#bare(LF, runStart, i);
            state = S_DATA;
          }
          i += 1;
          break;
        }

        case S_DOT_CR: {
          if (chunk[i] === LF) {
            i += 1;
            state = S_DONE;
            break;
          }
          // ".\r" and more: the dot was stuffing, the CR (held, not in the run) is a lone one.
          this.#bareHeldCr();
          runStart = i;
          state = S_DATA;
          break;
        }

        case S_CR: {
          const b = chunk[i]!;
          if (b === LF) {
            if (crAt === -1) {
              // The CR ended the previous chunk.
              this.#emit(CRLF);
              runStart = i + 1;
            }
            state = S_LINE_START;
            i += 1;
          } else {
            // A lone CR; reread b as data (it may be another CR).
            if (crAt === -1) {
              this.#bareHeldCr();
              runStart = i;
            } else {
              runStart = this.#bare(CR, runStart, crAt);
            }
            crAt = -1;
            state = S_DATA;
          }
          break;
        }

        default:
          throw new Error(`DotDecoder: unexpected state ${state}`);
      }
      if (state === S_DONE) break;
    }

    if (state !== S_DONE) {
      // A CR read in this chunk as its last byte is held until the next chunk says what it is.
      this.#emitRun(runStart, state === S_CR && crAt !== -1 ? crAt : n);
    }
    this.#state = state;
    this.#consumed += i;

    const parts = this.#parts;
    let data: Buffer;
    if (parts.length === 0) data = EMPTY;
    else if (parts.length === 1) data = parts[0]!;
    else data = Buffer.concat(parts);
    this.#parts = [];
    this.#chunk = EMPTY;

    if (this.#size > this.#maxSize && !this.#overLimit) {
      this.#overLimit = true;
      this.#suppressed = true;
      data = EMPTY;
    }
    return { data, consumed: i, done: state === S_DONE, overLimit: this.#overLimit };
  }

  /** Emits chunk[from, to) verbatim. */
  #emitRun(from: number, to: number): void {
    if (to <= from) return;
    this.#size += to - from;
    if (!this.#suppressed) this.#parts.push(this.#chunk.subarray(from, to));
  }

  #emit(bytes: Buffer): void {
    this.#size += bytes.length;
    if (!this.#suppressed) this.#parts.push(bytes);
  }

  /**
   * A lone CR or LF at `at` in this chunk, with the verbatim run starting at `runStart`;
   * returns where the run goes on.
   */
  #bare(byte: typeof CR | typeof LF, runStart: number, at: number): number {
    if (byte === CR) this.#bareCr = true;
    else this.#bareLf = true;
    this.#emitRun(runStart, at);
    if (this.#normalize) {
      this.#emit(CRLF);
      return at + 1;
    }
    // "reject": counted as received, never delivered.
    this.#suppressed = true;
    return at;
  }

  /** A lone CR that was held (the last byte of the previous chunk, or the CR of ".\r"). */
  #bareHeldCr(): void {
    this.#bareCr = true;
    if (this.#normalize) this.#emit(CRLF);
    else {
      this.#suppressed = true;
      this.#emit(CR_BYTE);
    }
  }
}
