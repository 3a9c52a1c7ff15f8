/**
 * The text encodings found in record data: character-strings with `\X` and `\DDD` escapes
 * (RFC 1035 §5.1), hex, base64 (RFC 4648 §4) and base32hex without padding (RFC 4648 §7, as
 * NSEC3 uses it, RFC 5155 §3.3).
 *
 * Decoders return `null` for malformed input; the caller knows what the field is and says so.
 */

const BACKSLASH = 0x5c;

/**
 * Decodes the escapes of a character-string's text `text[start..end)` into bytes.
 * `\DDD` is a byte by its decimal value (exactly three digits, at most 255), `\X` is X.
 * Characters stand for themselves: with `bytes`, each char code is one byte (the text came
 * from a latin1 decoding); otherwise a character above 0x7F is written in UTF-8.
 * Returns null for a malformed escape.
 */
export function decodeCharString(
  text: string,
  start: number,
  end: number,
  bytes: boolean,
): Uint8Array | null {
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH || c > 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) {
    const out = new Uint8Array(end - start);
    for (let i = start; i < end; i++) out[i - start] = text.charCodeAt(i);
    return out;
  }
  const out: number[] = [];
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
      if (i >= end) return null;
      c = text.charCodeAt(i);
      const d1 = c - 0x30;
      if (d1 >= 0 && d1 <= 9) {
        const d2 = text.charCodeAt(i + 1) - 0x30;
        const d3 = text.charCodeAt(i + 2) - 0x30;
        if (i + 2 >= end || !(d2 >= 0 && d2 <= 9 && d3 >= 0 && d3 <= 9)) return null;
        const v = d1 * 100 + d2 * 10 + d3;
        if (v > 255) return null;
        out.push(v);
        i += 2;
        continue;
      }
    }
    pushChar(out, c, text, i, bytes);
    if (!bytes && c >= 0xd800 && c <= 0xdbff) i++; // the low surrogate went with it
  }
  return Uint8Array.from(out);
}

/** Appends the bytes of the character at `text[i]` (code `c`) to `out`. */
function pushChar(out: number[], c: number, text: string, i: number, bytes: boolean): void {
  if (c < 0x80 || (bytes && c <= 0xff)) {
    out.push(c);
    return;
  }
  const cp = text.codePointAt(i)!;
  for (const b of Buffer.from(String.fromCodePoint(cp), "utf8")) out.push(b);
}

/**
 * Rewrites a name token so that name.ts can read it: characters that are not printable ASCII
 * (raw bytes, or UTF-8 text) and backslash-quoted ones become `\DDD`. Returns `text` itself
 * when nothing needs rewriting.
 */
export function escapeNameToken(text: string, bytes: boolean): string {
  let needed = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      needed = true;
      break;
    }
  }
  if (!needed) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0x20 && next <= 0x7e) {
        out += text[i]! + text[i + 1]!;
        i++;
        continue;
      }
      i++; // the backslash quotes a character written below as \DDD
      const b: number[] = [];
      pushChar(b, next, text, i, bytes);
      if (!bytes && next >= 0xd800 && next <= 0xdbff) i++;
      for (const x of b) out += decimalEscape(x);
      continue;
    }
    if (c >= 0x20 && c <= 0x7e) {
      out += text[i]!;
      continue;
    }
    const b: number[] = [];
    pushChar(b, c, text, i, bytes);
    if (!bytes && c >= 0xd800 && c <= 0xdbff) i++;
    for (const x of b) out += decimalEscape(x);
  }
  return out;
}

function decimalEscape(b: number): string {
  return "\\" + String(b).padStart(3, "0");
}

/**
 * Writes bytes as the text of a character-string, as dig prints it inside quotes: `"` and
 * `\` escaped with a backslash, bytes outside printable ASCII as `\DDD`.
 */
export function encodeCharString(data: Uint8Array, start = 0, end = data.length): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const b = data[i]!;
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === BACKSLASH) {
      plain = false;
      break;
    }
  }
  if (plain) return Buffer.from(data.buffer, data.byteOffset + start, end - start).toString("latin1");
  let out = "";
  for (let i = start; i < end; i++) {
    const b = data[i]!;
    if (b < 0x20 || b > 0x7e) out += decimalEscape(b);
    else if (b === 0x22 || b === BACKSLASH) out += "\\" + String.fromCharCode(b);
    else out += String.fromCharCode(b);
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Decodes hex digits (either case, an even number of them); null if malformed. */
export function decodeHex(text: string): Uint8Array | null {
  const n = text.length;
  if (n % 2 !== 0) return null;
  const out = new Uint8Array(n / 2);
  for (let i = 0; i < n; i += 2) {
    const h = hexValue(text.charCodeAt(i));
    const l = hexValue(text.charCodeAt(i + 1));
    if (h < 0 || l < 0) return null;
    out[i / 2] = (h << 4) | l;
  }
  return out;
}

/** Upper-case hex of `data[start..end)`, as BIND prints digests and salts. */
export function encodeHex(data: Uint8Array, start = 0, end = data.length): string {
  return Buffer.from(data.buffer, data.byteOffset + start, end - start)
    .toString("hex")
    .toUpperCase();
}

const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  B64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;
}

/**
 * Decodes base64 (RFC 4648 §4) strictly, as BIND does: whole groups of four characters,
 * `=` padding only at the end of the last group. Returns null if malformed.
 */
export function decodeBase64(text: string): Uint8Array | null {
  const n = text.length;
  if (n === 0 || n % 4 !== 0) return null;
  let pad = 0;
  if (text.charCodeAt(n - 1) === 0x3d) pad = text.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  for (let i = 0; i < n - pad; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || B64[c] === -1) return null;
  }
  // The bits a padded group leaves over must be zero (RFC 4648 §3.5 canonical encoding).
  if (pad > 0) {
    const last = B64[text.charCodeAt(n - pad - 1)]!;
    if ((pad === 2 && (last & 0x0f) !== 0) || (pad === 1 && (last & 0x03) !== 0)) return null;
  }
  const buf = Buffer.from(text, "base64");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Base64 of `data[start..end)`. */
export function encodeBase64(data: Uint8Array, start = 0, end = data.length): string {
  return Buffer.from(data.buffer, data.byteOffset + start, end - start).toString("base64");
}

const B32HEX = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

/** Decodes unpadded base32hex (RFC 4648 §7), either case; null if malformed. */
export function decodeBase32Hex(text: string): Uint8Array | null {
  const n = text.length;
  // A final group of 1, 3 or 6 characters cannot come from whole bytes.
  const rest = n % 8;
  if (rest === 1 || rest === 3 || rest === 6) return null;
  const out = new Uint8Array(Math.floor((n * 5) / 8));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    let v: number;
    if (c >= 0x30 && c <= 0x39) v = c - 0x30;
    else {
      const u = c & 0xdf;
      if (u < 0x41 || u > 0x56) return null;
      v = u - 0x41 + 10;
    }
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null; // leftover bits must be zero
  return out;
}

/** Upper-case unpadded base32hex of `data[start..end)`, as BIND prints NSEC3 hashes. */
export function encodeBase32Hex(data: Uint8Array, start = 0, end = data.length): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (let i = start; i < end; i++) {
    acc = ((acc << 8) | data[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32HEX[(acc >> bits) & 31]!;
    }
  }
  if (bits > 0) out += B32HEX[(acc << (5 - bits)) & 31]!;
  return out;
}
