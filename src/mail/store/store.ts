import { copyFile, mkdir, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { fsyncDirectory, writeFileDurable } from "../../core/fs.js";
import { type DeliverOptions, type Delivered, type MessageSource, deliver } from "./deliver.js";
import { withDotlock } from "./dotlock.js";
import { MailStoreError, isErrno } from "./errors.js";
import { type FolderState, FolderRegistry, processRegistry } from "./folder-state.js";
import { KEYWORDS_FILE } from "./keywords.js";
import { STORE_DEFAULTS } from "./limits.js";
import { type FolderAccess, Mailbox } from "./mailbox.js";
import {
  type Delimiter,
  INBOX,
  SUBSCRIPTIONS_FILE,
  dirToLevels,
  ensureMaildir,
  folderLevels,
  isInbox,
  levelsToDir,
} from "./maildir.js";
import { decodeMutf7, encodeMutf7 } from "./mutf7.js";

/** The special uses of RFC 6154 §2 that a store creates on demand. */
export type SpecialUse = "\\Sent" | "\\Drafts" | "\\Trash" | "\\Junk" | "\\Archive";

/** Options of a MailStore; defaults are in STORE_DEFAULTS. */
export interface MailStoreOptions {
  /** The hierarchy delimiter clients see: "/" (default) or "." (Maildir++'s own). */
  readonly delimiter?: Delimiter;
  /** The folder of each special use (names with `delimiter`); default Sent, Drafts, … */
  readonly specialUse?: Partial<Record<SpecialUse, string>>;
  /** How often watched folders are checked for changes made by other processes. */
  readonly pollIntervalMs?: number;
  /** The folder index to share (default: this process's); tests pass their own. */
  readonly registry?: FolderRegistry;
}

/** A folder as LIST shows it. */
export interface FolderInfo {
  readonly name: string;
  /**
   * LIST attributes: \Noselect and \NonExistent for a name that exists only because it has
   * children (RFC 3501 §7.2.2, RFC 5258 §3), \HasChildren or \HasNoChildren (RFC 5258 §4),
   * \Subscribed (RFC 5258 §3.4), and the special use (RFC 6154 §2).
   */
  readonly attributes: readonly string[];
  readonly specialUse: SpecialUse | undefined;
  readonly subscribed: boolean;
  readonly selectable: boolean;
}

/** A folder's counts (IMAP STATUS, RFC 3501 §6.3.10). */
export interface FolderStatus {
  readonly messages: number;
  readonly recent: number;
  readonly unseen: number;
  readonly uidNext: number;
  readonly uidValidity: number;
  /** Total octets (RFC 8438 STATUS=SIZE). */
  readonly size: number;
}

const DEFAULT_SPECIAL_USE: Readonly<Record<SpecialUse, string>> = {
  "\\Sent": "Sent",
  "\\Drafts": "Drafts",
  "\\Trash": "Trash",
  "\\Junk": "Junk",
  "\\Archive": "Archive",
};

const SUBSCRIPTIONS_V2 = "V\t2\n\n";

/**
 * The mail of one account: a Maildir++ tree (INBOX and its folders), shared by SMTP local
 * delivery, POP3, IMAP and the web console, and readable by Dovecot, mutt and Python's
 * mailbox module. Folder names use `delimiter`; on disk they are Maildir++ directories in
 * modified UTF-7, as Dovecot names them. Cheap to make: the index lives in the registry.
 */
export class MailStore {
  /** The Maildir (absolute). */
  readonly root: string;
  readonly delimiter: Delimiter;
  readonly pollIntervalMs: number;
  readonly #specialUse: ReadonlyMap<string, SpecialUse>;
  readonly #specialNames: Readonly<Record<SpecialUse, string>>;
  readonly #registry: FolderRegistry;
  readonly #access: FolderAccess;

  constructor(maildir: string, options: MailStoreOptions = {}) {
    this.root = resolve(maildir);
    this.delimiter = options.delimiter ?? STORE_DEFAULTS.delimiter;
    if (!["/", "."].includes(this.delimiter)) {
      throw new RangeError(`Cannot use delimiter ${JSON.stringify(this.delimiter)}: expected "/" or "."`);
    }
    this.pollIntervalMs = options.pollIntervalMs ?? STORE_DEFAULTS.pollIntervalMs;
    this.#registry = options.registry ?? processRegistry;
    this.#specialNames = { ...DEFAULT_SPECIAL_USE, ...options.specialUse };
    const byName = new Map<string, SpecialUse>();
    for (const [use, name] of Object.entries(this.#specialNames) as [SpecialUse, string][]) {
      byName.set(this.#key(folderLevels(name, this.delimiter)), use);
    }
    this.#specialUse = byName;
    this.#access = {
      acquire: (name) => this.#acquire(this.canonicalName(name)),
      release: (state) => {
        this.#registry.release(state);
      },
      pollIntervalMs: this.pollIntervalMs,
    };
  }

  /** The directory of a folder. Throws MailStoreError "invalid-name" for a bad name. */
  folderDir(name: string): string {
    return join(this.root, levelsToDir(folderLevels(name, this.delimiter)));
  }

  /** The canonical form of a name (INBOX upper-cased, trailing delimiter dropped). */
  canonicalName(name: string): string {
    return folderLevels(name, this.delimiter).join(this.delimiter);
  }

  #key(levels: readonly string[]): string {
    return levels.join("\u0000");
  }

  /** Every folder, INBOX first, with its LIST attributes. */
  async list(): Promise<FolderInfo[]> {
    const real = new Map<string, string[]>([[INBOX, [INBOX]]]);
    const entries = await readdir(this.root, { withFileTypes: true }).catch((error: unknown) => {
      if (isErrno(error, "ENOENT")) return [];
      throw error;
    });
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const levels = dirToLevels(entry.name);
      if (levels !== undefined) real.set(this.#key(levels), levels);
    }
    const all = new Map(real);
    for (const levels of real.values()) {
      for (let n = 1; n < levels.length; n++) {
        const parent = levels.slice(0, n);
        if (!all.has(this.#key(parent))) all.set(this.#key(parent), parent);
      }
    }
    const subscribed = new Set((await this.#readSubscriptions()).map((l) => this.#key(l)));
    const withChildren = new Set<string>();
    for (const levels of all.values()) {
      if (levels.length > 1) withChildren.add(this.#key(levels.slice(0, -1)));
    }
    const folders: FolderInfo[] = [];
    for (const [key, levels] of all) {
      const selectable = real.has(key);
      const specialUse = this.#specialUse.get(key);
      const attributes: string[] = selectable ? [] : ["\\NonExistent", "\\Noselect"];
      attributes.push(withChildren.has(key) ? "\\HasChildren" : "\\HasNoChildren");
      if (subscribed.has(key)) attributes.push("\\Subscribed");
      if (specialUse !== undefined && selectable) attributes.push(specialUse);
      folders.push({
        name: levels.join(this.delimiter),
        attributes,
        specialUse: selectable ? specialUse : undefined,
        subscribed: subscribed.has(key),
        selectable,
      });
    }
    return folders.sort((a, b) =>
      a.name === INBOX ? -1 : b.name === INBOX ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }

  /** True if the folder exists (and can be selected). */
  async exists(name: string): Promise<boolean> {
    const levels = folderLevels(name, this.delimiter);
    if (isInbox(levels)) return true;
    return (await stat(join(this.root, levelsToDir(levels))).catch(() => undefined))?.isDirectory() === true;
  }

  /** Creates a folder (RFC 3501 §6.3.3); throws MailStoreError "exists" if it is there. */
  async create(name: string): Promise<void> {
    const levels = folderLevels(name, this.delimiter);
    if (isInbox(levels)) throw new MailStoreError("Cannot create INBOX: it always exists", "exists");
    await ensureMaildir(this.root, false);
    const dir = join(this.root, levelsToDir(levels));
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (error) {
      if (isErrno(error, "EEXIST"))
        throw new MailStoreError(`Cannot create ${name}: it already exists`, "exists");
      throw error;
    }
    await ensureMaildir(dir, true);
    await fsyncDirectory(this.root);
  }

  /**
   * Deletes a folder (RFC 3501 §6.3.4). Its children stay (it then lists as \Noselect)
   * unless `recursive`; a \Noselect name with children cannot be deleted, nor can INBOX.
   * The directory is first renamed away, so no reader ever sees half a folder.
   */
  async delete(name: string, options: { readonly recursive?: boolean } = {}): Promise<void> {
    const levels = folderLevels(name, this.delimiter);
    if (isInbox(levels)) throw new MailStoreError("Cannot delete INBOX", "cannot");
    const dir = levelsToDir(levels);
    const children = await this.#childDirs(dir);
    const exists = await this.exists(name);
    if (!exists && (children.length === 0 || options.recursive !== true)) {
      if (children.length > 0) {
        throw new MailStoreError(
          `Cannot delete ${name}: it has children and holds no messages itself`,
          "cannot",
        );
      }
      throw new MailStoreError(`Cannot delete ${name}: no such folder`, "nonexistent");
    }
    const doomed = [...(exists ? [dir] : []), ...(options.recursive === true ? children : [])];
    const trash = join(this.root, "tmp");
    const moved: string[] = [];
    for (const d of doomed) {
      const to = join(trash, `.deleted.${randomBytes(8).toString("hex")}`);
      await rename(join(this.root, d), to);
      moved.push(to);
    }
    await fsyncDirectory(this.root);
    for (const d of doomed) await this.#registry.peek(join(this.root, d))?.refresh();
    for (const to of moved) await rm(to, { recursive: true, force: true });
  }

  /**
   * Renames a folder and its children (RFC 3501 §6.3.5); subscriptions follow. Renaming
   * INBOX moves its messages into a new folder and leaves INBOX empty, as the RFC says.
   */
  async rename(from: string, to: string): Promise<void> {
    const fromLevels = folderLevels(from, this.delimiter);
    const toLevels = folderLevels(to, this.delimiter);
    if (isInbox(toLevels)) throw new MailStoreError("Cannot rename to INBOX: it always exists", "exists");
    if (isInbox(fromLevels)) {
      await this.#renameInbox(to);
      return;
    }
    const fromDir = levelsToDir(fromLevels);
    const toDir = levelsToDir(toLevels);
    const sources = [...((await this.exists(from)) ? [fromDir] : []), ...(await this.#childDirs(fromDir))];
    if (sources.length === 0)
      throw new MailStoreError(`Cannot rename ${from}: no such folder`, "nonexistent");
    const targets = sources.map((d) => toDir + d.slice(fromDir.length));
    for (const [i, target] of targets.entries()) {
      if (Buffer.byteLength(target) > 255)
        throw new MailStoreError(`Cannot rename ${from}: a name gets too long`, "limit");
      if (sources.includes(target) && target !== sources[i]) continue;
      if ((await stat(join(this.root, target)).catch(() => undefined)) !== undefined) {
        throw new MailStoreError(`Cannot rename ${from} to ${to}: ${to} already exists`, "exists");
      }
    }
    for (const [i, source] of sources.entries()) {
      const target = targets[i]!;
      await rename(join(this.root, source), join(this.root, target));
      this.#registry.renamed(join(this.root, source), join(this.root, target));
    }
    await fsyncDirectory(this.root);
    await this.#editSubscriptions((list) =>
      list.map((levels) =>
        levels.length >= fromLevels.length && fromLevels.every((l, i) => levels[i] === l)
          ? [...toLevels, ...levels.slice(fromLevels.length)]
          : levels,
      ),
    );
  }

  async #renameInbox(to: string): Promise<void> {
    await ensureMaildir(this.root, false);
    await this.create(to);
    const target = this.folderDir(to);
    // Keyword letters mean the same in the new folder only with the same table.
    await copyFile(join(this.root, KEYWORDS_FILE), join(target, KEYWORDS_FILE)).catch((error: unknown) => {
      if (!isErrno(error, "ENOENT")) throw error;
    });
    for (const sub of ["new", "cur"]) {
      for (const name of await readdir(join(this.root, sub))) {
        if (name.startsWith(".")) continue;
        await rename(join(this.root, sub, name), join(target, sub, name)).catch((error: unknown) => {
          if (!isErrno(error, "ENOENT")) throw error;
        });
      }
      await fsyncDirectory(join(target, sub));
    }
    await this.#registry.peek(this.root)?.refresh(true);
  }

  /** Directory names of the folders below `dir` (".a" → ".a.b", ".a.b.c"), sorted. */
  async #childDirs(dir: string): Promise<string[]> {
    const prefix = `${dir}.`;
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory() && e.name.startsWith(prefix) && dirToLevels(e.name) !== undefined)
      .map((e) => e.name)
      .sort();
  }

  /** Subscribed names (IMAP LSUB / LIST (SUBSCRIBED)); they need not exist (RFC 3501 §6.3.6). */
  async subscriptions(): Promise<string[]> {
    return (await this.#readSubscriptions()).map((levels) => levels.join(this.delimiter));
  }

  /** Adds a name to the subscriptions (RFC 3501 §6.3.6). */
  async subscribe(name: string): Promise<void> {
    const levels = folderLevels(name, this.delimiter);
    const key = this.#key(levels);
    await this.#editSubscriptions((list) =>
      list.some((l) => this.#key(l) === key) ? list : [...list, levels],
    );
  }

  /** Removes a name from the subscriptions (RFC 3501 §6.3.7). */
  async unsubscribe(name: string): Promise<void> {
    const key = this.#key(folderLevels(name, this.delimiter));
    await this.#editSubscriptions((list) => list.filter((l) => this.#key(l) !== key));
  }

  /**
   * Reads `subscriptions`: Dovecot's version 2 (a "V\t2\n\n" header, levels separated by
   * TAB) or the older one name per line with Maildir++'s "." between levels.
   */
  async #readSubscriptions(): Promise<string[][]> {
    let text: string;
    try {
      text = await readFile(join(this.root, SUBSCRIPTIONS_FILE), "utf8");
    } catch (error) {
      if (isErrno(error, "ENOENT")) return [];
      throw error;
    }
    const v2 = text.startsWith(SUBSCRIPTIONS_V2);
    const body = v2 ? text.slice(SUBSCRIPTIONS_V2.length) : text;
    const out: string[][] = [];
    for (const line of body.split("\n")) {
      if (line === "") continue;
      const levels = line.split(v2 ? "\t" : ".").map((level) => {
        try {
          return decodeMutf7(level);
        } catch {
          return level;
        }
      });
      if (levels[0]!.toUpperCase() === INBOX) levels[0] = INBOX;
      if (levels.every((l) => l !== "")) out.push(levels);
    }
    return out;
  }

  async #editSubscriptions(change: (list: string[][]) => string[][]): Promise<void> {
    await ensureMaildir(this.root, false);
    const path = join(this.root, SUBSCRIPTIONS_FILE);
    await withDotlock(`${path}.lock`, { staleMs: 30_000, timeoutMs: 120_000 }, async () => {
      const before = await this.#readSubscriptions();
      const after = change(before);
      if (after.length === before.length && after.every((l, i) => this.#key(l) === this.#key(before[i]!)))
        return;
      const lines = after.map((levels) => `${levels.map(encodeMutf7).join("\t")}\n`);
      await writeFileDurable(path, SUBSCRIPTIONS_V2 + lines.join(""));
    });
  }

  /** The folder name of a special use (whether or not it exists yet). */
  specialUseName(use: SpecialUse): string {
    return this.#specialNames[use];
  }

  /**
   * Creates (and subscribes) the special-use folders that do not exist yet, or only `uses`;
   * returns their names. An IMAP server calls it at login, so clients find Sent, Drafts,
   * Trash, Junk and Archive with their RFC 6154 attributes.
   */
  async ensureSpecialUse(uses?: readonly SpecialUse[]): Promise<string[]> {
    const names: string[] = [];
    for (const use of uses ?? (Object.keys(this.#specialNames) as SpecialUse[])) {
      const name = this.#specialNames[use];
      if (!(await this.exists(name))) {
        try {
          await this.create(name);
          await this.subscribe(name);
        } catch (error) {
          if (!(error instanceof MailStoreError && error.reason === "exists")) throw error;
        }
      }
      names.push(name);
    }
    return names;
  }

  /** Opens a view of a folder (IMAP SELECT, or EXAMINE with readOnly; POP3's INBOX). */
  async open(name: string, options: { readonly readOnly?: boolean } = {}): Promise<Mailbox> {
    const canonical = this.canonicalName(name);
    const state = await this.#acquire(canonical);
    const mailbox = new Mailbox(canonical, state, this.#access, options.readOnly === true);
    try {
      await mailbox.load();
    } catch (error) {
      mailbox.close();
      throw error;
    }
    return mailbox;
  }

  /** A folder's counts without opening a view (IMAP STATUS). */
  async status(name: string): Promise<FolderStatus> {
    const state = await this.#acquire(this.canonicalName(name));
    try {
      await state.refresh();
      let unseen = 0;
      let size = 0;
      for (const message of state.messages) {
        if (!message.flags.includes("\\Seen")) unseen++;
        size += message.size;
      }
      return {
        messages: state.messages.length,
        recent: state.recentPending.size,
        unseen,
        uidNext: state.uidNext,
        uidValidity: state.uidValidity,
        size,
      };
    } finally {
      this.#registry.release(state);
    }
  }

  /** Stores a message in a folder (IMAP APPEND, RFC 3501 §6.3.11); returns its UID. */
  async append(
    name: string,
    source: MessageSource,
    options: { readonly flags?: readonly string[]; readonly internalDate?: Date } = {},
  ): Promise<{ uid: number; uidValidity: number }> {
    const state = await this.#acquire(this.canonicalName(name));
    try {
      await state.refresh();
      const uid = await state.append(source, options.flags ?? [], options.internalDate);
      return { uid, uidValidity: state.uidValidity };
    } finally {
      this.#registry.release(state);
    }
  }

  /** Delivers a message (SMTP local delivery): see deliver(). Folder names use `delimiter`. */
  deliver(source: MessageSource, options: Omit<DeliverOptions, "delimiter"> = {}): Promise<Delivered> {
    return deliver(this.root, source, { ...options, delimiter: this.delimiter });
  }

  /** The state of an existing folder; MailStoreError "nonexistent" (IMAP [TRYCREATE]) if not. */
  async #acquire(name: string): Promise<FolderState> {
    const levels = folderLevels(name, this.delimiter);
    const dir = join(this.root, levelsToDir(levels));
    if (isInbox(levels)) await ensureMaildir(this.root, false);
    else if (!(await this.exists(name)))
      throw new MailStoreError(`Cannot open ${name}: no such folder`, "nonexistent");
    else await ensureMaildir(dir, true);
    return this.#registry.acquire(dir, this.root);
  }
}
