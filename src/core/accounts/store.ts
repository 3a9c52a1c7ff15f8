import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { DataLayout } from "../layout.js";
import { withLockFile, writeFileDurable } from "../fs.js";
import { PorticoError } from "../errors.js";
import { isValidAddress, normalizeAddress } from "./address.js";
import { hashPassword, isScryptHash, verifyPassword } from "./password.js";

/** An account, as every protocol's login sees it. */
export interface Account {
  /** The normalised (lowercase) address, which is also the login name. */
  readonly address: string;
  /** The account's Maildir. */
  readonly maildir: string;
  /** The account's home directory for files. */
  readonly home: string;
}

/** A config `[[users]]` entry, as the store takes it. */
export type AccountEntry =
  | { readonly address: string; readonly password: string }
  | { readonly address: string; readonly passwordHash: string };

/** Thrown by add/delete/passwd when the request cannot be done; `code` says why. */
export class AccountError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_ACCOUNT";
}

/** A stored hash, or (config `password`) the SHA-256 of a clear password. */
interface Credential {
  readonly hash?: string;
  readonly clear?: Buffer;
}

/**
 * The one account store every protocol logs in through. Accounts come from two places: the
 * config's `[[users]]` (read-only here) and `data_dir/users.passwd`, which `portico user`
 * edits — also while the server runs: the file is re-read when it changes.
 *
 * The file holds one `address:$scrypt$…` line per account. Writes are atomic and durable
 * (temp file, fsync, rename) and serialised between processes by a lock file.
 *
 * A successful scrypt check is remembered as an HMAC of the password under a per-process
 * random key, so a client that logs in every minute (fetchmail, a phone) pays scrypt once.
 */
export class AccountStore {
  readonly #layout: DataLayout;
  readonly #config = new Map<string, Credential>();
  #file = new Map<string, Credential>();
  #fileStamp = "";
  readonly #cacheKey = randomBytes(32);
  readonly #verified = new Map<string, { hash: string; mac: Buffer }>();

  constructor(options: { readonly dataDir: string; readonly users?: readonly AccountEntry[] }) {
    this.#layout = new DataLayout(options.dataDir);
    for (const entry of options.users ?? []) {
      const address = normalizeAddress(entry.address);
      if (!isValidAddress(address))
        throw new TypeError(`Cannot add account "${entry.address}": not a mail address`);
      this.#config.set(
        address,
        "password" in entry
          ? { clear: createHash("sha256").update(entry.password).digest() }
          : { hash: entry.passwordHash },
      );
    }
  }

  /** The account for `address`, or undefined. */
  async get(address: string): Promise<Account | undefined> {
    const key = normalizeAddress(address);
    await this.#refresh();
    return this.#config.has(key) || this.#file.has(key) ? this.#account(key) : undefined;
  }

  /** Every account address, sorted. */
  async list(): Promise<string[]> {
    await this.#refresh();
    return [...new Set([...this.#config.keys(), ...this.#file.keys()])].sort();
  }

  /**
   * Checks a login. Returns the account on success, undefined on a wrong user or password
   * (the caller must not tell the two apart to the client).
   */
  async authenticate(username: string, password: string): Promise<Account | undefined> {
    const address = normalizeAddress(username);
    await this.#refresh();
    const credential = this.#config.get(address) ?? this.#file.get(address);
    if (credential === undefined) {
      // Spend the same time as a real check, so timing does not reveal which accounts exist.
      await verifyPassword(password, await getDummyHash());
      return undefined;
    }
    if (credential.clear !== undefined) {
      const given = createHash("sha256").update(password).digest();
      return timingSafeEqual(given, credential.clear) ? this.#account(address) : undefined;
    }
    const hash = credential.hash!;
    const mac = createHmac("sha256", this.#cacheKey).update(password).digest();
    const cached = this.#verified.get(address);
    if (cached?.hash === hash && timingSafeEqual(cached.mac, mac)) return this.#account(address);
    if (!(await verifyPassword(password, hash))) return undefined;
    this.#verified.set(address, { hash, mac });
    return this.#account(address);
  }

  /** Adds an account to the data directory's file; throws AccountError if it exists. */
  async add(address: string, password: string): Promise<Account> {
    const key = this.#checkAddress(address);
    const hash = await hashPassword(password);
    await this.#edit((accounts) => {
      if (accounts.has(key) || this.#config.has(key))
        throw new AccountError(`Cannot add ${key}: it already exists`);
      accounts.set(key, { hash });
    });
    return this.#account(key);
  }

  /** Changes the password of an account in the data directory's file. */
  async setPassword(address: string, password: string): Promise<void> {
    const key = this.#checkAddress(address);
    const hash = await hashPassword(password);
    await this.#edit((accounts) => {
      if (!accounts.has(key)) throw new AccountError(this.#missing("change the password of", key));
      accounts.set(key, { hash });
    });
  }

  /** Deletes an account from the data directory's file (its mail and files stay on disk). */
  async delete(address: string): Promise<void> {
    const key = this.#checkAddress(address);
    await this.#edit((accounts) => {
      if (!accounts.delete(key)) throw new AccountError(this.#missing("delete", key));
    });
  }

  #missing(action: string, key: string): string {
    return this.#config.has(key)
      ? `Cannot ${action} ${key}: it is defined in the config file's [[users]]; edit it there`
      : `Cannot ${action} ${key}: no such account`;
  }

  #checkAddress(address: string): string {
    if (!isValidAddress(address)) {
      throw new AccountError(
        `Cannot use "${address}" as an account: expected an address like user@example.org`,
      );
    }
    return normalizeAddress(address);
  }

  #account(address: string): Account {
    return { address, maildir: this.#layout.maildir(address), home: this.#layout.home(address) };
  }

  async #edit(change: (accounts: Map<string, Credential>) => void): Promise<void> {
    const file = this.#layout.accountsFile;
    await withLockFile(`${file}.lock`, async () => {
      const accounts = parseAccountsFile(await readText(file), file);
      change(accounts);
      const lines = [...accounts]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([a, c]) => `${a}:${c.hash ?? ""}\n`);
      await writeFileDurable(
        file,
        `# Portico accounts: address:scrypt-hash (edit with \`portico user\`)\n${lines.join("")}`,
      );
    });
    this.#fileStamp = "";
    await this.#refresh();
  }

  /**
   * Re-reads the accounts file when its size, mtime or inode changed. Every RCPT and login
   * asks, so the check is a synchronous stat: one system call on a cached inode, where an
   * asynchronous one costs a round trip through libuv's thread pool (measured: two of them
   * per SMTP message were a tenth of its file-system round trips).
   */
  async #refresh(): Promise<void> {
    const file = this.#layout.accountsFile;
    const info = statSync(file, { throwIfNoEntry: false });
    const stamp = info ? `${info.size}:${info.mtimeMs}:${info.ino}` : "absent";
    if (stamp === this.#fileStamp) return;
    this.#file = parseAccountsFile(await readText(file), file);
    this.#fileStamp = stamp;
  }
}

// A valid hash of a random password, verified against for unknown users (equal cost);
// made on first use so that loading the module stays cheap.
let dummyHash: Promise<string> | undefined;
function getDummyHash(): Promise<string> {
  return (dummyHash ??= hashPassword(randomBytes(16).toString("hex")));
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
}

function parseAccountsFile(text: string, file: string): Map<string, Credential> {
  const accounts = new Map<string, Credential>();
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    const address = normalizeAddress(line.slice(0, colon));
    const hash = line.slice(colon + 1);
    if (colon < 0 || !isValidAddress(address) || !isScryptHash(hash)) {
      throw new AccountError(`${file}:${index + 1}: not an "address:$scrypt$…" line; fix or remove it`);
    }
    accounts.set(address, { hash });
  });
  return accounts;
}
