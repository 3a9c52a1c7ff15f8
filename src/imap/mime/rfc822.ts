/**
 * A tokenizer for structured header values (RFC 5322 §3.2, RFC 2045 §5.1): comments,
 * folding whitespace, atoms, dot-atoms, quoted strings, domain literals and MIME tokens,
 * read in place from the value's bytes. Lenient where mail in the wild is: 8-bit octets are
 * atom text, and a broken construct ends the parse rather than throwing.
 */

const enum Kind {
  Atext = 1,
  Token = 2,
}

const CLASS = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) CLASS[c] = Kind.Atext | Kind.Token;
// RFC 5322 §3.2.3 specials are not atext.
for (const c of '()<>[]:;@\\,."') CLASS[c.charCodeAt(0)] = CLASS[c.charCodeAt(0)]! & ~Kind.Atext;
// RFC 2045 §5.1 tspecials are not token characters.
for (const c of '()<>@,;:\\"/[]?=') CLASS[c.charCodeAt(0)] = CLASS[c.charCodeAt(0)]! & ~Kind.Token;
// 8-bit octets (UTF-8 in headers, RFC 6532) count as text.
for (let c = 0x80; c < 0x100; c++) CLASS[c] = Kind.Atext | Kind.Token;

export class Rfc822Reader {
  readonly data: Buffer;
  pos: number;
  readonly end: number;
  /** The text of the last comment skipped (Dovecot uses it as a name for `a@b (Name)`). */
  lastComment = "";

  constructor(data: Buffer, start = 0, end = data.length) {
    this.data = data;
    this.pos = start;
    this.end = end;
  }

  /** The octet at the cursor, or -1 at the end. */
  peek(): number {
    return this.pos < this.end ? this.data[this.pos]! : -1;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /**
   * Skips whitespace, line ends and comments (nested, with quoted-pairs). Returns false at
   * the end of the data (or inside an unclosed comment).
   */
  skipCfws(): boolean {
    const d = this.data;
    while (this.pos < this.end) {
      const c = d[this.pos]!;
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) {
        this.pos++;
      } else if (c === 0x28) {
        if (!this.#comment()) return false;
      } else {
        return true;
      }
    }
    return false;
  }

  #comment(): boolean {
    const d = this.data;
    let depth = 0;
    let text = "";
    const start = this.pos + 1;
    let from = start;
    for (; this.pos < this.end; this.pos++) {
      const c = d[this.pos]!;
      if (c === 0x28) {
        depth++;
      } else if (c === 0x29) {
        depth--;
        if (depth === 0) {
          text += d.toString("latin1", from, this.pos);
          this.pos++;
          this.lastComment = stripFolding(text);
          return true;
        }
      } else if (c === 0x5c && this.pos + 1 < this.end) {
        text += d.toString("latin1", from, this.pos);
        this.pos++;
        from = this.pos;
      }
    }
    return false;
  }

  /** 1*atext, or "" when none is next. */
  atom(): string {
    const start = this.pos;
    while (this.pos < this.end && (CLASS[this.data[this.pos]!]! & Kind.Atext) !== 0) this.pos++;
    return this.data.toString("latin1", start, this.pos);
  }

  /** A MIME token (RFC 2045 §5.1), or "" when none is next. */
  token(): string {
    const start = this.pos;
    while (this.pos < this.end && (CLASS[this.data[this.pos]!]! & Kind.Token) !== 0) this.pos++;
    return this.data.toString("latin1", start, this.pos);
  }

  /**
   * A quoted string's content, unescaped and unfolded; the cursor is on the opening quote.
   * An unclosed one takes the rest of the data.
   */
  quotedString(): string {
    const d = this.data;
    this.pos++;
    let out = "";
    let from = this.pos;
    for (; this.pos < this.end; this.pos++) {
      const c = d[this.pos]!;
      if (c === 0x22) {
        out += d.toString("latin1", from, this.pos);
        this.pos++;
        return stripFolding(out);
      }
      if (c === 0x5c && this.pos + 1 < this.end) {
        out += d.toString("latin1", from, this.pos);
        this.pos++;
        from = this.pos;
      }
    }
    return stripFolding(out + d.toString("latin1", from, this.end));
  }

  /** dot-atom (and obs-local-part's words), text joined with "."; "" when none. */
  dotAtom(): string {
    let out = "";
    for (;;) {
      const word = this.peek() === 0x22 ? this.quotedString() : this.atom();
      if (word === "" && out === "") return "";
      out += word;
      const save = this.pos;
      this.skipCfws();
      if (this.peek() !== 0x2e) {
        this.pos = save;
        this.skipCfws();
        return out;
      }
      this.pos++;
      out += ".";
      this.skipCfws();
    }
  }

  /**
   * phrase = 1*word / obs-phrase (RFC 5322 §3.2.5, §4.1): words (atoms, which may hold
   * dots, or quoted strings) joined by single spaces, comments and folding dropped. "" when
   * there is none.
   */
  phrase(): string {
    let out = "";
    for (;;) {
      const c = this.peek();
      let word: string;
      if (c === 0x22) word = this.quotedString();
      else {
        const start = this.pos;
        while (this.pos < this.end) {
          const d = this.data[this.pos]!;
          if ((CLASS[d]! & Kind.Atext) === 0 && d !== 0x2e) break;
          this.pos++;
        }
        if (this.pos === start) return out;
        word = this.data.toString("latin1", start, this.pos);
      }
      out += word;
      this.skipCfws();
      const next = this.peek();
      if (next !== 0x22 && next !== 0x2e && (next < 0 || (CLASS[next]! & Kind.Atext) === 0)) return out;
      out += " ";
    }
  }

  /** domain = dot-atom / domain-literal; "" when none. */
  domain(): string {
    if (this.peek() !== 0x5b) return this.dotAtom();
    const start = this.pos;
    const close = this.data.indexOf(0x5d, this.pos);
    this.pos = close < 0 || close >= this.end ? this.end : close + 1;
    const literal = stripFolding(this.data.toString("latin1", start, this.pos));
    this.skipCfws();
    return literal;
  }
}

/** Removes CR and LF (folding) from text. */
function stripFolding(text: string): string {
  return text.includes("\n") || text.includes("\r") ? text.replace(/\r?\n|\r/g, "") : text;
}

/** A parameter of a Content-Type or Content-Disposition value. */
export interface MimeParam {
  readonly name: string;
  readonly value: string;
}

/** A parsed `type/subtype; params` value (RFC 2045 §5.1, RFC 2183 §2). */
export interface MimeValue {
  readonly type: string;
  /** "" when there is no "/subtype". */
  readonly subtype: string;
  readonly params: readonly MimeParam[];
}

/**
 * Parses a Content-Type (`withSubtype`) or Content-Disposition value. Strings are latin1
 * (one char per octet), so 8-bit values round-trip to the bytes they were. Parameters split
 * by RFC 2231 §3 continuations (`name*0`, `name*1`, …) are joined; extended values
 * (`name*0*=charset'lang'%xx…`) become one `name*` parameter holding the joined raw value.
 */
export function parseMimeValue(value: Buffer, withSubtype: boolean): MimeValue | undefined {
  const r = new Rfc822Reader(value);
  r.skipCfws();
  const type = r.token();
  if (type === "") return undefined;
  let subtype = "";
  r.skipCfws();
  if (withSubtype && r.peek() === 0x2f) {
    r.pos++;
    r.skipCfws();
    subtype = r.token();
    r.skipCfws();
  }
  const raw: MimeParam[] = [];
  while (r.peek() === 0x3b) {
    r.pos++;
    r.skipCfws();
    const name = r.token();
    if (name === "") break;
    r.skipCfws();
    if (r.peek() !== 0x3d) break;
    r.pos++;
    r.skipCfws();
    const v = r.peek() === 0x22 ? r.quotedString() : r.token();
    raw.push({ name, value: v });
    r.skipCfws();
  }
  return { type, subtype, params: joinContinuations(raw) };
}

/** RFC 2231 §3-4: joins `name*N[*]` sections into one parameter, in section order. */
function joinContinuations(params: MimeParam[]): MimeParam[] {
  if (!params.some((p) => p.name.includes("*"))) return params;
  const out: MimeParam[] = [];
  const groups = new Map<
    string,
    { index: number; sections: { n: number; value: string; extended: boolean }[] }
  >();
  for (const param of params) {
    const match = /^(.*?)\*(\d+)(\*?)$/.exec(param.name);
    if (match === null) {
      out.push(param);
      continue;
    }
    const key = match[1]!.toLowerCase();
    let group = groups.get(key);
    if (group === undefined) {
      group = { index: out.length, sections: [] };
      groups.set(key, group);
      out.push({ name: match[1]!, value: "" });
    }
    group.sections.push({ n: Number(match[2]), value: param.value, extended: match[3] === "*" });
  }
  for (const group of groups.values()) {
    const sections = group.sections.sort((a, b) => a.n - b.n);
    const base = out[group.index]!;
    const extended = sections[0]!.n === 0 && sections[0]!.extended;
    const value = sections.map((s) => s.value).join("");
    out[group.index] = { name: extended ? `${base.name}*` : base.name, value };
  }
  return out;
}

/** Decodes an RFC 2231 extended value (`charset'lang'%xx…`) to text. */
export function decodeExtendedValue(value: string): { charset: string; text: Buffer } {
  const first = value.indexOf("'");
  const second = first < 0 ? -1 : value.indexOf("'", first + 1);
  if (second < 0) return { charset: "us-ascii", text: Buffer.from(value, "latin1") };
  const encoded = value.slice(second + 1);
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded.charCodeAt(i);
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(encoded.slice(i + 1, i + 3))) {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c & 0xff);
    }
  }
  return { charset: value.slice(0, first) || "us-ascii", text: Buffer.from(bytes) };
}
