/**
 * Turns every bare LF into CRLF, chunk by chunk: a CR at the end of one chunk pairs with an
 * LF at the start of the next. A bare CR is left as it is (RFC 5322 §2.3 forbids it, but
 * rewriting it would change the message; IMAP servers pass it through too). Chunks without
 * a bare LF — all of them for mail that came over SMTP — are returned without a copy.
 */
export class CrlfNormalizer {
  #lastWasCr = false;

  /** The chunk with bare LFs made CRLF. */
  push(chunk: Uint8Array): Buffer {
    const input = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (input.length === 0) return input;
    const prevCr = this.#lastWasCr;
    this.#lastWasCr = input[input.length - 1] === 13;
    let bare = 0;
    for (let lf = input.indexOf(10); lf >= 0; lf = input.indexOf(10, lf + 1)) {
      if (!(lf === 0 ? prevCr : input[lf - 1] === 13)) bare++;
    }
    if (bare === 0) return input;
    const out = Buffer.allocUnsafe(input.length + bare);
    let from = 0;
    let to = 0;
    for (let lf = input.indexOf(10); lf >= 0; lf = input.indexOf(10, lf + 1)) {
      if (lf === 0 ? prevCr : input[lf - 1] === 13) continue;
      to += input.copy(out, to, from, lf);
      out[to++] = 13;
      from = lf;
    }
    input.copy(out, to, from);
    return out;
  }
}
