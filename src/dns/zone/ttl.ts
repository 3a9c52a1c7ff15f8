/**
 * TTLs and timer values in master files: a decimal number of seconds, or a sum of numbers
 * with units `w` `d` `h` `m` `s` (case-insensitive, "1h30m", "1w2d"), as BIND reads them.
 *
 * BIND's rules, kept exactly so the same files are accepted:
 * - every number except a lone one needs a unit: "1h30" is not a TTL (nor is "30 "+"1h");
 * - each number fits in 32 bits, and so does the sum;
 * - at most 63 characters.
 */

/** `parseTtl` result: not a TTL at all. */
export const TTL_SYNTAX = -1;
/** `parseTtl` result: a TTL whose value does not fit in 32 bits. */
export const TTL_RANGE = -2;

/** The largest TTL a record may have (RFC 2181 §8); larger values are loaded as 0. */
export const MAX_TTL = 0x7fffffff;

const UNIT_SECONDS: Record<number, number> = {
  0x77: 604800, // w
  0x64: 86400, // d
  0x68: 3600, // h
  0x6d: 60, // m
  0x73: 1, // s
};

/**
 * Parses `text[start..end)` as a TTL; returns the number of seconds (0..2^32-1), or
 * TTL_SYNTAX, or TTL_RANGE.
 */
export function parseTtl(text: string, start = 0, end = text.length): number {
  if (end - start > 63 || end <= start) return TTL_SYNTAX;
  let total = 0;
  let i = start;
  while (i < end) {
    let n = 0;
    const digitsFrom = i;
    while (i < end) {
      const d = text.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      i++;
    }
    if (i === digitsFrom || n > 0xffffffff) return TTL_SYNTAX;
    if (i === end) {
      // A plain number is only allowed on its own (BIND: "1h30" is a syntax error).
      if (total !== 0) return TTL_SYNTAX;
      total = n;
      break;
    }
    const unit = UNIT_SECONDS[text.charCodeAt(i) | 0x20];
    if (unit === undefined) return TTL_SYNTAX;
    total += n * unit;
    i++;
  }
  return total > 0xffffffff ? TTL_RANGE : total;
}

/**
 * Parses a plain unsigned decimal number of at most `max` (a SOA serial, a preference...):
 * digits only, no sign, no units. Returns -1 if `text` is not that.
 */
export function parseDecimal(text: string, max: number): number {
  const n = text.length;
  if (n === 0) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
    if (v > max) return -1;
  }
  return v;
}
