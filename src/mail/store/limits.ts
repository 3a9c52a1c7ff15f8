/** Every cap of the mail store, each with why it is what it is. */
export const STORE_LIMITS = {
  /**
   * Keywords per folder: Maildir stores them as the letters a–z in the file name, mapped by
   * `dovecot-keywords`; Dovecot keeps more in its index files, which we do not have.
   */
  maxKeywords: 26,
  /** A keyword's length: Dovecot's limit, and far above what any client uses. */
  maxKeywordLength: 255,
  /**
   * A folder's directory name (".Parent.Child", modified UTF-7) in bytes: NAME_MAX of every
   * Linux file system. The whole hierarchy lives in this one name under Maildir++.
   */
  maxFolderDirBytes: 255,
  /**
   * How far `readHeader` reads looking for the blank line that ends the header section. A
   * real header is a few KiB; past this the message is treated as all header (IMAP servers
   * cap it similarly) so that a hostile message cannot make a FETCH read megabytes.
   */
  maxHeaderBytes: 1024 * 1024,
  /** The size of each read when looking for the end of the header section. */
  headerChunkBytes: 16 * 1024,
  /** Writes to tmp/ are gathered to this size: fewer system calls for small stream chunks. */
  writeBufferBytes: 64 * 1024,
  /**
   * A dovecot-uidlist lock older than this is stale (its owner died without removing it):
   * Dovecot's MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT, so both agree when to take it over.
   */
  uidlistLockStaleMs: 120_000,
  /** How long to wait for the dovecot-uidlist lock before giving up ("in-use"). */
  uidlistLockTimeoutMs: 122_000,
  /**
   * A directory whose mtime is this close to the time it was read may change again within
   * the same timestamp tick (Linux file times are as coarse as a jiffy), so it is read again
   * at the next sync instead of being trusted: Dovecot's MAILDIR_SYNC_SECS idea.
   */
  dirtyWindowMs: 2_000,
  /**
   * A folder whose directories changed within dirtyWindowMs of a scan (a same-tick change
   * could hide behind an unchanged mtime) is scanned again at most this often, so a burst of
   * commands does not read a large folder on every one. Below the watch poll interval.
   */
  dirtyRescanMs: 250,
  /** Records whose files are gone that make the uidlist be rewritten instead of appended to. */
  uidlistCompressRatio: 0.25,
} as const;

/** Defaults of MailStoreOptions, in one place. */
export const STORE_DEFAULTS = {
  /** The hierarchy delimiter shown to clients. On disk it is always "." (Maildir++). */
  delimiter: "/",
  /** How often a watched folder's directories are stat()ed for changes by other processes. */
  pollIntervalMs: 500,
  /**
   * A POP3 maildrop lock not refreshed for this long is stale. The lock is refreshed every
   * third of it while held, so only a dead or hung owner lets it age; RFC 1939 §3's minimum
   * autologout timer is 10 minutes.
   */
  maildropStaleMs: 10 * 60_000,
} as const;
