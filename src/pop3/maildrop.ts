/**
 * A POP3 maildrop: the account's INBOX as one POP3 session sees it, locked against other
 * POP3 sessions (RFC 1939 §4 "exclusive-access lock") and frozen at login — messages
 * delivered meanwhile wait for the next session, so message-numbers stay valid.
 *
 * Two choices, made as Dovecot makes them so that a Maildir can move between the two:
 *
 * - UIDL is Dovecot's default `pop3_uidl_format = %08Xu%08Xv`: the IMAP UID and the folder's
 *   UIDVALIDITY, each as 8 hex digits (Dovecot writes them in lower case). Both are kept in
 *   `dovecot-uidlist`, so the id is stable across sessions and processes, is what IMAP sees,
 *   is never reused while UIDVALIDITY stands (RFC 1939 §7), and is what Dovecot's own POP3
 *   server says on the same Maildir — a client moving between the two fetches nothing twice. The Maildir base name was the alternative, but it can
 *   exceed RFC 1939's 70 characters and may hold characters outside 0x21–0x7E.
 * - RETR marks a message \Seen (TOP does not), as Dovecot does unless
 *   `pop3_no_flag_updates` is set: an IMAP client of the same account then shows it read.
 *   The flags are written when the session ends — at QUIT, or when the connection is lost,
 *   since the client did receive the messages — in one batch.
 */
import type { Readable } from "node:stream";
import type { FolderRegistry } from "../mail/store/folder-state.js";
import { lockMaildrop } from "../mail/store/dotlock.js";
import type { Mailbox } from "../mail/store/mailbox.js";
import { MailStore } from "../mail/store/store.js";

/** One message of a maildrop; message-number n is `messages[n - 1]`. */
export interface MaildropMessage {
  /** The IMAP UID. */
  readonly uid: number;
  /** Octets as sent (RFC 1939 §11: CRLF line endings, before dot-stuffing). */
  readonly size: number;
  /** The unique-id listing's id (RFC 1939 §7 UIDL). */
  readonly uidl: string;
  /** Already \Seen at login. */
  readonly seen: boolean;
}

/** What a POP3 session needs of the mail store; tests give it a fake. */
export interface Maildrop {
  /** The messages at login, in UID order. */
  readonly messages: readonly MaildropMessage[];
  /**
   * The message's content in CRLF form, as a stream. Rejects with MailStoreError "expunged"
   * when another session (IMAP) has removed it since login.
   */
  open(uid: number): Promise<Readable>;
  /** Adds \Seen to messages (those already gone are skipped). */
  markSeen(uids: readonly number[]): Promise<void>;
  /** Removes messages (the UPDATE state, RFC 1939 §6); those already gone count as removed. */
  remove(uids: readonly number[]): Promise<void>;
  /** Releases the lock and the view; the session has ended. Safe to call more than once. */
  release(): Promise<void>;
}

/** Dovecot's `%08Xu%08Xv`: the UID and the UIDVALIDITY, 8 hex digits each, lower case as Dovecot writes them. */
export function formatUidl(uid: number, uidValidity: number): string {
  return hex8(uid) + hex8(uidValidity);
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

/** Options for {@link openMaildrop}. */
export interface OpenMaildropOptions {
  /** The folder index to share (default: this process's, which IMAP shares too). */
  readonly registry?: FolderRegistry;
}

/**
 * Locks the Maildir at `maildir` for this POP3 session and opens its INBOX (creating an
 * empty Maildir for an account that never received mail). Rejects with MailStoreError
 * "in-use" when another POP3 session holds the lock; the lock is released again if the
 * INBOX cannot be opened.
 */
export async function openMaildrop(maildir: string, options: OpenMaildropOptions = {}): Promise<Maildrop> {
  const lock = await lockMaildrop(maildir);
  try {
    const store = new MailStore(maildir, options.registry ? { registry: options.registry } : {});
    const mailbox = await store.open("INBOX");
    return new StoreMaildrop(mailbox, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

class StoreMaildrop implements Maildrop {
  readonly messages: readonly MaildropMessage[];
  readonly #mailbox: Mailbox;
  readonly #lock: { release(): Promise<void> };
  #released: Promise<void> | undefined;

  constructor(mailbox: Mailbox, lock: { release(): Promise<void> }) {
    this.#mailbox = mailbox;
    this.#lock = lock;
    const uidValidity = mailbox.uidValidity;
    this.messages = mailbox.messages.map((info) => ({
      uid: info.uid,
      size: info.size,
      uidl: formatUidl(info.uid, uidValidity),
      seen: info.flags.includes("\\Seen"),
    }));
  }

  open(uid: number): Promise<Readable> {
    return this.#mailbox.openMessage(uid);
  }

  async markSeen(uids: readonly number[]): Promise<void> {
    if (uids.length > 0) await this.#mailbox.setFlags(uids, ["\\Seen"], "add");
  }

  async remove(uids: readonly number[]): Promise<void> {
    if (uids.length > 0) await this.#mailbox.expunge(uids);
  }

  release(): Promise<void> {
    this.#released ??= (async () => {
      try {
        this.#mailbox.close();
      } finally {
        await this.#lock.release();
      }
    })();
    return this.#released;
  }
}
