/**
 * The SMTP client: a sans-I/O session ({@link SmtpClientSession}) and its socket wrapper
 * ({@link connectSmtp} / {@link SmtpConnection}), used by the queue's relay and `portico send`.
 */
export { connectSmtp, DEFAULT_SMTP_TIMEOUTS, SmtpConnection } from "./connection.js";
export type { ConnectSmtpOptions, SmtpMessage, SmtpTimeouts } from "./connection.js";
export { replyToText, SmtpReplyError, SmtpUnsupportedError } from "./errors.js";
export type { RecipientReply, SmtpStage } from "./errors.js";
export { NO_EXTENSIONS, parseEhloReply } from "./extensions.js";
export type { SmtpExtensions } from "./extensions.js";
export { SmtpClientSession } from "./session.js";
export type {
  SmtpAuth,
  SmtpClientEvent,
  SmtpClientSessionOptions,
  SmtpEnvelope,
  SmtpSendResult,
  SmtpTlsMode,
  SmtpWait,
} from "./session.js";
