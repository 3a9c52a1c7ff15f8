import { open, readFile, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { PorticoError } from "./errors.js";

/** A dot-lock is held by another session or process, and waiting for it timed out. */
export class LockBusyError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_LOCK_BUSY";
}

/** How the lock file is found stale and how long to wait for it. */
export interface DotlockOptions {
  /** A lock file not modified for this long is stale. */
  readonly staleMs: number;
  /** How long to keep trying; 0 tries once. */
  readonly timeoutMs: number;
}

const HOST = hostname();

// Waiters inside this process queue here rather than polling the file: the file only tells
// other processes apart, and our own pid in it would always look alive.
const localQueues = new Map<string, Promise<void>>();

/**
 * A dot-lock file, as Dovecot makes them (`dovecot-uidlist.lock`): created with O_EXCL,
 * holding `<pid>:<host>`. A lock is stale, and taken over, when its owner on this host is
 * no longer running, or when it has not been touched for `staleMs` (an owner elsewhere, or
 * a hung one). Advisory: it excludes only programs that take the same lock.
 */
export class Dotlock {
  readonly #path: string;
  readonly #ino: number;
  readonly #done: () => void;
  #released = false;

  protected constructor(path: string, ino: number, done: () => void) {
    this.#path = path;
    this.#ino = ino;
    this.#done = done;
  }

  /** Takes the lock at `path`, waiting up to `timeoutMs`; throws LockBusyError when it cannot. */
  static async acquire(path: string, options: DotlockOptions): Promise<Dotlock> {
    const previous = localQueues.get(path);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = (previous ?? Promise.resolve()).then(() => mine);
    localQueues.set(path, tail);
    const finish = (): void => {
      done();
      if (localQueues.get(path) === tail) localQueues.delete(path);
    };
    const deadline = Date.now() + options.timeoutMs;
    try {
      if (previous !== undefined) {
        if (options.timeoutMs === 0) throw inUse(path);
        await raceDeadline(previous, deadline, path);
      }
      let wait = 5;
      for (;;) {
        const ino = await tryCreate(path);
        if (ino !== undefined) return new Dotlock(path, ino, finish);
        if (await removeIfStale(path, options.staleMs)) continue;
        if (Date.now() >= deadline) throw inUse(path);
        await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
        wait = Math.min(wait * 2, 100);
      }
    } catch (error) {
      finish();
      throw error;
    }
  }

  /** Marks the lock as alive (its mtime), so that it does not become stale while held. */
  async touch(): Promise<void> {
    if (this.#released) return;
    const now = new Date();
    await utimes(this.#path, now, now).catch(() => undefined);
  }

  /** Removes the lock file, unless another process took it over as stale meanwhile. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      const info = await stat(this.#path).catch(() => undefined);
      if (info?.ino === this.#ino) await unlink(this.#path).catch(() => undefined);
    } finally {
      this.#done();
    }
  }
}

/** Runs `task` holding the dot-lock at `path`. */
export async function withDotlock<T>(
  path: string,
  options: DotlockOptions,
  task: () => Promise<T>,
): Promise<T> {
  const lock = await Dotlock.acquire(path, options);
  try {
    return await task();
  } finally {
    await lock.release();
  }
}

async function raceDeadline(wait: Promise<void>, deadline: number, path: string): Promise<void> {
  const controller = new AbortController();
  try {
    await Promise.race([
      wait,
      sleep(Math.max(0, deadline - Date.now()), undefined, { signal: controller.signal }).then(() => {
        throw inUse(path);
      }),
    ]);
  } finally {
    controller.abort();
  }
}

function inUse(path: string): LockBusyError {
  return new LockBusyError(`Cannot lock ${path}: it is held by another session`);
}

async function tryCreate(path: string): Promise<number | undefined> {
  let handle;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw error;
  }
  try {
    await handle.writeFile(`${process.pid}:${HOST}`);
    return (await handle.stat()).ino;
  } finally {
    await handle.close();
  }
}

/** True if the lock at `path` was stale and has been removed (or vanished meanwhile). */
async function removeIfStale(path: string, staleMs: number): Promise<boolean> {
  const before = await stat(path).catch(() => undefined);
  if (before === undefined) return true;
  let stale = Date.now() - before.mtimeMs > staleMs;
  if (!stale) {
    const content = await readFile(path, "latin1").catch(() => "");
    const colon = content.indexOf(":");
    const pid = Number(content.slice(0, colon));
    if (colon > 0 && content.slice(colon + 1) === HOST && Number.isInteger(pid) && pid !== process.pid) {
      stale = !isRunning(pid);
    }
  }
  if (!stale) return false;
  // Remove only the file judged stale, not one that another waiter has just created.
  const now = await stat(path).catch(() => undefined);
  if (now?.ino === before.ino) await unlink(path).catch(() => undefined);
  return true;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
