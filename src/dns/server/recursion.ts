/**
 * Recursive service for names outside the served zones: who may use it, how many lookups
 * run at once, and the lookup itself (a `Resolver`, or anything with its `resolve()`).
 */

import type { NetworkSet } from "../../core/address.js";
import type { ResolveResult } from "../resolver/index.js";
import { Rcode } from "../types.js";
import { DNS_LIMITS } from "./limits.js";

/** Client addresses whose `allows()` answer is kept; past this many the list starts over. */
const MAX_REMEMBERED_CLIENTS = 10_000;

/** Options of `Recursion`. */
export interface RecursionOptions {
  /**
   * Looks up the RRset of `type` (class IN) at `name`, following CNAMEs; resolves with
   * SERVFAIL, never rejects, when nothing answers (as `Resolver.resolve()` does).
   */
  readonly resolve: (name: string, type: number) => Promise<ResolveResult>;
  /**
   * The clients that may ask for recursion; everyone else is refused, so the server is
   * never an open resolver (RFC 5358 §4).
   */
  readonly allow: NetworkSet;
  /** Lookups in progress at once (default `DNS_LIMITS.maxRecursiveLookups`). */
  readonly maxLookups?: number;
}

/**
 * The recursion a responder offers. One instance serves every responder of a process, so
 * the limit on lookups in progress holds for the whole process.
 */
export class Recursion {
  readonly #resolve: RecursionOptions["resolve"];
  readonly #allow: NetworkSet;
  readonly #maxLookups: number;
  readonly #allowed = new Map<string, boolean>();
  #lookups = 0;

  constructor(options: RecursionOptions) {
    this.#resolve = options.resolve;
    this.#allow = options.allow;
    this.#maxLookups = options.maxLookups ?? DNS_LIMITS.maxRecursiveLookups;
    if (!Number.isInteger(this.#maxLookups) || this.#maxLookups < 1) {
      throw new RangeError(
        `Cannot create recursion: maxLookups ${this.#maxLookups} is not a positive integer`,
      );
    }
  }

  /**
   * Whether the client at `address` (as its socket reports it) may use recursion. Asked for
   * every query (RA depends on it), so the answers are remembered: a network check costs
   * more than the rest of an answer from the response cache.
   */
  allows(address: string): boolean {
    let allowed = this.#allowed.get(address);
    if (allowed === undefined) {
      allowed = this.#allow.has(address);
      if (this.#allowed.size >= MAX_REMEMBERED_CLIENTS) this.#allowed.clear();
      this.#allowed.set(address, allowed);
    }
    return allowed;
  }

  /** Lookups in progress now. */
  get lookups(): number {
    return this.#lookups;
  }

  /**
   * Starts the lookup of (`name`, `type`), or returns undefined when too many are in
   * progress. The promise never rejects: an unexpected error becomes a SERVFAIL result.
   */
  lookup(name: string, type: number): Promise<ResolveResult> | undefined {
    if (this.#lookups >= this.#maxLookups) return undefined;
    this.#lookups++;
    let started: Promise<ResolveResult>;
    try {
      started = this.#resolve(name, type);
    } catch (error) {
      started = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return started
      .catch((error: unknown): ResolveResult => ({
        rcode: Rcode.SERVFAIL,
        name,
        type,
        answers: [],
        finalName: name,
        reason: error instanceof Error ? error.message : String(error),
      }))
      .finally(() => {
        this.#lookups--;
      });
  }
}
