import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fsyncDirectory, syncDirectory } from "../../core/fs.js";

export { syncDirectory };
import { withDotlock } from "./dotlock.js";
import { MailStoreError, isErrno } from "./errors.js";
import { STORE_LIMITS } from "./limits.js";
import { decodeMutf7, encodeMutf7 } from "./mutf7.js";
import { UIDLIST_FILE } from "./uidlist.js";

/*
 * Maildir++ layout (Courier's, Dovecot's default): INBOX is the Maildir itself; every other
 * folder is a Maildir in a directory `.<level>.<level>…` directly under it, holding an empty
 * file `maildirfolder`. Levels are in modified UTF-7 (RFC 3501 §5.1.3), as Dovecot writes
 * them. So "." can never be part of a level, whatever delimiter clients are shown.
 */

/** Marks a Maildir as a Maildir++ subfolder (delivery agents then skip quota files etc.). */
export const MAILDIRFOLDER_FILE = "maildirfolder";
export const SUBSCRIPTIONS_FILE = "subscriptions";

/** The name INBOX, matched without regard to case (RFC 3501 §5.1). */
export const INBOX = "INBOX";

/** A hierarchy delimiter clients may be shown. */
export type Delimiter = "/" | ".";

/**
 * Splits a folder name into its levels, checking each can be a directory name here. The
 * first level is "INBOX" if it is any case of it; a trailing delimiter is dropped (RFC 3501
 * §6.3.3: it declares an intent to create children). Throws MailStoreError "invalid-name".
 */
export function folderLevels(name: string, delimiter: Delimiter): string[] {
  let text = name;
  if (text.endsWith(delimiter) && text.length > 1) text = text.slice(0, -1);
  const levels = text.split(delimiter);
  if (levels[0]!.toUpperCase() === INBOX) levels[0] = INBOX;
  for (const level of levels) {
    if (level === "") throw invalid(name, "it has an empty level");
    // "." separates levels on disk and "/" cannot be in a file name; "*" and "%" are LIST
    // wildcards (RFC 3501 §6.3.8), so such a folder could never be listed by itself.
    for (const char of level) {
      const code = char.charCodeAt(0);
      if (code < 0x20 || code === 0x7f || char === "." || char === "/" || char === "*" || char === "%") {
        throw invalid(name, `it contains ${JSON.stringify(char)}`);
      }
    }
  }
  if (Buffer.byteLength(levelsToDir(levels)) > STORE_LIMITS.maxFolderDirBytes) {
    throw new MailStoreError(`Cannot use folder name "${name}": it is too long`, "limit");
  }
  return levels;
}

function invalid(name: string, why: string): MailStoreError {
  return new MailStoreError(`Cannot use folder name "${name}": ${why}`, "invalid-name");
}

/** True if the levels name INBOX itself. */
export function isInbox(levels: readonly string[]): boolean {
  return levels.length === 1 && levels[0] === INBOX;
}

/** The directory name (relative to the Maildir) of a folder: "" for INBOX. */
export function levelsToDir(levels: readonly string[]): string {
  if (isInbox(levels)) return "";
  return `.${levels.map(encodeMutf7).join(".")}`;
}

/**
 * The levels of a Maildir++ directory name, or undefined if it is not one. A level that is
 * not valid modified UTF-7 (made by a program writing raw UTF-8) is shown as it is.
 */
export function dirToLevels(dir: string): string[] | undefined {
  if (!dir.startsWith(".") || dir === "." || dir === "..") return undefined;
  const levels = dir.slice(1).split(".");
  if (levels.some((l) => l === "")) return undefined;
  return levels.map((level) => {
    try {
      return decodeMutf7(level);
    } catch {
      return level;
    }
  });
}

/** Creates a Maildir's cur/ new/ tmp/ (mode 0700), and `maildirfolder` for a subfolder. */
export async function ensureMaildir(dir: string, subfolder: boolean): Promise<void> {
  try {
    await stat(join(dir, "tmp"));
    await stat(join(dir, "cur"));
    await stat(join(dir, "new"));
    return;
  } catch (error) {
    if (!isErrno(error, "ENOENT")) throw error;
  }
  const made = await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const sub of ["cur", "new", "tmp"]) await mkdir(join(dir, sub), { mode: 0o700 }).catch(ignoreExists);
  if (subfolder) await writeFile(join(dir, MAILDIRFOLDER_FILE), "", { flag: "a", mode: 0o600 });
  // Make the new directories themselves durable: the first delivery must survive a crash.
  await fsyncDirectory(dir);
  if (made !== undefined) {
    for (let d = dir; ; d = dirname(d)) {
      await fsyncDirectory(dirname(d));
      if (d === made || dirname(d) === d) break;
    }
  }
}

function ignoreExists(error: unknown): void {
  if (!isErrno(error, "EEXIST")) throw error;
}

/** Runs `task` holding the folder's `dovecot-uidlist.lock`, as Dovecot does for changes. */
export function withUidlistLock<T>(folderDir: string, task: () => Promise<T>): Promise<T> {
  return withDotlock(
    join(folderDir, `${UIDLIST_FILE}.lock`),
    { staleMs: STORE_LIMITS.uidlistLockStaleMs, timeoutMs: STORE_LIMITS.uidlistLockTimeoutMs },
    task,
  );
}
