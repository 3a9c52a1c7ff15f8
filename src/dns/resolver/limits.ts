/** Every default and cap of the resolver, each with why. */
export const RESOLVER_LIMITS = {
  /**
   * Wait for one upstream server before trying the next, in ms. Authoritative servers answer
   * within a few hundred ms from anywhere; BIND starts at 800 ms and backs off.
   */
  queryTimeoutMs: 1_500,
  /**
   * Overall time for one `resolve()`, in ms: after it the answer is SERVFAIL. Stub resolvers
   * give up after 5 s × 2 tries; an MTA can wait a little longer, but never forever.
   */
  deadlineMs: 10_000,
  /** Cached RRsets and negative answers; the least recently used go first. */
  maxCacheEntries: 10_000,
  /** Longest a record is kept, in seconds (BIND's max-cache-ttl is 1 week; Unbound's 1 day). */
  maxTtl: 86_400,
  /**
   * Longest a negative answer is kept, in seconds: RFC 2308 §5 suggests 1 to 3 hours and
   * calls more than a day problematic (BIND's max-ncache-ttl is 3 h).
   */
  maxNegativeTtl: 10_800,
  /** CNAME links followed for one question (BIND and Unbound stop at 11–16). */
  maxCnameChain: 12,
  /** Referrals followed for one name (the tree is rarely more than 5 cuts deep). */
  maxReferrals: 16,
  /** Nesting of lookups for the addresses of name servers without glue (RFC 1034 §5.3.3 step 4). */
  maxDepth: 4,
  /**
   * Upstream queries one `resolve()` may send, all nested lookups included: a bound on the
   * work a hostile delegation can cause (CVE-2020-8616 "NXNSAttack"; BIND's
   * max-recursion-queries is 100, later 32).
   */
  maxQueries: 64,
  /**
   * Mail exchangers of one domain whose addresses `resolveMx()` looks up (the most preferred
   * ones): RFC 5321 §5.1 allows a limit, and a domain listing hundreds would otherwise cost
   * hundreds of lookups. Postfix tries at most 5 addresses.
   */
  maxExchanges: 10,
  /** Rounds over a zone's servers (or the forwarders): a second round covers a lost datagram. */
  rounds: 2,
} as const;
