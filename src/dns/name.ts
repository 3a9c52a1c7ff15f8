/**
 * Domain names in RFC 1035 §5.1 presentation form: absolute, with the trailing dot
 * ("www.example.test."; the root is "."), `\X` quoting a character X and `\DDD` a byte by its
 * decimal value.
 *
 * Every wire name has exactly one string, the one `labelsToName()` prints: letters, digits and
 * the other printable ASCII characters stand for themselves, except that `.` `\` `"` `(` `)`
 * `;` `@` `$` are written `\X`, and a space, a control byte or a byte above 0x7E as `\DDD`.
 * Case is kept; `canonicalName()` folds A-Z for comparison (RFC 1035 §2.3.3, RFC 4343).
 *
 * These functions sit on the server's hot paths, so the common case (a name without escapes)
 * is handled on the string itself without building labels.
 */

const DOT = 0x2e;
const BACKSLASH = 0x5c;
const ZERO = 0x30;
const NINE = 0x39;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;

/** Longest name on the wire, length octets and the root's zero included (RFC 1035 §3.1). */
export const MAX_NAME_WIRE_LENGTH = 255;
/** Longest label (RFC 1035 §2.3.4). */
export const MAX_LABEL_LENGTH = 63;

/** How `labelsToName()` prints a byte. */
const PLAIN = 0;
const QUOTED = 1; // `\X`
const DECIMAL = 2; // `\DDD`

const byteClass = new Uint8Array(256).fill(DECIMAL);
for (let b = 0x21; b <= 0x7e; b++) byteClass[b] = PLAIN;
for (const c of '."();@$\\') byteClass[c.charCodeAt(0)] = QUOTED;

/**
 * Scratch space for building strings from bytes: a wire name is at most 255 octets, each
 * printed as at most 4 characters. Only used synchronously, so one per module suffices.
 */
const charScratch = Buffer.allocUnsafe(MAX_NAME_WIRE_LENGTH * 4);
/** Scratch space for a wire name plus one over-long label, so writes can be checked after. */
const wireScratch = new Uint8Array(MAX_NAME_WIRE_LENGTH + MAX_LABEL_LENGTH + 2);

function malformed(name: string, why: string): TypeError {
  return new TypeError(`Cannot parse domain name ${JSON.stringify(name)}: ${why}`);
}

/**
 * Writes the uncompressed wire form of presentation name `name` into `out` at `offset` and
 * returns the offset just past it (after the root's zero octet). `out` must have room for
 * 320 bytes from `offset` (a maximal name plus one over-long label, which is detected after
 * it is written). Throws TypeError for a malformed escape, an empty label, a relative name,
 * a label over 63 octets or a name over 255 octets.
 *
 * This is the one parser of presentation names; the message codec writes names with it.
 */
export function writeNameWire(name: string, out: Uint8Array, offset: number): number {
  const n = name.length;
  if (n === 0) throw malformed(name, "empty string");
  if (n === 1 && name.charCodeAt(0) === DOT) {
    out[offset] = 0;
    return offset + 1;
  }
  let lengthAt = offset; // where the current label's length octet goes
  let p = offset + 1;
  let labelLength = 0;
  let i = 0;
  while (i < n) {
    let c = name.charCodeAt(i++);
    if (c === DOT) {
      if (labelLength === 0) throw malformed(name, "empty label");
      out[lengthAt] = labelLength;
      lengthAt = p++;
      labelLength = 0;
      // p - offset is now the wire length were the name to end here.
      if (p - offset > MAX_NAME_WIRE_LENGTH) throw malformed(name, "longer than 255 octets");
      continue;
    }
    if (c === BACKSLASH) {
      if (i >= n) throw malformed(name, "backslash at the end");
      c = name.charCodeAt(i++);
      if (c >= ZERO && c <= NINE) {
        // \DDD: exactly three decimal digits, at most 255 (RFC 1035 §5.1).
        const d2 = name.charCodeAt(i) - ZERO;
        const d3 = name.charCodeAt(i + 1) - ZERO;
        if (!(d2 >= 0 && d2 <= 9 && d3 >= 0 && d3 <= 9)) {
          throw malformed(name, "\\DDD escape needs three decimal digits");
        }
        c = (c - ZERO) * 100 + d2 * 10 + d3;
        if (c > 255) throw malformed(name, "\\DDD escape above 255");
        i += 2;
      } else if (c < 0x20 || c > 0x7e) {
        throw malformed(name, "backslash before a non-printable character (use \\DDD)");
      }
    } else if (c < 0x20 || c > 0x7e) {
      throw malformed(name, "non-printable or non-ASCII character (use \\DDD)");
    }
    if (++labelLength > MAX_LABEL_LENGTH) throw malformed(name, "label longer than 63 octets");
    out[p++] = c;
  }
  if (labelLength !== 0) throw malformed(name, "not absolute (no trailing dot)");
  out[lengthAt] = 0;
  return p;
}

/**
 * Appends the presentation form of bytes `bytes[start..end)` (one label's content) to
 * `charScratch` at `pos`; returns the new position.
 */
function appendLabelChars(bytes: Uint8Array, start: number, end: number, pos: number): number {
  const out = charScratch;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    const cls = byteClass[b]!;
    if (cls === PLAIN) {
      out[pos++] = b;
    } else if (cls === QUOTED) {
      out[pos++] = BACKSLASH;
      out[pos++] = b;
    } else {
      out[pos++] = BACKSLASH;
      out[pos++] = ZERO + ((b / 100) | 0);
      out[pos++] = ZERO + (((b / 10) | 0) % 10);
      out[pos++] = ZERO + (b % 10);
    }
  }
  return pos;
}

/**
 * The presentation string of a wire name already known to be valid (length octets, labels
 * of 1..63 octets, a final zero octet) stored contiguously in `wire` from `start`. If `fold`,
 * A-Z are lowered. Used by the message decoder through `NameBuilder` and by the slow paths.
 */
function wireToString(wire: Uint8Array, start: number, fold: boolean): string {
  let pos = 0;
  let p = start;
  let len = wire[p]!;
  if (len === 0) return ".";
  while (len !== 0) {
    const before = pos;
    pos = appendLabelChars(wire, p + 1, p + 1 + len, pos);
    if (fold) {
      for (let k = before; k < pos; k++) {
        const c = charScratch[k]!;
        if (c >= UPPER_A && c <= UPPER_Z) charScratch[k] = c | 0x20;
      }
    }
    charScratch[pos++] = DOT;
    p += len + 1;
    len = wire[p]!;
  }
  return charScratch.toString("latin1", 0, pos);
}

/**
 * Builds a presentation string label by label from wire bytes without allocating per label:
 * the message decoder feeds it the labels of a (possibly compressed) name in order.
 */
export class NameBuilder {
  #pos = 0;
  /** Starts a new name. */
  reset(): void {
    this.#pos = 0;
  }
  /** Appends one label, `bytes[start..end)` (1..63 octets, checked by the caller). */
  label(bytes: Uint8Array, start: number, end: number): void {
    const pos = appendLabelChars(bytes, start, end, this.#pos);
    charScratch[pos] = DOT;
    this.#pos = pos + 1;
  }
  /** The finished name ("." if no label was appended). */
  finish(): string {
    return this.#pos === 0 ? "." : charScratch.toString("latin1", 0, this.#pos);
  }
}

/**
 * Parses an absolute presentation name into its labels (root, ".", has none). Throws
 * TypeError for a malformed escape, an empty label, a missing trailing dot, a label over 63
 * octets or a name over 255 octets on the wire.
 */
export function nameToLabels(name: string): Uint8Array[] {
  const end = writeNameWire(name, wireScratch, 0);
  const labels: Uint8Array[] = [];
  for (let p = 0; p < end - 1;) {
    const len = wireScratch[p]!;
    labels.push(wireScratch.slice(p + 1, p + 1 + len));
    p += len + 1;
  }
  return labels;
}

/**
 * The presentation string of a sequence of labels (without the root's empty label): the
 * inverse of `nameToLabels()`, and the one string for that wire name. Throws TypeError for an
 * empty label, a label over 63 octets or a name over 255 octets.
 */
export function labelsToName(labels: readonly Uint8Array[]): string {
  if (labels.length === 0) return ".";
  let wireLength = 1;
  let pos = 0;
  for (const label of labels) {
    const len = label.length;
    if (len === 0) throw new TypeError("Cannot build domain name: empty label");
    if (len > MAX_LABEL_LENGTH) throw new TypeError("Cannot build domain name: label longer than 63 octets");
    wireLength += len + 1;
    if (wireLength > MAX_NAME_WIRE_LENGTH) {
      throw new TypeError("Cannot build domain name: longer than 255 octets");
    }
    pos = appendLabelChars(label, 0, len, pos);
    charScratch[pos++] = DOT;
  }
  return charScratch.toString("latin1", 0, pos);
}

/** Result of `scan()`: the name needs the slow path (escapes or characters to escape). */
const SCAN_SLOW = -1;
/** Result of `scan()` bit: the name is in its one presentation form. */
const SCAN_NORMAL = 1;
/** Result of `scan()` bit: ...and has A-Z in it. */
const SCAN_UPPER = 2;

/**
 * Checks a name on the string alone when it contains only characters that stand for
 * themselves (no escapes): returns SCAN_NORMAL, plus SCAN_UPPER if it has capitals, or
 * SCAN_SLOW if the full parser must decide. Throws TypeError for the structural errors it can
 * see (empty label, label or name too long, relative name).
 */
function scan(name: string): number {
  const n = name.length;
  if (n === 1 && name.charCodeAt(0) === DOT) return SCAN_NORMAL;
  // A plain name's wire length is its string length plus one (RFC 1035 §3.1).
  if (n === 0 || n > MAX_NAME_WIRE_LENGTH - 1) return SCAN_SLOW;
  let result = SCAN_NORMAL;
  let labelStart = 0;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === DOT) {
      const len = i - labelStart;
      if (len === 0 || len > MAX_LABEL_LENGTH) return SCAN_SLOW;
      labelStart = i + 1;
    } else if (c > 0x7e || byteClass[c] !== PLAIN) {
      return SCAN_SLOW;
    } else if (c >= UPPER_A && c <= UPPER_Z) {
      result = SCAN_NORMAL | SCAN_UPPER;
    }
  }
  return labelStart === n ? result : SCAN_SLOW;
}

/**
 * The one presentation string of `name`, case kept: `\065` becomes `A`, a raw space `\032`,
 * `@` `\@`. Returns `name` itself when it is already in that form. Throws TypeError like
 * `nameToLabels()`.
 */
export function normalizeName(name: string): string {
  if (scan(name) !== SCAN_SLOW) return name;
  writeNameWire(name, wireScratch, 0);
  return wireToString(wireScratch, 0, false);
}

/**
 * `name` with ASCII A-Z lowered (RFC 4343: no other byte is folded) and in its one
 * presentation form, for comparisons and map keys. Returns `name` itself when it is already
 * canonical, so calling it on canonical names costs one scan. Throws TypeError like
 * `nameToLabels()`.
 */
export function canonicalName(name: string): string {
  const s = scan(name);
  if (s === SCAN_NORMAL) return name;
  // Only printable ASCII is left on the fast path, where toLowerCase() folds just A-Z.
  if (s !== SCAN_SLOW) return name.toLowerCase();
  writeNameWire(name, wireScratch, 0);
  return wireToString(wireScratch, 0, true);
}

/** Whether two names are the same name, ignoring ASCII case. Throws TypeError for a malformed name. */
export function namesEqual(a: string, b: string): boolean {
  return a === b || canonicalName(a) === canonicalName(b);
}

/**
 * Whether `name` is `ancestor` or below it, ignoring ASCII case. Every name is under ".".
 * Throws TypeError if either is not a valid name.
 */
export function isSubdomain(name: string, ancestor: string): boolean {
  const a = canonicalName(ancestor);
  const n = canonicalName(name);
  if (a.length === 1) return true; // "."
  const start = n.length - a.length;
  if (start < 0 || !n.endsWith(a)) return false;
  if (start === 0) return true;
  // The suffix must begin a label: the character before it is a dot that is not escaped,
  // i.e. preceded by an even run of backslashes (in the one form, `\DDD` never ends in `\`).
  if (n.charCodeAt(start - 1) !== DOT) return false;
  let k = start - 2;
  while (k >= 0 && n.charCodeAt(k) === BACKSLASH) k--;
  return (start - 2 - k) % 2 === 0;
}

/**
 * Index of the dot ending the first label of `name`, honouring escapes; -1 if there is none.
 */
function firstSeparator(name: string, from: number): number {
  const n = name.length;
  for (let i = from; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === DOT) return i;
    if (c === BACKSLASH) i++; // skip the quoted character (or the first of three digits)
  }
  return -1;
}

/**
 * The name with its first label removed ("a.b.test." → "b.test.", "test." → "."). Throws
 * RangeError for the root, which has no parent. `name` is not re-validated.
 */
export function parentName(name: string): string {
  const i = firstSeparator(name, 0);
  if (i < 0 || name.length === 1) {
    throw new RangeError(`Cannot take the parent of ${JSON.stringify(name)}: it is the root or not a name`);
  }
  return i === name.length - 1 ? "." : name.slice(i + 1);
}

/**
 * The number of labels, not counting the root ("." has 0, "a.test." has 2). `name` is not
 * re-validated.
 */
export function labelCount(name: string): number {
  if (name.length === 1 && name.charCodeAt(0) === DOT) return 0;
  let count = 0;
  for (let i = firstSeparator(name, 0); i >= 0; i = firstSeparator(name, i + 1)) count++;
  return count;
}

/** Whether presentation name `name` ends in a dot that is not escaped, i.e. is absolute. */
export function isAbsoluteName(name: string): boolean {
  const n = name.length;
  if (n === 0 || name.charCodeAt(n - 1) !== DOT) return false;
  let k = n - 2;
  while (k >= 0 && name.charCodeAt(k) === BACKSLASH) k--;
  return (n - 2 - k) % 2 === 0;
}

/**
 * Resolves a zone-file name against the origin (RFC 1035 §5.1): "@" is the origin itself, a
 * name ending in an unescaped dot is absolute and kept, anything else is relative and gets
 * the origin appended ("www" + "example.test." → "www.example.test."). Returns the one
 * presentation form, case kept. Throws TypeError for an empty or malformed result.
 */
export function joinName(relative: string, origin: string): string {
  if (relative === "@") return normalizeName(origin);
  if (relative.length === 0) throw new TypeError("Cannot join domain name: empty relative name");
  if (isAbsoluteName(relative)) return normalizeName(relative);
  // A dangling "\\" would escape the dot we add, silently making another name.
  let backslashes = 0;
  while (relative.charCodeAt(relative.length - 1 - backslashes) === 0x5c) backslashes++;
  if (backslashes % 2 === 1) {
    throw new TypeError(
      `Cannot join domain name ${JSON.stringify(relative)}: it ends in an unfinished escape`,
    );
  }
  if (!isAbsoluteName(origin)) {
    throw new TypeError(`Cannot join domain name: origin ${JSON.stringify(origin)} is not absolute`);
  }
  return normalizeName(origin.length === 1 ? `${relative}.` : `${relative}.${origin}`);
}

/**
 * The uncompressed wire form of `name` (length-prefixed labels and the root's zero octet).
 * Throws TypeError like `nameToLabels()`.
 */
export function nameToWire(name: string): Uint8Array {
  const end = writeNameWire(name, wireScratch, 0);
  return wireScratch.slice(0, end);
}
