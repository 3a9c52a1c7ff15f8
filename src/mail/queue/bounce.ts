/**
 * The queue's side of DSNs: turns queued recipients and their outcomes into the input of
 * src/mail/dsn's RFC 3464 builder.
 */
import { composeDsn, type Dsn, type DsnKind } from "../dsn/index.js";
import type { QueuedMeta, QueuedRecipient, RecipientOutcome } from "./spool.js";

export type { DsnKind };

/** A recipient the DSN reports on. */
export interface DsnRecipient {
  readonly recipient: QueuedRecipient;
  readonly outcome: RecipientOutcome;
}

/** What the queue knows when it reports. */
export interface DsnRequest {
  readonly kind: DsnKind;
  readonly hostname: string;
  readonly meta: QueuedMeta;
  readonly recipients: readonly DsnRecipient[];
  /** The message content, or its start (then `originalSize` is larger). */
  readonly original: Buffer;
  readonly originalSize: number;
  readonly date: Date;
  readonly willRetryUntil: Date;
}

const ACTION = { failure: "failed", delay: "delayed", success: "delivered" } as const;

/** Builds the DSN message and its envelope. */
export function makeDsn(request: DsnRequest): Dsn {
  const { meta } = request;
  return composeDsn({
    reportingMta: request.hostname,
    sender: meta.from,
    kind: request.kind,
    original: request.original,
    originalSize: request.originalSize,
    arrivalDate: new Date(meta.arrival),
    date: request.date,
    queueId: meta.id,
    smtputf8: meta.smtputf8,
    receivedFrom: { helo: meta.client.helo, address: meta.client.address },
    ...(meta.envid !== undefined && { envid: meta.envid }),
    ...(meta.ret !== undefined && { ret: meta.ret }),
    recipients: request.recipients.map(({ recipient, outcome }) => ({
      finalRecipient: recipient.address,
      ...(recipient.orcpt !== undefined && { originalRecipient: recipient.orcpt }),
      action: ACTION[request.kind],
      status: outcome.kind === "delivered" ? "2.0.0" : outcome.status,
      // RFC 3461 §6.3(i): the remote server's reply, as it was; our own findings as X-Portico.
      diagnosticCode:
        outcome.remote !== undefined ? outcome.reply : { type: "X-Portico", text: outcome.reply },
      ...(outcome.host !== undefined && { remoteMta: outcome.host }),
      ...(outcome.inReplyTo !== undefined && { inReplyTo: outcome.inReplyTo }),
      lastAttemptDate: request.date,
      ...(request.kind === "delay" && { willRetryUntil: request.willRetryUntil }),
    })),
  });
}
