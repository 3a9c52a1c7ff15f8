import { DecodeError } from "../../core/errors.js";

/*
 * Modified UTF-7, the encoding of IMAP mailbox names (RFC 3501 §5.1.3), which Dovecot also
 * uses for Maildir++ folder directory names. Printable US-ASCII (0x20–0x7E) stands for
 * itself except "&", which is written "&-"; any other run of characters is UTF-16BE in
 * base64 with "," for "/" and no padding, between "&" and "-".
 */

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
const BASE64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) BASE64_VALUE[BASE64.charCodeAt(i)] = i;

function isDirect(code: number): boolean {
  return code >= 0x20 && code <= 0x7e;
}

/** Encodes a (UTF-16) string in modified UTF-7. */
export function encodeMutf7(name: string): string {
  let out = "";
  let i = 0;
  while (i < name.length) {
    const code = name.charCodeAt(i);
    if (code === 0x26) {
      out += "&-";
      i++;
    } else if (isDirect(code)) {
      let j = i + 1;
      while (j < name.length && isDirect(name.charCodeAt(j)) && name.charCodeAt(j) !== 0x26) j++;
      out += name.slice(i, j);
      i = j;
    } else {
      let j = i + 1;
      while (j < name.length && !isDirect(name.charCodeAt(j))) j++;
      const bytes = Buffer.alloc((j - i) * 2);
      for (let k = i; k < j; k++) bytes.writeUInt16BE(name.charCodeAt(k), (k - i) * 2);
      out += `&${bytes.toString("base64").replace(/=+$/, "").replaceAll("/", ",")}-`;
      i = j;
    }
  }
  return out;
}

/**
 * Decodes modified UTF-7, strictly: RFC 3501 §5.1.3 forbids base64 for printable ASCII,
 * two adjacent encoded runs, and non-zero or excess padding bits; unpaired surrogates and
 * characters outside 0x20–0x7E are not valid either. Throws DecodeError at the offset.
 */
export function decodeMutf7(text: string): string {
  let out = "";
  let i = 0;
  let lastRunEnd = -1;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (!isDirect(code)) throw new DecodeError("Cannot decode modified UTF-7: not printable ASCII", i);
    if (code !== 0x26) {
      out += text.charAt(i);
      i++;
      continue;
    }
    const start = i;
    i++;
    if (text.charCodeAt(i) === 0x2d) {
      out += "&";
      i++;
      continue;
    }
    if (start === lastRunEnd) {
      throw new DecodeError("Cannot decode modified UTF-7: two adjacent encoded runs", start);
    }
    let bits = 0;
    let buffer = 0;
    let units = 0;
    let high = 0;
    for (;;) {
      if (i >= text.length) throw new DecodeError("Cannot decode modified UTF-7: unterminated run", start);
      const c = text.charCodeAt(i);
      if (c === 0x2d) break;
      const value = c < 128 ? BASE64_VALUE[c]! : -1;
      if (value < 0) throw new DecodeError("Cannot decode modified UTF-7: not base64", i);
      buffer = ((buffer << 6) | value) & 0xffffff;
      bits += 6;
      i++;
      if (bits < 16) continue;
      bits -= 16;
      const unit = (buffer >>> bits) & 0xffff;
      units++;
      if (high !== 0) {
        if (unit < 0xdc00 || unit > 0xdfff) {
          throw new DecodeError("Cannot decode modified UTF-7: unpaired surrogate", i);
        }
        out += String.fromCharCode(high, unit);
        high = 0;
      } else if (unit >= 0xd800 && unit <= 0xdbff) {
        high = unit;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        throw new DecodeError("Cannot decode modified UTF-7: unpaired surrogate", i);
      } else if (isDirect(unit)) {
        throw new DecodeError("Cannot decode modified UTF-7: printable ASCII in base64", i);
      } else {
        out += String.fromCharCode(unit);
      }
    }
    if (bits >= 6 || (buffer & ((1 << bits) - 1)) !== 0 || units === 0 || high !== 0) {
      throw new DecodeError("Cannot decode modified UTF-7: bad padding", i);
    }
    i++;
    lastRunEnd = i;
  }
  return out;
}
