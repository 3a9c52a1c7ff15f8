import { open, rename, unlink, mkdir } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import { randomBytes } from "node:crypto";
import { withDotlock, type DotlockOptions } from "./dotlock.js";

/** fsyncs a directory, so a rename or create in it survives a crash of the machine. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old or the new
 * content, never a mix: write a temp file beside it, fsync, rename over, fsync the directory.
 */
export async function writeFileDurable(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dir);
}

/**
 * Runs `task` holding the dot-lock `path` (dotlock.ts; its directory is made if missing), so
 * two processes (`portico user add` while the server runs) do not interleave
 * read-modify-write cycles.
 */
export async function withLockFile<T>(
  path: string,
  task: () => Promise<T>,
  options: DotlockOptions = { staleMs: 30_000, timeoutMs: 30_000 },
): Promise<T> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  return withDotlock(path, options, task);
}

interface DirSync {
  running: Promise<void> | undefined;
  next: Promise<void> | undefined;
}
const dirSyncs = new Map<string, DirSync>();

/**
 * fsyncs a directory, sharing one fsync among the callers that arrive while one runs (group
 * commit): each caller's own link or rename happened before the fsync it waits for began.
 */
export function syncDirectory(dir: string): Promise<void> {
  let entry = dirSyncs.get(dir);
  if (entry === undefined) {
    entry = { running: undefined, next: undefined };
    dirSyncs.set(dir, entry);
  }
  const state = entry;
  if (state.running === undefined) {
    state.running = fsyncDirectory(dir).finally(() => {
      state.running = undefined;
      if (state.next === undefined) dirSyncs.delete(dir);
    });
    return state.running;
  }
  state.next ??= state.running
    .catch(() => undefined)
    .then(() => {
      state.next = undefined;
      return syncDirectory(dir);
    });
  return state.next;
}
