/**
 * The encodings that carry DSN values through SMTP parameters: RFC 3461 §4 "xtext" (ENVID,
 * ORCPT) and RFC 6533 §3 "utf-8-addr-xtext" / "utf-8-addr-unitext" (the `utf-8` address type
 * of an internationalised ORCPT).
 */
import { DecodeError } from "../../core/errors.js";

const PLUS = 0x2b;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;

/** RFC 3461 §4: xchar = "!" (33) to "~" (126) except "+" and "=". */
function isXchar(c: number): boolean {
  return c >= 0x21 && c <= 0x7e && c !== PLUS && c !== EQUALS;
}

const XTEXT = /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})*$/;

/** Whether `text` is well-formed xtext (RFC 3461 §4: hexchars in upper case). */
export function isXtext(text: string): boolean {
  return XTEXT.test(text);
}

const HEX = "0123456789ABCDEF";

/**
 * Encodes `value` (as UTF-8 octets) as xtext: printable ASCII other than "+" and "=" as
 * itself, every other octet as "+XX" (RFC 3461 §4).
 */
export function encodeXtext(value: string): string {
  const bytes = Buffer.from(value, "utf8");
  let out = "";
  for (const c of bytes) out += isXchar(c) ? String.fromCharCode(c) : `+${HEX[c >> 4]!}${HEX[c & 15]!}`;
  return out;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/**
 * Decodes xtext to the octets it stands for, read as UTF-8 (RFC 3461 values are ASCII; an
 * octet sequence that is not UTF-8 decodes to U+FFFD). Lower-case hex after "+" is accepted,
 * as Postfix does. Throws DecodeError at the first character that is not xtext.
 */
export function decodeXtext(xtext: string): string {
  const out = Buffer.allocUnsafe(xtext.length);
  let n = 0;
  for (let i = 0; i < xtext.length; i++) {
    const c = xtext.charCodeAt(i);
    if (c === PLUS) {
      const hi = i + 1 < xtext.length ? hexDigit(xtext.charCodeAt(i + 1)) : -1;
      const lo = i + 2 < xtext.length ? hexDigit(xtext.charCodeAt(i + 2)) : -1;
      if (hi < 0 || lo < 0)
        throw new DecodeError('Cannot decode xtext: "+" must be followed by two hex digits', i);
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else if (isXchar(c)) {
      out[n++] = c;
    } else {
      throw new DecodeError(`Cannot decode xtext: character ${JSON.stringify(xtext[i])} is not allowed`, i);
    }
  }
  return out.toString("utf8", 0, n);
}

/** RFC 6533 §3: QCHAR = printable ASCII except SP, "\", "+" and "=". */
function isQchar(c: number): boolean {
  return isXchar(c) && c !== BACKSLASH;
}

/**
 * RFC 6533 §3 utf-8-addr-xtext: an address with every character that is not a QCHAR written
 * as `\x{HEX}` (its code point in upper-case hex, at least two digits). The result is 7-bit,
 * valid xtext, and so usable as an ORCPT value and in a message/delivery-status field.
 */
export function encodeUtf8AddrXtext(address: string): string {
  let out = "";
  for (const ch of address) {
    const cp = ch.codePointAt(0)!;
    out += cp < 0x80 && isQchar(cp) ? ch : `\\x{${cp.toString(16).toUpperCase().padStart(2, "0")}}`;
  }
  return out;
}

/**
 * Decodes RFC 6533 §3 utf-8-addr-xtext or utf-8-addr-unitext (the same with raw UTF-8 allowed)
 * to the address: each `\x{HEX}` becomes its code point. Throws DecodeError for a malformed
 * escape, a code point that is not a Unicode scalar value, or a bare "\".
 */
export function decodeUtf8AddrXtext(text: string): string {
  let out = "";
  let from = 0;
  for (let i = text.indexOf("\\"); i >= 0; i = text.indexOf("\\", from)) {
    out += text.slice(from, i);
    const close = text.indexOf("}", i);
    const digits = close < 0 ? "" : text.slice(i + 3, close);
    if (!text.startsWith("\\x{", i) || !/^[0-9A-Fa-f]{1,6}$/.test(digits)) {
      throw new DecodeError('Cannot decode utf-8-addr-xtext: "\\" must begin "\\x{HEX}"', i);
    }
    const cp = parseInt(digits, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new DecodeError(`Cannot decode utf-8-addr-xtext: U+${digits} is not a character`, i);
    }
    out += String.fromCodePoint(cp);
    from = close + 1;
  }
  return out + text.slice(from);
}
