import { open, rename, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";
import { fsyncDirectory } from "../../core/fs.js";
import { isErrno } from "./errors.js";

/*
 * dovecot-uidlist, version 3 (Dovecot ≥ 1.1; see maildir-uidlist.c):
 *
 *   3 V<uidvalidity> N<nextuid> G<mailbox guid, 32 hex>[ <other header fields>]
 *   <uid>[ <key><value>…] :<base name>
 *
 * Records are in UID order. The file is never edited in place: new records are appended
 * under dovecot-uidlist.lock, and anything else (dropping expunged records, a new header)
 * writes a new file and renames it over. So readers need no lock; they re-read the whole
 * file when its inode changed, or just the appended lines when it grew. The next UID is the
 * larger of the header's N and the last record's UID + 1, since appends leave N alone.
 *
 * Version 1 (Courier's courierimapuiddb, old Dovecot): `1 <uidvalidity> <nextuid>` and
 * `<uid> <file name>`; read, and rewritten as version 3 at the next change.
 */

export const UIDLIST_FILE = "dovecot-uidlist";

/** The header of a uidlist. */
export interface UidlistHeader {
  readonly uidValidity: number;
  readonly nextUid: number;
  /** The mailbox GUID, 32 hex digits. */
  readonly guid: string;
  /** Header fields we do not use, kept as they were ("K…" with other keys). */
  readonly extra: readonly string[];
}

/** One message of a uidlist. */
export interface UidlistRecord {
  readonly uid: number;
  /** The base file name (before ":"). */
  readonly base: string;
  /** Extension fields as written (`W1234` = RFC822 size, `G…`, `P…`, `O…`): kept on rewrite. */
  readonly ext: readonly string[];
}

/** A uidlist parsed from text; `consumed` is how many bytes of complete lines were read. */
export interface ParsedUidlist {
  readonly header: UidlistHeader | undefined;
  readonly version: number;
  readonly records: UidlistRecord[];
  readonly consumed: number;
}

const MAX_UID = 0xfffffffe;

/** Parses a header line; undefined if it is not a usable version 1 or 3 header. */
export function parseHeader(line: string): { header: UidlistHeader; version: number } | undefined {
  if (line.startsWith("1 ")) {
    const [v, n] = line.slice(2).split(" ");
    const uidValidity = Number(v);
    const nextUid = Number(n);
    if (!isUid(uidValidity) || !isUid(nextUid)) return undefined;
    return { header: { uidValidity, nextUid, guid: newGuid(), extra: [] }, version: 1 };
  }
  if (!line.startsWith("3 ")) return undefined;
  let uidValidity = 0;
  let nextUid = 0;
  let guid = "";
  const extra: string[] = [];
  for (const field of line.slice(2).split(" ")) {
    if (field === "") continue;
    const value = field.slice(1);
    if (field[0] === "V") uidValidity = Number(value);
    else if (field[0] === "N") nextUid = Number(value);
    else if (field[0] === "G" && /^[0-9a-f]{32}$/i.test(value)) guid = value.toLowerCase();
    else extra.push(field);
  }
  if (!isUid(uidValidity) || !isUid(nextUid)) return undefined;
  return { header: { uidValidity, nextUid, guid: guid || newGuid(), extra }, version: 3 };
}

/** Parses one record line of a uidlist of `version`; undefined if malformed. */
export function parseRecord(line: string, version: number): UidlistRecord | undefined {
  const space = line.indexOf(" ");
  if (space <= 0) return undefined;
  const uid = Number(line.slice(0, space));
  if (!isUid(uid) || !/^\d+$/.test(line.slice(0, space))) return undefined;
  let name: string;
  const ext: string[] = [];
  if (version === 3) {
    const colon = line.indexOf(":", space);
    if (colon < 0) return undefined;
    for (const field of line.slice(space + 1, colon).split(" ")) {
      if (field === "") continue;
      // Keys are upper-case letters (MAILDIR_UIDLIST_REC_EXT_KEY_IS_VALID); others dropped.
      if (field.charCodeAt(0) >= 65 && field.charCodeAt(0) <= 90) ext.push(field);
    }
    name = line.slice(colon + 1);
  } else {
    name = line.slice(space + 1).trimStart();
  }
  const colon = name.indexOf(":");
  const base = colon < 0 ? name : name.slice(0, colon);
  if (base === "" || base.includes("/")) return undefined;
  return { uid, base, ext };
}

/**
 * Parses uidlist text. With `after` (a header already read), `text` is the part appended
 * since, and records must have UIDs above `lastUid`. A last line without its newline is
 * left for the next read: its writer has not finished it.
 */
export function parseUidlist(
  text: string,
  after?: { readonly version: number; readonly lastUid: number },
): ParsedUidlist {
  let offset = 0;
  let header: UidlistHeader | undefined;
  let version = after?.version ?? 0;
  let lastUid = after?.lastUid ?? 0;
  const records: UidlistRecord[] = [];
  if (after === undefined) {
    const end = text.indexOf("\n");
    if (end < 0) return { header: undefined, version: 0, records, consumed: 0 };
    const parsed = parseHeader(text.slice(0, end));
    if (parsed === undefined) return { header: undefined, version: 0, records, consumed: end + 1 };
    ({ header, version } = parsed);
    offset = end + 1;
  }
  for (;;) {
    const end = text.indexOf("\n", offset);
    if (end < 0) break;
    const record = parseRecord(text.slice(offset, end), version);
    offset = end + 1;
    // Dovecot rejects out-of-order UIDs as corruption; skipping the line keeps the rest.
    if (record === undefined || record.uid <= lastUid) continue;
    lastUid = record.uid;
    records.push(record);
  }
  return { header, version, records, consumed: Buffer.byteLength(text.slice(0, offset)) };
}

/** The text of one record line. */
export function formatRecord(record: UidlistRecord): string {
  return `${record.uid}${record.ext.map((e) => ` ${e}`).join("")} :${record.base}\n`;
}

/** The text of a version 3 header line. */
export function formatHeader(header: UidlistHeader): string {
  const extra = header.extra.map((e) => ` ${e}`).join("");
  return `3 V${header.uidValidity} N${header.nextUid} G${header.guid}${extra}\n`;
}

/** A new mailbox GUID: 128 random bits in hex (Dovecot's are partly time and host). */
export function newGuid(): string {
  return randomBytes(16).toString("hex");
}

function isUid(value: number): boolean {
  return Number.isInteger(value) && value > 0 && value <= MAX_UID;
}

/**
 * The uidlist of one folder as this process last read it, with the file identity needed to
 * read only what changed since.
 */
export class UidlistFile {
  readonly path: string;
  header: UidlistHeader | undefined;
  /** Records by base name. */
  readonly byBase = new Map<string, UidlistRecord>();
  #version = 0;
  #lastUid = 0;
  #ino = -1;
  #offset = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** The UID the next new message gets. */
  get nextUid(): number {
    return Math.max(this.header?.nextUid ?? 1, this.#lastUid + 1);
  }

  /** True if the file on disk is not what we last read (new inode, or grown). */
  async changed(): Promise<boolean> {
    const info = await stat(this.path).catch((error: unknown) => {
      if (isErrno(error, "ENOENT")) return undefined;
      throw error;
    });
    if (info === undefined) return this.#ino !== -1;
    return info.ino !== this.#ino || info.size !== this.#offset;
  }

  /**
   * Brings the records up to date with the file. Returns the records added by others (full
   * re-read: all of them), or undefined if the file is missing or unusable.
   */
  async refresh(): Promise<UidlistRecord[] | undefined> {
    let handle;
    try {
      handle = await open(this.path, "r");
    } catch (error) {
      if (!isErrno(error, "ENOENT")) throw error;
      this.#reset();
      return undefined;
    }
    try {
      const info = await handle.stat();
      const whole = info.ino !== this.#ino || info.size < this.#offset || this.header === undefined;
      if (!whole && info.size === this.#offset) return [];
      const from = whole ? 0 : this.#offset;
      const buffer = Buffer.allocUnsafe(info.size - from);
      let read = 0;
      while (read < buffer.length) {
        const { bytesRead } = await handle.read(buffer, read, buffer.length - read, from + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      const text = buffer.toString("utf8", 0, read);
      if (whole) {
        const parsed = parseUidlist(text);
        this.#reset();
        if (parsed.header === undefined) return undefined;
        this.header = parsed.header;
        this.#version = parsed.version;
        this.#ino = info.ino;
        this.#offset = parsed.consumed;
        this.#add(parsed.records);
        return parsed.records;
      }
      const parsed = parseUidlist(text, { version: this.#version, lastUid: this.#lastUid });
      this.#offset += parsed.consumed;
      this.#add(parsed.records);
      return parsed.records;
    } finally {
      await handle.close();
    }
  }

  /** Appends records (caller holds the lock and has refreshed). Rewrites v1 files instead. */
  async append(records: readonly UidlistRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.header === undefined || this.#version !== 3) throw new Error("Cannot append: no v3 uidlist");
    const handle = await open(this.path, "a", 0o600);
    try {
      const data = Buffer.from(records.map(formatRecord).join(""));
      await handle.write(data);
      await handle.datasync();
      const info = await handle.stat();
      this.#offset = info.size;
    } finally {
      await handle.close();
    }
    this.#add(records);
  }

  /** Writes a new file with `header` and the live records, and renames it over (lock held). */
  async rewrite(header: UidlistHeader, records: readonly UidlistRecord[]): Promise<void> {
    const temp = `${this.path}.tmp`;
    const data = Buffer.from(formatHeader(header) + records.map(formatRecord).join(""));
    const handle = await open(temp, "w", 0o600);
    let ino: number;
    try {
      await handle.write(data);
      await handle.datasync();
      ino = (await handle.stat()).ino;
    } finally {
      await handle.close();
    }
    await rename(temp, this.path);
    await fsyncDirectory(dirname(this.path));
    this.#reset();
    this.header = header;
    this.#version = 3;
    this.#ino = ino;
    this.#offset = data.length;
    this.#add(records);
  }

  /** Whether a rewrite is due: a version 1 file, or too many records of expunged files. */
  needsRewrite(liveCount: number, ratio: number): boolean {
    return this.#version !== 3 || this.byBase.size - liveCount > Math.max(16, this.byBase.size * ratio);
  }

  #add(records: readonly UidlistRecord[]): void {
    for (const record of records) {
      // A base listed twice (a file restored from backup was appended again): the later wins.
      this.byBase.set(record.base, record);
      if (record.uid > this.#lastUid) this.#lastUid = record.uid;
    }
  }

  #reset(): void {
    this.header = undefined;
    this.byBase.clear();
    this.#version = 0;
    this.#lastUid = 0;
    this.#ino = -1;
    this.#offset = 0;
  }
}
