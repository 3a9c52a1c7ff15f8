/**
 * Who may send mail to whom: the local-recipient lookup (accounts, aliases, postmaster,
 * plus-addressing) is an injected hook; the relay rule that keeps Portico from being an open
 * relay is {@link decideRecipient}, applied by the session to every lookup result.
 */
import type { SmtpReply } from "./errors.js";

import { MailRouter, type MailRouterOptions, type RecipientLookup } from "../mail/router.js";

export type { RecipientLookup };

/** The hooks a session asks. */
export interface SmtpPolicy {
  /** Classifies an address (as given in RCPT TO/VRFY/EXPN, domain lowercased). */
  lookup(address: string): Promise<RecipientLookup>;
}

/** What the session knows about the client when it decides. */
export interface ClientStanding {
  readonly authenticated: boolean;
  /** The client address is in `trusted_networks`. */
  readonly trusted: boolean;
}

/** A recipient decision: accept, or the reply that refuses it. */
export type RecipientVerdict =
  { readonly accept: true } | { readonly accept: false; readonly reply: SmtpReply };

const RELAY_DENIED: RecipientVerdict = {
  accept: false,
  reply: { code: 550, enhanced: "5.7.1", text: "Relay access denied" },
};
const UNKNOWN_USER: RecipientVerdict = {
  accept: false,
  reply: { code: 550, enhanced: "5.1.1", text: "Recipient address rejected: User unknown" },
};
const ACCEPT: RecipientVerdict = { accept: true };

/**
 * The rule for RCPT TO: local recipients must exist (550 5.1.1); remote ones are accepted only
 * from an authenticated client or a trusted network (550 5.7.1 otherwise: never an open relay).
 */
export function decideRecipient(lookup: RecipientLookup, client: ClientStanding): RecipientVerdict {
  switch (lookup.kind) {
    case "remote":
      return client.authenticated || client.trusted ? ACCEPT : RELAY_DENIED;
    case "unknown":
      return UNKNOWN_USER;
    case "mailbox":
    case "list":
      return ACCEPT;
  }
}

/** Options for {@link createLocalPolicy}. */
export type LocalPolicyOptions = MailRouterOptions;

/** The default lookup: {@link MailRouter}'s (accounts, aliases, postmaster, plus-addressing). */
export function createLocalPolicy(options: LocalPolicyOptions | MailRouter): SmtpPolicy {
  const router = options instanceof MailRouter ? options : new MailRouter(options);
  return { lookup: (address) => router.lookup(address) };
}
