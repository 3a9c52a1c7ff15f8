import { open, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isErrno } from "./errors.js";

/*
 * UIDVALIDITY values for new folders, unique within one Maildir even across deletes and
 * re-creates (RFC 3501 §2.3.1.1: a new mailbox of an old name must get a new UIDVALIDITY).
 * Dovecot's scheme, so both take turns without a lock: the value lives in the name of an
 * empty marker file `dovecot-uidvalidity.<hex>`; whoever renames it to <hex+1> has taken
 * <hex+1>. `dovecot-uidvalidity` holds the last value as a hint for the fast path.
 */

const FILE = "dovecot-uidvalidity";
const RETRIES = 10;

/** Takes the next UIDVALIDITY of the Maildir at `root`. */
export async function nextUidValidity(root: string): Promise<number> {
  const hint = await readHint(root);
  if (hint !== undefined) {
    const taken = await advance(root, hint);
    if (taken !== undefined) return await remember(root, taken);
  }
  let max = 0;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith(`${FILE}.`)) continue;
    const value = parseHex(name.slice(FILE.length + 1));
    if (value !== undefined && value > max) max = value;
  }
  if (max !== 0) {
    const taken = await advance(root, max);
    if (taken !== undefined) return await remember(root, taken);
  }
  // No marker yet (or we lost every race): start from the clock, as Dovecot does.
  let value = Math.max(1, Math.floor(Date.now() / 1000), max + 1) >>> 0;
  for (let i = 0; i < RETRIES; i++, value++) {
    try {
      await (await open(join(root, `${FILE}.${hex(value)}`), "wx", 0o444)).close();
      break;
    } catch (error) {
      if (!isErrno(error, "EEXIST")) throw error;
    }
  }
  return await remember(root, value);
}

async function advance(root: string, from: number): Promise<number | undefined> {
  let value = from;
  for (let i = 0; i < RETRIES; i++) {
    try {
      await rename(join(root, `${FILE}.${hex(value)}`), join(root, `${FILE}.${hex(value + 1)}`));
      return value + 1;
    } catch (error) {
      if (!isErrno(error, "ENOENT")) throw error;
      value++; // someone else took it: try the next
    }
  }
  return undefined;
}

async function readHint(root: string): Promise<number | undefined> {
  try {
    const handle = await open(join(root, FILE), "r");
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(8), 0, 8, 0);
      return parseHex(buffer.toString("latin1", 0, bytesRead));
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (isErrno(error, "ENOENT")) return undefined;
    throw error;
  }
}

async function remember(root: string, value: number): Promise<number> {
  await writeFile(join(root, FILE), hex(value), { mode: 0o600 });
  return value;
}

function hex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

function parseHex(text: string): number | undefined {
  if (!/^[0-9a-f]{1,8}$/i.test(text)) return undefined;
  const value = Number.parseInt(text, 16);
  return value === 0 ? undefined : value;
}
