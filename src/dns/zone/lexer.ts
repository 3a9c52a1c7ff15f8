/**
 * The tokenizer of RFC 1035 §5.1 master files, with the details BIND's `isc_lex` adds.
 *
 * The file is read one *entry* at a time: the tokens of one line, or of several lines joined
 * by parentheses. Tokens are kept as offsets into the text (no substring is made until the
 * parser asks for one), and the arrays that hold them are reused from entry to entry, so a
 * zone of a million lines costs no allocation here beyond the text itself.
 *
 * Rules, as BIND applies them:
 * - Tokens are separated by space and tab; `(` `)` `"` `;` also end a token. A line ends
 *   at LF, CR LF or a lone CR (BIND; a CR inside parentheses is a blank, inside quotes a
 *   character).
 * - `\X` keeps X in the token (a space, `;`, `"`, `(`...), except that CR and LF end an
 *   unquoted token even after a backslash; the backslash and X stay in the token text, and
 *   the consumer (name, character-string) interprets the escape.
 * - `;` starts a comment that runs to the end of the line, also inside parentheses.
 * - `"..."` is one token, which may contain spaces, `;`, `(` and `\"`; an unescaped line end
 *   inside it is an error ("unbalanced quotes"), a `\` line end is kept as a newline byte.
 * - `(` ... `)` join lines (they may nest); a `)` without `(`, or end of file inside them, is
 *   an error ("unbalanced parentheses").
 * - An entry that starts with a space or tab has no owner name: the previous one applies.
 */

import { ConfigError } from "../../core/errors.js";

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;

/** Token flag: the token was a quoted string (its text excludes the quotes). */
export const TOKEN_QUOTED = 1;
/** Token flag: the token's text contains a backslash, so escapes must be interpreted. */
export const TOKEN_ESCAPED = 2;

/** Characters that end an unquoted token (besides CR/LF): index by char code below 128. */
const delimiter = new Uint8Array(128);
for (const c of [TAB, LF, CR, SPACE, QUOTE, LPAREN, RPAREN, SEMICOLON]) delimiter[c] = 1;

/**
 * Reads a master file entry by entry. After `next()` returns true, `count` tokens are
 * available through `starts`/`ends`/`flags`/`lines` (index 0..count-1) and `text(i)`.
 */
export class ZoneLexer {
  /** The whole file. */
  readonly source: string;
  /** The file name used in errors. */
  readonly file: string;
  /** Tokens in the current entry. */
  count = 0;
  /** Start offset of each token's text in `source` (after the opening quote if quoted). */
  readonly starts: number[] = [];
  /** End offset (exclusive) of each token's text (before the closing quote if quoted). */
  readonly ends: number[] = [];
  /** TOKEN_QUOTED | TOKEN_ESCAPED per token. */
  readonly flags: number[] = [];
  /** The 1-based line on which each token starts. */
  readonly lines: number[] = [];
  /** Whether the current entry began with a blank (space or tab): no owner name. */
  leadingBlank = false;
  /** The line on which the current entry begins. */
  line = 0;
  /** Whether the file's last line lacks its line end (BIND warns). */
  missingFinalNewline = false;

  #pos = 0;
  #line = 1;

  /**
   * @param source the text
   * @param file the file name used in errors
   * @param firstLine the line number of the text's first line
   */
  constructor(source: string, file: string, firstLine = 1) {
    this.source = source;
    this.file = file;
    this.#line = firstLine;
    this.line = firstLine;
  }

  /** The text of token `i` (escapes not interpreted). */
  text(i: number): string {
    return this.source.slice(this.starts[i], this.ends[i]);
  }

  /** Whether token `i` is immediately followed by token `i + 1`, with nothing between. */
  adjacent(i: number): boolean {
    if (i + 1 >= this.count) return false;
    const gap = this.starts[i + 1]! - this.ends[i]!;
    // A quote on either side of the boundary sits between the two texts.
    const quotes = (this.flags[i]! & TOKEN_QUOTED) + (this.flags[i + 1]! & TOKEN_QUOTED);
    return gap === quotes;
  }

  /**
   * Reads the next entry that has at least one token; returns false at the end of the file.
   * Throws ConfigError for unbalanced quotes or parentheses.
   */
  next(): boolean {
    const s = this.source;
    const n = s.length;
    let pos = this.#pos;
    let line = this.#line;
    let count = 0;
    let depth = 0;
    let depthLine = 0;
    let lineStart = true;
    const starts = this.starts;
    const ends = this.ends;
    const flags = this.flags;
    const lines = this.lines;

    for (;;) {
      if (pos >= n) {
        if (depth > 0) {
          throw new ConfigError(
            `unbalanced parentheses: '(' on line ${depthLine} is not closed before the end of the file`,
            this.file,
            line,
          );
        }
        if (n > 0 && s.charCodeAt(n - 1) !== LF) this.missingFinalNewline = true;
        break;
      }
      const c = s.charCodeAt(pos);
      if (c === LF) {
        pos++;
        line++;
        if (depth === 0 && count > 0) break;
        if (depth === 0) lineStart = true;
        continue;
      }
      if (c === CR) {
        // BIND ends a line at a CR too (CR LF is one line end); inside parentheses it is
        // a blank. The line count goes by LF only.
        pos++;
        if (depth === 0) {
          if (count > 0) break;
          lineStart = true;
        }
        continue;
      }
      if (c === SPACE || c === TAB) {
        if (lineStart && count === 0 && depth === 0) {
          this.leadingBlank = true;
          this.line = line;
          lineStart = false;
        }
        pos++;
        continue;
      }
      if (count === 0 && depth === 0 && lineStart) {
        this.leadingBlank = false;
        this.line = line;
      }
      lineStart = false;
      if (c === SEMICOLON) {
        pos = s.indexOf("\n", pos);
        if (pos < 0) pos = n;
        continue;
      }
      if (c === LPAREN) {
        if (depth === 0) depthLine = line;
        depth++;
        pos++;
        continue;
      }
      if (c === RPAREN) {
        if (depth === 0) {
          throw new ConfigError("unbalanced parentheses: ')' without '('", this.file, line);
        }
        depth--;
        pos++;
        continue;
      }
      if (c === QUOTE) {
        const tokenLine = line;
        let f = TOKEN_QUOTED;
        let p = pos + 1;
        for (;;) {
          if (p >= n) {
            throw new ConfigError(
              "unbalanced quotes: '\"' is not closed before the end of the file",
              this.file,
              tokenLine,
            );
          }
          const q = s.charCodeAt(p);
          if (q === QUOTE) break;
          if (q === LF) {
            throw new ConfigError("unbalanced quotes: '\"' is not closed on its line", this.file, tokenLine);
          }
          if (q === BACKSLASH) {
            f = TOKEN_QUOTED | TOKEN_ESCAPED;
            p++;
            if (p < n && s.charCodeAt(p) === LF) line++;
          }
          p++;
        }
        starts[count] = pos + 1;
        ends[count] = p;
        flags[count] = f;
        lines[count] = tokenLine;
        count++;
        pos = p + 1;
        continue;
      }
      // An unquoted token.
      let f = 0;
      let p = pos;
      while (p < n) {
        const q = s.charCodeAt(p);
        if (q < 128 && delimiter[q] === 1) break;
        if (q === BACKSLASH) {
          f = TOKEN_ESCAPED;
          const r = s.charCodeAt(p + 1);
          // CR and LF end the token even when escaped (isc_lex); end of file does too.
          if (p + 1 < n && r !== LF && r !== CR) p++;
        }
        p++;
      }
      starts[count] = pos;
      ends[count] = p;
      flags[count] = f;
      lines[count] = line;
      count++;
      pos = p;
    }
    this.#pos = pos;
    this.#line = line;
    this.count = count;
    return count > 0;
  }
}
