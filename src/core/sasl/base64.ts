/**
 * Strict base64 for SASL exchanges. Node's `Buffer.from(text, "base64")` skips characters it
 * does not know and accepts missing or misplaced padding; RFC 4954 §4 (and RFC 9051 §6.2.2)
 * say servers and clients "MUST reject (and not ignore) any character not explicitly allowed
 * by the BASE64 alphabet, and MUST reject any sequence of BASE64 characters that contains the
 * pad character ('=') anywhere other than the end of the string".
 */

/** The base64 alphabet's value of each char code, or -1 (RFC 4648 §4, Table 1). */
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  VALUES["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;
}
const PAD = 0x3d;

/**
 * Decodes RFC 4648 §4 base64, or returns `null` if `text` is not exactly that: only alphabet
 * characters, a length that is a multiple of 4, at most two "=" and only at the end, and
 * (RFC 4648 §3.5) pad bits of zero, so that each byte string has one encoding. No whitespace.
 * The empty string decodes to an empty buffer.
 */
export function decodeBase64(text: string): Buffer | null {
  const n = text.length;
  if (n % 4 !== 0) return null;
  let pad = 0;
  if (n > 0 && text.charCodeAt(n - 1) === PAD) pad = text.charCodeAt(n - 2) === PAD ? 2 : 1;
  const end = n - pad;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || VALUES[c]! < 0) return null;
  }
  // The last character before the padding carries bits past the data; they must be zero.
  if (pad === 2 && (VALUES[text.charCodeAt(n - 3)]! & 0x0f) !== 0) return null;
  if (pad === 1 && (VALUES[text.charCodeAt(n - 2)]! & 0x03) !== 0) return null;
  return Buffer.from(text, "base64");
}

/** Encodes bytes or a string (as UTF-8) as base64 with padding. */
export function encodeBase64(data: Uint8Array | string): string {
  const bytes =
    typeof data === "string"
      ? Buffer.from(data, "utf8")
      : Buffer.from(data.buffer, data.byteOffset, data.length);
  return bytes.toString("base64");
}
