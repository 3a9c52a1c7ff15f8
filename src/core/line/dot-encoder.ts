/**
 * The sending side of dot-stuffing (RFC 5321 §4.5.2, RFC 1939 §3): turns a message into the
 * bytes an SMTP client sends after `354`, or a POP3 server after `+OK`.
 *
 * - A line that begins with "." gets one more "." in front.
 * - Line endings become CR LF: a lone LF and a lone CR are each written as CR LF, since RFC
 *   5321 §2.3.8 forbids sending either (and a lone CR or LF is what smuggling rides on). The
 *   output therefore never contains a lone CR or LF, and "." after such a converted line
 *   ending is stuffed like any other.
 * - The data ends with `.\r\n`, preceded by a CR LF if the message did not end with one.
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const EMPTY = Buffer.alloc(0);
const CRLF = Buffer.from("\r\n");
const DOT_BYTE = Buffer.from(".");
const END_AFTER_LINE = Buffer.from(".\r\n");
const END_MID_LINE = Buffer.from("\r\n.\r\n");

/** At the beginning of a line (the start of the message counts). */
const S_LINE_START = 0;
/** Inside a line. */
const S_DATA = 1;
/** The previous chunk ended with a CR, not yet written. */
const S_CR = 2;
/** `end()` has been called. */
const S_ENDED = 3;

/** A streaming, sans-I/O dot-stuffer: `encode` each chunk of the message, then `end`. */
export class DotEncoder {
  #state = S_LINE_START;
  #parts: Buffer[] = [];
  #chunk: Buffer = EMPTY;

  /** Encodes the next chunk of the message; the result may be a view into `input`. */
  encode(input: Uint8Array): Buffer {
    if (this.#state === S_ENDED) throw new TypeError("Cannot encode: the message has already ended");
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);
    const n = chunk.length;
    this.#chunk = chunk;
    let state = this.#state;
    let i = 0;
    let runStart = 0;
    let nextCr = -2;
    let nextLf = -2;

    if (state === S_CR && n > 0) {
      // The CR that ended the previous chunk: a line ending either way.
      this.#parts.push(CRLF);
      if (chunk[0] === LF) {
        i = 1;
        runStart = 1;
      }
      state = S_LINE_START;
    }

    while (i < n) {
      if (state === S_LINE_START) {
        if (chunk[i] === DOT) {
          this.#run(runStart, i);
          this.#parts.push(DOT_BYTE);
          runStart = i;
        }
        state = S_DATA;
        // Reread chunk[i] as data: it may be a CR or LF starting an empty line.
      }
      if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
      if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
      let p: number;
      if (nextCr === -1) p = nextLf;
      else if (nextLf === -1) p = nextCr;
      else p = Math.min(nextCr, nextLf);
      if (p === -1) break;

      if (chunk[p] === LF) {
        // A lone LF (a CR LF is taken whole below).
        this.#run(runStart, p);
        this.#parts.push(CRLF);
        runStart = p + 1;
        i = p + 1;
      } else if (p + 1 === n) {
        // A CR at the end of the chunk: held until the next byte is known.
        this.#run(runStart, p);
        runStart = n;
        i = n;
        state = S_CR;
        break;
      } else if (chunk[p + 1] === LF) {
        i = p + 2;
      } else {
        this.#run(runStart, p);
        this.#parts.push(CRLF);
        runStart = p + 1;
        i = p + 1;
      }
      state = S_LINE_START;
    }

    if (state !== S_CR) this.#run(runStart, n);
    this.#state = state;
    const parts = this.#parts;
    this.#parts = [];
    this.#chunk = EMPTY;
    if (parts.length === 0) return EMPTY;
    if (parts.length === 1) return parts[0]!;
    return Buffer.concat(parts);
  }

  /** The bytes that end the data (`.\r\n`, after a CR LF if one is missing). */
  end(): Buffer {
    const state = this.#state;
    if (state === S_ENDED) throw new TypeError("Cannot end: the message has already ended");
    this.#state = S_ENDED;
    return state === S_LINE_START ? END_AFTER_LINE : END_MID_LINE;
  }

  #run(from: number, to: number): void {
    if (to > from) this.#parts.push(this.#chunk.subarray(from, to));
  }
}

/** Dot-stuffs a whole message at once (for small, in-memory messages and tests). */
export function dotStuff(message: Uint8Array): Buffer {
  const encoder = new DotEncoder();
  const body = encoder.encode(message);
  return Buffer.concat([body, encoder.end()]);
}
