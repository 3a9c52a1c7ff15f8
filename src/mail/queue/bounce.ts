import type { QueuedMeta, QueuedRecipient, RecipientOutcome } from "./spool.js";

export type DsnKind = "failure" | "delay" | "success";
export interface DsnRecipient {
  readonly recipient: QueuedRecipient;
  readonly outcome: RecipientOutcome;
}
export interface DsnRequest {
  readonly kind: DsnKind;
  readonly hostname: string;
  readonly meta: QueuedMeta;
  readonly recipients: readonly DsnRecipient[];
  readonly original: Buffer;
  readonly originalComplete: boolean;
  readonly date: Date;
  readonly willRetryUntil: Date;
}
export function makeDsn(request: DsnRequest): Buffer {
  return Buffer.from(
    `Subject: ${request.kind}\r\n\r\n${request.recipients.map((r) => r.outcome.reply).join("\r\n")}\r\n`,
  );
}
