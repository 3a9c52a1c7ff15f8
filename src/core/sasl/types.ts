/** Shapes shared by the SASL server and client. */

/** The mechanisms Portico implements, as advertised (`AUTH PLAIN LOGIN`). */
export const SASL_MECHANISMS = ["PLAIN", "LOGIN"] as const;

/** A mechanism Portico implements. */
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** What a successful exchange yields; the caller then checks the password. */
export interface SaslCredentials {
  /**
   * The identity to act as. RFC 4616 §2: when the client sends none, the server derives it
   * from the authentication identity — here it is then equal to `username`.
   */
  readonly authzid: string;
  /** The authentication identity (whose password this is). */
  readonly username: string;
  readonly password: string;
}

/**
 * Why an exchange failed, and the reply each protocol gives:
 *
 * | reason | SMTP (RFC 4954) | IMAP (RFC 9051 §6.2.2) | POP3 (RFC 5034) |
 * | --- | --- | --- | --- |
 * | `unsupported-mechanism` | 504 5.5.4 | NO | -ERR |
 * | `cancelled` (the client sent "*") | 501 5.7.0 | BAD | -ERR |
 * | `invalid-base64` | 501 5.5.2 | BAD | -ERR |
 * | `malformed` (not a valid PLAIN message, not UTF-8, an empty name or password) | 501 5.5.2 | BAD | -ERR |
 * | `authzid-not-allowed` | 535 5.7.8 | NO | -ERR |
 */
export type SaslErrorReason =
  "unsupported-mechanism" | "cancelled" | "invalid-base64" | "malformed" | "authzid-not-allowed";

/** One move of a server-side exchange. */
export type SaslStep =
  /** Send this challenge (base64, possibly empty): SMTP `334 <data>`, IMAP `+ <data>`, POP3 `+ <data>`. */
  | { readonly kind: "challenge"; readonly data: string }
  /** The client has presented its credentials; verify them and answer. */
  | { readonly kind: "done"; readonly credentials: SaslCredentials }
  /**
   * The exchange failed; `message` is fit for the reply text and the log — it never quotes
   * what the client sent, so no password can leak through it.
   */
  | { readonly kind: "error"; readonly reason: SaslErrorReason; readonly message: string };
