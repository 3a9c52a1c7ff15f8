import type { Readable } from "node:stream";
import type { MessageSource } from "./deliver.js";
import { MailStoreError } from "./errors.js";
import type { FlagMode, FolderChange, FolderState, MessageInfo } from "./folder-state.js";
import type { ByteRange } from "./message.js";

/** What a sync() found since the view's previous one. */
export interface MailboxChanges {
  /** New messages, in UID order (IMAP: EXISTS; `recent` says which are \Recent here). */
  readonly added: readonly MessageInfo[];
  /** UIDs of messages gone, ascending (IMAP: EXPUNGE, by their sequence numbers before). */
  readonly expunged: readonly number[];
  /** Messages whose flags changed (IMAP: FETCH FLAGS). */
  readonly changed: readonly MessageInfo[];
}

/** UIDs of copied or moved messages (IMAP UIDPLUS COPYUID, RFC 4315 §3). */
export interface CopyResult {
  /** The target folder's UIDVALIDITY. */
  readonly uidValidity: number;
  /** [source UID, target UID] for each message copied, in source UID order. */
  readonly pairs: readonly (readonly [number, number])[];
}

/** How the store hands a view the folders it copies into. */
export interface FolderAccess {
  acquire(name: string): Promise<FolderState>;
  release(state: FolderState): void;
  readonly pollIntervalMs: number;
}

const NO_CHANGES: MailboxChanges = Object.freeze({ added: [], expunged: [], changed: [] });

/**
 * One session's view of a folder (an IMAP SELECT or EXAMINE, a POP3 maildrop). Messages are
 * identified by UID; the view's message list changes only when sync() is called, so a
 * protocol can keep its sequence numbers stable between the points where it may report
 * changes (RFC 3501 §7.4.1). Other sessions and processes see this view's changes at their
 * next sync(); watch() says when one is worth doing.
 */
export class Mailbox {
  /** The folder's name, as given to open(). */
  readonly name: string;
  /** Opened read-only (IMAP EXAMINE): changes throw, \Recent is left for others. */
  readonly readOnly: boolean;
  readonly #state: FolderState;
  readonly #access: FolderAccess;
  readonly #byUid = new Map<number, MessageInfo>();
  #list: MessageInfo[] | undefined;
  #version = -1;
  readonly #recent = new Set<number>();
  readonly #unwatch = new Set<() => void>();
  #closed = false;

  /** @internal Made by MailStore.open(). */
  constructor(name: string, state: FolderState, access: FolderAccess, readOnly: boolean) {
    this.name = name;
    this.#state = state;
    this.#access = access;
    this.readOnly = readOnly;
  }

  /** The IMAP UIDVALIDITY; stable for the life of the folder (kept in dovecot-uidlist). */
  get uidValidity(): number {
    return this.#state.uidValidity;
  }

  /** The UID the next message will get (IMAP UIDNEXT). */
  get uidNext(): number {
    return this.#state.uidNext;
  }

  /** The keywords defined in the folder (for IMAP FLAGS and PERMANENTFLAGS). */
  get keywords(): readonly string[] {
    return this.#state.keywords;
  }

  /** The messages as of the last sync(), in UID order: index + 1 is the sequence number. */
  get messages(): readonly MessageInfo[] {
    this.#list ??= [...this.#byUid.values()].sort((a, b) => a.uid - b.uid);
    return this.#list;
  }

  /** A message of this view by UID. */
  get(uid: number): MessageInfo | undefined {
    return this.#byUid.get(uid);
  }

  /** True if the message is \Recent in this session (RFC 3501 §2.3.2). */
  isRecent(uid: number): boolean {
    return this.#recent.has(uid);
  }

  /** How many messages are \Recent in this session. */
  get recentCount(): number {
    return this.#recent.size;
  }

  /**
   * Takes in what changed on disk and in other sessions since the last sync(). Costs two or
   * three stat() calls when nothing did.
   */
  async sync(): Promise<MailboxChanges> {
    this.#assertOpen();
    await this.#state.refresh();
    if (this.#state.version === this.#version) return NO_CHANGES;
    this.#version = this.#state.version;
    const added: MessageInfo[] = [];
    const changed: MessageInfo[] = [];
    const present = new Set<number>();
    for (const info of this.#state.messages) {
      present.add(info.uid);
      const mine = this.#byUid.get(info.uid);
      if (mine === info) continue;
      if (mine === undefined) {
        added.push(info);
        if (!this.readOnly && this.#state.recentPending.delete(info.uid)) this.#recent.add(info.uid);
      } else if (mine.flags.join(" ") !== info.flags.join(" ")) {
        changed.push(info);
      }
      this.#byUid.set(info.uid, info);
    }
    const expunged: number[] = [];
    for (const uid of this.#byUid.keys()) if (!present.has(uid)) expunged.push(uid);
    for (const uid of expunged) {
      this.#byUid.delete(uid);
      this.#recent.delete(uid);
    }
    if (added.length === 0 && expunged.length === 0 && changed.length === 0) return NO_CHANGES;
    this.#list = undefined;
    expunged.sort((a, b) => a - b);
    return { added, expunged, changed };
  }

  /**
   * Sets, adds or removes flags (IMAP STORE; POP3 marks \Seen or \Deleted). Returns the new
   * state of each message still there, which this view takes at once; other views hear of it
   * through watch() and see it at their next sync().
   */
  async setFlags(
    uids: readonly number[],
    flags: readonly string[],
    mode: FlagMode = "set",
  ): Promise<MessageInfo[]> {
    this.#assertWritable();
    const infos = await this.#state.setFlags(uids, flags, mode);
    for (const info of infos) if (this.#byUid.has(info.uid)) this.#byUid.set(info.uid, info);
    this.#list = undefined;
    return infos;
  }

  /** Deletes messages; returns the UIDs removed, which leave this view at once. */
  async expunge(uids: readonly number[]): Promise<number[]> {
    this.#assertWritable();
    const removed = await this.#state.expunge(uids);
    this.#forget(removed);
    return removed;
  }

  /** Copies messages into another folder (IMAP COPY); keywords and INTERNALDATE go along. */
  copy(uids: readonly number[], target: string): Promise<CopyResult> {
    this.#assertOpen();
    return this.#transfer(uids, target, false);
  }

  /**
   * Moves messages into another folder (IMAP MOVE, RFC 6851): each file is renamed, so it is
   * never in both folders nor in neither; they leave this view at once.
   */
  async move(uids: readonly number[], target: string): Promise<CopyResult> {
    this.#assertWritable();
    const result = await this.#transfer(uids, target, true);
    this.#forget(result.pairs.map(([uid]) => uid));
    return result;
  }

  async #transfer(uids: readonly number[], targetName: string, move: boolean): Promise<CopyResult> {
    const target = await this.#access.acquire(targetName);
    try {
      await target.refresh();
      const outgoing = await this.#state.outgoing(uids);
      let bases = await target.takeFiles(
        outgoing.map((o) => o.file),
        move,
      );
      // A file renamed by another process under us: find it again and retry those once.
      const retry = outgoing.filter((_, i) => bases[i] === undefined);
      if (retry.length > 0) {
        const again: typeof outgoing = [];
        for (const o of retry) {
          const path = await this.#state.currentPath(o.uid);
          if (path !== undefined) again.push({ uid: o.uid, file: { ...o.file, path } });
        }
        const more = await target.takeFiles(
          again.map((o) => o.file),
          move,
        );
        bases = bases.map((b, i) => b ?? more[again.findIndex((a) => a.uid === outgoing[i]!.uid)]);
      }
      await target.refresh(true);
      const pairs: [number, number][] = [];
      outgoing.forEach((o, i) => {
        const base = bases[i];
        const uid = base === undefined ? undefined : target.uidOf(base);
        if (uid !== undefined) pairs.push([o.uid, uid]);
      });
      if (move) await this.#state.forget(pairs.map(([uid]) => uid));
      return { uidValidity: target.uidValidity, pairs };
    } finally {
      this.#access.release(target);
    }
  }

  /** Stores a message in this folder (IMAP APPEND); it shows up at the next sync(). */
  async append(
    source: MessageSource,
    options: { readonly flags?: readonly string[]; readonly internalDate?: Date } = {},
  ): Promise<{ uid: number; uidValidity: number }> {
    this.#assertWritable();
    const uid = await this.#state.append(source, options.flags ?? [], options.internalDate);
    return { uid, uidValidity: this.#state.uidValidity };
  }

  /** The message (CRLF form) or a byte range of it, as a stream. */
  openMessage(uid: number, range?: ByteRange): Promise<Readable> {
    this.#assertOpen();
    return this.#state.openMessage(uid, range);
  }

  /** The header section (through the empty line), reading only that part of the file. */
  readHeader(uid: number): Promise<Buffer> {
    this.#assertOpen();
    return this.#state.readHeader(uid);
  }

  /** The IMAP INTERNALDATE of a message. */
  internalDate(uid: number): Promise<Date> {
    this.#assertOpen();
    return this.#state.internalDate(uid);
  }

  /**
   * Calls `listener` when the folder changes: at once for this process's deliveries and
   * changes, within the store's poll interval for other processes'. The change is a hint —
   * call sync() to take it into this view. Returns the function that stops it.
   */
  watch(listener: (change: FolderChange) => void): () => void {
    this.#assertOpen();
    const stop = this.#state.watch(listener, this.#access.pollIntervalMs);
    const unwatch = (): void => {
      if (this.#unwatch.delete(unwatch)) stop();
    };
    this.#unwatch.add(unwatch);
    return unwatch;
  }

  /** Ends the view (and its watchers). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const unwatch of [...this.#unwatch]) unwatch();
    this.#access.release(this.#state);
  }

  /** @internal The first look, made by MailStore.open(). */
  async load(): Promise<void> {
    await this.sync();
  }

  #forget(uids: readonly number[]): void {
    for (const uid of uids) {
      this.#byUid.delete(uid);
      this.#recent.delete(uid);
    }
    this.#list = undefined;
  }

  #assertOpen(): void {
    if (this.#closed) throw new TypeError(`Cannot use mailbox ${this.name}: it is closed`);
  }

  #assertWritable(): void {
    this.#assertOpen();
    if (this.#state.deleted)
      throw new MailStoreError(`Cannot change mailbox ${this.name}: it was deleted`, "nonexistent");
    if (this.readOnly)
      throw new MailStoreError(`Cannot change mailbox ${this.name}: it is read-only`, "read-only");
  }
}
