import type { FileHandle } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { CrlfNormalizer } from "./crlf.js";
import { STORE_LIMITS } from "./limits.js";

/** A byte range of a message: `start` inclusive, `end` exclusive (IMAP BODY[]<start.len>). */
export interface ByteRange {
  readonly start?: number;
  readonly end?: number;
}

/**
 * A stream of a message in CRLF form, taking ownership of `handle`. A file stored with CRLF
 * (size = vsize: everything we deliver) is read as is, the range mapped to file offsets; a
 * file with bare LFs (put there by other programs) is converted on the way, and the range
 * counted in converted bytes.
 */
export function messageStream(
  handle: FileHandle,
  size: number,
  vsize: number,
  range: ByteRange = {},
): Readable {
  const start = Math.max(0, range.start ?? 0);
  const end = Math.min(range.end ?? vsize, vsize);
  if (end <= start) {
    void handle.close();
    return Readable.from([]);
  }
  if (size === vsize) return handle.createReadStream({ start, end: end - 1 });
  const normalizer = new CrlfNormalizer();
  let position = 0;
  const slicer = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const out = normalizer.push(chunk);
      const from = Math.max(0, start - position);
      const to = Math.min(out.length, end - position);
      position += out.length;
      if (to > from) this.push(from === 0 && to === out.length ? out : out.subarray(from, to));
      callback();
    },
  });
  const source = handle.createReadStream();
  source.on("error", (error) => slicer.destroy(error));
  slicer.on("close", () => source.destroy());
  return source.pipe(slicer);
}

/**
 * The header section of a message (RFC 5322 §2.1): everything up to and including the empty
 * line, CRLF form. Reads in chunks and stops there, so a FETCH of many headers never reads
 * bodies. A message without an empty line is all header; past STORE_LIMITS.maxHeaderBytes
 * what was read is returned.
 */
export async function readHeaderSection(handle: FileHandle): Promise<Buffer> {
  const normalizer = new CrlfNormalizer();
  const max = STORE_LIMITS.maxHeaderBytes;
  let header: Buffer = Buffer.alloc(0);
  let position = 0;
  while (header.length < max) {
    const buffer = Buffer.allocUnsafe(STORE_LIMITS.headerChunkBytes);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const out = normalizer.push(buffer.subarray(0, bytesRead));
    // The empty line may straddle two reads: search from 3 bytes before the new ones.
    const from = Math.max(0, header.length - 3);
    header = header.length === 0 ? out : Buffer.concat([header, out]);
    if (header.length >= 2 && header[0] === 13 && header[1] === 10) return header.subarray(0, 2);
    const blank = header.indexOf(BLANK_LINE, from);
    if (blank >= 0) return header.subarray(0, blank + 4);
  }
  return header.length > max ? header.subarray(0, max) : header;
}

const BLANK_LINE = Buffer.from("\r\n\r\n");

/** The size of a file's content in CRLF form (for files without W=). */
export async function crlfSize(handle: FileHandle): Promise<number> {
  const normalizer = new CrlfNormalizer();
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let size = 0;
  let position = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return size;
    position += bytesRead;
    size += normalizer.push(buffer.subarray(0, bytesRead)).length;
  }
}
