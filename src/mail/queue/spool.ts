/**
 * The queue on disk. A message is one file; what happened to its recipients is a second,
 * append-only file beside it. Layout under `data_dir/queue/`:
 *
 *   messages/ID    one header line, then the message exactly as received
 *   state/ID       outcome lines appended as deliveries finish (absent: nothing yet)
 *   control/       requests from `portico queue` to the running server
 *   manager.lock   the running queue manager's pid (a dot-lock)
 *
 * The header line is `PQ1 LENGTH JSON` + LF: LENGTH is the content's size in 16 digits,
 * dots until the message is complete, JSON its envelope ({@link QueuedMeta}). The file is
 * written in place: at the end of the data the length is filled in, the file fsynced, and
 * messages/ fsynced (one fsync shared by the commits that arrive meanwhile: group commit);
 * only then is the message acknowledged (SMTP 250). No rename, so one journal commit fewer
 * per message than a write-then-rename queue. A file whose length is missing or disagrees
 * with its size was never acknowledged: the manager removes it at start-up. A crash after
 * leaves a complete, durable message. The state file is fsynced after each append, so
 * a recipient recorded as delivered is not delivered again after a crash; a crash between a
 * delivery and its record delivers that recipient twice (at-least-once, as every MTA).
 */
import { randomHex } from "../../core/random.js";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { fsyncDirectory, syncDirectory } from "../../core/fs.js";
import type { Envelope, IncomingMessage } from "../envelope.js";

const MAGIC = "PQ1 ";
/** Width of the LENGTH field; dots until the content is complete. */
const LENGTH_DIGITS = 16;
const INCOMPLETE = ".".repeat(LENGTH_DIGITS);
/** Messages up to this size are written in one piece at their end (see FileWriter). */
const BUFFER_LIMIT = 256 * 1024;

/** One recipient of a queued message, after alias expansion. */
export interface QueuedRecipient {
  /** Where it goes: a local account address, or a remote address. */
  readonly address: string;
  /** The address the client gave in RCPT TO (differs after alias or plus resolution). */
  readonly original: string;
  /** `local`: delivered into the account's Maildir; `remote`: relayed by MX. */
  readonly route: "local" | "remote";
  /** A Maildir folder for local delivery (plus-addressing to an existing folder); default INBOX. */
  readonly folder?: string;
  readonly notify?: Envelope["recipients"][number]["notify"];
  readonly orcpt?: string;
}

/** The header of a queued message: its envelope, as it is kept on disk. */
export interface QueuedMeta {
  readonly id: string;
  /** When it was accepted (ms since the epoch). */
  readonly arrival: number;
  readonly from: string;
  readonly recipients: readonly QueuedRecipient[];
  readonly body: Envelope["body"];
  readonly smtputf8: boolean;
  readonly ret?: "FULL" | "HDRS";
  readonly envid?: string;
  /** The client that handed it over (address, HELO, account), for logs and `queue show`. */
  readonly client: { readonly address: string; readonly helo: string; readonly authenticatedAs?: string };
  /** A DSN this server made (no DSN is ever sent about it). */
  readonly bounce?: boolean;
}

/**
 * What happened to one recipient in one attempt. `reply` is an SMTP reply, one line per line
 * (the remote server's when `remote` names it, else our own); `inReplyTo` the command it
 * answered ("RCPT TO", "end of DATA").
 */
export type RecipientOutcome =
  | ({ readonly kind: "delivered" } & OutcomeDetail)
  | ({ readonly kind: "failed"; readonly status: string } & OutcomeDetail)
  | ({ readonly kind: "deferred"; readonly status: string } & OutcomeDetail);

interface OutcomeDetail {
  readonly reply: string;
  /** The server that answered: `name[address]:port`. */
  readonly remote?: string;
  /** Its host name (the DSN's Remote-MTA). */
  readonly host?: string;
  readonly inReplyTo?: string;
}

/** An outcome in one line, as logs and `portico queue` show it. */
export function describeOutcome(o: RecipientOutcome): string {
  const reply = o.reply.replace(/\n/g, " / ");
  if (o.remote === undefined) return reply;
  return `${reply} (${o.inReplyTo !== undefined ? `in reply to ${o.inReplyTo}, ` : ""}from ${o.remote})`;
}

/** One line of a state file. */
export type StateRecord =
  | { readonly t: number; readonly r: number; readonly o: RecipientOutcome }
  /** The attempt finished; the next is due at `next` (ms). */
  | { readonly t: number; readonly attempts: number; readonly next: number }
  /** A delay warning was sent. */
  | { readonly t: number; readonly warned: true };

/** A queued message as read back: its header, the state lines folded. */
export interface QueueEntry {
  readonly meta: QueuedMeta;
  /** Byte offset of the message content in the file. */
  readonly contentOffset: number;
  /** Size of the content in octets. */
  readonly size: number;
  /**
   * The content in memory, for a message just received that was small enough to be written in
   * one piece: deliveries read it from here instead of from the file. Dropped after the first
   * attempt, so a backlog does not hold its messages in memory.
   */
  memory?: readonly Buffer[] | undefined;
  /** The last outcome of each recipient (undefined: not tried yet). */
  readonly outcomes: (RecipientOutcome | undefined)[];
  attempts: number;
  /** When the next attempt is due (ms); 0: now. */
  next: number;
  warned: boolean;
}

/** A recipient is done when it was delivered or failed for good. */
export function isFinal(outcome: RecipientOutcome | undefined): boolean {
  return outcome !== undefined && outcome.kind !== "deferred";
}

/** Queue ids: time-ordered, unique across processes, safe as file names. */
export function newQueueId(now = Date.now()): string {
  return `${now.toString(36).toUpperCase().padStart(9, "0")}${randomHex(5).toUpperCase()}`;
}

const ID_PATTERN = /^[0-9A-Z]{9}[0-9A-F]{10}$/;

/** Whether `text` looks like a queue id (it names a file; nothing else is accepted). */
export function isQueueId(text: string): boolean {
  return ID_PATTERN.test(text);
}

/** The queue directory: durable message files and their state. */
export class Spool {
  readonly messagesDir: string;
  readonly stateDir: string;
  readonly controlDir: string;
  readonly lockPath: string;

  constructor(readonly root: string) {
    this.messagesDir = join(root, "messages");
    this.stateDir = join(root, "state");
    this.controlDir = join(root, "control");
    this.lockPath = join(root, "manager.lock");
  }

  /** Makes the directories (durably) if missing. */
  async init(): Promise<void> {
    const made = await mkdir(this.root, { recursive: true, mode: 0o700 });
    for (const dir of [this.messagesDir, this.stateDir, this.controlDir]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
    await fsyncDirectory(this.root);
    if (made !== undefined) await fsyncDirectory(join(this.root, ".."));
  }

  /**
   * Removes the messages a crash left half-received (never acknowledged) and returns the
   * complete ones. Only the queue manager calls it, before it accepts mail.
   */
  async recover(): Promise<{ entries: QueueEntry[]; removed: number; unreadable: string[] }> {
    const entries: QueueEntry[] = [];
    const unreadable: string[] = [];
    let removed = 0;
    for (const id of await this.ids()) {
      try {
        const entry = await this.#read(id);
        if (entry === "incomplete") {
          await this.remove(id);
          removed++;
        } else if (entry !== undefined) {
          entries.push(entry);
        }
      } catch {
        unreadable.push(id);
      }
    }
    return { entries, removed, unreadable };
  }

  /**
   * Starts a message: its header is written at once, the content streams after it. The
   * returned message's `commit()` makes it durable and resolves with its id.
   */
  async create(
    meta: QueuedMeta,
  ): Promise<IncomingMessage & { readonly meta: QueuedMeta; readonly entry: () => QueueEntry }> {
    const path = join(this.messagesDir, meta.id);
    const handle = await open(path, "wx", 0o600);
    const header = Buffer.from(`${MAGIC}${INCOMPLETE} ${JSON.stringify(meta)}\n`);
    const content = new FileWriter(handle, header, MAGIC.length);
    let settled = false;
    const messagesDir = this.messagesDir;
    return {
      meta,
      content,
      /** The committed message as load() would read it back, without reading it. */
      entry: () => ({
        meta,
        contentOffset: header.length,
        size: content.bytesWritten - header.length,
        memory: content.memory(),
        outcomes: meta.recipients.map(() => undefined),
        attempts: 0,
        next: 0,
        warned: false,
      }),
      async commit(): Promise<string> {
        if (settled) throw new TypeError("Cannot commit: the message was already committed or aborted");
        settled = true;
        try {
          await content.settled();
        } catch (error) {
          await unlink(path).catch(() => undefined);
          throw error;
        }
        await syncDirectory(messagesDir);
        return meta.id;
      },
      async abort(): Promise<void> {
        if (settled) return;
        settled = true;
        content.destroy();
        await content.settled().catch(() => undefined);
        await unlink(path).catch(() => undefined);
      },
    };
  }

  /** Writes a whole message (a DSN this server makes) durably. */
  async put(meta: QueuedMeta, content: Uint8Array): Promise<void> {
    const message = await this.create(meta);
    message.content.end(content);
    await message.commit();
  }

  /** The ids of the queued messages, oldest first. */
  async ids(): Promise<string[]> {
    const names = await readdir(this.messagesDir).catch(() => [] as string[]);
    return names.filter(isQueueId).sort();
  }

  /** Reads a queued message's header and state; undefined if it is gone or still arriving. */
  async load(id: string): Promise<QueueEntry | undefined> {
    const entry = await this.#read(id);
    return entry === "incomplete" ? undefined : entry;
  }

  async #read(id: string): Promise<QueueEntry | "incomplete" | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(join(this.messagesDir, id), "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    let meta: QueuedMeta;
    let contentOffset: number;
    let fileSize: number;
    try {
      fileSize = (await handle.stat()).size;
      // The header line is usually small; one with thousands of recipients is read in full.
      let head = Buffer.alloc(0);
      let end = -1;
      for (let want = 16 * 1024; end < 0 && head.length < fileSize; want *= 4) {
        head = Buffer.allocUnsafe(Math.min(fileSize, want));
        const { bytesRead } = await handle.read(head, 0, head.length, 0);
        head = head.subarray(0, bytesRead);
        end = head.indexOf(0x0a);
        if (bytesRead < want) break;
      }
      const prefix = MAGIC.length + LENGTH_DIGITS + 1;
      if (end < 0) return "incomplete";
      if (head.toString("latin1", 0, MAGIC.length) !== MAGIC) {
        throw new Error(`Cannot read queue file ${id}: no header`);
      }
      const length = head.toString("latin1", MAGIC.length, MAGIC.length + LENGTH_DIGITS);
      if (!/^\d+$/.test(length) || Number(length) !== fileSize - end - 1) return "incomplete";
      meta = JSON.parse(head.toString("utf8", prefix, end)) as QueuedMeta;
      contentOffset = end + 1;
    } finally {
      await handle.close();
    }
    const entry: QueueEntry = {
      meta,
      contentOffset,
      size: fileSize - contentOffset,
      outcomes: meta.recipients.map(() => undefined),
      attempts: 0,
      next: 0,
      warned: false,
    };
    for (const record of await this.#readState(id)) applyState(entry, record);
    return entry;
  }

  async #readState(id: string): Promise<StateRecord[]> {
    let text: string;
    try {
      text = await readFile(join(this.stateDir, id), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const records: StateRecord[] = [];
    for (const line of text.split("\n")) {
      // A crash mid-append leaves a torn last line: it is ignored (its outcome is redone).
      if (line === "") continue;
      try {
        records.push(JSON.parse(line) as StateRecord);
      } catch {
        break;
      }
    }
    return records;
  }

  /** Appends state records and fsyncs them. */
  async record(id: string, records: readonly StateRecord[]): Promise<void> {
    if (records.length === 0) return;
    const path = join(this.stateDir, id);
    const handle = await open(path, "a", 0o600);
    try {
      await handle.write(records.map((r) => `${JSON.stringify(r)}\n`).join(""));
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** The message content (after the header line) as a stream. */
  content(
    id: string,
    entry: Pick<QueueEntry, "contentOffset" | "size" | "memory">,
  ): NodeJS.ReadableStream & AsyncIterable<Buffer> {
    if (entry.memory !== undefined) return Readable.from(entry.memory);
    // `end` (inclusive) saves the read that would only find the end of the file.
    return createReadStream(join(this.messagesDir, id), {
      start: entry.contentOffset,
      end: Math.max(entry.contentOffset, entry.contentOffset + entry.size - 1),
      highWaterMark: 64 * 1024,
    });
  }

  /** Reads at most `limit` octets of the content. */
  async readContent(id: string, entry: Pick<QueueEntry, "contentOffset">, limit: number): Promise<Buffer> {
    const handle = await open(join(this.messagesDir, id), "r");
    try {
      const buffer = Buffer.alloc(limit);
      let total = 0;
      while (total < limit) {
        const { bytesRead } = await handle.read(buffer, total, limit - total, entry.contentOffset + total);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      return buffer.subarray(0, total);
    } finally {
      await handle.close();
    }
  }

  /**
   * Removes a message and its state (it is done, or deleted by `portico queue delete`);
   * `stateless`: it never had a state file (one unlink fewer).
   */
  async remove(id: string, stateless = false): Promise<boolean> {
    let removed = true;
    await unlink(join(this.messagesDir, id)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      removed = false;
    });
    if (!stateless) await unlink(join(this.stateDir, id)).catch(() => undefined);
    return removed;
  }
}

/** Folds one state record into an entry. */
export function applyState(entry: QueueEntry, record: StateRecord): void {
  if ("o" in record) {
    if (record.r >= 0 && record.r < entry.outcomes.length) entry.outcomes[record.r] = record.o;
  } else if ("attempts" in record) {
    entry.attempts = record.attempts;
    entry.next = record.next;
  } else {
    entry.warned = true;
  }
}

/**
 * The content stream of a message being received: buffered writes to the file (after its
 * header), fsynced and closed by `end()`. `closed()` resolves once the data is on disk.
 */
class FileWriter extends Writable {
  readonly #handle: FileHandle;
  /** Where the next write goes in the file. */
  #position = 0;
  /** Octets taken so far (header included), written or held. */
  #total = 0;
  /**
   * Until the message exceeds BUFFER_LIMIT it is held here and written at the end in one
   * writev, its length already filled in: four file operations for a typical message
   * (open, writev, fsync, close) instead of one per chunk plus one for the length.
   */
  #held: Buffer[] | undefined = [];
  #done: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: Error) => void;

  /** Where the header's LENGTH field is, filled in at the end. */
  readonly #lengthAt: number;
  readonly #headerLength: number;

  constructor(handle: FileHandle, header: Buffer, lengthAt: number) {
    super({ highWaterMark: 256 * 1024 });
    this.#handle = handle;
    this.#lengthAt = lengthAt;
    this.#headerLength = header.length;
    this.#done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#done.catch(() => undefined);
    this.cork();
    this.write(header);
    this.uncork();
  }

  /** Octets taken so far (the header included). */
  get bytesWritten(): number {
    return this.#total;
  }

  /** The content (without the header) if it was held whole; after the end only. */
  memory(): Buffer[] | undefined {
    return this.writableFinished && this.#held !== undefined ? this.#held.slice(1) : undefined;
  }

  /** Resolves when the content is fsynced and the file closed; rejects if writing failed. */
  settled(): Promise<void> {
    return this.#done;
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.#take(chunks.map((c) => c.chunk)).then(() => {
      callback();
    }, callback);
  }

  override _write(chunk: Buffer, _encoding: string, callback: (error?: Error | null) => void): void {
    this.#take([chunk]).then(() => {
      callback();
    }, callback);
  }

  async #take(buffers: Buffer[]): Promise<void> {
    for (const b of buffers) this.#total += b.length;
    if (this.#held !== undefined) {
      // Copies: the caller may reuse its buffers once the write is acknowledged.
      for (const b of buffers) this.#held.push(Buffer.from(b));
      if (this.#total <= BUFFER_LIMIT) return;
      const held = this.#held;
      this.#held = undefined;
      await this.#writeAll(held);
      return;
    }
    await this.#writeAll(buffers);
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    let total = 0;
    for (const b of buffers) total += b.length;
    let written = 0;
    while (written < total) {
      const pending = written === 0 ? buffers : [Buffer.concat(buffers).subarray(written)];
      const { bytesWritten } = await this.#handle.writev(pending, this.#position);
      written += bytesWritten;
      this.#position += bytesWritten;
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    const length = Buffer.from(
      String(this.#total - this.#headerLength).padStart(LENGTH_DIGITS, "0"),
      "latin1",
    );
    const held = this.#held;
    const written =
      held !== undefined
        ? (() => {
            length.copy(held[0]!, this.#lengthAt);
            return this.#writeAll(held);
          })()
        : this.#handle.write(length, 0, LENGTH_DIGITS, this.#lengthAt).then(() => undefined);
    written
      .then(() => this.#handle.sync())
      .then(() => this.#handle.close())
      .then(
        () => {
          this.#resolve();
          callback();
        },
        (error: unknown) => {
          this.#reject(error as Error);
          callback(error as Error);
        },
      );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.writableFinished) {
      callback(error);
      return;
    }
    this.#handle.close().then(
      () => {
        this.#reject(error ?? new Error("Cannot commit: the message was aborted"));
        callback(error);
      },
      () => {
        this.#reject(error ?? new Error("Cannot commit: the message was aborted"));
        callback(error);
      },
    );
  }
}
