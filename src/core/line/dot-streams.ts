/**
 * Stream adapters over {@link DotDecoder} and {@link DotEncoder}, for code that moves message
 * bodies with `stream/promises.pipeline` (spool files, `portico send`, the POP3 and SMTP
 * clients). The sans-I/O classes do the work; these only move bytes and honour backpressure.
 */
import { Transform } from "node:stream";
import type { TransformCallback, TransformOptions } from "node:stream";
import { ProtocolError } from "../errors.js";
import { DotDecoder } from "./dot-decoder.js";
import type { DotDecoderOptions } from "./dot-decoder.js";
import { DotEncoder } from "./dot-encoder.js";

/** Options for {@link DotDecoderStream}: the decoder's, plus the stream's buffering. */
export interface DotDecoderStreamOptions extends DotDecoderOptions {
  readonly highWaterMark?: number;
}

/**
 * Writable side: the raw data after `354` (or a POP3 `+OK`). Readable side: the message,
 * unstuffed, ending where the terminator is. The readable side ends at the terminator; bytes
 * written after it (the next commands) are kept and handed out by `takeTrailing()`.
 *
 * If the writable side ends before the terminator, the stream fails with a `ProtocolError`.
 * Going over `maxSize` or meeting a lone CR/LF under `"reject"` is not an error: the stream
 * reads on to the terminator, and `overLimit`, `bareCr`, `bareLf` say what happened.
 */
export class DotDecoderStream extends Transform {
  readonly #decoder: DotDecoder;
  #trailing: Buffer[] = [];

  constructor(options: DotDecoderStreamOptions = {}) {
    const streamOptions: TransformOptions = {};
    if (options.highWaterMark !== undefined) streamOptions.highWaterMark = options.highWaterMark;
    super(streamOptions);
    this.#decoder = new DotDecoder(options);
  }

  /** The terminator has been read. */
  get done(): boolean {
    return this.#decoder.done;
  }
  /** Decoded message size (see {@link DotDecoder.size}). */
  get size(): number {
    return this.#decoder.size;
  }
  get overLimit(): boolean {
    return this.#decoder.overLimit;
  }
  get bareCr(): boolean {
    return this.#decoder.bareCr;
  }
  get bareLf(): boolean {
    return this.#decoder.bareLf;
  }

  /** Removes and returns the bytes written after the terminator. */
  takeTrailing(): Buffer {
    const trailing = this.#trailing;
    this.#trailing = [];
    return trailing.length === 1 ? trailing[0]! : Buffer.concat(trailing);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#decoder.done) {
      this.#trailing.push(chunk);
      callback();
      return;
    }
    const result = this.#decoder.decode(chunk);
    if (result.data.length > 0) this.push(result.data);
    if (result.done) {
      if (result.consumed < chunk.length) this.#trailing.push(chunk.subarray(result.consumed));
      this.push(null);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#decoder.done) callback();
    else {
      callback(
        new ProtocolError(
          `Cannot read message data: the input ended after ${this.#decoder.consumed} bytes, before <CRLF>.<CRLF>`,
        ),
      );
    }
  }
}

/**
 * Writable side: a message. Readable side: the same dot-stuffed with CR LF line endings and
 * the `.\r\n` terminator, ready to follow an SMTP `354`.
 */
export class DotEncoderStream extends Transform {
  readonly #encoder = new DotEncoder();

  constructor(options: { readonly highWaterMark?: number } = {}) {
    const streamOptions: TransformOptions = {};
    if (options.highWaterMark !== undefined) streamOptions.highWaterMark = options.highWaterMark;
    super(streamOptions);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out = this.#encoder.encode(chunk);
    if (out.length > 0) this.push(out);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.#encoder.end());
  }
}
