/**
 * The mail store: Maildir++ mailboxes shared by SMTP local delivery, POP3, IMAP and the web
 * console, in the on-disk format Dovecot, mutt and Python's mailbox module read.
 */
export { MailStore } from "./store.js";
export type { MailStoreOptions, FolderInfo, FolderStatus, SpecialUse } from "./store.js";
export { Mailbox } from "./mailbox.js";
export type { MailboxChanges, CopyResult } from "./mailbox.js";
export type { MessageInfo, FolderChange, FlagMode } from "./folder-state.js";
export { FolderRegistry } from "./folder-state.js";
export { deliver } from "./deliver.js";
export type { DeliverOptions, Delivered, MessageSource } from "./deliver.js";
export type { ByteRange } from "./message.js";
export { lockMaildrop, Dotlock, MAILDROP_LOCK_FILE } from "./dotlock.js";
export type { MaildropLock, DotlockOptions } from "./dotlock.js";
export { MailStoreError } from "./errors.js";
export type { MailStoreErrorReason } from "./errors.js";
export { STORE_LIMITS, STORE_DEFAULTS } from "./limits.js";
export type { Delimiter } from "./maildir.js";
export { encodeMutf7, decodeMutf7 } from "./mutf7.js";
