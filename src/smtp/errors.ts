import { PorticoError } from "../core/errors.js";

/** An SMTP reply as the server sends it: basic code, RFC 3463 enhanced code, text. */
export interface SmtpReply {
  readonly code: number;
  /** RFC 3463 `class.subject.detail`; absent for replies that carry none (220, 334, 354). */
  readonly enhanced?: string;
  readonly text: string;
}

/**
 * A refusal thrown by a policy hook (after nodemailer's smtp-server): the session answers
 * with `reply` instead of failing. Any other error thrown by a hook becomes `451 4.3.0`.
 */
export class SmtpRejection extends PorticoError {
  override readonly code: string = "PORTICO_ERR_SMTP_REJECT";
  constructor(readonly reply: SmtpReply) {
    super(`${reply.code} ${reply.enhanced ?? ""} ${reply.text}`.replace(/ +/g, " "));
  }
}
