/**
 * Every cap the SMTP server applies, with why it has the value it has. Sessions take
 * overrides through their options (tests shrink the timeouts); these are the defaults.
 */
export const SMTP_LIMITS = {
  /**
   * RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including its CR LF, so 510
   * without it. Longer lines get `500 5.5.2` (RFC 5321 §4.2.2 "Line too long").
   */
  commandLine: 510,
  /**
   * MAIL FROM with its ESMTP parameters: each extension may raise the limit by what its
   * parameters need (RFC 5321 §4.5.3.1.4): SIZE 26 (RFC 1870 §3), RET 9 + ENVID 100 (RFC 3461
   * §4.3/§4.4), AUTH= 500 (RFC 4954 §5), BODY= 15, SMTPUTF8 9. Rounded up, as Postfix does.
   */
  mailLine: 1024,
  /** RCPT TO with NOTIFY (31) and ORCPT (up to 500, RFC 3461 §4.2): rounded up. */
  rcptLine: 1024,
  /**
   * RFC 4954 §4: AUTH command and SASL response lines may be up to 12288 octets. This is
   * also what the line reader is built with; each verb then gets its own cap.
   */
  authLine: 12288,
  /** RFC 5321 §4.5.3.1.8 asks for at least 100 recipients; Postfix's default is 1000. */
  maxRecipients: 1000,
  /** Error replies in one session before `421 4.7.0` and close (Postfix smtpd_hard_error_limit). */
  maxErrors: 20,
  /** RFC 5321 §4.5.3.2.7: the server waits at least 5 minutes for the next command. */
  commandTimeoutMs: 5 * 60_000,
  /** RFC 5321 §4.5.3.2.5-6: 3 minutes per data block, as the client's DATA block timeout. */
  dataTimeoutMs: 3 * 60_000,
  /** Connections for the whole service and per client address. */
  maxConnections: 1000,
  maxPerAddress: 50,
  /**
   * Bytes read from a socket but not yet processed before reading pauses: a pipelining
   * client cannot make the server hold more than this while a command is being answered.
   */
  readHighWater: 256 * 1024,
  /** A STARTTLS or implicit-TLS handshake must finish within this. */
  handshakeTimeoutMs: 30_000,
} as const;
