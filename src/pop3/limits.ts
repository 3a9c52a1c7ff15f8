/**
 * Every cap the POP3 server applies, with why it has the value it has. The server takes
 * overrides through `Pop3Runtime.limits` (tests shrink the timeout); these are the defaults.
 */
export const POP3_LIMITS = {
  /**
   * RFC 2449 §4: a command is at most 255 octets including its CRLF, so 253 without it; a
   * server that announces CAPA MUST accept that much. Longer command lines get `-ERR`.
   */
  commandLine: 253,
  /**
   * AUTH with an initial response, and the client's lines of a SASL exchange: those carry
   * base64 credentials rather than commands, so they get the SMTP AUTH cap (RFC 4954 §4,
   * 12288 octets) — room for RFC 4616's 255-octet PLAIN fields several times over. This is
   * also what the line reader is built with; each kind of line then gets its own cap.
   */
  authLine: 12288,
  /**
   * RFC 1939 §3: an inactivity autologout timer "MUST be of at least 10 minutes' duration".
   * When it fires the connection is closed without a reply and without the UPDATE state.
   */
  idleTimeoutMs: 10 * 60_000,
  /**
   * `-ERR` replies in one session before the server gives up on the client and closes the
   * connection (as Postfix's smtpd_hard_error_limit does for SMTP): a client that keeps
   * sending garbage gains nothing by staying connected.
   */
  maxErrors: 20,
  /** Connections for the whole service and per client address. */
  maxConnections: 1000,
  maxPerAddress: 50,
  /**
   * Bytes read from a socket but not yet processed before reading pauses: a pipelining
   * client (RFC 2449 §6.6) cannot make the server hold more than this while it answers.
   */
  readHighWater: 64 * 1024,
  /** A STLS or implicit-TLS handshake must finish within this. */
  handshakeTimeoutMs: 30_000,
} as const;

/** The limits a caller may override (`Pop3Runtime.limits`). */
export type Pop3Limits = Partial<
  Record<"idleTimeoutMs" | "maxErrors" | "maxConnections" | "maxPerAddress" | "handshakeTimeoutMs", number>
>;
