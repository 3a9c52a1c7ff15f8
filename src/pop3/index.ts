/**
 * The POP3 server (RFC 1939 with CAPA, RESP-CODES, PIPELINING, TOP, UIDL, USER and SASL of
 * RFC 2449, AUTH of RFC 5034, STLS of RFC 2595, POP3S of RFC 8314): the service, its
 * sans-I/O session, and the pieces they are made of.
 */
export { startPop3Service } from "./server.js";
export type { Pop3Runtime } from "./server.js";
export { Pop3Session } from "./session.js";
export type { AuthOutcome, Pop3Action, Pop3Output, Pop3SessionOptions } from "./session.js";
export { formatUidl, openMaildrop } from "./maildrop.js";
export type { Maildrop, MaildropMessage, OpenMaildropOptions } from "./maildrop.js";
export { TopFilter } from "./top.js";
export { err, isError, multiline, ok, parseCommand, parseNumbers, RESP_CODES, trimArgs } from "./codec.js";
export type { Pop3Command, RespCode } from "./codec.js";
export { POP3_LIMITS } from "./limits.js";
export type { Pop3Limits } from "./limits.js";
