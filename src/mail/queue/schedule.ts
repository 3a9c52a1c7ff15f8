/**
 * When a deferred message is tried again. The schedule is a list of intervals after each
 * failed attempt (the last repeats), bounded by the message's lifetime; RFC 5321 §4.5.4.1
 * asks for at least 30 minutes between retries of a destination and at least 4-5 days
 * before giving up. The first retries come sooner here (a greylisting server expects a
 * retry within minutes), then back off.
 */

/** Retry intervals in ms, after attempt 1, 2, …; the last repeats. */
export const DEFAULT_RETRY_INTERVALS_MS: readonly number[] = [
  60_000, // 1 min: greylisting
  5 * 60_000,
  15 * 60_000,
  30 * 60_000,
  60 * 60_000,
  2 * 60 * 60_000,
  4 * 60 * 60_000,
];

/** How long a message may stay queued before it bounces: 5 days (RFC 5321 §4.5.4.1). */
export const DEFAULT_QUEUE_LIFETIME_MS = 5 * 24 * 60 * 60_000;

/** When the sender is told its message is delayed (RFC 3464 "delayed"); 0: never. */
export const DEFAULT_DELAY_WARNING_MS = 4 * 60 * 60_000;

/** The retry schedule of a queue. */
export interface RetrySchedule {
  readonly intervalsMs: readonly number[];
  readonly lifetimeMs: number;
  readonly delayWarningMs: number;
}

export const DEFAULT_SCHEDULE: RetrySchedule = Object.freeze({
  intervalsMs: DEFAULT_RETRY_INTERVALS_MS,
  lifetimeMs: DEFAULT_QUEUE_LIFETIME_MS,
  delayWarningMs: DEFAULT_DELAY_WARNING_MS,
});

/**
 * When attempt `attempts + 1` is due, after `attempts` attempts ending `now`: the interval
 * for that attempt with ±10% jitter (so messages deferred together do not retry in lockstep),
 * never past the message's expiry (the last attempt is made then).
 */
export function nextAttempt(
  schedule: RetrySchedule,
  attempts: number,
  arrival: number,
  now: number,
  random: () => number = Math.random,
): number {
  const intervals = schedule.intervalsMs;
  const base = intervals[Math.min(Math.max(attempts - 1, 0), intervals.length - 1)] ?? 60_000;
  const jittered = base * (0.9 + 0.2 * random());
  return Math.min(now + Math.round(jittered), arrival + schedule.lifetimeMs);
}

/** Whether a message that arrived at `arrival` has outlived the schedule at `now`. */
export function expired(schedule: RetrySchedule, arrival: number, now: number): boolean {
  return now >= arrival + schedule.lifetimeMs;
}
