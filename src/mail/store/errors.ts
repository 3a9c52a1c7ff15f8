import { PorticoError } from "../../core/errors.js";

/**
 * Why a mail store operation was refused. Each maps to an IMAP response code (RFC 5530) or a
 * POP3 one (RFC 2449 §8, RFC 3206), so the protocol layers need not parse messages:
 *
 *   nonexistent    [NONEXISTENT]    the folder (or message) does not exist
 *   exists         [ALREADYEXISTS]  a folder of that name already exists
 *   in-use         [INUSE]/[IN-USE] a lock is held by another session or process
 *   invalid-name   [CANNOT]         the name cannot be a folder name here
 *   expunged       [EXPUNGEISSUED]  the message was expunged by another session
 *   limit          [LIMIT]          a cap of limits.ts was reached (keywords, name length)
 *   read-only      [READ-ONLY]      the mailbox was opened read-only (IMAP EXAMINE)
 *   cannot         [CANNOT]         the operation can never succeed (e.g. DELETE INBOX)
 */
export type MailStoreErrorReason =
  "nonexistent" | "exists" | "in-use" | "invalid-name" | "expunged" | "limit" | "read-only" | "cannot";

/** A refusal by the mail store; `reason` says which kind (see MailStoreErrorReason). */
export class MailStoreError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_MAILSTORE";
  constructor(
    message: string,
    readonly reason: MailStoreErrorReason,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** True for a Node.js system error with the given errno code (ENOENT, EEXIST, …). */
export function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}
