import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Dotlock, MAILDROP_LOCK_FILE, lockMaildrop, withDotlock } from "./dotlock.js";
import { MailStoreError } from "./errors.js";

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "portico-lock-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const inUse = (e: unknown): boolean => e instanceof MailStoreError && e.reason === "in-use";

test("the POP3 maildrop lock admits one session at a time (RFC 1939 §8)", async (t) => {
  const maildir = join(await tempDir(t), "Maildir");
  const lock = await lockMaildrop(maildir);
  assert.equal(await readFile(join(maildir, MAILDROP_LOCK_FILE), "utf8"), `${process.pid}:${hostname()}`);
  await assert.rejects(lockMaildrop(maildir), inUse);
  await lock.release();
  await assert.rejects(stat(join(maildir, MAILDROP_LOCK_FILE)));
  const again = await lockMaildrop(maildir);
  await again.release();
});

test("a lock left by a dead process on this host is taken over", async (t) => {
  const maildir = await tempDir(t);
  const dead = spawnSync(process.execPath, [
    "-e",
    "process.stdout.write(String(process.pid))",
  ]).stdout.toString();
  await writeFile(join(maildir, MAILDROP_LOCK_FILE), `${dead}:${hostname()}`);
  const lock = await lockMaildrop(maildir);
  await lock.release();
});

test("a lock not touched for staleMs is taken over; a live one is not", async (t) => {
  const maildir = await tempDir(t);
  const path = join(maildir, MAILDROP_LOCK_FILE);
  await writeFile(path, "1:some-other-host");
  await assert.rejects(lockMaildrop(maildir, { staleMs: 60_000 }), inUse);
  const old = new Date(Date.now() - 120_000);
  await utimes(path, old, old);
  const lock = await lockMaildrop(maildir, { staleMs: 60_000 });
  await lock.release();
});

test("dot-locks serialise tasks in this process and time out", async (t) => {
  const path = join(await tempDir(t), "x.lock");
  const order: string[] = [];
  await Promise.all(
    ["a", "b", "c"].map((name) =>
      withDotlock(path, { staleMs: 10_000, timeoutMs: 5_000 }, async () => {
        order.push(`${name}+`);
        await new Promise((r) => setTimeout(r, 5));
        order.push(`${name}-`);
      }),
    ),
  );
  assert.deepEqual(order, ["a+", "a-", "b+", "b-", "c+", "c-"]);
  const held = await Dotlock.acquire(path, { staleMs: 10_000, timeoutMs: 0 });
  await assert.rejects(Dotlock.acquire(path, { staleMs: 10_000, timeoutMs: 50 }), inUse);
  await held.release();
});
