import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Dotlock as CoreDotlock, LockBusyError, type DotlockOptions } from "../../core/dotlock.js";
import { MailStoreError } from "./errors.js";
import { STORE_DEFAULTS } from "./limits.js";

export type { DotlockOptions };

/** A busy lock is the store's "in-use" refusal (IMAP [INUSE], POP3 [IN-USE]). */
function inUse(error: unknown): unknown {
  return error instanceof LockBusyError
    ? new MailStoreError(error.message, "in-use", { cause: error })
    : error;
}

/** The core dot-lock (src/core/dotlock.ts), refusing with MailStoreError "in-use". */
export class Dotlock extends CoreDotlock {
  static override async acquire(path: string, options: DotlockOptions): Promise<CoreDotlock> {
    try {
      return await CoreDotlock.acquire(path, options);
    } catch (error) {
      throw inUse(error);
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

/** The lock file of POP3 sessions on a Maildir: Dovecot's name (pop3_lock_session). */
export const MAILDROP_LOCK_FILE = "dovecot-pop3-session.lock";

/** A held POP3 maildrop lock; release() it when the session ends (RFC 1939 §8). */
export interface MaildropLock {
  release(): Promise<void>;
}

/**
 * Takes the POP3 "exclusive-access lock" on a maildrop (RFC 1939 §8): at most one POP3
 * session per Maildir, across processes. Fails at once with MailStoreError "in-use" (the
 * POP3 server answers `-ERR [IN-USE]`, RFC 2449 §8.1.2) rather than waiting. The lock is
 * refreshed while held, so it goes stale only if its owner dies or hangs.
 */
export async function lockMaildrop(
  maildir: string,
  options: { readonly staleMs?: number } = {},
): Promise<MaildropLock> {
  const staleMs = options.staleMs ?? STORE_DEFAULTS.maildropStaleMs;
  await mkdir(maildir, { recursive: true, mode: 0o700 });
  const lock = await Dotlock.acquire(join(maildir, MAILDROP_LOCK_FILE), { staleMs, timeoutMs: 0 });
  const timer = setInterval(() => void lock.touch(), Math.max(1000, staleMs / 3));
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await lock.release();
    },
  };
}
