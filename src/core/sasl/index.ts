/**
 * SASL for every protocol that authenticates (SMTP AUTH, POP3 AUTH, IMAP AUTHENTICATE):
 * server-side exchanges, client-side responses, strict base64, and transcript redaction.
 */
export { decodeBase64, encodeBase64 } from "./base64.js";
export { createSaslClient, SASL_CANCEL } from "./client.js";
export type { SaslClient, SaslClientCredentials } from "./client.js";
export { encodePlain, parsePlain } from "./plain.js";
export type { AuthzidPolicy } from "./plain.js";
export { REDACT_RULES, REDACTED, redactSaslResponse, Redactor } from "./redact.js";
export type { RedactorOptions, RedactRule } from "./redact.js";
export { startSasl } from "./server.js";
export type { SaslServerExchange, SaslServerOptions } from "./server.js";
export { SASL_MECHANISMS } from "./types.js";
export type { SaslCredentials, SaslErrorReason, SaslMechanism, SaslStep } from "./types.js";
