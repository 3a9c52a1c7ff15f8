/**
 * What TOP sends of a message (RFC 1939 §7): "the headers of the message, the blank line
 * separating the headers from the body, and then the number of lines of the indicated
 * message's body"; the whole message when it has fewer body lines than asked for (or no
 * blank line at all). A sans-I/O filter over the message's chunks, so that TOP reads only as
 * much of the file as it sends.
 */

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/**
 * Passes through the header section and the first `lines` body lines of a message, chunk by
 * chunk; then `done` is true and the rest can be left unread. Lines end at LF (the store
 * gives messages in CRLF form); the header section ends at the first empty line, which is
 * "CRLF" (or a lone LF) at the start of a line.
 *
 * ```ts
 * const top = new TopFilter(10);
 * for await (const chunk of stream) {
 *   send(top.push(chunk));
 *   if (top.done) break;
 * }
 * ```
 */
export class TopFilter {
  #inHeader = true;
  #remaining: number;
  /** Bytes of the current line seen so far, and its first byte. */
  #lineLength = 0;
  #lineFirst = 0;
  #done = false;

  /** `lines`: the number of body lines to send (a non-negative integer). */
  constructor(lines: number) {
    if (!Number.isInteger(lines) || lines < 0) {
      throw new RangeError(`Cannot create TopFilter: lines must be a non-negative integer, got ${lines}`);
    }
    this.#remaining = lines;
  }

  /** All that is to be sent has been returned; further chunks give nothing. */
  get done(): boolean {
    return this.#done;
  }

  /** The part of `chunk` to send (a view into it, never a copy). */
  push(chunk: Buffer): Buffer {
    if (this.#done) return EMPTY;
    const n = chunk.length;
    let pos = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, pos);
      if (lf === -1) {
        if (pos < n) {
          if (this.#lineLength === 0) this.#lineFirst = chunk[pos]!;
          this.#lineLength += n - pos;
        }
        return chunk;
      }
      if (this.#inHeader) {
        const length = this.#lineLength + lf - pos;
        const first = this.#lineLength === 0 ? chunk[pos] : this.#lineFirst;
        // An empty line, "" or "\r" before the LF, ends the header section.
        if (length === 0 || (length === 1 && first === CR)) {
          this.#inHeader = false;
          if (this.#remaining === 0) return this.#finish(chunk, lf);
        }
      } else if (--this.#remaining === 0) {
        return this.#finish(chunk, lf);
      }
      this.#lineLength = 0;
      pos = lf + 1;
    }
  }

  #finish(chunk: Buffer, lf: number): Buffer {
    this.#done = true;
    return lf + 1 === chunk.length ? chunk : chunk.subarray(0, lf + 1);
  }
}
