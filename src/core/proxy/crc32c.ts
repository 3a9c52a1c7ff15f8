/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as RFC 4960 Appendix B defines it
 * for SCTP and the PROXY protocol's PP2_TYPE_CRC32C TLV (proxy-protocol.txt §2.2.3) uses it.
 * Table-driven, one byte at a time: headers are at most 64 KiB and checksummed once.
 */

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The initial value to pass to `crc32cUpdate`. */
export const CRC32C_INIT = 0xffffffff;

/** Feeds `bytes[start..end)` into a running CRC (start with CRC32C_INIT, end with crc32cFinish). */
export function crc32cUpdate(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** Turns a running CRC into the checksum. */
export function crc32cFinish(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/** The CRC-32C of `bytes[start..end)`. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32cFinish(crc32cUpdate(CRC32C_INIT, bytes, start, end));
}
