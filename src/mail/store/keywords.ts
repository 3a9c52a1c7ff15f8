import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileDurable } from "../../core/fs.js";
import { MailStoreError, isErrno } from "./errors.js";
import { STORE_LIMITS } from "./limits.js";

/*
 * dovecot-keywords: which keyword each of the file name letters a–z stands for, one
 * `<index> <keyword>` line each (0 = "a"). Replaced only by rename, and written only while
 * holding dovecot-uidlist.lock (Dovecot's rule), so readers need no lock.
 */

export const KEYWORDS_FILE = "dovecot-keywords";

/** A keyword (RFC 3501 §9 flag-keyword = atom): no specials, no "\", printable ASCII. */
export function isValidKeyword(keyword: string): boolean {
  return (
    keyword.length > 0 &&
    keyword.length <= STORE_LIMITS.maxKeywordLength &&
    /^[\x21-\x7e]+$/.test(keyword) &&
    !/[(){%*"\\\]]/.test(keyword)
  );
}

/** The keyword table of one folder, re-read when the file changes. */
export class KeywordTable {
  readonly #path: string;
  #names: (string | undefined)[] = [];
  #stamp = "";

  constructor(folderDir: string) {
    this.#path = join(folderDir, KEYWORDS_FILE);
  }

  /** The keywords by letter index (holes for unused letters). */
  get names(): readonly (string | undefined)[] {
    return this.#names;
  }

  /** Re-reads the file if it changed; returns true if it did. */
  async refresh(): Promise<boolean> {
    const info = await stat(this.#path).catch((error: unknown) => {
      if (isErrno(error, "ENOENT")) return undefined;
      throw error;
    });
    const stamp = info === undefined ? "" : `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (stamp === this.#stamp) return false;
    this.#stamp = stamp;
    this.#names = info === undefined ? [] : parseKeywords(await readFile(this.#path, "utf8").catch(() => ""));
    return true;
  }

  /** The names of the keyword letters set in `bits`, in letter order. */
  namesOf(bits: number): string[] {
    const out: string[] = [];
    for (let i = 0; bits !== 0 && i < 26; i++) {
      if ((bits & (1 << i)) !== 0) {
        const name = this.#names[i];
        if (name !== undefined) out.push(name);
      }
      bits &= ~(1 << i);
    }
    return out;
  }

  /** The index of a keyword (compared without regard to case), or -1. */
  indexOf(keyword: string): number {
    const lower = keyword.toLowerCase();
    return this.#names.findIndex((n) => n?.toLowerCase() === lower);
  }

  /**
   * The letter bits of `keywords`, adding missing ones to the file (the caller holds
   * dovecot-uidlist.lock). Throws MailStoreError "limit" when all 26 letters are taken.
   */
  async bitsOf(keywords: readonly string[], create: boolean): Promise<number> {
    let bits = 0;
    let added = false;
    for (const keyword of keywords) {
      let index = this.indexOf(keyword);
      if (index < 0 && create) {
        if (!added) await this.refresh();
        index = this.indexOf(keyword);
        if (index < 0) {
          index = this.#names.findIndex((n) => n === undefined);
          if (index < 0) index = this.#names.length;
          if (index >= STORE_LIMITS.maxKeywords) {
            throw new MailStoreError(`Cannot add keyword ${keyword}: this folder has 26 already`, "limit");
          }
          this.#names[index] = keyword;
          added = true;
        }
      }
      if (index >= 0) bits |= 1 << index;
    }
    if (added) {
      await writeFileDurable(this.#path, formatKeywords(this.#names));
      this.#stamp = "";
      await this.refresh();
    }
    return bits;
  }
}

/** Parses dovecot-keywords text into names by index. */
export function parseKeywords(text: string): (string | undefined)[] {
  const names: (string | undefined)[] = [];
  for (const line of text.split("\n")) {
    const space = line.indexOf(" ");
    const index = Number(line.slice(0, space));
    const name = line.slice(space + 1);
    if (space > 0 && Number.isInteger(index) && index >= 0 && index < 26 && isValidKeyword(name)) {
      names[index] = name;
    }
  }
  return names;
}

/** The text of dovecot-keywords. */
export function formatKeywords(names: readonly (string | undefined)[]): string {
  return names.map((name, i) => (name === undefined ? "" : `${i} ${name}\n`)).join("");
}
