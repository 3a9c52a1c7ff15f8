/**
 * Slows and limits failed logins per client address, for every protocol that takes a
 * password (SMTP AUTH, POP3, IMAP, FTP, SSH, TELNET, web). RFC 2577 §5 and RFC 4954 §9 ask
 * servers to make password guessing slow; this is the one place that does it.
 *
 * Sans-I/O: it counts and answers "wait this long" / "refuse"; the session does the waiting
 * (with its own timers) and the replying.
 */
export interface LoginThrottleOptions {
  /** Failures from one address within `windowMs` after which it is refused for `blockMs`. */
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly blockMs?: number;
  /** Base delay before answering a failure; doubles per recent failure, up to `maxDelayMs`. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Addresses tracked at most (oldest forgotten first), so a spoofed flood cannot exhaust memory. */
  readonly maxTracked?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

interface Record {
  failures: number;
  firstFailure: number;
  blockedUntil: number;
}

export class LoginThrottle {
  readonly #records = new Map<string, Record>();
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #blockMs: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxTracked: number;
  readonly #now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.#maxFailures = options.maxFailures ?? 10;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#blockMs = options.blockMs ?? 15 * 60_000;
    this.#baseDelayMs = options.baseDelayMs ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 5_000;
    this.#maxTracked = options.maxTracked ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `address` may try a login now; when not, how long until it may. */
  check(address: string): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const record = this.#current(address);
    if (record && record.blockedUntil > this.#now()) {
      return { allowed: false, retryAfterMs: record.blockedUntil - this.#now() };
    }
    return { allowed: true };
  }

  /** Records a failed login; returns how long to wait before answering it. */
  fail(address: string): number {
    const now = this.#now();
    let record = this.#current(address);
    if (!record) {
      record = { failures: 0, firstFailure: now, blockedUntil: 0 };
      if (this.#records.size >= this.#maxTracked) {
        const oldest = this.#records.keys().next().value;
        if (oldest !== undefined) this.#records.delete(oldest);
      }
      this.#records.set(address, record);
    }
    record.failures++;
    if (record.failures >= this.#maxFailures) record.blockedUntil = now + this.#blockMs;
    return Math.min(this.#baseDelayMs * 2 ** (record.failures - 1), this.#maxDelayMs);
  }

  /** A successful login clears the address's record. */
  succeed(address: string): void {
    this.#records.delete(address);
  }

  /** The record of `address` if it is still within its window or block. */
  #current(address: string): Record | undefined {
    const record = this.#records.get(address);
    if (!record) return undefined;
    const now = this.#now();
    if (record.blockedUntil <= now && now - record.firstFailure > this.#windowMs) {
      this.#records.delete(address);
      return undefined;
    }
    return record;
  }
}
