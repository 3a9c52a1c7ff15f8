/**
 * FETCH (RFC 3501 §6.4.5, §7.4.2): the grammar of fetch attributes, and their answers for
 * one message at a time. Message text is never loaded whole: BODY[] and the byte range of a
 * part are streamed from the file as a literal; what needs the MIME structure gets it from
 * one streaming scan, cached per mailbox.
 */
import type { Readable } from "node:stream";
import type { Mailbox } from "../mail/store/mailbox.js";
import type { MessageInfo } from "../mail/store/folder-state.js";
import { MailStoreError } from "../mail/store/errors.js";
import { IMAP_LIMITS } from "./limits.js";
import { bodyStructure, envelope } from "./mime/bodystructure.js";
import { parseHeader, type HeaderField } from "./mime/header.js";
import { scanMessage, type MimePart } from "./mime/structure.js";
import { Cursor, ImapSyntaxError, isAtomChar } from "./parser.js";
import { encodeWire, flagList, formatDateTime, imapString } from "./response.js";

/** A BODY[section] specifier (RFC 3501 §6.4.5). */
export interface Section {
  /** Part numbers ("1.2" → [1, 2]); empty for the whole message. */
  readonly part: readonly number[];
  readonly text: "" | "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";
  /** The field names of HEADER.FIELDS (.NOT), as the client sent them. */
  readonly fields: readonly string[];
}

/** One fetch attribute. */
export type FetchItem =
  | {
      readonly kind: "UID" | "FLAGS" | "INTERNALDATE" | "RFC822.SIZE" | "ENVELOPE" | "BODYSTRUCTURE" | "BODY";
    }
  | {
      readonly kind: "section";
      /** BODY.PEEK, RFC822.HEADER: \Seen is left alone. */
      readonly peek: boolean;
      readonly section: Section;
      readonly partial: { readonly start: number; readonly length: number } | undefined;
      /** The name the response uses: "BODY[...]<n>", "RFC822", "RFC822.HEADER", "RFC822.TEXT". */
      readonly label: string;
    };

const SIMPLE = new Set(["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE"]);
const MACROS: Record<string, readonly string[]> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

/**
 * fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
 *         "(" fetch-att *(SP fetch-att) ")")
 */
export function parseFetchItems(c: Cursor): FetchItem[] {
  const items: FetchItem[] = [];
  if (c.peek() === 0x28) {
    c.list(() => items.push(parseFetchAtt(c)), false);
    return items;
  }
  const save = c.take(isNameChar).toUpperCase();
  const macro = MACROS[save];
  if (macro !== undefined && c.peek() !== 0x5b) return macro.map((kind) => ({ kind }) as FetchItem);
  return [parseFetchAtt(c, save)];
}

function isNameChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e;
}

function parseFetchAtt(c: Cursor, already?: string): FetchItem {
  const name = already ?? c.take(isNameChar).toUpperCase();
  if (name === "") throw new ImapSyntaxError("Expected a fetch attribute");
  if (SIMPLE.has(name)) return { kind: name as "UID" };
  switch (name) {
    case "RFC822":
      return { kind: "section", peek: false, section: WHOLE, partial: undefined, label: "RFC822" };
    case "RFC822.HEADER":
      return { kind: "section", peek: true, section: HEADER, partial: undefined, label: "RFC822.HEADER" };
    case "RFC822.TEXT":
      return { kind: "section", peek: false, section: TEXT, partial: undefined, label: "RFC822.TEXT" };
    case "BODY":
    case "BODY.PEEK": {
      if (c.peek() !== 0x5b) {
        if (name === "BODY.PEEK") throw new ImapSyntaxError("BODY.PEEK needs a section");
        return { kind: "BODY" };
      }
      const { section, text } = parseSection(c);
      let partial: { start: number; length: number } | undefined;
      if (c.accept(0x3c)) {
        const start = c.number("a partial start");
        c.expect(0x2e, '"."');
        const length = c.nzNumber("a partial length");
        c.expect(0x3e, '">"');
        partial = { start, length };
      }
      const label = `BODY[${text}]${partial ? `<${partial.start}>` : ""}`;
      return { kind: "section", peek: name === "BODY.PEEK", section, partial, label };
    }
    default:
      throw new ImapSyntaxError(`unknown fetch attribute ${name}`);
  }
}

const WHOLE: Section = { part: [], text: "", fields: [] };
const HEADER: Section = { part: [], text: "HEADER", fields: [] };
const TEXT: Section = { part: [], text: "TEXT", fields: [] };

/**
 * section = "[" [section-spec] "]"; section-spec = section-msgtext / (section-part ["."
 * section-text]); returns the section and its text as the response echoes it.
 */
function parseSection(c: Cursor): { section: Section; text: string } {
  c.expect(0x5b, '"["');
  const part: number[] = [];
  let kind: Section["text"] = "";
  let fields: string[] = [];
  let spec = "";
  while (c.peek() >= 0x30 && c.peek() <= 0x39) {
    part.push(c.nzNumber("a part number"));
    if (!c.accept(0x2e)) break;
    if (!(c.peek() >= 0x30 && c.peek() <= 0x39)) {
      spec = ".";
      break;
    }
  }
  const afterDot = spec === ".";
  if (c.peek() !== 0x5d) {
    if (part.length > 0 && !afterDot) throw new ImapSyntaxError("Expected ] or . after a part number");
    const word = c.take(isNameChar).toUpperCase();
    if (word === "HEADER" || word === "TEXT") kind = word;
    else if (word === "MIME" && part.length > 0) kind = "MIME";
    else if (word === "HEADER.FIELDS" || word === "HEADER.FIELDS.NOT") {
      kind = word;
      c.sp();
      fields = [];
      c.list(() => {
        const field = c.astring("a header field name").toString("latin1");
        if (field === "" || !isFieldName(field)) throw new ImapSyntaxError("Invalid header field name");
        fields.push(field);
      }, false);
    } else {
      throw new ImapSyntaxError(`unknown section ${word || "text"}`);
    }
  } else if (afterDot) {
    throw new ImapSyntaxError("Expected a section text after the dot");
  }
  c.expect(0x5d, '"]"');
  const fieldText =
    kind === "HEADER.FIELDS" || kind === "HEADER.FIELDS.NOT" ? ` (${fields.map(astringText).join(" ")})` : "";
  const text = `${part.join(".")}${part.length > 0 && kind !== "" ? "." : ""}${kind}${fieldText}`;
  return { section: { part, text: kind, fields }, text };
}

/** RFC 5322 §3.6.8 ftext: printable US-ASCII except ":". */
function isFieldName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x3a) return false;
  }
  return true;
}

/** A header field name as an astring in a response: an atom when it can be. */
function astringText(name: string): string {
  for (let i = 0; i < name.length; i++) if (!isAtomChar(name.charCodeAt(i))) return imapString(name);
  return name;
}

/** Where FETCH writes: lines are queued, literals streamed with backpressure. */
export interface ResponseSink {
  /** Queues bytes to send; `literal` marks a literal's contents (traced as a size only). */
  write(data: string | Buffer, literal?: boolean): void;
  /** Sends what is queued, then the stream's bytes; resolves with how many it sent. */
  pipe(source: Readable): Promise<number>;
  /**
   * Called between the messages of a long answer: sends what is queued once there is a lot
   * of it, and waits while the client is not reading (backpressure).
   */
  flush(): Promise<void>;
}

/** Parsed headers and MIME structures of one mailbox's messages, least recently used dropped. */
export class MessageCache {
  readonly #mailbox: Mailbox;
  readonly #max: number;
  readonly #headers = new Map<number, { raw: Buffer; fields: HeaderField[] }>();
  readonly #structures = new Map<number, MimePart>();

  constructor(mailbox: Mailbox, max: number = IMAP_LIMITS.structureCacheEntries) {
    this.#mailbox = mailbox;
    this.#max = max;
  }

  /** The header section of a message and its fields. */
  async header(uid: number): Promise<{ raw: Buffer; fields: HeaderField[] }> {
    const structure = this.#structures.get(uid);
    if (structure !== undefined) return { raw: structure.header, fields: structure.fields as HeaderField[] };
    let entry = touch(this.#headers, uid);
    if (entry === undefined) {
      const raw = await this.#mailbox.readHeader(uid);
      entry = { raw, fields: parseHeader(raw) };
      remember(this.#headers, uid, entry, this.#max);
    }
    return entry;
  }

  /** The MIME structure of a message (one streaming read of it). */
  async structure(uid: number): Promise<MimePart> {
    let part = touch(this.#structures, uid);
    if (part === undefined) {
      const stream = await this.#mailbox.openMessage(uid);
      part = await scanMessage(stream as AsyncIterable<Buffer>, {
        maxHeaderBytes: IMAP_LIMITS.maxPartHeaderBytes,
        maxDepth: IMAP_LIMITS.maxMimeDepth,
        maxParts: IMAP_LIMITS.maxMimeParts,
      });
      remember(this.#structures, uid, part, this.#max);
    }
    return part;
  }

  /** Forgets an expunged message. */
  forget(uid: number): void {
    this.#headers.delete(uid);
    this.#structures.delete(uid);
  }
}

function touch<V>(map: Map<number, V>, key: number): V | undefined {
  const value = map.get(key);
  if (value !== undefined) {
    map.delete(key);
    map.set(key, value);
  }
  return value;
}

function remember<V>(map: Map<number, V>, key: number, value: V, max: number): void {
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

/** What a FETCH needs to know about the session. */
export interface FetchContext {
  readonly mailbox: Mailbox;
  readonly cache: MessageCache;
  readonly out: ResponseSink;
}

/** True if any item sets \Seen (RFC 3501 §6.4.5: BODY[...] and RFC822, RFC822.TEXT). */
export function setsSeen(items: readonly FetchItem[]): boolean {
  return items.some((i) => i.kind === "section" && !i.peek);
}

/** Literals up to this size are read whole before writing; larger ones are streamed. */
const READ_WHOLE = 128 * 1024;

async function readAll(stream: Readable, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  if (data.length !== size) throw new Error(`Cannot read the message: got ${data.length} of ${size} octets`);
  return data;
}

/** One message's FETCH response, read and ready to write (streams opened, not yet read). */
export interface PreparedFetch {
  readonly seq: number;
  readonly uid: number;
  readonly parts: readonly (string | Buffer | { readonly stream: Readable; readonly size: number })[];
  /** The Buffers of `parts` that are literal contents (traced as sizes). */
  readonly literals: ReadonlySet<Buffer>;
  readonly opened: readonly Readable[];
}

/** Gives up a prepared response that will not be written (closes its files). */
export function discardFetch(prepared: PreparedFetch): void {
  for (const stream of prepared.opened) stream.destroy();
}

/**
 * Reads what `* seq FETCH (...)` needs for one message; everything that can fail (a file
 * gone: MailStoreError "expunged") fails here, before anything is written. Several of these
 * may run at once, so a long FETCH waits for the disk once, not once per message.
 */
export async function prepareFetch(
  ctx: FetchContext,
  seq: number,
  info: MessageInfo,
  items: readonly FetchItem[],
  extra: { readonly recent: boolean; readonly addFlags: boolean },
): Promise<PreparedFetch> {
  const parts: (string | Buffer | { stream: Readable; size: number })[] = [];
  const literals = new Set<Buffer>();
  const opened: Readable[] = [];
  let first = true;
  const add = (text: string): void => {
    parts.push(first ? text : ` ${text}`);
    first = false;
  };
  const flags = extra.recent ? [...info.flags, "\\Recent"] : info.flags;
  let flagsDone = false;
  try {
    for (const item of items) {
      switch (item.kind) {
        case "UID":
          add(`UID ${info.uid}`);
          break;
        case "FLAGS":
          if (!flagsDone) add(`FLAGS ${flagList(flags)}`);
          flagsDone = true;
          break;
        case "RFC822.SIZE":
          add(`RFC822.SIZE ${info.size}`);
          break;
        case "INTERNALDATE":
          add(`INTERNALDATE ${formatDateTime(await ctx.mailbox.internalDate(info.uid))}`);
          break;
        case "ENVELOPE": {
          const { fields } = await ctx.cache.header(info.uid);
          add("ENVELOPE ");
          parts.push(encodeWire(envelope(fields)));
          break;
        }
        case "BODYSTRUCTURE":
        case "BODY": {
          const structure = await ctx.cache.structure(info.uid);
          add(`${item.kind} `);
          parts.push(encodeWire(bodyStructure(structure, item.kind === "BODYSTRUCTURE")));
          break;
        }
        case "section": {
          add(`${item.label} `);
          const content = await sectionContent(ctx, info, item.section);
          if (content === null) {
            parts.push("NIL");
            break;
          }
          let { start, end } = content.kind === "range" ? content : { start: 0, end: content.data.length };
          if (item.partial !== undefined) {
            start = Math.min(end, start + item.partial.start);
            end = Math.min(end, start + item.partial.length);
          }
          const size = end - start;
          parts.push(`{${size}}\r\n`);
          if (size === 0) break;
          if (content.kind === "bytes") {
            const data = content.data.subarray(start, end);
            literals.add(data);
            parts.push(data);
          } else {
            const stream = await ctx.mailbox.openMessage(info.uid, { start, end });
            opened.push(stream);
            if (size <= READ_WHOLE) {
              // Small: read now (while other messages are read too), write from memory.
              const data = await readAll(stream, size);
              literals.add(data);
              parts.push(data);
            } else {
              parts.push({ stream, size });
            }
          }
          break;
        }
      }
    }
  } catch (error) {
    for (const stream of opened) stream.destroy();
    throw error;
  }
  if (extra.addFlags && !flagsDone) add(`FLAGS ${flagList(flags)}`);
  return { seq, uid: info.uid, parts, literals, opened };
}

/** Writes a prepared response, streaming its literals. */
export async function writeFetch(out: ResponseSink, prepared: PreparedFetch): Promise<void> {
  out.write(`* ${prepared.seq} FETCH (`);
  try {
    for (const part of prepared.parts) {
      if (typeof part === "string") {
        out.write(part);
        continue;
      }
      if (Buffer.isBuffer(part)) {
        out.write(part, prepared.literals.has(part));
        continue;
      }
      const sent = await out.pipe(part.stream);
      if (sent !== part.size) {
        // The literal's length is promised; the connection cannot go on without it.
        throw new Error(`Cannot complete FETCH of UID ${prepared.uid}: sent ${sent} of ${part.size} octets`);
      }
    }
  } finally {
    discardFetch(prepared);
  }
  out.write(")\r\n");
}

type Content = { kind: "bytes"; data: Buffer } | { kind: "range"; start: number; end: number };

/** The bytes of a section: in memory (headers) or a range of the message file. */
async function sectionContent(
  ctx: FetchContext,
  info: MessageInfo,
  section: Section,
): Promise<Content | null> {
  const { part, text } = section;
  if (part.length === 0) {
    if (text === "") return { kind: "range", start: 0, end: info.size };
    const { raw, fields } = await ctx.cache.header(info.uid);
    if (text === "HEADER") return { kind: "bytes", data: withBlankLine(raw) };
    if (text === "TEXT") return { kind: "range", start: raw.length, end: info.size };
    return { kind: "bytes", data: selectFields(raw, fields, section) };
  }
  const root = await ctx.cache.structure(info.uid);
  const node = findPart(root, part);
  if (node === undefined) return null;
  switch (text) {
    case "":
      return { kind: "range", start: node.bodyStart, end: node.bodyEnd };
    case "MIME":
      return { kind: "range", start: node.headerStart, end: node.bodyStart };
    default: {
      // HEADER, TEXT, HEADER.FIELDS of a part: of the message that part encapsulates.
      const inner = node.kind === "message" ? node.children[0] : undefined;
      if (inner === undefined) return null;
      if (text === "HEADER") return { kind: "range", start: inner.headerStart, end: inner.bodyStart };
      if (text === "TEXT") return { kind: "range", start: inner.bodyStart, end: inner.bodyEnd };
      return { kind: "bytes", data: selectFields(inner.header, inner.fields, section) };
    }
  }
}

/**
 * The part a section's numbers name (RFC 3501 §6.4.5): a multipart's children are numbered
 * from 1; a non-multipart part has only part 1, itself; below a message/rfc822 part the
 * numbers are those of the message it encapsulates.
 */
export function findPart(root: MimePart, path: readonly number[]): MimePart | undefined {
  let node: MimePart | undefined = root;
  path.forEach((n, i) => {
    if (node === undefined) return;
    if (i > 0 && node.kind === "message") {
      const inner: MimePart | undefined = node.children[0];
      if (inner === undefined) node = undefined;
      else if (inner.kind === "multipart") node = inner.children[n - 1];
      else node = n === 1 ? inner : undefined;
    } else if (node.kind === "multipart") {
      node = node.children[n - 1];
    } else if (n !== 1) {
      node = undefined;
    }
  });
  return node;
}

/** A header section ends with its blank line; one cut short by the end of the message gets one. */
function withBlankLine(raw: Buffer): Buffer {
  if (raw.length >= 2 && raw[raw.length - 2] === 0x0d && raw[raw.length - 1] === 0x0a) {
    if (raw.length === 2 || (raw[raw.length - 4] === 0x0d && raw[raw.length - 3] === 0x0a)) return raw;
    return Buffer.concat([raw, CRLF]);
  }
  return Buffer.concat([raw, raw.length === 0 ? Buffer.alloc(0) : CRLF, CRLF]);
}
const CRLF = Buffer.from("\r\n");

/** HEADER.FIELDS (.NOT): the matching fields as stored, in order, then a blank line. */
function selectFields(raw: Buffer, fields: readonly HeaderField[], section: Section): Buffer {
  const wanted = new Set(section.fields.map((f) => f.toLowerCase()));
  const not = section.text === "HEADER.FIELDS.NOT";
  const out: Buffer[] = [];
  for (const field of fields) {
    if (wanted.has(field.key) === not) continue;
    const bytes = raw.subarray(field.start, field.end);
    out.push(bytes);
    if (bytes[bytes.length - 1] !== 0x0a) out.push(CRLF);
  }
  out.push(CRLF);
  return Buffer.concat(out);
}

/** True for the failure a vanished message file causes. */
export function isExpunged(error: unknown): boolean {
  return error instanceof MailStoreError && (error.reason === "expunged" || error.reason === "nonexistent");
}
