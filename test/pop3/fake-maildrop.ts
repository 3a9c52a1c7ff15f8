/**
 * A Maildrop held in memory, for the session's unit and fuzz tests: it records what the
 * session asked of it (opened, marked \Seen, removed, released).
 */
import { Readable } from "node:stream";
import { MailStoreError } from "../../src/mail/store/errors.js";
import { formatUidl, type Maildrop, type MaildropMessage } from "../../src/pop3/maildrop.js";

export class FakeMaildrop implements Maildrop {
  readonly messages: MaildropMessage[];
  readonly #bodies = new Map<number, Buffer>();
  /** UIDs removed by another session: open() rejects with "expunged". */
  readonly gone = new Set<number>();
  readonly opened: number[] = [];
  readonly seen: number[][] = [];
  readonly removed: number[][] = [];
  released = 0;
  /** Make remove() fail, as a full disk would. */
  failRemove = false;

  constructor(bodies: readonly (string | { body: string; seen: boolean })[], uidValidity = 1700000000) {
    this.messages = bodies.map((entry, i) => {
      const body = Buffer.from(typeof entry === "string" ? entry : entry.body, "utf8");
      const uid = i + 1;
      this.#bodies.set(uid, body);
      return {
        uid,
        size: body.length,
        uidl: formatUidl(uid, uidValidity),
        seen: typeof entry === "string" ? false : entry.seen,
      };
    });
  }

  open(uid: number): Promise<Readable> {
    const body = this.#bodies.get(uid);
    if (body === undefined || this.gone.has(uid)) {
      return Promise.reject(
        new MailStoreError(`Cannot read message UID ${uid}: it has been expunged`, "expunged"),
      );
    }
    this.opened.push(uid);
    return Promise.resolve(Readable.from([body]));
  }

  markSeen(uids: readonly number[]): Promise<void> {
    if (uids.length > 0) this.seen.push([...uids]);
    return Promise.resolve();
  }

  remove(uids: readonly number[]): Promise<void> {
    if (this.failRemove) return Promise.reject(new Error("EIO: disk on fire"));
    if (uids.length > 0) this.removed.push([...uids]);
    return Promise.resolve();
  }

  release(): Promise<void> {
    this.released++;
    return Promise.resolve();
  }
}
