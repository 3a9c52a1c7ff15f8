/**
 * Where an address goes: one rule for the SMTP server's RCPT/VRFY/EXPN answers and the
 * queue's alias expansion, so what was accepted is what gets delivered.
 *
 * An address in a local domain is, in this order: an alias (exact, then without its `+tag`),
 * an account (likewise), or `postmaster`, which always exists (RFC 5321 §4.5.1) and without
 * an account of its own is kept in a Maildir of its own name. Local parts compare without
 * regard to case, as accounts do. `postmaster` without a domain (RFC 5321 §4.1.1.3) is the
 * postmaster of the first local domain.
 */

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

/** One final destination of an address, after alias expansion. */
export interface Destination {
  readonly address: string;
  readonly route: "local" | "remote";
}

/** Options of {@link MailRouter}. */
export interface MailRouterOptions {
  readonly localDomains: readonly string[];
  /** Alias address → targets (`[smtp.aliases]`). */
  readonly aliases: ReadonlyMap<string, readonly string[]>;
  /** Whether an account exists (AccountStore.get). */
  accountExists(address: string): Promise<boolean>;
}

/** Aliases nest at most this deep; deeper (or a loop) ends the expansion of that branch. */
export const MAX_ALIAS_DEPTH = 20;

export class MailRouter {
  readonly #domains: Set<string>;
  readonly #firstDomain: string | undefined;
  readonly #aliases = new Map<string, readonly string[]>();
  readonly #accountExists: (address: string) => Promise<boolean>;

  constructor(options: MailRouterOptions) {
    this.#domains = new Set(options.localDomains.map((d) => d.toLowerCase()));
    this.#firstDomain = options.localDomains[0]?.toLowerCase();
    for (const [alias, targets] of options.aliases) this.#aliases.set(alias.toLowerCase(), targets);
    this.#accountExists = (address) => options.accountExists(address);
  }

  /** Whether `domain` is one of ours. */
  isLocalDomain(domain: string): boolean {
    return this.#domains.has(domain.toLowerCase());
  }

  /** Classifies an address (as given in RCPT TO/VRFY/EXPN). */
  async lookup(given: string): Promise<RecipientLookup> {
    const address = this.#qualify(given.toLowerCase());
    const at = address.lastIndexOf("@");
    const local = at < 0 ? address : address.slice(0, at);
    const domain = at < 0 ? "" : address.slice(at + 1);
    if (!this.#domains.has(domain)) return { kind: "remote" };
    const exact = await this.#find(address);
    if (exact) return exact;
    const plus = local.indexOf("+");
    if (plus > 0) {
      const base = await this.#find(`${local.slice(0, plus)}@${domain}`);
      if (base) return base;
    }
    if (local === "postmaster") return { kind: "mailbox", address };
    return { kind: "unknown" };
  }

  /**
   * The final destinations of an address: aliases expanded through every level (a loop or
   * a chain deeper than {@link MAX_ALIAS_DEPTH} stops at the repeated alias), duplicates
   * removed, remote targets kept as given. An unknown local address yields nothing.
   */
  async expand(given: string): Promise<Destination[]> {
    const out = new Map<string, Destination>();
    const seen = new Set<string>();
    const walk = async (address: string, depth: number): Promise<void> => {
      const key = address.toLowerCase();
      if (seen.has(key) || depth > MAX_ALIAS_DEPTH) return;
      seen.add(key);
      const found = await this.lookup(address);
      switch (found.kind) {
        case "remote":
          if (!out.has(key)) out.set(key, { address, route: "remote" });
          return;
        case "unknown":
          return;
        case "mailbox": {
          // The address itself (an account, or postmaster) is final; anything else came from
          // an alias or a +tag and is looked up in turn.
          const target = found.address.toLowerCase();
          if (target !== this.#qualify(key)) {
            await walk(found.address, depth + 1);
            return;
          }
          if (!out.has(target)) out.set(target, { address: target, route: "local" });
          return;
        }
        case "list":
          for (const member of found.members) await walk(member, depth + 1);
          return;
      }
    };
    await walk(given, 0);
    return [...out.values()];
  }

  async #find(address: string): Promise<RecipientLookup | undefined> {
    const alias = this.#aliases.get(address);
    if (alias !== undefined) {
      return alias.length === 1 ? { kind: "mailbox", address: alias[0]! } : { kind: "list", members: alias };
    }
    if (await this.#accountExists(address)) return { kind: "mailbox", address };
    return undefined;
  }

  /** `postmaster` without a domain is the first local domain's. */
  #qualify(address: string): string {
    if (address === "postmaster" && this.#firstDomain !== undefined) return `postmaster@${this.#firstDomain}`;
    return address;
  }
}
