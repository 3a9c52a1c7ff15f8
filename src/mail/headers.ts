/**
 * Completes a submitted message's header (RFC 6409 §8.1, §8.3): a message submitted without
 * `Date:` or `Message-ID:` gets them, as RFC 5322 §3.6 requires the one and recommends the
 * other, appended at the end of the header section (as Postfix's cleanup does). Streaming:
 * bytes pass through untouched once the header has ended, or after `maxHeaderBytes` (a header
 * that long is left as it is).
 */
import { randomHex } from "../core/random.js";
import { rfc5322Date } from "./date.js";

const CRLF_CRLF = Buffer.from("\r\n\r\n");

export class HeaderCompleter {
  #held: Buffer[] = [];
  #heldBytes = 0;
  #done = false;
  readonly #hostname: string;
  readonly #maxHeaderBytes: number;
  readonly #now: () => Date;

  constructor(hostname: string, options: { maxHeaderBytes?: number; now?: () => Date } = {}) {
    this.#hostname = hostname;
    this.#maxHeaderBytes = options.maxHeaderBytes ?? 256 * 1024;
    this.#now = options.now ?? (() => new Date());
  }

  /** Takes content bytes; returns what may be written now. */
  push(chunk: Buffer): Buffer[] {
    if (this.#done) return [chunk];
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    const all = this.#held.length === 1 ? chunk : Buffer.concat(this.#held, this.#heldBytes);
    this.#held = [all];
    // A message that starts with its empty line has an empty header.
    const end = all.subarray(0, 2).equals(CRLF_CRLF.subarray(0, 2)) ? 0 : all.indexOf(CRLF_CRLF);
    if (end >= 0) return this.#release(all, end === 0 ? 0 : end + 2);
    if (this.#heldBytes > this.#maxHeaderBytes) {
      this.#done = true;
      this.#held = [];
      return [all];
    }
    return [];
  }

  /** The content ended: what is still held (a message that is all header). */
  end(): Buffer[] {
    if (this.#done) return [];
    const all = Buffer.concat(this.#held, this.#heldBytes);
    const headerEnd = all.length >= 2 && all.subarray(-2).equals(CRLF_CRLF.subarray(0, 2)) ? all.length : -1;
    if (headerEnd < 0) {
      this.#done = true;
      return all.length > 0 ? [all] : [];
    }
    return this.#release(all, headerEnd);
  }

  /** Splits at `headerEnd` (just after the last header line's CRLF) and inserts what is missing. */
  #release(all: Buffer, headerEnd: number): Buffer[] {
    this.#done = true;
    this.#held = [];
    const header = all.subarray(0, headerEnd).toString("latin1");
    const missing: string[] = [];
    if (!/^date[ \t]*:/im.test(header)) missing.push(`Date: ${rfc5322Date(this.#now())}\r\n`);
    if (!/^message-id[ \t]*:/im.test(header)) {
      missing.push(`Message-ID: <${Date.now().toString(36)}.${randomHex(6)}@${this.#hostname}>\r\n`);
    }
    if (missing.length === 0) return [all];
    return [all.subarray(0, headerEnd), Buffer.from(missing.join("")), all.subarray(headerEnd)];
  }
}
