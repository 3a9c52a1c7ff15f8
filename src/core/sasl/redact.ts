/**
 * Redaction of secrets in protocol transcripts (trace logs, `portico demo`'s printed
 * dialogue). Two kinds of secret:
 *
 * 1. A command with a secret argument: `AUTH PLAIN <b64>`, `PASS x`, `a1 LOGIN user pass`.
 *    Each protocol describes its commands with {@link RedactRule}s and redacts every client line
 *    with a {@link Redactor}; lines no rule names come back unchanged.
 * 2. A line that is a secret as a whole: each client line of a SASL exchange, an IMAP
 *    literal holding a password. The session knows when it is in such a state and logs
 *    {@link redactSaslResponse}`(line)` or {@link REDACTED} instead.
 */

/** What replaces a secret. */
export const REDACTED = "***";

/** A command whose arguments, past the first `keep`, are secret. */
export interface RedactRule {
  /** The command verb, case-insensitive (`"AUTH"`, `"PASS"`). */
  readonly verb: string;
  /**
   * How many arguments stay readable: 1 for `AUTH PLAIN <ir>` (the mechanism) or IMAP
   * `LOGIN user pass` (the user), 0 for `PASS <password>`. Everything after them, spaces and
   * all, becomes `***` — so a password with spaces in it is hidden whole.
   */
  readonly keep: number;
}

/** Options for {@link Redactor}. */
export interface RedactorOptions {
  readonly rules: readonly RedactRule[];
  /** Lines begin with a tag before the verb (IMAP: `a001 LOGIN ...`). */
  readonly tagged?: boolean;
}

/** Redacts command lines by a protocol's rules. */
export class Redactor {
  readonly #keep = new Map<string, number>();
  readonly #tagged: boolean;

  constructor(options: RedactorOptions) {
    for (const rule of options.rules) {
      if (!Number.isSafeInteger(rule.keep) || rule.keep < 0) {
        throw new RangeError(`Cannot create Redactor: keep for ${rule.verb} must be a non-negative integer`);
      }
      this.#keep.set(rule.verb.toUpperCase(), rule.keep);
    }
    this.#tagged = options.tagged ?? false;
  }

  /**
   * The line with its secret arguments replaced by `***`; unchanged when no rule names its
   * verb or it has no argument past the kept ones. Arguments are separated by spaces or tabs;
   * a `"quoted string"` (IMAP, with `\` escapes) counts as one.
   */
  redact(line: string): string {
    let pos = skipSpace(line, 0);
    if (this.#tagged) pos = skipSpace(line, skipToken(line, pos));
    const verbEnd = skipToken(line, pos);
    const keep = this.#keep.get(line.slice(pos, verbEnd).toUpperCase());
    if (keep === undefined) return line;
    pos = verbEnd;
    for (let i = 0; i < keep; i++) {
      const start = skipSpace(line, pos);
      pos = skipToken(line, start);
      // An unterminated quoted string: where the secret starts is unknowable, so hide it all.
      if (pos === -1) return line.slice(0, start) + REDACTED;
    }
    const secret = skipSpace(line, pos);
    if (secret >= line.length) return line;
    return line.slice(0, secret) + REDACTED;
  }
}

/**
 * A client line inside a SASL exchange: every one carries credentials, except `*`, the
 * cancellation, which is kept because it explains the error that follows.
 */
export function redactSaslResponse(line: string): string {
  return line === "*" ? line : REDACTED;
}

/**
 * Rules for Portico's protocols, to build their redactors from:
 * `new Redactor(REDACT_RULES.pop3)`.
 */
export const REDACT_RULES = {
  /** RFC 4954: `AUTH mechanism [initial-response]`. */
  smtp: { rules: [{ verb: "AUTH", keep: 1 }] },
  /** RFC 1939 `PASS`, `APOP name digest`; RFC 5034 `AUTH mechanism [initial-response]`. */
  pop3: {
    rules: [
      { verb: "PASS", keep: 0 },
      { verb: "APOP", keep: 1 },
      { verb: "AUTH", keep: 1 },
    ],
  },
  /** RFC 9051: `tag LOGIN user password`, `tag AUTHENTICATE mechanism [initial-response]`. */
  imap: {
    rules: [
      { verb: "LOGIN", keep: 1 },
      { verb: "AUTHENTICATE", keep: 1 },
    ],
    tagged: true,
  },
  /** RFC 959 `PASS`, `ACCT`; RFC 2228 `ADAT` (security data). FTP's `AUTH TLS` is no secret. */
  ftp: {
    rules: [
      { verb: "PASS", keep: 0 },
      { verb: "ACCT", keep: 0 },
      { verb: "ADAT", keep: 0 },
    ],
  },
} as const satisfies Record<string, RedactorOptions>;

function skipSpace(line: string, pos: number): number {
  while (pos < line.length) {
    const c = line.charCodeAt(pos);
    if (c !== 0x20 && c !== 0x09) break;
    pos++;
  }
  return pos;
}

/** The end of the token at `pos` (a quoted string ends after its closing quote; -1 if it has none). */
function skipToken(line: string, pos: number): number {
  if (line.charCodeAt(pos) === 0x22) {
    pos++;
    while (pos < line.length) {
      const c = line.charCodeAt(pos);
      if (c === 0x5c) pos += 2;
      else if (c === 0x22) return pos + 1;
      else pos++;
    }
    return -1;
  }
  while (pos < line.length) {
    const c = line.charCodeAt(pos);
    if (c === 0x20 || c === 0x09) break;
    pos++;
  }
  return pos;
}
