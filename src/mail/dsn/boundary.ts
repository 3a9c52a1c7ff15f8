import { randomBytes } from "node:crypto";

/**
 * A MIME boundary (RFC 2046 §5.1.1: at most 70 characters, quoted where it is used) whose
 * delimiter line occurs in none of `bodies`: 128 random bits make a clash all but impossible,
 * and the check makes it impossible. `random` is for tests.
 */
export function uniqueBoundary(
  bodies: readonly Uint8Array[],
  random: (size: number) => Buffer = randomBytes,
): string {
  for (;;) {
    const boundary = `=_portico_${random(16).toString("hex")}`;
    const delimiter = Buffer.from(`--${boundary}`);
    if (
      !bodies.some((body) => Buffer.from(body.buffer, body.byteOffset, body.byteLength).includes(delimiter))
    ) {
      return boundary;
    }
  }
}
