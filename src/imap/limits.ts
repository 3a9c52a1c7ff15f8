/**
 * Every cap the IMAP server applies, with why it has the value it has. The server takes
 * overrides through `ImapRuntime.limits` (tests shrink the timeouts); these are the defaults.
 */
export const IMAP_LIMITS = {
  /**
   * One line of a command (the text between literals), without CRLF. RFC 7162 §4 asks
   * servers to accept command lines of at least 8192 octets; Dovecot's imap_max_line_length
   * is 64 KiB, which leaves room for the long UID sets clients send after a resync.
   */
  maxLineLength: 64 * 1024,
  /**
   * A literal inside a command other than APPEND's message (a password, a mailbox name, a
   * SEARCH string): nothing legitimate comes near this, so it stops a client from making the
   * server buffer megabytes in a command.
   */
  maxLiteralSize: 64 * 1024,
  /** A whole command as buffered (its lines and small literals together). */
  maxCommandSize: 256 * 1024,
  /**
   * The largest message APPEND takes when the runtime gives no maxMessageSize: the SMTP
   * default of PRODUCT.md (25 MiB), so a message that could be received can be filed.
   */
  maxMessageSize: 25 * 1024 * 1024,
  /**
   * RFC 3501 §5.4: an autologout timer after authentication MUST be at least 30 minutes.
   * Clients in IDLE are not subject to it (RFC 2177 asks them to re-issue IDLE every 29
   * minutes; the server's keepalive keeps the line busy meanwhile).
   */
  idleTimeoutMs: 30 * 60_000,
  /** Before authentication a client has no business staying silent for long. */
  preAuthTimeoutMs: 60_000,
  /** How often a client in IDLE is sent `* OK Still here`, so NAT boxes keep the flow. */
  idleKeepaliveMs: 2 * 60_000,
  /** Tagged BAD answers in one session before `* BYE` and close (a client speaking nonsense). */
  maxBadCommands: 20,
  /** Commands in one session; a runaway client loop is cut off (Dovecot has no such cap; 1M is generous). */
  maxCommands: 1_000_000,
  /** Connections for the whole service and per client address (phones keep several open). */
  maxConnections: 1000,
  maxPerAddress: 50,
  /** A STARTTLS or implicit-TLS handshake must finish within this. */
  handshakeTimeoutMs: 30_000,
  /**
   * Bytes read from a socket but not yet processed before reading pauses: a pipelining
   * client cannot make the server hold more than this while a command is being answered.
   */
  readHighWater: 256 * 1024,
  /** Parsed MIME structures kept per selected mailbox (FETCH BODYSTRUCTURE then BODY[1] reads once). */
  structureCacheEntries: 256,
  /** Header bytes of one MIME part that are parsed; the rest of a monstrous header is skipped. */
  maxPartHeaderBytes: 256 * 1024,
  /** MIME nesting depth followed (multipart in multipart in message/rfc822 …), as Dovecot caps it. */
  maxMimeDepth: 100,
  /** MIME parts in one message that get their own node; more are treated as plain body. */
  maxMimeParts: 10_000,
  /** Untagged EXPUNGE/EXISTS/FETCH updates are pushed to an idling client at most this often. */
  idleNotifyDelayMs: 50,
} as const;

/** The overridable limits (ImapRuntime.limits). */
export type ImapLimits = { -readonly [K in keyof typeof IMAP_LIMITS]: number };
