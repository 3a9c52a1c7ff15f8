/**
 * SEARCH (RFC 3501 §6.4.4): the grammar of search keys, and their evaluation against a
 * mailbox view. Each key reads only what it needs: flags, sizes and sequence numbers are in
 * memory, dates cost a stat(), header keys the header section, BODY and TEXT the decoded
 * text parts. Keys are tried cheapest first, so `UNSEEN BODY x` reads bodies only of unseen
 * messages.
 *
 * String matching is case-insensitive substring matching on decoded text: RFC 2047 encoded
 * words in headers and the transfer encoding and charset of body parts are undone, so a
 * client searching for "Jörg" finds `=?utf-8?q?J=C3=B6rg?=`.
 */
import libmime from "libmime";
import { decode as decodeCharset } from "libmime/lib/charset.js";
import type { MessageInfo } from "../mail/store/folder-state.js";
import type { Mailbox } from "../mail/store/mailbox.js";
import type { MessageCache } from "./fetch.js";
import { firstField, unfold, type HeaderField } from "./mime/header.js";
import { transferEncoding } from "./mime/bodystructure.js";
import type { MimePart } from "./mime/structure.js";
import { Cursor, ImapSyntaxError, type SequenceSet } from "./parser.js";
import { setTester } from "./sequence.js";

/** A day (from a SEARCH date). */
export interface Day {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** A search key, as a tree. */
export type SearchKey =
  | { readonly op: "all" }
  | { readonly op: "and"; readonly keys: readonly SearchKey[] }
  | { readonly op: "or"; readonly a: SearchKey; readonly b: SearchKey }
  | { readonly op: "not"; readonly key: SearchKey }
  /** A flag or keyword set (`present`) or not. */
  | { readonly op: "flag"; readonly flag: string; readonly present: boolean }
  | { readonly op: "recent"; readonly present: boolean }
  | { readonly op: "seq"; readonly set: SequenceSet }
  | { readonly op: "uid"; readonly set: SequenceSet }
  | { readonly op: "larger" | "smaller"; readonly size: number }
  | {
      readonly op: "date";
      readonly which: "internal" | "sent";
      readonly cmp: "before" | "on" | "since";
      readonly day: Day;
    }
  /** A header field (lower case) containing `value`; FROM, TO, CC, BCC, SUBJECT are these. */
  | { readonly op: "header"; readonly field: string; readonly value: string }
  | { readonly op: "body" | "text"; readonly value: string };

/** A parsed SEARCH: the charset named, and the keys ANDed together. */
export interface SearchProgram {
  /** The CHARSET argument in upper case, or undefined. */
  readonly charset: string | undefined;
  readonly key: SearchKey;
}

/** The charsets SEARCH takes (RFC 3501 §6.4.4: US-ASCII MUST, UTF-8 SHOULD). */
export const SEARCH_CHARSETS = ["UTF-8", "US-ASCII"] as const;

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ["\\Answered", true],
  DELETED: ["\\Deleted", true],
  DRAFT: ["\\Draft", true],
  FLAGGED: ["\\Flagged", true],
  SEEN: ["\\Seen", true],
  UNANSWERED: ["\\Answered", false],
  UNDELETED: ["\\Deleted", false],
  UNDRAFT: ["\\Draft", false],
  UNFLAGGED: ["\\Flagged", false],
  UNSEEN: ["\\Seen", false],
};
const HEADER_KEYS: Record<string, string> = {
  FROM: "from",
  TO: "to",
  CC: "cc",
  BCC: "bcc",
  SUBJECT: "subject",
};
const DATE_KEYS: Record<string, ["internal" | "sent", "before" | "on" | "since"]> = {
  BEFORE: ["internal", "before"],
  ON: ["internal", "on"],
  SINCE: ["internal", "since"],
  SENTBEFORE: ["sent", "before"],
  SENTON: ["sent", "on"],
  SENTSINCE: ["sent", "since"],
};

/** search = "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key), after "SEARCH SP". */
export function parseSearch(c: Cursor): SearchProgram {
  let charset: string | undefined;
  const keys: SearchKey[] = [];
  const first = parseKey(c, 0);
  if (first === "CHARSET") {
    c.sp();
    charset = c.astring("a charset").toString("latin1").toUpperCase();
  } else {
    keys.push(first);
  }
  while (c.accept(0x20)) {
    const key = parseKey(c, 0);
    if (key === "CHARSET") throw new ImapSyntaxError("CHARSET must come first");
    keys.push(key);
  }
  if (keys.length === 0) throw new ImapSyntaxError("Expected a search key");
  return { charset, key: keys.length === 1 ? keys[0]! : { op: "and", keys } };
}

/** Nesting of NOT/OR/parentheses allowed: enough for any real client, bounded for the stack. */
const MAX_DEPTH = 100;

function parseKey(c: Cursor, depth: number): SearchKey | "CHARSET" {
  if (depth > MAX_DEPTH) throw new ImapSyntaxError("search keys are nested too deeply");
  const next = c.peek();
  if (next === 0x28) {
    const keys: SearchKey[] = [];
    c.list(() => keys.push(subKey(c, depth + 1)), false);
    return keys.length === 1 ? keys[0]! : { op: "and", keys };
  }
  if ((next >= 0x31 && next <= 0x39) || next === 0x2a) return { op: "seq", set: c.sequenceSet() };
  const word = c.atom("a search key").toUpperCase();
  const flag = FLAG_KEYS[word];
  if (flag !== undefined) return { op: "flag", flag: flag[0], present: flag[1] };
  const header = HEADER_KEYS[word];
  if (header !== undefined) {
    c.sp();
    return { op: "header", field: header, value: text(c) };
  }
  const date = DATE_KEYS[word];
  if (date !== undefined) {
    c.sp();
    return { op: "date", which: date[0], cmp: date[1], day: c.date() };
  }
  switch (word) {
    case "ALL":
      return { op: "all" };
    case "NEW":
      return {
        op: "and",
        keys: [
          { op: "recent", present: true },
          { op: "flag", flag: "\\Seen", present: false },
        ],
      };
    case "OLD":
      return { op: "recent", present: false };
    case "RECENT":
      return { op: "recent", present: true };
    case "KEYWORD":
    case "UNKEYWORD":
      c.sp();
      return { op: "flag", flag: c.atom("a keyword"), present: word === "KEYWORD" };
    case "BODY":
    case "TEXT":
      c.sp();
      return { op: word === "BODY" ? "body" : "text", value: text(c) };
    case "HEADER": {
      c.sp();
      const field = c.astring("a header field name").toString("latin1").toLowerCase();
      c.sp();
      return { op: "header", field, value: text(c) };
    }
    case "LARGER":
    case "SMALLER":
      c.sp();
      return { op: word === "LARGER" ? "larger" : "smaller", size: c.number("a size") };
    case "NOT":
      c.sp();
      return { op: "not", key: subKey(c, depth + 1) };
    case "OR": {
      c.sp();
      const a = subKey(c, depth + 1);
      c.sp();
      return { op: "or", a, b: subKey(c, depth + 1) };
    }
    case "UID":
      c.sp();
      return { op: "uid", set: c.sequenceSet() };
    case "CHARSET":
      return "CHARSET";
    default:
      throw new ImapSyntaxError(`unknown search key ${word}`);
  }
}

function subKey(c: Cursor, depth: number): SearchKey {
  const key = parseKey(c, depth);
  if (key === "CHARSET") throw new ImapSyntaxError("CHARSET must come first");
  return key;
}

/** A search string, as UTF-8 text (US-ASCII is a subset). */
function text(c: Cursor): string {
  return c.astring("a search string").toString("utf8");
}

/** What evaluation needs from the session. */
export interface SearchContext {
  readonly mailbox: Mailbox;
  readonly cache: MessageCache;
}

/** The cost class of a key: evaluation tries cheap ones first. */
function cost(key: SearchKey): number {
  switch (key.op) {
    case "all":
    case "flag":
    case "recent":
    case "seq":
    case "uid":
    case "larger":
    case "smaller":
      return 0;
    case "date":
      return key.which === "internal" ? 1 : 2;
    case "header":
      return 2;
    case "body":
    case "text":
      return 3;
    case "and":
      return Math.max(0, ...key.keys.map(cost));
    case "or":
      return Math.max(cost(key.a), cost(key.b));
    case "not":
      return cost(key.key);
  }
}

/** Orders AND-ed keys cheapest first, all the way down. */
function plan(key: SearchKey): SearchKey {
  switch (key.op) {
    case "and":
      return { op: "and", keys: key.keys.map(plan).sort((a, b) => cost(a) - cost(b)) };
    case "or":
      return cost(key.b) < cost(key.a)
        ? { op: "or", a: plan(key.b), b: plan(key.a) }
        : { op: "or", a: plan(key.a), b: plan(key.b) };
    case "not":
      return { op: "not", key: plan(key.key) };
    default:
      return key;
  }
}

/** Runs a search over the view's messages; returns the matching ones' indexes (0-based). */
export async function runSearch(ctx: SearchContext, key: SearchKey): Promise<number[]> {
  const messages = ctx.mailbox.messages;
  const count = messages.length;
  const maxUid = count === 0 ? 0 : messages[count - 1]!.uid;
  const planned = plan(key);
  const testers = new Map<SequenceSet, (n: number) => boolean>();
  const tester = (set: SequenceSet, star: number): ((n: number) => boolean) => {
    let t = testers.get(set);
    if (t === undefined) {
      t = setTester(set, star);
      testers.set(set, t);
    }
    return t;
  };
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const info = messages[i]!;
    const message = new Candidate(
      ctx,
      info,
      i + 1,
      (set) => tester(set, count),
      (set) => tester(set, maxUid),
    );
    if (await message.matches(planned)) out.push(i);
  }
  return out;
}

/** One message being tested, with what has been read of it so far. */
class Candidate {
  readonly #ctx: SearchContext;
  readonly #info: MessageInfo;
  readonly #seq: number;
  readonly #seqTest: (set: SequenceSet) => (n: number) => boolean;
  readonly #uidTest: (set: SequenceSet) => (n: number) => boolean;
  #internal: Date | undefined;
  #headers: readonly HeaderField[] | undefined;
  #decoded = new Map<string, string[]>();
  #bodyText: string | undefined;

  constructor(
    ctx: SearchContext,
    info: MessageInfo,
    seq: number,
    seqTest: (set: SequenceSet) => (n: number) => boolean,
    uidTest: (set: SequenceSet) => (n: number) => boolean,
  ) {
    this.#ctx = ctx;
    this.#info = info;
    this.#seq = seq;
    this.#seqTest = seqTest;
    this.#uidTest = uidTest;
  }

  async matches(key: SearchKey): Promise<boolean> {
    switch (key.op) {
      case "all":
        return true;
      case "and":
        for (const k of key.keys) if (!(await this.matches(k))) return false;
        return true;
      case "or":
        return (await this.matches(key.a)) || (await this.matches(key.b));
      case "not":
        return !(await this.matches(key.key));
      case "flag": {
        const lower = key.flag.toLowerCase();
        return this.#info.flags.some((f) => f.toLowerCase() === lower) === key.present;
      }
      case "recent":
        return this.#ctx.mailbox.isRecent(this.#info.uid) === key.present;
      case "seq":
        return this.#seqTest(key.set)(this.#seq);
      case "uid":
        return this.#uidTest(key.set)(this.#info.uid);
      case "larger":
        return this.#info.size > key.size;
      case "smaller":
        return this.#info.size < key.size;
      case "date":
        return compareDay(await this.#day(key.which), key.cmp, key.day);
      case "header":
        return this.#header(key.field, key.value);
      case "body":
        return contains(await this.#body(), key.value);
      case "text":
        return (
          (await this.#headerText()).some((h) => contains(h, key.value)) ||
          contains(await this.#body(), key.value)
        );
    }
  }

  /** The day of the internal date (in the server's time zone, as INTERNALDATE shows it) or of Date:. */
  async #day(which: "internal" | "sent"): Promise<Day | undefined> {
    if (which === "internal") {
      this.#internal ??= await this.#ctx.mailbox.internalDate(this.#info.uid);
      const d = this.#internal;
      return { year: d.getFullYear(), month: d.getMonth(), day: d.getDate() };
    }
    const field = firstField(await this.#fields(), "date");
    return field === undefined ? undefined : parseSentDay(unfold(field.value).toString("latin1"));
  }

  async #fields(): Promise<readonly HeaderField[]> {
    this.#headers ??= (await this.#ctx.cache.header(this.#info.uid)).fields;
    return this.#headers;
  }

  /** The decoded values of every field named `key`. */
  async #values(key: string): Promise<string[]> {
    let values = this.#decoded.get(key);
    if (values === undefined) {
      values = (await this.#fields()).filter((f) => f.key === key).map((f) => decodeHeaderValue(f.value));
      this.#decoded.set(key, values);
    }
    return values;
  }

  /** RFC 3501 §6.4.4 HEADER: the field exists and contains the string (an empty one: exists). */
  async #header(field: string, value: string): Promise<boolean> {
    const values = await this.#values(field);
    if (values.length === 0) return false;
    return value === "" || values.some((v) => contains(v, value));
  }

  async #headerText(): Promise<string[]> {
    const fields = await this.#fields();
    return fields.map((f) => `${f.name}: ${decodeHeaderValue(f.value)}`);
  }

  /** The text of every text part (and the headers of enclosed messages), decoded. */
  async #body(): Promise<string> {
    if (this.#bodyText === undefined) {
      const root = await this.#ctx.cache.structure(this.#info.uid);
      const texts: string[] = [];
      const ranges: { part: MimePart; start: number; end: number }[] = [];
      collectText(root, ranges, texts, true);
      for (const range of ranges) {
        const bytes = await readRange(this.#ctx.mailbox, this.#info.uid, range.start, range.end);
        texts.push(decodeBody(range.part, bytes));
      }
      this.#bodyText = texts.join("\n");
    }
    return this.#bodyText;
  }
}

/** Text parts' byte ranges; the headers of enclosed messages count as body text. */
function collectText(
  part: MimePart,
  ranges: { part: MimePart; start: number; end: number }[],
  texts: string[],
  root: boolean,
): void {
  if (part.kind === "multipart") {
    for (const child of part.children) collectText(child, ranges, texts, false);
  } else if (part.kind === "message") {
    const inner = part.children[0];
    if (inner !== undefined) {
      for (const f of inner.fields) texts.push(`${f.name}: ${decodeHeaderValue(f.value)}`);
      collectText(inner, ranges, texts, false);
    }
  } else if (part.contentType.type.toLowerCase() === "text" || (root && part.contentType.type === "")) {
    if (part.bodyEnd > part.bodyStart) ranges.push({ part, start: part.bodyStart, end: part.bodyEnd });
  }
}

async function readRange(mailbox: Mailbox, uid: number, start: number, end: number): Promise<Buffer> {
  const stream = await mailbox.openMessage(uid, { start, end });
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A body part's text: transfer encoding undone (RFC 2045 §6), then its charset. */
function decodeBody(part: MimePart, bytes: Buffer): string {
  const encoding = transferEncoding(part.fields, part.mime).toLowerCase();
  let data = bytes;
  if (encoding === "base64") data = Buffer.from(bytes.toString("latin1"), "base64");
  else if (encoding === "quoted-printable") data = decodeQuotedPrintable(bytes);
  const charset =
    part.contentType.params.find((p) => p.name.toLowerCase() === "charset")?.value ?? "us-ascii";
  return decodeText(data, charset);
}

/** Quoted-printable (RFC 2045 §6.7): =XX octets and soft line breaks; anything malformed is kept. */
export function decodeQuotedPrintable(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    const a = hex(bytes[i + 1]);
    const b = hex(bytes[i + 2]);
    if (a >= 0 && b >= 0) {
      out[n++] = (a << 4) | b;
      i += 2;
      continue;
    }
    // A soft line break: "=" then optional whitespace, then CRLF (or LF).
    let j = i + 1;
    while (bytes[j] === 0x20 || bytes[j] === 0x09) j++;
    if (bytes[j] === 0x0d && bytes[j + 1] === 0x0a) i = j + 1;
    else if (bytes[j] === 0x0a) i = j;
    else out[n++] = c;
  }
  return out.subarray(0, n);
}

function hex(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Bytes in a charset as text; an unknown charset is read as UTF-8 (libmime's fallback). */
function decodeText(data: Buffer, charset: string): string {
  const lower = charset.toLowerCase();
  if (lower === "us-ascii" || lower === "utf-8" || lower === "utf8") return data.toString("utf8");
  try {
    return decodeCharset(data, charset);
  } catch {
    return data.toString("utf8");
  }
}

/** A header value unfolded, with RFC 2047 encoded words decoded and 8-bit octets read as UTF-8. */
export function decodeHeaderValue(value: Buffer): string {
  const text = unfold(value).toString("utf8");
  if (!text.includes("=?")) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** Case-insensitive substring match (RFC 3501 §6.4.4), ignoring case in any script. */
function contains(haystack: string, needle: string): boolean {
  if (needle === "") return true;
  return haystack.toLowerCase().includes(needle.toLowerCase());
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** The day of an RFC 5322 date as written (its own time zone), or undefined. */
export function parseSentDay(text: string): Day | undefined {
  const match = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(text.replace(/\([^)]*\)/g, " "));
  if (!match) return undefined;
  const month = MONTHS.indexOf(match[2]!.toLowerCase());
  if (month < 0) return undefined;
  let year = Number(match[3]);
  // RFC 5322 §4.3 obs-year: two digits are 19xx from 50 up, 20xx below; three add 1900.
  if (match[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (match[3]!.length === 3) year += 1900;
  return { year, month, day: Number(match[1]) };
}

function compareDay(day: Day | undefined, cmp: "before" | "on" | "since", target: Day): boolean {
  if (day === undefined) return false;
  const a = Date.UTC(day.year, day.month, day.day);
  const b = Date.UTC(target.year, target.month, target.day);
  return cmp === "before" ? a < b : cmp === "on" ? a === b : a >= b;
}
