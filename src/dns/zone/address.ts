/**
 * IPv4 and IPv6 addresses in presentation form, read as `inet_pton()` reads them (which is
 * what BIND uses for A and AAAA data) and printed as `inet_ntop()` prints them (which is what
 * dig shows, RFC 5952 style).
 */

/**
 * Parses a dotted-quad IPv4 address into `out` at `offset` (4 bytes). Exactly four decimal
 * parts of 0..255 with no leading zeros ("01.2.3.4" and "1.2.3" are refused, as by
 * inet_pton). Returns false if `text` is not such an address.
 */
export function parseIPv4(text: string, out: Uint8Array, offset: number): boolean {
  const n = text.length;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[offset + part] = value;
      part++;
      value = 0;
      digits = 0;
      continue;
    }
    const d = c - 0x30;
    if (d < 0 || d > 9) return false;
    if (digits > 0 && value === 0) return false; // leading zero
    value = value * 10 + d;
    if (value > 255) return false;
    digits++;
  }
  return part === 4;
}

/** Whether `text` is a dotted-quad IPv4 address as `parseIPv4` accepts it. */
export function isIPv4(text: string): boolean {
  return parseIPv4(text, ipv4Scratch, 0);
}
const ipv4Scratch = new Uint8Array(4);

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/**
 * Parses an IPv6 address (RFC 4291 §2.2: groups of 1-4 hex digits, one `::`, an optional
 * dotted quad in the last 32 bits) into `out` at `offset` (16 bytes). Returns false if
 * `text` is not such an address.
 */
export function parseIPv6(text: string, out: Uint8Array, offset: number): boolean {
  const n = text.length;
  if (n < 2 || n > 45) return false;
  const words = new Array<number>(8).fill(0);
  let count = 0;
  let gap = -1; // word index where "::" stands
  let i = 0;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    gap = 0;
    i = 2;
    if (i === n) {
      out.fill(0, offset, offset + 16);
      return true;
    }
  }
  for (;;) {
    // One group, or a trailing dotted quad.
    const start = i;
    let value = 0;
    while (i < n && i - start < 5) {
      const h = hexDigit(text.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    if (i < n && text.charCodeAt(i) === 0x2e) {
      // The rest is an IPv4 address: it fills two words and must end the text.
      if (count > 6) return false;
      const quad = new Uint8Array(4);
      if (!parseIPv4(text.slice(start), quad, 0)) return false;
      words[count++] = (quad[0]! << 8) | quad[1]!;
      words[count++] = (quad[2]! << 8) | quad[3]!;
      break;
    }
    const len = i - start;
    if (len === 0 || len > 4 || count >= 8) return false;
    words[count++] = value;
    if (i === n) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < n && text.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i === n) break;
    } else if (i === n) {
      return false; // a trailing single colon
    }
  }
  if (gap >= 0) {
    if (count === 8) return false; // "::" must stand for at least one word
    const tail = words.slice(gap, count);
    for (let k = gap; k < 8; k++) words[k] = 0;
    for (let k = 0; k < tail.length; k++) words[8 - tail.length + k] = tail[k]!;
  } else if (count !== 8) {
    return false;
  }
  for (let k = 0; k < 8; k++) {
    out[offset + 2 * k] = words[k]! >> 8;
    out[offset + 2 * k + 1] = words[k]! & 0xff;
  }
  return true;
}

/**
 * The text of the 16-byte IPv6 address at `bytes[offset..]`, as inet_ntop() writes it:
 * lower-case hex, leading zeros dropped, the longest run of two or more zero words (the
 * first if tied) as `::`, and the last 32 bits as a dotted quad for IPv4-mapped
 * (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses.
 */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let k = 0; k < 8; k++) words.push((bytes[offset + 2 * k]! << 8) | bytes[offset + 2 * k + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let k = 0; k < 8;) {
    if (words[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && words[e] === 0) e++;
    if (e - k > bestLen) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  if (bestLen < 2) bestStart = -1;
  let out = "";
  for (let k = 0; k < 8; k++) {
    if (bestStart >= 0 && k >= bestStart && k < bestStart + bestLen) {
      if (k === bestStart) out += ":";
      continue;
    }
    if (k !== 0) out += ":";
    // An encapsulated IPv4 address (the same test as BSD/glibc inet_ntop).
    if (
      k === 6 &&
      bestStart === 0 &&
      (bestLen === 6 || (bestLen === 7 && words[7] !== 0x0001) || (bestLen === 5 && words[5] === 0xffff))
    ) {
      out += `${bytes[offset + 12]}.${bytes[offset + 13]}.${bytes[offset + 14]}.${bytes[offset + 15]}`;
      break;
    }
    out += words[k]!.toString(16);
  }
  if (bestStart >= 0 && bestStart + bestLen === 8) out += ":";
  return out;
}
