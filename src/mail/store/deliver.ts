import { open, rename, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { CrlfNormalizer } from "./crlf.js";
import { MailStoreError, isErrno } from "./errors.js";
import { IMAP_FLAG_BITS, formatName, uniqueBase } from "./filename.js";
import { KeywordTable } from "./keywords.js";
import { STORE_DEFAULTS, STORE_LIMITS } from "./limits.js";
import {
  type Delimiter,
  ensureMaildir,
  folderLevels,
  isInbox,
  levelsToDir,
  syncDirectory,
  withUidlistLock,
} from "./maildir.js";

/** A message source: a stream (read with backpressure, never buffered whole) or bytes. */
export type MessageSource = Readable | AsyncIterable<Uint8Array> | Uint8Array;

/** How deliver() stores a message. */
export interface DeliverOptions {
  /** The folder (default INBOX), with `delimiter` between levels; created if missing. */
  readonly folder?: string;
  readonly delimiter?: Delimiter;
  /** IMAP flags to store (\Seen, \Flagged, keywords…); with any, the file goes to cur/. */
  readonly flags?: readonly string[];
  /** The IMAP INTERNALDATE (the file's mtime); default now. */
  readonly internalDate?: Date;
  /** Bytes written before the message: the header fields an MDA adds (Return-Path…). */
  readonly prefix?: string | Uint8Array;
  /** Refuse (MailStoreError "limit") a message larger than this, as stored. */
  readonly maxSize?: number;
}

/** Where a delivered message went. */
export interface Delivered {
  /** The file name (in new/, or in cur/ when it was given flags). */
  readonly name: string;
  /** The file's full path. */
  readonly path: string;
  /** The folder's directory. */
  readonly folderDir: string;
  /** Octets as stored (CRLF line ends): the IMAP RFC822.SIZE and POP3 size. */
  readonly size: number;
}

/** Folder directories this process has seen with cur/ new/ tmp/ (see deliver()). */
const knownFolders = new Set<string>();

/** Called after each delivery with the folder directory; the store's index listens here. */
type DeliveryListener = (folderDir: string) => void;
const deliveryListeners = new Set<DeliveryListener>();

/** Subscribes to deliveries made in this process (the folder registry does). */
export function onDelivery(listener: DeliveryListener): () => void {
  deliveryListeners.add(listener);
  return () => deliveryListeners.delete(listener);
}

/**
 * Delivers a message into a Maildir, the way the Maildir spec and qmail do it, and durably:
 * write tmp/<unique> (streamed, with backpressure), fsync it, rename it into new/ (or cur/
 * with flags) under its final name `<unique>,S=<size>,W=<size>`, fsync that directory
 * (shared with deliveries that arrive meanwhile), and only then resolve. If the source fails
 * midway nothing appears in new/ and the tmp file is removed. Creates the Maildir (and the
 * folder) on first use.
 *
 * Line ends are stored as CRLF (bare LFs become CRLF): the file's size is then exactly the
 * IMAP RFC822.SIZE and the POP3 size, and IMAP partial fetches are byte ranges of the file.
 * Dovecot reads CRLF Maildirs natively (S= equals W=), as do mutt and Python's mailbox.
 */
export async function deliver(
  maildir: string,
  source: MessageSource,
  options: DeliverOptions = {},
): Promise<Delivered> {
  const levels = folderLevels(options.folder ?? "INBOX", options.delimiter ?? STORE_DEFAULTS.delimiter);
  const folderDir = resolve(maildir, levelsToDir(levels));
  const ensure = async (): Promise<void> => {
    if (!isInbox(levels)) await ensureMaildir(resolve(maildir), false);
    await ensureMaildir(folderDir, !isInbox(levels));
    knownFolders.add(folderDir);
  };
  // A folder once seen complete is not checked again (three stats per delivery); if it has
  // gone since (deleted over IMAP), the open of its tmp/ file fails before the source is
  // read, and it is made again.
  if (!knownFolders.has(folderDir)) await ensure();
  const { flags, keywords } = splitFlags(options.flags ?? []);
  let keywordBits = 0;
  if (keywords.length > 0) {
    const table = new KeywordTable(folderDir);
    await table.refresh();
    keywordBits = await withUidlistLock(folderDir, () => table.bitsOf(keywords, true));
  }
  const write = (): Promise<WrittenFile> =>
    writeMessageFile(folderDir, source, {
      flags,
      keywords: keywordBits,
      toCur: flags !== 0 || keywordBits !== 0,
      ...(options.internalDate && { internalDate: options.internalDate }),
      ...(options.prefix !== undefined && { prefix: options.prefix }),
      ...(options.maxSize !== undefined && { maxSize: options.maxSize }),
    });
  let written: WrittenFile;
  try {
    written = await write();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (!(
      isErrno(error, "ENOENT") &&
      e.syscall === "open" &&
      e.path?.startsWith(join(folderDir, "tmp")) === true
    )) {
      throw error;
    }
    knownFolders.delete(folderDir);
    await ensure();
    written = await write();
  }
  for (const listener of deliveryListeners) listener(folderDir);
  return {
    name: written.name,
    path: join(folderDir, written.dir, written.name),
    folderDir,
    size: written.size,
  };
}

/** IMAP flag names split into FLAG bits and keywords; \Recent (session-only) is dropped. */
export function splitFlags(names: readonly string[]): { flags: number; keywords: string[] } {
  let flags = 0;
  const keywords: string[] = [];
  for (const name of names) {
    const bit = IMAP_FLAG_BITS.get(name.toLowerCase());
    if (bit !== undefined) flags |= bit;
    else if (name.startsWith("\\")) continue;
    else if (!keywords.some((k) => k.toLowerCase() === name.toLowerCase())) keywords.push(name);
  }
  return { flags, keywords };
}

/** What writeMessageFile() needs beyond the folder and the source. */
export interface WriteOptions {
  readonly flags: number;
  readonly keywords: number;
  /** Put the file in cur/ (with its ":2," info) instead of new/. */
  readonly toCur: boolean;
  readonly internalDate?: Date;
  readonly prefix?: string | Uint8Array;
  readonly maxSize?: number;
}

/** A message file written by writeMessageFile(). */
export interface WrittenFile {
  readonly base: string;
  readonly name: string;
  readonly dir: "new" | "cur";
  readonly size: number;
}

/** Writes a message file into an existing Maildir folder (see deliver()). */
export async function writeMessageFile(
  folderDir: string,
  source: MessageSource,
  options: WriteOptions,
): Promise<WrittenFile> {
  const unique = uniqueBase();
  const temp = join(folderDir, "tmp", unique);
  const handle = await open(temp, "wx", 0o600);
  let size = 0;
  try {
    const normalizer = new CrlfNormalizer();
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending.length = 0;
      pendingBytes = 0;
      let offset = 0;
      while (offset < data.length) offset += (await handle.write(data, offset)).bytesWritten;
    };
    const take = async (chunk: Uint8Array | string): Promise<void> => {
      const out = normalizer.push(typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk);
      size += out.length;
      if (options.maxSize !== undefined && size > options.maxSize) {
        throw new MailStoreError(`Cannot store the message: it exceeds ${options.maxSize} octets`, "limit");
      }
      pending.push(out);
      pendingBytes += out.length;
      if (pendingBytes >= STORE_LIMITS.writeBufferBytes) await flush();
    };
    if (options.prefix !== undefined) {
      await take(typeof options.prefix === "string" ? Buffer.from(options.prefix) : options.prefix);
    }
    if (source instanceof Uint8Array) {
      await take(source);
    } else {
      // The loop pulls the next chunk only after this one is taken: that is the backpressure.
      for await (const chunk of source as AsyncIterable<Uint8Array | string>) await take(chunk);
    }
    await flush();
    if (options.internalDate !== undefined) await handle.utimes(new Date(), options.internalDate);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  // The final name carries the size, so readers need no stat (S=) and no CRLF count (W=).
  const base = `${unique},S=${size},W=${size}`;
  const dir = options.toCur ? "cur" : "new";
  const name = options.toCur ? formatName(base, options.flags, options.keywords) : base;
  try {
    // rename(), as Dovecot does, rather than the Maildir spec's link() + unlink(): one
    // system call instead of two, and the unique name (time, counter, pid, 64 random bits)
    // cannot already exist, so rename's replacing of an existing file never happens.
    await rename(temp, join(folderDir, dir, name));
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(join(folderDir, dir));
  return { base, name, dir, size };
}
