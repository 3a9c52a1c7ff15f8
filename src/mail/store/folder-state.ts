import { copyFile, link, open, readdir, rename, stat, unlink, utimes } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { type MessageSource, onDelivery, splitFlags, writeMessageFile } from "./deliver.js";
import { MailStoreError, isErrno } from "./errors.js";
import { compareBases, flagNames, formatName, parseName, uniqueBase } from "./filename.js";
import { KeywordTable } from "./keywords.js";
import { STORE_LIMITS } from "./limits.js";
import { syncDirectory, withUidlistLock } from "./maildir.js";
import { type ByteRange, crlfSize, messageStream, readHeaderSection } from "./message.js";
import { UIDLIST_FILE, type UidlistHeader, type UidlistRecord, UidlistFile, newGuid } from "./uidlist.js";
import { nextUidValidity } from "./uidvalidity.js";

/** One message as a mailbox view shows it; replaced (never changed) when its flags change. */
export interface MessageInfo {
  readonly uid: number;
  /** Octets in CRLF form: IMAP RFC822.SIZE (RFC 3501 §6.4.5), the POP3 size (RFC 1939 §5). */
  readonly size: number;
  /** IMAP flags: system flags (\Seen …), $Forwarded (Maildir "P"), and keywords. */
  readonly flags: readonly string[];
  /** The file's current name (it changes with the flags; the part before ":" never does). */
  readonly filename: string;
}

/** What happened in a folder, as told to watchers. */
export type FolderChange =
  | { readonly type: "exists"; readonly uids: readonly number[] }
  | { readonly type: "expunge"; readonly uids: readonly number[] }
  | { readonly type: "flags"; readonly uids: readonly number[] };

/** How setFlags() combines the given flags with a message's own (IMAP STORE FLAGS/+FLAGS/-FLAGS). */
export type FlagMode = "set" | "add" | "remove";

interface Rec {
  readonly uid: number;
  readonly base: string;
  name: string;
  dir: "new" | "cur";
  size: number;
  vsize: number;
  flags: number;
  keywords: number;
  unknown: string;
  rest: string;
  info: MessageInfo;
  mtime: number | undefined;
}

interface Entry {
  name: string;
  dir: "new" | "cur";
}

/** A message to be copied or moved into a folder. */
export interface IncomingFile {
  readonly path: string;
  readonly size: number;
  readonly vsize: number;
  readonly flags: number;
  readonly keywords: readonly string[];
  readonly unknown: string;
  readonly rest: string;
}

/**
 * The index of one folder in this process, shared by every view of it: the messages by UID
 * and base name, kept in step with the directories and dovecot-uidlist. Everything that
 * changes it runs one at a time (#exclusive); what changes files on disk also holds
 * dovecot-uidlist.lock, as Dovecot does, so the two can share a Maildir.
 */
export class FolderState {
  path: string;
  readonly root: string;
  refs = 0;
  /** Bumped by every change, so a view with nothing new to learn returns at once. */
  version = 0;
  deleted = false;
  /** UIDs not yet shown as \Recent to any session (RFC 3501 §2.3.2). */
  readonly recentPending = new Set<number>();
  #uidlist: UidlistFile;
  #lastHeader: UidlistHeader | undefined;
  #keywords: KeywordTable;
  readonly #byBase = new Map<string, Rec>();
  readonly #byUid = new Map<number, Rec>();
  #ordered: Rec[] | undefined;
  #stamps: { new: bigint; cur: bigint } | undefined;
  #dirty = true;
  /** When the directories were last read (ms): a dirty folder is read again at most every
   * STORE_LIMITS.dirtyRescanMs, not on every command. */
  #scannedAt = 0;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<(change: FolderChange) => void>();
  #timer: NodeJS.Timeout | undefined;
  #poked = false;

  constructor(path: string, root: string) {
    this.path = path;
    this.root = root;
    this.#uidlist = new UidlistFile(join(path, UIDLIST_FILE));
    this.#keywords = new KeywordTable(path);
  }

  /** Moves the state to a renamed directory (the files went with it). */
  moveTo(path: string): void {
    this.path = path;
    this.#uidlist = new UidlistFile(join(path, UIDLIST_FILE));
    this.#keywords = new KeywordTable(path);
    this.#stamps = undefined;
    this.#dirty = true;
  }

  get uidValidity(): number {
    return this.#uidlist.header?.uidValidity ?? this.#lastHeader?.uidValidity ?? 0;
  }

  get uidNext(): number {
    return this.#uidlist.nextUid;
  }

  /** The keywords defined in this folder (IMAP PERMANENTFLAGS / FLAGS). */
  get keywords(): string[] {
    return this.#keywords.names.filter((n): n is string => n !== undefined);
  }

  /** The messages in UID order. */
  get messages(): readonly MessageInfo[] {
    return this.#sorted().map((r) => r.info);
  }

  get(uid: number): MessageInfo | undefined {
    return this.#byUid.get(uid)?.info;
  }

  /** Runs `task` after every earlier change of this state has finished. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Brings the index up to date with the disk. Cheap when nothing changed: two stat()s of
   * new/ and cur/ and one of dovecot-uidlist, compared with the last scan's.
   */
  refresh(force = false): Promise<void> {
    return this.#exclusive(() => this.#refresh(force));
  }

  async #refresh(force: boolean): Promise<void> {
    if (this.deleted) return;
    const [newTime, curTime] = await Promise.all([
      dirTime(join(this.path, "new")),
      dirTime(join(this.path, "cur")),
    ]);
    if (newTime === undefined || curTime === undefined) {
      this.#markDeleted();
      return;
    }
    const uidlistChanged = await this.#uidlist.changed();
    const same = this.#stamps?.new === newTime && this.#stamps.cur === curTime;
    const settled = !this.#dirty || Date.now() - this.#scannedAt < STORE_LIMITS.dirtyRescanMs;
    if (!force && settled && same && !uidlistChanged && this.#uidlist.header !== undefined) return;
    this.#scannedAt = Date.now();
    // A directory changed within the last tick may change again with the same mtime.
    const recent = BigInt(Date.now() - STORE_LIMITS.dirtyWindowMs) * 1_000_000n;
    this.#dirty = newTime > recent || curTime > recent;
    this.#stamps = { new: newTime, cur: curTime };
    if (uidlistChanged || this.#uidlist.header === undefined) await this.#readUidlist();
    await this.#keywords.refresh();

    const scan = await this.#scan();
    // readdir() may skip a file renamed while it runs (a flag change by another program):
    // before calling anything expunged, look once more.
    for (const base of this.#byBase.keys()) {
      if (!scan.has(base)) {
        for (const [b, e] of await this.#scan()) scan.set(b, e);
        break;
      }
    }
    const fromNew = await this.#moveNew(scan);
    const unknown = [...scan.keys()].some((base) => !this.#uidlist.byBase.has(base));
    if (unknown || this.#uidlist.header === undefined) {
      await withUidlistLock(this.path, () => this.#assign(scan, fromNew));
    }
    await this.#apply(scan, fromNew);
  }

  async #readUidlist(): Promise<void> {
    await this.#uidlist.refresh();
    if (this.#uidlist.header !== undefined) this.#lastHeader = this.#uidlist.header;
  }

  /** Base name → current file, from new/ and cur/ (cur/ wins if a base is in both). */
  async #scan(): Promise<Map<string, Entry>> {
    const scan = new Map<string, Entry>();
    for (const dir of ["new", "cur"] as const) {
      let names: string[];
      try {
        names = await readdir(join(this.path, dir));
      } catch (error) {
        if (isErrno(error, "ENOENT")) continue;
        throw error;
      }
      for (const name of names) {
        // Dot files are other programs' temporary files; CR/LF cannot go in the uidlist.
        if (name.startsWith(".") || name.includes("\n") || name.includes("\r")) continue;
        const colon = name.indexOf(":");
        scan.set(colon < 0 ? name : name.slice(0, colon), { name, dir });
      }
    }
    return scan;
  }

  /** Moves new/ files to cur/ with an empty ":2," info; returns the bases moved (recent). */
  async #moveNew(scan: Map<string, Entry>): Promise<Set<string>> {
    const moved = new Set<string>();
    for (const [base, entry] of scan) {
      if (entry.dir !== "new") continue;
      const name = entry.name.includes(":") ? entry.name : `${entry.name}:2,`;
      try {
        await rename(join(this.path, "new", entry.name), join(this.path, "cur", name));
        scan.set(base, { name, dir: "cur" });
        moved.add(base);
      } catch (error) {
        if (!isErrno(error, "ENOENT")) throw error;
        // Another process moved (or expunged) it first: the next scan finds where it went.
        scan.delete(base);
        this.#dirty = true;
      }
    }
    return moved;
  }

  /** Gives UIDs to the files of `scan` that have none (holding dovecot-uidlist.lock). */
  async #assign(scan: Map<string, Entry>, fromNew: Set<string>): Promise<void> {
    await this.#readUidlist();
    // Another process may have given UIDs to files delivered after our readdir. Show them
    // now, or they would appear later with UIDs below ones already shown (RFC 3501 §2.3.1.1).
    let known = 0;
    for (const uid of this.#byUid.keys()) if (uid > known) known = uid;
    for (const record of this.#uidlist.byBase.values()) {
      if (record.uid > known && !scan.has(record.base)) {
        const again = await this.#scan();
        for (const [b, e] of again) if (!scan.has(b)) scan.set(b, e);
        for (const b of await this.#moveNew(scan)) fromNew.add(b);
        break;
      }
    }
    const missing = [...scan.keys()].filter((b) => !this.#uidlist.byBase.has(b)).sort(compareBases);
    // Never below a UID already used, even if the uidlist was lost and is being rebuilt.
    let next = Math.max(this.#uidlist.nextUid, known + 1, this.#lastHeader?.nextUid ?? 1);
    const fresh: UidlistRecord[] = [];
    for (const base of missing) {
      const entry = scan.get(base)!;
      const ext: string[] = [];
      if (parseName(entry.name).vsize === undefined) {
        const vsize = await this.#measure(join(this.path, entry.dir, entry.name));
        if (vsize === undefined) {
          scan.delete(base);
          continue;
        }
        ext.push(`W${vsize}`);
      }
      fresh.push({ uid: next++, base, ext });
    }
    let header = this.#uidlist.header;
    if (header === undefined) {
      // No uidlist (a new folder, or someone removed it): keep the UIDVALIDITY we had, if any.
      header = this.#lastHeader ?? {
        uidValidity: await nextUidValidity(this.root),
        nextUid: 1,
        guid: newGuid(),
        extra: [],
      };
      const kept = [...this.#byBase.values()]
        .filter((r) => scan.has(r.base))
        .map((r): UidlistRecord => ({ uid: r.uid, base: r.base, ext: [] }));
      await this.#rewrite({ ...header, nextUid: Math.max(header.nextUid, next) }, [...kept, ...fresh]);
    } else if (this.#uidlist.needsRewrite(scan.size - fresh.length, STORE_LIMITS.uidlistCompressRatio)) {
      const live = [...this.#uidlist.byBase.values()].filter((r) => scan.has(r.base));
      live.sort((a, b) => a.uid - b.uid);
      await this.#rewrite({ ...header, nextUid: Math.max(next, this.#uidlist.nextUid) }, [...live, ...fresh]);
    } else {
      await this.#uidlist.append(fresh);
    }
  }

  async #rewrite(header: UidlistHeader, records: UidlistRecord[]): Promise<void> {
    await this.#uidlist.rewrite(header, records);
    this.#lastHeader = header;
  }

  /** The CRLF size of a file without W=, or undefined if it is gone. */
  async #measure(path: string): Promise<number | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      if (isErrno(error, "ENOENT")) return undefined;
      throw error;
    }
    try {
      return await crlfSize(handle);
    } finally {
      await handle.close();
    }
  }

  /** Makes the index match `scan`, and tells watchers what changed. */
  async #apply(scan: Map<string, Entry>, fromNew: Set<string>): Promise<void> {
    const added: number[] = [];
    const changed: number[] = [];
    const expunged: number[] = [];
    for (const [base, entry] of scan) {
      const record = this.#uidlist.byBase.get(base);
      if (record === undefined) continue;
      const rec = this.#byBase.get(base);
      if (rec === undefined) {
        if (this.#byUid.has(record.uid)) continue; // a duplicate entry; Dovecot would rename it
        const made = await this.#makeRec(record, entry);
        if (made === undefined) continue;
        this.#byBase.set(base, made);
        this.#byUid.set(made.uid, made);
        added.push(made.uid);
        if (fromNew.has(base)) this.recentPending.add(made.uid);
      } else if (rec.name !== entry.name || rec.dir !== entry.dir) {
        const before = rec.info.flags.join(" ");
        this.#rename(rec, entry);
        if (rec.info.flags.join(" ") !== before) changed.push(rec.uid);
      }
    }
    for (const rec of this.#byBase.values()) {
      if (!scan.has(rec.base)) expunged.push(rec.uid);
    }
    for (const uid of expunged) this.#drop(uid);
    if (added.length > 0) {
      added.sort((a, b) => a - b);
      this.#ordered = undefined;
    }
    this.#announce(added, expunged, changed);
  }

  async #makeRec(record: UidlistRecord, entry: Entry): Promise<Rec | undefined> {
    const parsed = parseName(entry.name);
    let size = parsed.size;
    let vsize = parsed.vsize;
    const w = record.ext.find((e) => e.startsWith("W"));
    if (vsize === undefined && w !== undefined && /^W\d+$/.test(w)) vsize = Number(w.slice(1));
    const path = join(this.path, entry.dir, entry.name);
    if (size === undefined) {
      const info = await stat(path).catch(() => undefined);
      if (info === undefined) return undefined;
      size = info.size;
    }
    vsize ??= await this.#measure(path);
    if (vsize === undefined) return undefined;
    const fields = {
      uid: record.uid,
      base: record.base,
      name: entry.name,
      dir: entry.dir,
      size,
      vsize,
      flags: parsed.flags,
      keywords: parsed.keywords,
      unknown: parsed.unknown,
      rest: parsed.rest,
      mtime: undefined,
    };
    return { ...fields, info: this.#info(fields) };
  }

  #info(rec: Pick<Rec, "uid" | "flags" | "keywords" | "vsize" | "name">): MessageInfo {
    const flags = flagNames(rec.flags);
    for (const keyword of this.#keywords.namesOf(rec.keywords)) {
      if (!flags.some((f) => f.toLowerCase() === keyword.toLowerCase())) flags.push(keyword);
    }
    return Object.freeze({ uid: rec.uid, size: rec.vsize, flags: Object.freeze(flags), filename: rec.name });
  }

  #rename(rec: Rec, entry: Entry): void {
    const parsed = parseName(entry.name);
    rec.name = entry.name;
    rec.dir = entry.dir;
    rec.flags = parsed.flags;
    rec.keywords = parsed.keywords;
    rec.unknown = parsed.unknown;
    rec.rest = parsed.rest;
    rec.info = this.#info(rec);
  }

  #drop(uid: number): void {
    const rec = this.#byUid.get(uid);
    if (rec === undefined) return;
    this.#byUid.delete(uid);
    this.#byBase.delete(rec.base);
    this.recentPending.delete(uid);
    this.#ordered = undefined;
  }

  #markDeleted(): void {
    this.deleted = true;
    const all = [...this.#byUid.keys()];
    for (const uid of all) this.#drop(uid);
    this.#announce([], all, []);
  }

  #announce(added: number[], expunged: number[], changed: number[]): void {
    if (added.length === 0 && expunged.length === 0 && changed.length === 0) return;
    this.version++;
    const changes: FolderChange[] = [];
    if (expunged.length > 0) changes.push({ type: "expunge", uids: expunged });
    if (added.length > 0) changes.push({ type: "exists", uids: added });
    if (changed.length > 0) changes.push({ type: "flags", uids: changed });
    for (const listener of [...this.#listeners]) {
      for (const change of changes) {
        try {
          listener(change);
        } catch {
          // A watcher's failure is its own; the others must still hear of the change.
        }
      }
    }
  }

  #sorted(): Rec[] {
    this.#ordered ??= [...this.#byUid.values()].sort((a, b) => a.uid - b.uid);
    return this.#ordered;
  }

  /** Finds a message's current file by its base (after another process renamed it). */
  async #locate(rec: Rec): Promise<boolean> {
    for (const dir of ["cur", "new"] as const) {
      const names = await readdir(join(this.path, dir)).catch(() => [] as string[]);
      const name = names.find((n) => n === rec.base || n.startsWith(`${rec.base}:`));
      if (name !== undefined) {
        const before = rec.info.flags.join(" ");
        this.#rename(rec, { name, dir });
        if (rec.info.flags.join(" ") !== before) this.#announce([], [], [rec.uid]);
        return true;
      }
    }
    this.#dirty = true;
    return false;
  }

  /** Runs `action` on a message's file, finding it again once if another process renamed it. */
  async #withFile<T>(rec: Rec, action: (path: string) => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await action(join(this.path, rec.dir, rec.name));
      } catch (error) {
        if (!isErrno(error, "ENOENT") || attempt > 0 || !(await this.#locate(rec))) {
          if (isErrno(error, "ENOENT")) return undefined;
          throw error;
        }
      }
    }
  }

  /** Changes flags; returns the messages' new infos (those still there), in UID order. */
  setFlags(uids: readonly number[], names: readonly string[], mode: FlagMode): Promise<MessageInfo[]> {
    const { flags, keywords } = splitFlags(names);
    return this.#exclusive(async () => {
      this.#assertExists();
      const changed: number[] = [];
      const result: MessageInfo[] = [];
      // Whether cur/ is as the last scan left it: then the only change our renames make is
      // ours, and the next refresh need not read the directory again to learn it.
      const curDir = join(this.path, "cur");
      const unchanged = this.#stamps !== undefined && (await dirTime(curDir)) === this.#stamps.cur;
      // The lock guards the keyword table (dovecot-keywords); a change of system flags alone
      // is only renames, which need no lock (a rename by another process is retried below).
      const locked =
        keywords.length > 0 ? withUidlistLock.bind(null, this.path) : (task: () => Promise<void>) => task();
      await locked(async () => {
        if (keywords.length > 0) await this.#keywords.refresh();
        const bits = keywords.length > 0 ? await this.#keywords.bitsOf(keywords, mode !== "remove") : 0;
        for (const uid of [...uids].sort((a, b) => a - b)) {
          const rec = this.#byUid.get(uid);
          if (rec === undefined) continue;
          // Computed from the file's current name each try: if another process renamed it
          // (changed other flags) we must not write back its old flags.
          let name: string | undefined;
          for (let attempt = 0; attempt < 2; attempt++) {
            const newFlags = mode === "set" ? flags : mode === "add" ? rec.flags | flags : rec.flags & ~flags;
            const newKeywords =
              mode === "set" ? bits : mode === "add" ? rec.keywords | bits : rec.keywords & ~bits;
            const target = formatName(rec.base, newFlags, newKeywords, rec.unknown, rec.rest);
            if (target === rec.name && rec.dir === "cur") {
              name = target;
              break;
            }
            try {
              await rename(join(this.path, rec.dir, rec.name), join(this.path, "cur", target));
              name = target;
              break;
            } catch (error) {
              if (!isErrno(error, "ENOENT")) throw error;
              if (!(await this.#locate(rec))) break;
            }
          }
          if (name === undefined) continue; // expunged meanwhile: the next sync reports it
          if (name === rec.name) {
            result.push(rec.info);
            continue;
          }
          this.#rename(rec, { name, dir: "cur" });
          changed.push(uid);
          result.push(rec.info);
        }
      });
      if (unchanged && changed.length > 0 && this.#stamps !== undefined) {
        const after = await dirTime(curDir);
        if (after !== undefined) this.#stamps = { ...this.#stamps, cur: after };
      }
      this.#announce([], [], changed);
      return result;
    });
  }

  /** Removes messages; returns the UIDs removed (those not already gone), ascending. */
  expunge(uids: readonly number[]): Promise<number[]> {
    return this.#exclusive(async () => {
      this.#assertExists();
      const removed: number[] = [];
      await withUidlistLock(this.path, async () => {
        for (const uid of [...uids].sort((a, b) => a - b)) {
          const rec = this.#byUid.get(uid);
          if (rec === undefined) continue;
          await this.#withFile(rec, (path) => unlink(path));
          this.#drop(uid);
          removed.push(uid);
        }
      });
      this.#announce([], removed, []);
      return removed;
    });
  }

  /** The files of messages, for copying or moving them elsewhere (UID order). */
  outgoing(uids: readonly number[]): Promise<{ uid: number; file: IncomingFile }[]> {
    return this.#exclusive(async () => {
      this.#assertExists();
      await this.#keywords.refresh();
      const out: { uid: number; file: IncomingFile }[] = [];
      for (const uid of [...new Set(uids)].sort((a, b) => a - b)) {
        const rec = this.#byUid.get(uid);
        if (rec === undefined) continue;
        out.push({
          uid,
          file: {
            path: join(this.path, rec.dir, rec.name),
            size: rec.size,
            vsize: rec.vsize,
            flags: rec.flags,
            keywords: this.#keywords.namesOf(rec.keywords),
            unknown: rec.unknown,
            rest: rec.rest,
          },
        });
      }
      return out;
    });
  }

  /** Re-finds the current path of a message (after a failed link or rename of its old one). */
  async currentPath(uid: number): Promise<string | undefined> {
    return this.#exclusive(async () => {
      const rec = this.#byUid.get(uid);
      if (rec === undefined || !(await this.#locate(rec))) return undefined;
      return join(this.path, rec.dir, rec.name);
    });
  }

  /** Forgets messages moved away (their files are already gone), telling watchers. */
  forget(uids: readonly number[]): Promise<void> {
    return this.#exclusive(() => {
      const gone = uids.filter((uid) => this.#byUid.has(uid));
      for (const uid of gone) this.#drop(uid);
      this.#announce([], gone, []);
      return Promise.resolve();
    });
  }

  /**
   * Links (copy) or renames (move) files into this folder under new base names, gives them
   * UIDs, and returns the UID of each (undefined for a file that vanished), in order.
   */
  async takeFiles(files: readonly IncomingFile[], move: boolean): Promise<(string | undefined)[]> {
    this.#assertExists();
    const keywordNames = [...new Set(files.flatMap((f) => f.keywords))];
    const bits = new Map<string, number>();
    if (keywordNames.length > 0) {
      await withUidlistLock(this.path, async () => {
        await this.#keywords.refresh();
        for (const k of keywordNames) bits.set(k, await this.#keywords.bitsOf([k], true));
      });
    }
    const bases: (string | undefined)[] = [];
    for (const file of files) {
      const base = `${uniqueBase()},S=${file.size},W=${file.vsize}`;
      const keywords = file.keywords.reduce((acc, k) => acc | (bits.get(k) ?? 0), 0);
      const target = join(this.path, "cur", formatName(base, file.flags, keywords, file.unknown, file.rest));
      try {
        if (move) await rename(file.path, target);
        else await copyInto(file.path, target);
        bases.push(base);
      } catch (error) {
        if (!isErrno(error, "ENOENT")) throw error;
        bases.push(undefined);
      }
    }
    await syncDirectory(join(this.path, "cur"));
    return bases;
  }

  /** The UID of a base name, after a refresh. */
  uidOf(base: string): number | undefined {
    return this.#byBase.get(base)?.uid;
  }

  /** Stores a message given by IMAP APPEND; returns its UID. */
  async append(
    source: MessageSource,
    names: readonly string[],
    internalDate: Date | undefined,
  ): Promise<number> {
    this.#assertExists();
    const { flags, keywords } = splitFlags(names);
    let bits = 0;
    if (keywords.length > 0) {
      bits = await withUidlistLock(this.path, async () => {
        await this.#keywords.refresh();
        return this.#keywords.bitsOf(keywords, true);
      });
    }
    const written = await writeMessageFile(this.path, source, {
      flags,
      keywords: bits,
      toCur: true,
      ...(internalDate && { internalDate }),
    });
    await this.refresh(true);
    const uid = this.uidOf(written.base);
    if (uid === undefined)
      throw new MailStoreError("Cannot append: the message vanished at once", "expunged");
    // RFC 3501 §6.3.11: an appended message is \Recent.
    this.recentPending.add(uid);
    return uid;
  }

  #assertExists(): void {
    if (this.deleted) throw new MailStoreError("Cannot use the folder: it has been deleted", "nonexistent");
  }

  /** A message's file, opened (found again if another process renamed it). */
  async #open(uid: number): Promise<{ handle: FileHandle; rec: Rec }> {
    const rec = this.#byUid.get(uid);
    if (rec !== undefined) {
      const handle = await this.#withFile(rec, (path) => open(path, "r"));
      if (handle !== undefined) return { handle, rec };
    }
    throw new MailStoreError(`Cannot read message UID ${uid}: it has been expunged`, "expunged");
  }

  /** A stream of the message (CRLF form), or of a byte range of it. */
  async openMessage(uid: number, range?: ByteRange): Promise<Readable> {
    const { handle, rec } = await this.#open(uid);
    return messageStream(handle, rec.size, rec.vsize, range);
  }

  /** The message's header section, up to and including the empty line. */
  async readHeader(uid: number): Promise<Buffer> {
    const { handle } = await this.#open(uid);
    try {
      return await readHeaderSection(handle);
    } finally {
      await handle.close();
    }
  }

  /** The IMAP INTERNALDATE: the file's mtime, set at delivery (RFC 3501 §2.3.3). */
  async internalDate(uid: number): Promise<Date> {
    const rec = this.#byUid.get(uid);
    if (rec?.mtime !== undefined) return new Date(rec.mtime);
    const { handle, rec: found } = await this.#open(uid);
    try {
      found.mtime = (await handle.stat()).mtimeMs;
      return new Date(found.mtime);
    } finally {
      await handle.close();
    }
  }

  /** Adds a watcher; polls the directories every `intervalMs` while any is there. */
  watch(listener: (change: FolderChange) => void, intervalMs: number): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.refresh().catch(() => undefined), intervalMs);
      this.#timer.unref();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** A delivery by this process went into the folder: look now rather than at the next poll. */
  poke(): void {
    this.#dirty = true;
    if (this.#listeners.size === 0 || this.#poked) return;
    this.#poked = true;
    setImmediate(() => {
      this.#poked = false;
      void this.refresh().catch(() => undefined);
    });
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

async function dirTime(path: string): Promise<bigint | undefined> {
  try {
    return (await stat(path, { bigint: true })).mtimeNs;
  } catch (error) {
    if (isErrno(error, "ENOENT")) return undefined;
    throw error;
  }
}

/** A copy of a message file: a hard link (as Dovecot's maildir_copy_with_hardlinks), else bytes. */
async function copyInto(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
    return;
  } catch (error) {
    if (
      !isErrno(error, "EPERM") &&
      !isErrno(error, "ENOTSUP") &&
      !isErrno(error, "EMLINK") &&
      !isErrno(error, "EXDEV")
    ) {
      throw error;
    }
  }
  const info = await stat(from);
  await copyFile(from, to);
  const handle = await open(to, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await utimes(to, info.atime, info.mtime); // keep the INTERNALDATE
}

/**
 * The folder states of this process, one per directory, shared by every view and store
 * handle. Each registry is what one process would have: tests make a second one to play
 * another process sharing the Maildir.
 */
export class FolderRegistry {
  readonly #states = new Map<string, FolderState>();
  // \Recent not yet shown to a session outlives the states that found it (an APPEND to a
  // folder nobody has open must still be \Recent for the next SELECT).
  readonly #recent = new Map<string, Set<number>>();
  readonly #unsubscribe: () => void;

  constructor() {
    this.#unsubscribe = onDelivery((dir) => this.#states.get(dir)?.poke());
  }

  /** The state of a folder directory, counted as used until release(). */
  acquire(path: string, root: string): FolderState {
    let state = this.#states.get(path);
    if (state === undefined || state.deleted) {
      state = new FolderState(path, root);
      for (const uid of this.#recent.get(path) ?? []) state.recentPending.add(uid);
      this.#recent.delete(path);
      this.#states.set(path, state);
    }
    state.refs++;
    return state;
  }

  release(state: FolderState): void {
    state.refs--;
    if (state.refs > 0) return;
    state.stop();
    if (this.#states.get(state.path) !== state) return;
    this.#states.delete(state.path);
    if (state.recentPending.size > 0 && !state.deleted)
      this.#recent.set(state.path, new Set(state.recentPending));
  }

  /** The state of a directory if some view has it open. */
  peek(path: string): FolderState | undefined {
    return this.#states.get(path);
  }

  /** A folder directory was renamed from `from` to `to`: open states follow their files. */
  renamed(from: string, to: string): void {
    const state = this.#states.get(from);
    if (state === undefined) return;
    this.#states.delete(from);
    state.moveTo(to);
    this.#states.set(to, state);
  }

  /** Stops listening to deliveries (for registries made by tests). */
  close(): void {
    this.#unsubscribe();
    for (const state of this.#states.values()) state.stop();
  }
}

/** The registry of this process. */
export const processRegistry = new FolderRegistry();
