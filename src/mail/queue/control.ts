/**
 * How `portico queue` reaches the queue manager of a running server: a request file in
 * queue/control/ (`flush.N`, `delete.ID.N`), answered by `<name>.done`. Without a running
 * manager (its lock names a dead process, or there is none) the command acts on the files.
 */
import { randomBytes } from "node:crypto";
import { readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Spool } from "./spool.js";

/** The pid of the live queue manager of `spool`, if one runs on this machine. */
export async function runningManager(spool: Spool): Promise<number | undefined> {
  const text = await readFile(spool.lockPath, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const pid = Number(text.split(":")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined;
  }
}

/** Sends a request to the running manager and waits for its answer (`ok`, `unknown`, …). */
export async function askManager(spool: Spool, request: string, timeoutMs = 10_000): Promise<string> {
  const name = `${request}.${Date.now()}${randomBytes(3).toString("hex")}`;
  const path = join(spool.controlDir, name);
  // The file's existence is the request: an empty file cannot be seen half-written.
  await writeFile(path, "", { mode: 0o600 });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await readFile(`${path}.done`, "utf8").catch(() => undefined);
    if (answer !== undefined) {
      await unlink(`${path}.done`).catch(() => undefined);
      return answer.trim();
    }
    await sleep(50);
  }
  await unlink(path).catch(() => undefined);
  throw new Error(`Cannot reach the queue manager: no answer to "${request}" within ${timeoutMs / 1000} s`);
}
