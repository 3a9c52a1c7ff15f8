/**
 * The queue manager: the SMTP server's {@link MessageSink}, and the loop that delivers what
 * it accepted. A committed message is tried at once: its local recipients go into their
 * Maildirs, its remote ones are grouped by domain and relayed by MX, each domain under its
 * own concurrency limit, so a slow or dead destination holds up only its own mail. Deferred
 * recipients are retried on the {@link RetrySchedule}; failures, and expiry, send the sender
 * a DSN (RFC 3464), never for the null sender; a warning DSN after `delayWarningMs`.
 *
 * `portico queue` talks to a running manager through files in queue/control/ (flush,
 * delete), so it works while the server runs and without any network port.
 *
 * SMTP worker processes (`[smtp] workers`) write queue files themselves, each through a
 * {@link SpoolSink} of its own, and tell the manager what they committed: `adopt()`.
 */
import { readdir, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Dotlock, LockBusyError } from "../../core/dotlock.js";
import { ConfigError } from "../../core/errors.js";
import type { DataLayout } from "../../core/layout.js";
import { silentLogger, type Logger } from "../../core/log.js";
import type { Envelope, IncomingMessage, MessageSink } from "../envelope.js";
import type { MailRouter } from "../router.js";
import { deliver, MailStoreError } from "../store/index.js";
import { DSN_RETURN_LIMIT } from "../dsn/index.js";
import { makeDsn, type DsnKind, type DsnRecipient } from "./bounce.js";
import type { Relay, RelayJob } from "./relay.js";
import { DEFAULT_SCHEDULE, expired, nextAttempt, type RetrySchedule } from "./schedule.js";
import {
  describeOutcome,
  isFinal,
  isQueueId,
  newQueueId,
  Spool,
  type QueueEntry,
  type QueuedMeta,
  type QueuedRecipient,
  type RecipientOutcome,
  type StateRecord,
} from "./spool.js";
import { Semaphore } from "./semaphore.js";

/** How many finished message ids the queue remembers against a late `adopt()`. */
const DONE_REMEMBERED = 4096;

/** Options of {@link MailQueue}. */
export interface MailQueueOptions {
  /** The queue directory (`data_dir/queue`). */
  readonly dir: string;
  /** Our name: DSNs come from MAILER-DAEMON@hostname. */
  readonly hostname: string;
  readonly router: MailRouter;
  readonly layout: DataLayout;
  readonly relay: Relay;
  readonly schedule?: RetrySchedule;
  /** Deliveries at once to one destination domain (default 20, as Postfix's default_destination_concurrency_limit). */
  readonly destinationConcurrency?: number;
  /** Remote deliveries at once in all (default 64). */
  readonly concurrency?: number;
  /** Largest message a local Maildir takes (octets as stored). */
  readonly maxMessageSize?: number;
  readonly logger?: Logger;
  /** ms since the epoch (tests move time). */
  readonly clock?: () => number;
  /** How often queue/control/ is looked at (default 250 ms). */
  readonly controlPollMs?: number;
}

interface Live {
  entry: QueueEntry;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  /** Run again as soon as the current run ends (a flush arrived meanwhile). */
  again: boolean;
}

/** What `queue list` shows of a message. */
export interface QueueListing {
  readonly id: string;
  readonly arrival: Date;
  readonly size: number;
  readonly from: string;
  readonly attempts: number;
  readonly next: Date | undefined;
  readonly recipients: readonly {
    address: string;
    status: "pending" | "deferred" | "delivered" | "failed";
    reply?: string;
  }[];
}

export class MailQueue implements MessageSink {
  readonly spool: Spool;
  readonly #options: MailQueueOptions;
  readonly #schedule: RetrySchedule;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #live = new Map<string, Live>();
  readonly #total: Semaphore;
  readonly #destinations = new Map<string, Semaphore>();
  readonly #lock: Dotlock;
  readonly #controlTimer: NodeJS.Timeout;
  readonly #sink: SpoolSink;
  /**
   * Ids of the latest messages done with (delivered, bounced, deleted), oldest first: a late
   * `adopt()` of one (a rescan that beat the worker's own announcement) must not queue it again.
   */
  readonly #done = new Set<string>();
  #stopped = false;

  private constructor(options: MailQueueOptions, spool: Spool, lock: Dotlock) {
    this.#options = options;
    this.spool = spool;
    this.#lock = lock;
    this.#schedule = options.schedule ?? DEFAULT_SCHEDULE;
    this.#log = (options.logger ?? silentLogger).child({ service: "queue" });
    this.#now = options.clock ?? Date.now;
    this.#total = new Semaphore(options.concurrency ?? 64);
    this.#controlTimer = setInterval(() => void this.#readControl(), options.controlPollMs ?? 250);
    this.#controlTimer.unref();
    this.#sink = new SpoolSink({
      spool,
      router: options.router,
      clock: this.#now,
      onCommit: (entry) => {
        this.#admit(entry);
      },
    });
  }

  /**
   * Opens the queue: takes its lock (one manager per queue directory), removes what a crash
   * left half-received, and schedules every queued message (those never tried: at once).
   */
  static async open(options: MailQueueOptions): Promise<MailQueue> {
    const spool = new Spool(options.dir);
    await spool.init();
    let lock: Dotlock;
    try {
      // Stale only when its process is gone: a live manager keeps the queue for as long as it runs.
      lock = await Dotlock.acquire(spool.lockPath, { staleMs: 100 * 365 * 86_400_000, timeoutMs: 0 });
    } catch (error) {
      if (error instanceof LockBusyError) {
        throw new ConfigError(
          `Cannot open the mail queue in ${options.dir}: another Portico is running on it`,
        );
      }
      throw error;
    }
    const queue = new MailQueue(options, spool, lock);
    const { entries, removed, unreadable } = await spool.recover();
    if (removed > 0) {
      queue.#log.info({ files: removed }, "removed messages a crash left half-received (never acknowledged)");
    }
    for (const id of unreadable) queue.#log.error({ id }, "unreadable queue file; left in place");
    for (const entry of entries) queue.#admit(entry);
    queue.#log.info({ messages: queue.#live.size }, "queue opened");
    return queue;
  }

  /** Messages in the queue now. */
  get size(): number {
    return this.#live.size;
  }

  // --- MessageSink ---

  async open(envelope: Envelope): Promise<IncomingMessage> {
    if (this.#stopped) throw new Error("Cannot queue: the queue is stopped");
    return this.#sink.open(envelope);
  }

  // --- messages other processes committed ---

  /**
   * Queues a message an SMTP worker process committed to the spool. `committed` is what the
   * worker wrote (its header, where the content starts, its size), which saves reading the
   * file back; without it the file is read. Resolves true when the message is queued now
   * (or already was, or was lately delivered or deleted: it is not queued again), false when
   * there is no complete message `id` or the queue is stopped.
   */
  async adopt(id: string, committed?: CommittedMessage): Promise<boolean> {
    if (!isQueueId(id)) throw new TypeError(`Cannot adopt "${id}": not a queue id`);
    if (committed !== undefined && committed.meta.id !== id) {
      throw new TypeError(`Cannot adopt ${id}: the header given is message ${committed.meta.id}'s`);
    }
    if (this.#stopped) return false;
    if (this.#live.has(id) || this.#done.has(id)) return true;
    const entry = committed !== undefined ? freshEntry(committed) : await this.spool.load(id);
    if (entry === undefined) return false;
    this.#admit(entry);
    return this.#live.has(id);
  }

  /**
   * Queues every complete message in the spool that the queue does not hold: what an SMTP
   * worker that died had committed but not announced. Resolves with how many there were.
   */
  async rescan(): Promise<number> {
    let found = 0;
    for (const id of await this.spool.ids()) {
      if (this.#stopped) break;
      if (this.#live.has(id) || this.#done.has(id)) continue;
      try {
        if (await this.adopt(id)) found++;
      } catch (error) {
        this.#log.error({ id, err: error }, "unreadable queue file; left in place");
      }
    }
    if (found > 0) this.#log.info({ messages: found }, "queued messages found in the spool");
    return found;
  }

  // --- control ---

  /** Tries every queued message now (`portico queue flush`). */
  flush(): void {
    for (const live of this.#live.values()) this.#runSoon(live, 0);
  }

  /** Removes a message from the queue (`portico queue delete`); false if there is none. */
  async delete(id: string): Promise<boolean> {
    const live = this.#live.get(id);
    if (live) {
      clearTimeout(live.timer);
      this.#live.delete(id);
      this.#markDone(id);
      await live.running;
    }
    const removed = await this.spool.remove(id);
    if (removed) this.#log.info({ id }, "deleted from the queue");
    return removed || live !== undefined;
  }

  /** What is queued. */
  list(): QueueListing[] {
    return [...this.#live.values()].map((l) => listing(l.entry));
  }

  /**
   * Stops delivering: no new attempts, running ones get `graceMs` to finish (a delivery cut
   * short is simply tried again at the next start), idle relay connections are closed.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#controlTimer);
    for (const live of this.#live.values()) clearTimeout(live.timer);
    const running = [...this.#live.values()].flatMap((l) => (l.running ? [l.running] : []));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(running),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    await this.#options.relay.close();
    await this.#lock.release();
  }

  // --- scheduling ---

  /** Records that `id` is done with (see #done); the oldest ids are let go. */
  #markDone(id: string): void {
    this.#done.add(id);
    if (this.#done.size > DONE_REMEMBERED) {
      for (const oldest of this.#done) {
        this.#done.delete(oldest);
        break;
      }
    }
  }

  #admit(entry: QueueEntry): void {
    const id = entry.meta.id;
    if (this.#live.has(id) || this.#stopped) return;
    const live: Live = { entry, timer: undefined, running: undefined, again: false };
    this.#live.set(id, live);
    this.#runSoon(live, Math.max(0, entry.next - this.#now()));
  }

  #runSoon(live: Live, delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(live.timer);
    live.timer = undefined;
    if (live.running) {
      if (delayMs === 0) live.again = true;
      return;
    }
    // setTimeout holds at most 2^31-1 ms; a later attempt is re-armed when that fires.
    const forced = delayMs === 0;
    live.timer = setTimeout(
      () => {
        live.timer = undefined;
        this.#start(live, forced);
      },
      Math.min(delayMs, 2 ** 31 - 1),
    );
  }

  /** Runs an attempt if one is due (or `forced`: a flush, a new message). */
  #start(live: Live, forced: boolean): void {
    if (this.#stopped || live.running || this.#live.get(live.entry.meta.id) !== live) return;
    if (!forced && live.entry.next > this.#now() + 1000) {
      this.#runSoon(live, live.entry.next - this.#now());
      return;
    }
    live.again = false;
    live.running = this.#attempt(live.entry)
      .catch((error: unknown) => {
        this.#log.error({ id: live.entry.meta.id, err: error }, "delivery attempt failed; retrying later");
        live.entry.next = this.#now() + 60_000;
      })
      .finally(() => {
        live.running = undefined;
        if (this.#live.get(live.entry.meta.id) !== live) return;
        if (live.entry.outcomes.every(isFinal)) {
          this.#live.delete(live.entry.meta.id);
          this.#markDone(live.entry.meta.id);
          return;
        }
        this.#runSoon(live, live.again ? 0 : Math.max(0, live.entry.next - this.#now()));
      });
  }

  /** One delivery attempt of every recipient not yet done. */
  async #attempt(entry: QueueEntry): Promise<void> {
    const meta = entry.meta;
    const pending = meta.recipients.flatMap((r, i) => (isFinal(entry.outcomes[i]) ? [] : [i]));
    const now = this.#now();
    const outcomes = new Map<number, RecipientOutcome>();

    if (expired(this.#schedule, meta.arrival, now) && entry.attempts > 0) {
      for (const i of pending) {
        // RFC 3463 4.4.7 (delivery time expired), quoting the last error the destination gave.
        const last = entry.outcomes[i];
        const age = formatAge(now - meta.arrival);
        outcomes.set(
          i,
          last !== undefined && last.kind === "deferred"
            ? { ...last, kind: "failed", status: "4.4.7" }
            : {
                kind: "failed",
                status: "4.4.7",
                reply: `451 4.4.7 Message expired after ${age} in the queue`,
              },
        );
        this.#log.info({ id: meta.id, age }, "message expired");
      }
    } else {
      const local = pending.filter((i) => meta.recipients[i]!.route === "local");
      const byDomain = new Map<string, number[]>();
      for (const i of pending) {
        const r = meta.recipients[i]!;
        if (r.route !== "remote") continue;
        const domain = r.address.slice(r.address.lastIndexOf("@") + 1).toLowerCase();
        byDomain.set(domain, [...(byDomain.get(domain) ?? []), i]);
      }
      await Promise.all([
        ...local.map(async (i) => outcomes.set(i, await this.#deliverLocal(entry, meta.recipients[i]!))),
        ...[...byDomain].map(async ([domain, indices]) => {
          const results = await this.#relay(entry, domain, indices);
          indices.forEach((i, k) => outcomes.set(i, results[k]!));
        }),
      ]);
    }
    if (this.#live.get(meta.id)?.entry !== entry) return; // deleted meanwhile

    const t = this.#now();
    const records: StateRecord[] = [];
    for (const [i, outcome] of outcomes) {
      entry.outcomes[i] = outcome;
      records.push({ t, r: i, o: outcome });
      this.#log.info(
        {
          id: meta.id,
          to: meta.recipients[i]!.address,
          status: outcome.kind,
          reply: describeOutcome(outcome),
        },
        outcome.kind === "delivered" ? "delivered" : outcome.kind === "failed" ? "bounced" : "deferred",
      );
    }
    entry.attempts++;
    entry.memory = undefined; // later attempts read the file
    const done = entry.outcomes.every(isFinal);
    entry.next = done ? 0 : nextAttempt(this.#schedule, entry.attempts, meta.arrival, t);
    records.push({ t, attempts: entry.attempts, next: entry.next });

    // The DSNs are queued (durably) before the outcomes are recorded: a crash in between sends
    // a DSN twice, never zero times.
    const failed = [...outcomes].filter(([, o]) => o.kind === "failed");
    if (failed.length > 0) await this.#notify(entry, "failure", failed);
    const succeeded = [...outcomes].filter(
      ([i, o]) => o.kind === "delivered" && wants(meta.recipients[i]!, "SUCCESS"),
    );
    if (succeeded.length > 0) await this.#notify(entry, "success", succeeded);
    if (
      !done &&
      !entry.warned &&
      this.#schedule.delayWarningMs > 0 &&
      t - meta.arrival >= this.#schedule.delayWarningMs
    ) {
      const delayed = [...outcomes].filter(([, o]) => o.kind === "deferred");
      if (delayed.length > 0) {
        await this.#notify(entry, "delay", delayed);
        entry.warned = true;
        records.push({ t, warned: true });
      }
    }
    // Done: the message file goes; no need to record outcomes first (a crash in between
    // delivers again, exactly as a crash between a delivery and its record would).
    if (done) await this.spool.remove(meta.id, entry.attempts === 1);
    else await this.spool.record(meta.id, records);
  }

  async #deliverLocal(entry: QueueEntry, recipient: QueuedRecipient): Promise<RecipientOutcome> {
    const meta = entry.meta;
    const prefix = `Return-Path: <${meta.from}>\r\nDelivered-To: ${recipient.address}\r\n`;
    try {
      const maildir = this.#options.layout.maildir(recipient.address);
      const stored = await deliver(maildir, this.spool.content(meta.id, entry), {
        prefix,
        ...(recipient.folder !== undefined && { folder: recipient.folder }),
        ...(this.#options.maxMessageSize !== undefined && {
          maxSize: this.#options.maxMessageSize + prefix.length,
        }),
      });
      return { kind: "delivered", reply: `250 2.0.0 Delivered to maildir as ${stored.name}` };
    } catch (error) {
      if (error instanceof MailStoreError && error.reason === "limit") {
        return { kind: "failed", status: "5.2.3", reply: `552 5.2.3 ${error.message}` };
      }
      if (error instanceof TypeError) {
        return { kind: "failed", status: "5.1.3", reply: `550 5.1.3 ${error.message}` };
      }
      return {
        kind: "deferred",
        status: "4.3.0",
        reply: `451 4.3.0 Cannot write to the mailbox: ${(error as Error).message}`,
      };
    }
  }

  async #relay(entry: QueueEntry, domain: string, indices: readonly number[]): Promise<RecipientOutcome[]> {
    const meta = entry.meta;
    let limit = this.#destinations.get(domain);
    if (!limit) {
      limit = new Semaphore(this.#options.destinationConcurrency ?? 20);
      this.#destinations.set(domain, limit);
    }
    const job: RelayJob = {
      domain,
      from: meta.from,
      recipients: indices.map((i) => {
        const r = meta.recipients[i]!;
        return {
          address: r.address,
          ...(r.notify !== undefined && { notify: r.notify }),
          ...(r.orcpt !== undefined && { orcpt: r.orcpt }),
        };
      }),
      size: entry.size,
      body: meta.body,
      smtputf8: meta.smtputf8,
      ...(meta.ret !== undefined && { ret: meta.ret }),
      ...(meta.envid !== undefined && { envid: meta.envid }),
      content: () => this.spool.content(meta.id, entry),
    };
    const destination = limit;
    const result = await destination.run(() => this.#total.run(() => this.#options.relay.deliver(job)));
    if (destination.idle) this.#destinations.delete(domain);
    return result;
  }

  /** Queues a DSN to the sender about `items`, unless it must not get one. */
  async #notify(
    entry: QueueEntry,
    kind: DsnKind,
    items: readonly (readonly [number, RecipientOutcome])[],
  ): Promise<void> {
    const meta = entry.meta;
    // RFC 5321 §6.1 / RFC 3461 §4.1: never a DSN about a DSN or to the null sender; NOTIFY decides.
    if (meta.from === "" || meta.bounce === true) return;
    const notifyKey = kind === "failure" ? "FAILURE" : kind === "delay" ? "DELAY" : "SUCCESS";
    const chosen = items.filter(([i]) => wants(meta.recipients[i]!, notifyKey));
    if (chosen.length === 0) return;
    const original = await this.spool.readContent(meta.id, entry, Math.min(entry.size, DSN_RETURN_LIMIT + 1));
    const recipients: DsnRecipient[] = chosen.map(([i, outcome]) => ({
      recipient: meta.recipients[i]!,
      outcome,
    }));
    const now = this.#now();
    const dsn = makeDsn({
      kind,
      hostname: this.#options.hostname,
      meta,
      recipients,
      original,
      originalSize: entry.size,
      date: new Date(now),
      willRetryUntil: new Date(meta.arrival + this.#schedule.lifetimeMs),
    });
    const dsnMeta: QueuedMeta = {
      id: newQueueId(now),
      arrival: now,
      from: "",
      recipients: (await this.#options.router.expand(meta.from)).map((d) => ({
        address: d.address,
        original: meta.from,
        route: d.route,
      })),
      body: dsn.envelope.body,
      smtputf8: dsn.envelope.smtputf8,
      client: { address: "127.0.0.1", helo: this.#options.hostname },
      bounce: true,
    };
    if (dsnMeta.recipients.length === 0) {
      this.#log.warn({ id: meta.id, to: meta.from }, "no one to send the DSN to (unknown local sender)");
      return;
    }
    await this.spool.put(dsnMeta, dsn.message);
    this.#log.info(
      { id: meta.id, dsn: dsnMeta.id, kind, to: meta.from },
      "delivery status notification queued",
    );
    const queued = await this.spool.load(dsnMeta.id);
    if (queued) this.#admit(queued);
  }

  async #readControl(): Promise<void> {
    if (this.#stopped) return;
    let names: string[];
    try {
      names = await readdir(this.spool.controlDir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (name.endsWith(".done")) continue;
      const path = join(this.spool.controlDir, name);
      const [verb, id] = name.split(".", 3);
      let answer = "ok";
      if (verb === "flush") this.flush();
      else if (verb === "delete" && id !== undefined && isQueueId(id))
        answer = (await this.delete(id)) ? "ok" : "unknown";
      else answer = "unknown request";
      await writeFile(`${path}.done`, `${answer}\n`).catch(() => undefined);
      await unlink(path).catch(() => undefined);
    }
  }
}

/**
 * The queue header of a message arriving with `envelope`: a new id, the arrival time `now`,
 * and the recipients expanded through `router` (aliases and lists to their members, +tags to
 * the account; an address reached twice is kept once, the first RCPT that reached it named
 * as its original). Recipients that expand to nobody are dropped: the SMTP server accepted
 * them through the same router, so that happens only when an account is deleted meanwhile.
 */
export async function queuedMeta(envelope: Envelope, router: MailRouter, now: number): Promise<QueuedMeta> {
  const recipients: QueuedRecipient[] = [];
  const seen = new Set<string>();
  for (const r of envelope.recipients) {
    for (const d of await router.expand(r.address)) {
      const key = d.address.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      recipients.push({
        address: d.address,
        original: r.address,
        route: d.route,
        ...(r.notify !== undefined && { notify: r.notify }),
        ...(r.orcpt !== undefined && { orcpt: r.orcpt }),
      });
    }
  }
  return {
    id: newQueueId(now),
    arrival: now,
    from: envelope.from,
    recipients,
    body: envelope.body,
    smtputf8: envelope.smtputf8,
    ...(envelope.ret !== undefined && { ret: envelope.ret }),
    ...(envelope.envid !== undefined && { envid: envelope.envid }),
    client: {
      address: envelope.client.address,
      helo: envelope.client.helo,
      ...(envelope.client.authenticatedAs !== undefined && {
        authenticatedAs: envelope.client.authenticatedAs,
      }),
    },
  };
}

/** A message as its writer committed it: what the queue manager needs to queue it unread. */
export interface CommittedMessage {
  readonly meta: QueuedMeta;
  /** Byte offset of the content in the file (after the header line). */
  readonly contentOffset: number;
  /** Size of the content in octets. */
  readonly size: number;
}

/** The entry of a committed message never tried yet (no state file). */
function freshEntry(committed: CommittedMessage): QueueEntry {
  return {
    meta: committed.meta,
    contentOffset: committed.contentOffset,
    size: committed.size,
    outcomes: committed.meta.recipients.map(() => undefined),
    attempts: 0,
    next: 0,
    warned: false,
  };
}

/** Options of {@link SpoolSink}. */
export interface SpoolSinkOptions {
  readonly spool: Spool;
  readonly router: MailRouter;
  /** ms since the epoch (ids and arrival times). */
  readonly clock?: () => number;
  /** Called with each message once it is durable, before `commit()` resolves. */
  readonly onCommit: (entry: QueueEntry) => void;
}

/**
 * The SMTP server's {@link MessageSink} over the spool: each message's recipients are
 * expanded ({@link queuedMeta}), its file created in queue/messages and written as the data
 * arrives, and `commit()` resolves (so the 250 goes out) once file and directory are fsynced.
 * The queue manager uses one for its own listeners; an SMTP worker process uses one of its
 * own and tells the manager what it committed (`MailQueue.adopt`). Any number of processes
 * may write the spool at once: ids are unique across processes and files are created
 * exclusively; only the manager delivers and removes them.
 */
export class SpoolSink implements MessageSink {
  readonly #options: SpoolSinkOptions;
  readonly #now: () => number;

  constructor(options: SpoolSinkOptions) {
    this.#options = options;
    this.#now = options.clock ?? Date.now;
  }

  async open(envelope: Envelope): Promise<IncomingMessage> {
    const meta = await queuedMeta(envelope, this.#options.router, this.#now());
    const message = await this.#options.spool.create(meta);
    const onCommit = this.#options.onCommit;
    return {
      id: meta.id,
      content: message.content,
      commit: async () => {
        const id = await message.commit();
        onCommit(message.entry());
        return id;
      },
      abort: () => message.abort(),
    };
  }
}

/** "3 days", "5 hours", "12 minutes", "4 seconds". */
function formatAge(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
  ];
  for (const [size, name] of units) {
    const n = Math.floor(ms / size);
    if (n >= 2 || (n === 1 && size === 60_000)) return `${n} ${name}${n === 1 ? "" : "s"}`;
  }
  return `${Math.round(ms / 1000)} seconds`;
}

function wants(recipient: QueuedRecipient, what: "SUCCESS" | "FAILURE" | "DELAY"): boolean {
  const notify = recipient.notify;
  // RFC 3461 §4.1: without NOTIFY, FAILURE (and DELAY at the MTA's choice) is the default.
  if (notify === undefined) return what !== "SUCCESS";
  if (notify === "NEVER") return false;
  return notify.includes(what);
}

/** A queue entry as `queue list` shows it. */
export function listing(entry: QueueEntry): QueueListing {
  return {
    id: entry.meta.id,
    arrival: new Date(entry.meta.arrival),
    size: entry.size,
    from: entry.meta.from,
    attempts: entry.attempts,
    next: entry.outcomes.every(isFinal) || entry.attempts === 0 ? undefined : new Date(entry.next),
    recipients: entry.meta.recipients.map((r, i) => {
      const o = entry.outcomes[i];
      return {
        address: r.address,
        status: o === undefined ? "pending" : o.kind,
        ...(o !== undefined && { reply: describeOutcome(o) }),
      };
    }),
  };
}
