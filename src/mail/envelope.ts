import type { Writable } from "node:stream";

/**
 * What the SMTP server hands to the queue, and the queue to delivery: the envelope of RFC
 * 5321 §2.3.1 with the ESMTP parameters that travel with a message (RFC 1870 SIZE, RFC 6152
 * BODY, RFC 6531 SMTPUTF8, RFC 3461 DSN), and the message content as a stream.
 */

/** DSN NOTIFY (RFC 3461 §4.1): when the sender wants a report for this recipient. */
export type DsnNotify = "NEVER" | readonly ("SUCCESS" | "FAILURE" | "DELAY")[];

/** One forward-path. */
export interface EnvelopeRecipient {
  /** The address as given in RCPT TO, without angle brackets (domain lowercased). */
  readonly address: string;
  /** RFC 3461 NOTIFY; undefined: the default (FAILURE, and DELAY at the MTA's choice). */
  readonly notify?: DsnNotify;
  /** RFC 3461 ORCPT, as given (`addr-type;xtext`). */
  readonly orcpt?: string;
}

/** Who handed the message over, for the Received: header and logs. */
export interface SubmissionClient {
  /** The client's IP address. */
  readonly address: string;
  /** The EHLO/HELO argument. */
  readonly helo: string;
  /** The authenticated account, if AUTH succeeded. */
  readonly authenticatedAs?: string;
  readonly tls: boolean;
  /** RFC 3848 protocol type for Received: `with` (SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, …). */
  readonly protocol: string;
}

/** An envelope as accepted by the SMTP server. */
export interface Envelope {
  /** The reverse-path without brackets; "" is the null reverse-path (bounces, RFC 5321 §4.5.5). */
  readonly from: string;
  readonly recipients: readonly EnvelopeRecipient[];
  /** RFC 6152 / RFC 3030 BODY. */
  readonly body: "7BIT" | "8BITMIME" | "BINARYMIME";
  /** RFC 6531: the envelope or headers may hold UTF-8. */
  readonly smtputf8: boolean;
  /** RFC 3461 RET and ENVID. */
  readonly ret?: "FULL" | "HDRS";
  readonly envid?: string;
  readonly client: SubmissionClient;
}

/**
 * Where an SMTP server puts accepted mail: the durable queue, or in tests anything else.
 * The server streams the content (its own trace header first) into `content`, respecting
 * backpressure, then calls `commit()`; it answers 250 only after `commit()` resolves, which
 * for the queue means the message is on disk and fsynced (file and directory).
 */
export interface MessageSink {
  open(envelope: Envelope): Promise<IncomingMessage>;
}

/** One message being received. */
export interface IncomingMessage {
  /** The id the message will have once committed, if known now (the Received: header shows it). */
  readonly id?: string;
  readonly content: Writable;
  /** Makes the message durable; resolves with its queue id. */
  commit(): Promise<string>;
  /** Drops what was written (the client gave up, a limit was hit). */
  abort(): Promise<void>;
}
