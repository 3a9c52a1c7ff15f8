/**
 * The text forms of A and AAAA record data: dotted-quad IPv4 and IPv6 as Node's `net` module
 * prints it (libuv's inet_ntop: lowercase hex, the longest run of two or more zero groups
 * compressed to "::", the first such run on a tie, and "::a.b.c.d" / "::ffff:a.b.c.d" for
 * IPv4-compatible and IPv4-mapped addresses).
 */

/** `bytes[offset..offset+4)` as a dotted quad. */
export function formatIPv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]!}.${bytes[offset + 1]!}.${bytes[offset + 2]!}.${bytes[offset + 3]!}`;
}

/** `bytes[offset..offset+16)` in the text form `net.SocketAddress` prints. */
export function formatIPv6(bytes: Uint8Array, offset: number): string {
  const words = new Array<number>(8);
  for (let i = 0; i < 8; i++) words[i] = (bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!;
  let bestBase = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestBase = i;
      bestLength = j - i;
    }
    i = j;
  }
  // A single zero group is not compressed (RFC 5952 §4.2.2).
  if (bestLength < 2) bestBase = -1;
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLength) {
      if (i === bestBase) text += ":";
      continue;
    }
    if (i !== 0) text += ":";
    if (i === 6 && bestBase === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      return text + formatIPv4(bytes, offset + 12);
    }
    text += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLength === 8) text += ":";
  return text;
}

function badAddress(kind: string, text: string): TypeError {
  return new TypeError(`Cannot encode ${kind} address ${JSON.stringify(text)}: not a valid address`);
}

/**
 * Parses a dotted quad into `out[offset..offset+4)`. Leading zeros are refused (they read as
 * octal in some parsers). Throws TypeError if `text` is not an IPv4 address.
 */
export function parseIPv4(text: string, out: Uint8Array, offset: number): void {
  if (!parseIPv4Into(text, 0, text.length, out, offset)) throw badAddress("IPv4", text);
}

function parseIPv4Into(text: string, from: number, to: number, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let i = from;
  while (part < 4) {
    const start = i;
    let value = 0;
    while (i < to) {
      const d = text.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && text.charCodeAt(start) === 0x30))
      return false;
    out[offset + part++] = value;
    if (part < 4) {
      if (i >= to || text.charCodeAt(i) !== 0x2e) return false;
      i++;
    }
  }
  return i === to;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/**
 * Parses an IPv6 address (RFC 4291 §2.2: groups of 1-4 hex digits, at most one "::", an
 * optional trailing dotted quad) into `out[offset..offset+16)`. Throws TypeError otherwise.
 */
export function parseIPv6(text: string, out: Uint8Array, offset: number): void {
  const n = text.length;
  const words: number[] = [];
  let gap = -1; // index in `words` where "::" stands
  let i = 0;
  if (n >= 2 && text.charCodeAt(0) === 0x3a && text.charCodeAt(1) === 0x3a) {
    gap = 0;
    i = 2;
  } else if (n > 0 && text.charCodeAt(0) === 0x3a) {
    throw badAddress("IPv6", text);
  }
  while (i < n) {
    const start = i;
    let value = 0;
    while (i < n && i - start < 5) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = (value << 4) | h;
      i++;
    }
    if (i < n && text.charCodeAt(i) === 0x2e) {
      // A dotted quad ends the address and fills the last two groups.
      if (words.length > 6 || !parseIPv4Into(text, start, n, out, offset + 12))
        throw badAddress("IPv6", text);
      words.push(-1, -1);
      break;
    }
    if (i === start || i - start > 4) throw badAddress("IPv6", text);
    words.push(value);
    if (i === n) break;
    if (text.charCodeAt(i) !== 0x3a) throw badAddress("IPv6", text);
    i++;
    if (i < n && text.charCodeAt(i) === 0x3a) {
      if (gap >= 0) throw badAddress("IPv6", text);
      gap = words.length;
      i++;
    } else if (i === n) {
      throw badAddress("IPv6", text); // a single trailing colon
    }
  }
  if (gap >= 0 ? words.length > 7 : words.length !== 8) throw badAddress("IPv6", text);
  const fill = 8 - words.length;
  let w = 0;
  for (let k = 0; k < 8; k++) {
    let value: number;
    if (gap >= 0 && k >= gap && k < gap + fill) value = 0;
    else value = words[w++]!;
    if (value < 0) continue; // the dotted quad, already written
    out[offset + 2 * k] = value >> 8;
    out[offset + 2 * k + 1] = value & 0xff;
  }
}
