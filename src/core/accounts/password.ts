import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Password hashes in the `$scrypt$` format of Python's passlib (readable by other tools):
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`, salt and hash in passlib's "adapted base64"
 * (`.` for `+`, no padding). scrypt from node:crypto; ln=15 (N=32768, 32 MiB) takes
 * about 0.1 s here, the OWASP-recommended floor for scrypt is N=2^17 with r=8... at p=1; we
 * use 2^15 because every POP3/IMAP/SMTP login pays it, and cache verified logins (see
 * AccountStore) instead.
 */

const DEFAULT_LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9./]{11,})\$([A-Za-z0-9./]{22,})$/;

function ab64encode(bytes: Buffer): string {
  return bytes.toString("base64").replace(/=+$/, "").replaceAll("+", ".");
}

function ab64decode(text: string): Buffer {
  return Buffer.from(text.replaceAll(".", "+"), "base64");
}

function scryptAsync(
  password: string,
  salt: Buffer,
  length: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, length, options, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

function costOptions(logN: number, r: number, p: number): ScryptOptions {
  // maxmem must exceed 128 * N * r bytes or node refuses.
  return { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r + 1024 * 1024 };
}

/** Whether `text` looks like a hash `hashPassword` writes. */
export function isScryptHash(text: string): boolean {
  const m = FORMAT.exec(text);
  return m !== null && Number(m[1]) >= 10 && Number(m[1]) <= 22;
}

/** Hashes a password with a fresh 16-byte salt. */
export async function hashPassword(password: string, logN = DEFAULT_LOG_N): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH, costOptions(logN, R, P));
  return `$scrypt$ln=${logN},r=${R},p=${P}$${ab64encode(salt)}$${ab64encode(key)}`;
}

/** Checks a password against a hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = FORMAT.exec(hash);
  if (!m || !isScryptHash(hash)) return false;
  const expected = ab64decode(m[5]!);
  const key = await scryptAsync(
    password,
    ab64decode(m[4]!),
    expected.length,
    costOptions(Number(m[1]), Number(m[2]), Number(m[3])),
  );
  return timingSafeEqual(key, expected);
}
