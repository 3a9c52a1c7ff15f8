/**
 * IPv4 and IPv6 addresses in presentation form for zone files, as BIND reads them
 * (`inet_pton()`) and dig prints them (`inet_ntop()`). The parsing and printing live once, in
 * the codec (../codec/ip.ts); these are the shapes the zone parser wants: a boolean instead of
 * an exception for text that is not an address.
 */
import {
  formatIPv6 as formatIPv6At,
  parseIPv4 as parseIPv4OrThrow,
  parseIPv6 as parseIPv6OrThrow,
} from "../codec/ip.js";

/**
 * Parses a dotted-quad IPv4 address into `out` at `offset` (4 bytes). Exactly four decimal
 * parts of 0..255 with no leading zeros ("01.2.3.4" and "1.2.3" are refused, as by
 * inet_pton). Returns false if `text` is not such an address.
 */
export function parseIPv4(text: string, out: Uint8Array, offset: number): boolean {
  try {
    parseIPv4OrThrow(text, out, offset);
    return true;
  } catch {
    return false;
  }
}

/** Whether `text` is a dotted-quad IPv4 address as `parseIPv4` accepts it. */
export function isIPv4(text: string): boolean {
  return parseIPv4(text, ipv4Scratch, 0);
}
const ipv4Scratch = new Uint8Array(4);

/**
 * Parses an IPv6 address (RFC 4291 §2.2) into `out` at `offset` (16 bytes). Returns false if
 * `text` is not such an address.
 */
export function parseIPv6(text: string, out: Uint8Array, offset: number): boolean {
  try {
    parseIPv6OrThrow(text, out, offset);
    return true;
  } catch {
    return false;
  }
}

/** `bytes[offset..offset+16)` as inet_ntop prints it (RFC 5952). */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  return formatIPv6At(bytes, offset);
}
