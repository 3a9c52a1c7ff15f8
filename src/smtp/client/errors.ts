/**
 * Errors of the SMTP client. A server's refusal is an {@link SmtpReplyError} (a `ReplyError`
 * carrying the whole reply and the stage it answered); a server that breaks the protocol gives
 * the core `ProtocolError`; a silent one the core `TimeoutError`.
 */
import { PorticoError, ReplyError } from "../../core/errors.js";
import type { Reply } from "../../core/line/index.js";

/** The step of the dialogue a reply answered (RFC 5321 §4.3.2 names replies after these). */
export type SmtpStage =
  "greeting" | "EHLO" | "HELO" | "STARTTLS" | "AUTH" | "MAIL" | "RCPT" | "DATA" | "BDAT" | "RSET" | "QUIT";

/** A recipient and the server's answer to its RCPT TO. */
export interface RecipientReply {
  readonly rcpt: string;
  readonly reply: Reply;
}

/** `250 2.0.0 Ok: queued as X`: a reply as one line per line of text. */
export function replyToText(reply: Reply): string {
  const prefix = reply.enhanced === undefined ? "" : `${reply.enhanced} `;
  const lines = reply.lines.length === 0 ? [""] : reply.lines;
  return lines
    .map((line, i) => `${reply.code}${i === lines.length - 1 ? " " : "-"}${prefix}${line}`.trimEnd())
    .join("\n");
}

/**
 * The server refused: `reply.code` (4xx: temporary, try again later; 5xx: permanent), the
 * RFC 3463 `enhanced` code when the server sent one, the text `lines`, and the `stage` it
 * answered. When every recipient was refused (`stage` "RCPT"), `rejected` lists each with its
 * reply and the error carries the first of them.
 */
export class SmtpReplyError extends ReplyError {
  override readonly code: string = "PORTICO_ERR_SMTP_REPLY";
  readonly stage: SmtpStage;
  readonly enhanced: string | undefined;
  readonly lines: readonly string[];
  readonly rejected: readonly RecipientReply[];

  constructor(stage: SmtpStage, reply: Reply, rejected: readonly RecipientReply[] = []) {
    super(`Cannot complete ${stage}: the server replied ${replyToText(reply).replace(/\n/g, " / ")}`, {
      code: reply.code,
      text: reply.lines.join("\n"),
    });
    this.stage = stage;
    this.enhanced = reply.enhanced;
    this.lines = reply.lines;
    this.rejected = rejected;
  }

  /** A 4xx reply: the same request may succeed later (RFC 5321 §4.2.1). */
  get temporary(): boolean {
    return this.reply.code >= 400 && this.reply.code < 500;
  }
}

/**
 * The server lacks an extension the request needs: STARTTLS under `"starttls-required"`, AUTH
 * with a usable mechanism when credentials were given, SMTPUTF8 for a UTF-8 address (RFC 6531
 * §3.4: such a message must not be sent to a server that does not offer it).
 */
export class SmtpUnsupportedError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_SMTP_UNSUPPORTED";
}
