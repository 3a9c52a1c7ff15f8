/**
 * Header sections (RFC 5322 §2.2): fields with their raw values, found in place in the
 * bytes of a header. Values stay bytes: IMAP returns header data as it is stored (8-bit
 * octets and encoded words included), and only SEARCH decodes them.
 */

/** One header field. `value` is everything after the colon, folding included, without the final CRLF. */
export interface HeaderField {
  /** The name as written (case kept), without trailing whitespace. */
  readonly name: string;
  /** The name in lower case, for lookups. */
  readonly key: string;
  readonly value: Buffer;
  /** Offsets of the whole field in the header buffer: its first octet, and past its line end. */
  readonly start: number;
  readonly end: number;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;

/**
 * The fields of a header section (the bytes up to and including the blank line, or all of
 * them when there is none). A line that starts with SP or HTAB continues the field before
 * it (RFC 5322 §2.2.3); a line without a colon is not a field and is skipped, as Dovecot
 * does.
 */
export function parseHeader(header: Buffer): HeaderField[] {
  const fields: HeaderField[] = [];
  let pos = 0;
  const n = header.length;
  while (pos < n) {
    const first = header[pos]!;
    // The blank line ends the header.
    if (first === LF || (first === CR && header[pos + 1] === LF)) break;
    let end = lineEnd(header, pos);
    // Gather continuation lines.
    while (end < n && (header[end] === 0x20 || header[end] === 0x09)) end = lineEnd(header, end);
    const colon = header.indexOf(COLON, pos);
    if (colon >= 0 && colon < end) {
      let nameEnd = colon;
      while (nameEnd > pos && (header[nameEnd - 1] === 0x20 || header[nameEnd - 1] === 0x09)) nameEnd--;
      if (nameEnd > pos && first !== 0x20 && first !== 0x09) {
        const name = header.toString("latin1", pos, nameEnd);
        let valueEnd = end;
        if (valueEnd > colon + 1 && header[valueEnd - 1] === LF) valueEnd--;
        if (valueEnd > colon + 1 && header[valueEnd - 1] === CR) valueEnd--;
        fields.push({
          name,
          key: name.toLowerCase(),
          value: header.subarray(colon + 1, Math.max(colon + 1, valueEnd)),
          start: pos,
          end,
        });
      }
    }
    pos = end;
  }
  return fields;
}

/** Past the LF that ends the line at `pos` (or the end of the buffer). */
function lineEnd(buf: Buffer, pos: number): number {
  const lf = buf.indexOf(LF, pos);
  return lf < 0 ? buf.length : lf + 1;
}

/** The first field named `key` (lower case), if any. */
export function firstField(fields: readonly HeaderField[], key: string): HeaderField | undefined {
  for (const field of fields) if (field.key === key) return field;
  return undefined;
}

/**
 * A value unfolded (RFC 5322 §2.2.3: CRLFs removed, the whitespace after them kept) and
 * trimmed of leading and trailing whitespace, as IMAP ENVELOPE shows values.
 */
export function unfold(value: Buffer): Buffer {
  let start = 0;
  let end = value.length;
  while (start < end && isWhite(value[start]!)) start++;
  while (end > start && isWhite(value[end - 1]!)) end--;
  const slice = value.subarray(start, end);
  if (slice.indexOf(LF) < 0 && slice.indexOf(CR) < 0) return slice;
  const out = Buffer.allocUnsafe(slice.length);
  let n = 0;
  for (const c of slice) if (c !== CR && c !== LF) out[n++] = c;
  return out.subarray(0, n);
}

function isWhite(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === CR || c === LF;
}
