/**
 * Who may send mail to whom: the local-recipient lookup (accounts, aliases, postmaster,
 * plus-addressing) is an injected hook; the relay rule that keeps Portico from being an open
 * relay is {@link decideRecipient}, applied by the session to every lookup result.
 */
import type { SmtpReply } from "./errors.js";

/** What an address is, as far as this server is concerned. */
export type RecipientLookup =
  /** Not in a local domain: accepting it means relaying. */
  | { readonly kind: "remote" }
  /** In a local domain, and nobody by that name. */
  | { readonly kind: "unknown" }
  /** A local mailbox (the account address, after alias and plus-tag resolution). */
  | { readonly kind: "mailbox"; readonly address: string }
  /** A local alias with these targets (EXPN lists them). */
  | { readonly kind: "list"; readonly members: readonly string[] };

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
export interface LocalPolicyOptions {
  readonly localDomains: readonly string[];
  /** Alias address → targets (`[smtp.aliases]`). */
  readonly aliases: ReadonlyMap<string, readonly string[]>;
  /** Whether an account exists (AccountStore.get). */
  accountExists(address: string): Promise<boolean>;
}

/**
 * The default lookup: an address in a local domain is an alias (exact, then without its
 * `+tag`), an account (likewise), or `postmaster`, which always exists (RFC 5321 §4.5.1);
 * anything else there is unknown. Local parts compare case-insensitively, as accounts do.
 */
export function createLocalPolicy(options: LocalPolicyOptions): SmtpPolicy {
  const domains = new Set(options.localDomains.map((d) => d.toLowerCase()));
  const aliases = new Map<string, readonly string[]>();
  for (const [alias, targets] of options.aliases) aliases.set(alias.toLowerCase(), targets);

  const find = async (address: string): Promise<RecipientLookup | undefined> => {
    const alias = aliases.get(address);
    if (alias !== undefined) {
      return alias.length === 1 ? { kind: "mailbox", address: alias[0]! } : { kind: "list", members: alias };
    }
    if (await options.accountExists(address)) return { kind: "mailbox", address };
    return undefined;
  };

  return {
    async lookup(given: string): Promise<RecipientLookup> {
      const address = given.toLowerCase();
      const at = address.lastIndexOf("@");
      const local = at < 0 ? address : address.slice(0, at);
      const domain = at < 0 ? "" : address.slice(at + 1);
      if (!domains.has(domain)) return { kind: "remote" };
      const exact = await find(address);
      if (exact) return exact;
      const plus = local.indexOf("+");
      if (plus > 0) {
        const base = await find(`${local.slice(0, plus)}@${domain}`);
        if (base) return base;
      }
      if (local === "postmaster") return { kind: "mailbox", address };
      return { kind: "unknown" };
    },
  };
}
