/**
 * The MIME structure of a message (RFC 2045, RFC 2046 §5), found in one streaming pass that
 * keeps only offsets and the header sections: every part's header and body as byte ranges
 * of the message and its body's line count, which is what IMAP BODYSTRUCTURE and
 * BODY[section] need (RFC 3501 §6.4.5, §7.4.2).
 *
 * Boundaries follow RFC 2046 §5.1.1 and Dovecot's reading of it, so both servers report the
 * same structure for the same (well- or ill-formed) message:
 *
 * - a boundary line is "--" + boundary at the start of a line, anything may follow it; of
 *   the boundaries of all enclosing multiparts the longest that matches wins;
 * - the CRLF before a boundary line belongs to the boundary, not to the part before it;
 * - an outer boundary ends every part nested inside it;
 * - a part whose header meets a boundary before its blank line has an empty body;
 * - Content-Type is honoured with or without MIME-Version; without one a part is
 *   text/plain, or message/rfc822 inside multipart/digest (RFC 2046 §5.1.5);
 * - a body's line count is the number of LFs in it.
 */
import { firstField, parseHeader, type HeaderField } from "./header.js";
import { parseMimeValue, type MimeValue } from "./rfc822.js";

/** One MIME part (the message itself is the root). */
export interface MimePart {
  /** Offset of the part's header in the message (for a multipart's child: after its boundary line). */
  readonly headerStart: number;
  /** Offset of the body (after the blank line ending the header). */
  readonly bodyStart: number;
  /** Offset past the body (before the CRLF of the boundary that ends it, or the message end). */
  readonly bodyEnd: number;
  /** LFs in the body. */
  readonly bodyLines: number;
  /** The header section as stored (capped; see IMAP_LIMITS.maxPartHeaderBytes). */
  readonly header: Buffer;
  readonly fields: readonly HeaderField[];
  /** The Content-Type, with the default of RFC 2045 §5.2 when absent. */
  readonly contentType: MimeValue;
  /**
   * Whether the part's Content-* fields count: always in a multipart, and in a message (or
   * an enclosed one) that has MIME-Version or Content-Type, as Dovecot reads RFC 2045 §4.
   */
  readonly mime: boolean;
  /** multipart/*, message/rfc822 (whose one child is the enclosed message), or anything else. */
  readonly kind: "multipart" | "message" | "leaf";
  readonly children: readonly MimePart[];
}

/** Caps of the scanner. */
export interface ScanLimits {
  readonly maxHeaderBytes: number;
  readonly maxDepth: number;
  readonly maxParts: number;
}

const DEFAULT_LIMITS: ScanLimits = { maxHeaderBytes: 256 * 1024, maxDepth: 100, maxParts: 10_000 };
/** Boundaries longer than this are not looked for (RFC 2046 §5.1.1 allows 70). */
const MAX_BOUNDARY = 200;
const TEXT_PLAIN: MimeValue = {
  type: "text",
  subtype: "plain",
  params: [{ name: "charset", value: "us-ascii" }],
};
const MESSAGE_RFC822: MimeValue = { type: "message", subtype: "rfc822", params: [] };

interface Open {
  readonly headerStart: number;
  readonly parent: Open | undefined;
  readonly depth: number;
  /** Under a multipart/digest: the default type is message/rfc822. */
  readonly digestChild: boolean;
  state: "header" | "body";
  header: Buffer[];
  headerBytes: number;
  bodyStart: number;
  lfBodyStart: number;
  fields: HeaderField[];
  contentType: MimeValue;
  mime: boolean;
  kind: MimePart["kind"];
  children: MimePart[];
  /** Set when the part is finished. */
  done: MimePart | undefined;
}

interface Boundary {
  readonly text: Buffer;
  readonly part: Open;
}

/** Scans a message in chunks; call end() for the root part. */
export class MimeScanner {
  readonly #limits: ScanLimits;
  /** Bytes and LFs consumed before the current line. */
  #offset = 0;
  #lfs = 0;
  /** The current line: its length so far and its first bytes (views into the chunks). */
  #lineLength = 0;
  #head: Buffer[] = [];
  #headLength = 0;
  /** The line's last two octets (for telling CRLF from LF when only its start is kept). */
  #last = -1;
  #beforeLast = -1;
  /** The line terminator length of the previous line (2 for CRLF, 1 for LF, 0 for none). */
  #prevNewline = 0;
  /** The previous line was a boundary line (whose own line end it consumed). */
  #prevBoundary = false;
  #top: Open;
  readonly #boundaries: Boundary[] = [];
  #maxBoundary = 0;
  #parts = 1;
  #root: Open;

  constructor(limits: Partial<ScanLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
    this.#root = this.#open(0, undefined);
    this.#top = this.#root;
  }

  #open(headerStart: number, parent: Open | undefined): Open {
    return {
      headerStart,
      parent,
      depth: parent === undefined ? 0 : parent.depth + 1,
      digestChild:
        parent !== undefined &&
        parent.kind === "multipart" &&
        parent.contentType.subtype.toLowerCase() === "digest",
      state: "header",
      header: [],
      headerBytes: 0,
      bodyStart: headerStart,
      lfBodyStart: 0,
      fields: [],
      contentType: TEXT_PLAIN,
      mime: parent !== undefined && parent.kind === "multipart",
      kind: "leaf",
      children: [],
      done: undefined,
    };
  }

  /** Feeds the next bytes of the message. */
  push(chunk: Buffer): void {
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      const lf = chunk.indexOf(0x0a, pos);
      const end = lf < 0 ? n : lf + 1;
      this.#takePiece(chunk, pos, end);
      pos = end;
      if (lf >= 0) this.#lineDone(true);
    }
  }

  /** The message is complete: returns its structure. */
  end(): MimePart {
    if (this.#lineLength > 0) this.#lineDone(false);
    while (this.#top !== this.#root) this.#finish(this.#top, this.#offset, this.#lfs);
    this.#finish(this.#root, this.#offset, this.#lfs);
    return this.#root.done!;
  }

  /** Keeps what the current line needs: the whole line in a header, its start in a body. */
  #takePiece(chunk: Buffer, start: number, end: number): void {
    const want =
      this.#top.state === "header"
        ? this.#limits.maxHeaderBytes - this.#top.headerBytes - this.#headLength
        : this.#boundaries.length === 0
          ? 0
          : this.#maxBoundary + 4 - this.#headLength;
    if (want > 0) {
      const piece = chunk.subarray(start, Math.min(end, start + want));
      this.#head.push(piece);
      this.#headLength += piece.length;
    }
    this.#lineLength += end - start;
    if (end - start >= 2) {
      this.#beforeLast = chunk[end - 2]!;
      this.#last = chunk[end - 1]!;
    } else {
      this.#beforeLast = this.#last;
      this.#last = chunk[start]!;
    }
  }

  #lineDone(withLf: boolean): void {
    const head = this.#head.length === 1 ? this.#head[0]! : Buffer.concat(this.#head, this.#headLength);
    const lineStart = this.#offset;
    const length = this.#lineLength;
    const newline = withLf ? (length >= 2 && this.#beforeLast === 0x0d ? 2 : 1) : 0;
    this.#head = [];
    this.#headLength = 0;
    this.#lineLength = 0;
    this.#last = -1;
    this.#beforeLast = -1;
    const match = this.#matchBoundary(head);
    const top = this.#top;
    if (match !== undefined) {
      // RFC 2046 §5.1.1: the CRLF before the boundary is part of it, unless the boundary is
      // the first line of what it ends (or follows another boundary line, whose line end
      // was that line's own).
      const segmentStart = top.state === "header" ? top.headerStart : top.bodyStart;
      const first = lineStart === segmentStart || this.#prevBoundary;
      const end = first ? lineStart : lineStart - this.#prevNewline;
      const endLfs = first || this.#prevNewline === 0 ? this.#lfs : this.#lfs - 1;
      this.#advance(length, withLf, newline);
      this.#prevBoundary = true;
      this.#atBoundary(match.boundary, match.closing, end, endLfs);
      return;
    }
    if (top.state === "header") {
      const empty = length === newline && withLf;
      if (empty) {
        this.#keepHeaderLine(top, head);
        this.#advance(length, withLf, newline);
        this.#beginBody(top, this.#offset, this.#lfs);
        return;
      }
      this.#keepHeaderLine(top, head);
    }
    this.#advance(length, withLf, newline);
  }

  #advance(length: number, withLf: boolean, newline: number): void {
    this.#prevBoundary = false;
    this.#offset += length;
    if (withLf) this.#lfs++;
    this.#prevNewline = newline;
  }

  #keepHeaderLine(part: Open, line: Buffer): void {
    if (line.length === 0 || part.headerBytes >= this.#limits.maxHeaderBytes) return;
    // Copy: the line is a view into a chunk the stream may reuse.
    part.header.push(Buffer.from(line));
    part.headerBytes += line.length;
  }

  /** The boundary a line starts, if any (the longest of those that match). */
  #matchBoundary(head: Buffer): { boundary: number; closing: boolean } | undefined {
    if (this.#boundaries.length === 0 || head.length < 2 || head[0] !== 0x2d || head[1] !== 0x2d)
      return undefined;
    let best = -1;
    let bestLength = -1;
    for (let i = this.#boundaries.length - 1; i >= 0; i--) {
      const text = this.#boundaries[i]!.text;
      if (
        text.length > bestLength &&
        head.length >= 2 + text.length &&
        head.compare(text, 0, text.length, 2, 2 + text.length) === 0
      ) {
        best = i;
        bestLength = text.length;
      }
    }
    if (best < 0) return undefined;
    const after = 2 + bestLength;
    return { boundary: best, closing: head[after] === 0x2d && head[after + 1] === 0x2d };
  }

  /** The header of `part` is complete at `offset`: decide what its body is. */
  #beginBody(part: Open, offset: number, lfs: number, finishing = false): void {
    part.state = "body";
    part.bodyStart = offset;
    part.lfBodyStart = lfs;
    const header = part.header.length === 1 ? part.header[0]! : Buffer.concat(part.header);
    part.header = [header];
    part.fields = parseHeader(header);
    const field = firstField(part.fields, "content-type");
    part.mime ||= field !== undefined || firstField(part.fields, "mime-version") !== undefined;
    const parsed = field === undefined ? undefined : parseMimeValue(field.value, true);
    part.contentType = parsed ?? (part.digestChild ? MESSAGE_RFC822 : TEXT_PLAIN);
    const type = part.contentType.type.toLowerCase();
    const nestable = !finishing && part.depth < this.#limits.maxDepth && this.#parts < this.#limits.maxParts;
    if (type === "multipart") {
      part.kind = "multipart";
      const boundary = part.contentType.params.find((p) => p.name.toLowerCase() === "boundary")?.value;
      if (nestable && boundary !== undefined && boundary !== "" && boundary.length <= MAX_BOUNDARY) {
        const text = Buffer.from(boundary, "latin1");
        this.#boundaries.push({ text, part });
        this.#maxBoundary = Math.max(this.#maxBoundary, text.length);
      }
    } else if (type === "message" && part.contentType.subtype.toLowerCase() === "rfc822") {
      part.kind = "message";
      if (!nestable) return;
      const child = this.#open(offset, part);
      this.#parts++;
      this.#top = child;
    }
  }

  /** A boundary line of `this.#boundaries[index]`; the previous part ends at `end`. */
  #atBoundary(index: number, closing: boolean, end: number, endLfs: number): void {
    const { part: multipart } = this.#boundaries[index]!;
    // Everything opened inside the multipart ends here, and so do their boundaries.
    while (this.#top !== multipart) this.#finish(this.#top, end, endLfs);
    this.#boundaries.length = closing ? index : index + 1;
    this.#maxBoundary = this.#boundaries.reduce((m, b) => Math.max(m, b.text.length), 0);
    if (closing) return; // the epilogue follows, as body of the multipart
    if (this.#parts >= this.#limits.maxParts) return;
    const child = this.#open(this.#offset, multipart);
    this.#parts++;
    this.#top = child;
  }

  /** Ends a part at `end` and returns to its parent. */
  #finish(part: Open, end: number, endLfs: number): void {
    if (part.state === "header") {
      this.#beginBody(part, end, endLfs, true);
    }
    const done: MimePart = {
      headerStart: part.headerStart,
      bodyStart: part.bodyStart,
      bodyEnd: Math.max(end, part.bodyStart),
      bodyLines: Math.max(0, endLfs - part.lfBodyStart),
      header: part.header[0] ?? Buffer.alloc(0),
      fields: part.fields,
      contentType: part.contentType,
      mime: part.mime,
      kind: part.kind,
      children: part.children,
    };
    part.done = done;
    if (part.parent !== undefined) {
      part.parent.children.push(done);
      this.#top = part.parent;
    }
  }
}

/** Scans a whole message given as chunks (a file stream). */
export async function scanMessage(
  source: AsyncIterable<Buffer | string>,
  limits: Partial<ScanLimits> = {},
): Promise<MimePart> {
  const scanner = new MimeScanner(limits);
  for await (const chunk of source)
    scanner.push(typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk);
  return scanner.end();
}

/** Scans a message held in memory. */
export function scanBuffer(message: Buffer, limits: Partial<ScanLimits> = {}): MimePart {
  const scanner = new MimeScanner(limits);
  scanner.push(message);
  return scanner.end();
}
