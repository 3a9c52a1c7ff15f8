import { randomFillSync } from "node:crypto";

/**
 * Random bytes for unique names (queue ids, Maildir file names, Message-IDs), drawn from a
 * pool that is refilled from the system's CSPRNG when spent. A call to randomBytes() for a
 * few bytes costs a round through OpenSSL each time; names are made several times per
 * message, so they share one fill of POOL_BYTES. Not for keys or salts (use crypto directly).
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** `bytes` random bytes (at most POOL_BYTES) as lowercase hex. */
export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) throw new RangeError(`Cannot take ${bytes} random bytes: at most ${POOL_BYTES}`);
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString("hex", used, used + bytes);
  used += bytes;
  return hex;
}
