/**
 * The IMAP server (RFC 3501 IMAP4rev1 with IDLE, NAMESPACE, ID, ENABLE, UIDPLUS, MOVE,
 * UNSELECT, LITERAL+, SASL-IR, CHILDREN, SPECIAL-USE, LIST-EXTENDED, LIST-STATUS,
 * STATUS=SIZE, APPENDLIMIT) over the Maildir++ mail store.
 */
export { startImapService } from "./server.js";
export type { ImapRuntime } from "./server.js";
export { ImapSession } from "./session.js";
export type { ImapSessionOptions, AuthOutcome, SessionAction, StepResult } from "./session.js";
export { IMAP_LIMITS } from "./limits.js";
export type { ImapLimits } from "./limits.js";
export { CommandReader, Cursor, ImapSyntaxError } from "./parser.js";
export type { RawCommand, ReaderEvent, ReaderLimits, SequenceSet, SequenceRange } from "./parser.js";
export { parseCommand } from "./commands.js";
export type { Command, ParseResult } from "./commands.js";
export type { ResponseSink, FetchItem, Section } from "./fetch.js";
export { scanMessage, scanBuffer, MimeScanner } from "./mime/structure.js";
export type { MimePart } from "./mime/structure.js";
export { bodyStructure, envelope } from "./mime/bodystructure.js";
