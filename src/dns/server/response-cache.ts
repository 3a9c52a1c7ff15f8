/**
 * Whole encoded responses, kept for questions asked again: the authoritative hot path then
 * costs a key build, a map lookup and a copy instead of decode, lookup and encode (STYLE.md:
 * "precompute whole answers"). What a response depends on is all in the key: the transport
 * (size limit) and the client's address family (glue order), the question (name folded to ASCII lower case, type, class), the RD and CD
 * bits (echoed), and the OPT record's bytes (payload size, DO, version, options). The id and
 * the question name's case are patched into the copy, so the client sees exactly what a fresh
 * answer would carry (names compressed against the question take its case, as in NSD).
 *
 * Only plain queries are cached: opcode QUERY, one question, no answer or authority records,
 * and at most one additional record, which must be an OPT record.
 */
export class ResponseCache {
  readonly #entries = new Map<string, Uint8Array>();
  readonly #maxEntries: number;
  #generation: unknown;
  readonly #scratch = Buffer.alloc(512);

  constructor(maxEntries = 50_000) {
    this.#maxEntries = maxEntries;
  }

  /**
   * The cache key of `query`, or undefined when it is not a cacheable query. `generation` is
   * the data the answers come from (the zone set): a new one empties the cache.
   */
  key(
    query: Uint8Array,
    transport: "udp" | "tcp",
    ipv6Client: boolean,
    generation: unknown,
  ): string | undefined {
    if (generation !== this.#generation) {
      this.#entries.clear();
      this.#generation = generation;
    }
    const length = query.length;
    if (length < 17 || length > this.#scratch.length) return undefined;
    // Header: QR=0, opcode 0; QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 0 or 1.
    if ((query[2]! & 0xf8) !== 0) return undefined;
    if (
      query[4] !== 0 ||
      query[5] !== 1 ||
      query[6] !== 0 ||
      query[7] !== 0 ||
      query[8] !== 0 ||
      query[9] !== 0
    ) {
      return undefined;
    }
    if (query[10] !== 0 || query[11]! > 1) return undefined;
    // The question name: plain labels only (no compression in a question we cache).
    let at = 12;
    for (;;) {
      const len = query[at];
      if (len === undefined || len > 63) return undefined;
      at += len + 1;
      if (len === 0) break;
      if (at > length) return undefined;
    }
    const questionEnd = at + 4;
    if (questionEnd > length) return undefined;
    if (query[11] === 1) {
      // The rest must be exactly one OPT record: root owner, TYPE 41, then class, ttl, rdata.
      if (
        length < questionEnd + 11 ||
        query[questionEnd] !== 0 ||
        query[questionEnd + 1] !== 0 ||
        query[questionEnd + 2] !== 41
      ) {
        return undefined;
      }
      const rdlength = (query[questionEnd + 9]! << 8) | query[questionEnd + 10]!;
      if (questionEnd + 11 + rdlength !== length) return undefined;
    } else if (questionEnd !== length) {
      return undefined;
    }
    const scratch = this.#scratch;
    // Transport (size limit) and client family (glue order: AAAA first for IPv6, as NSD).
    scratch[0] = (transport === "udp" ? 0x40 : 0x50) | (ipv6Client ? 1 : 0);
    scratch[1] = query[2]! & 0x01; // RD
    scratch[2] = query[3]! & 0x10; // CD
    for (let i = 12; i < length; i++) {
      const c = query[i]!;
      // Fold ASCII only (RFC 4343): other bytes are distinct names.
      scratch[i - 9] = i < at && c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    return scratch.toString("latin1", 0, length - 9);
  }

  /** The cached response for `key`, made out to `query` (its id and its question's case). */
  get(key: string, query: Uint8Array): Uint8Array | undefined {
    const cached = this.#entries.get(key);
    if (cached === undefined) return undefined;
    const response = Buffer.from(cached);
    response[0] = query[0]!;
    response[1] = query[1]!;
    // A response without a question (a refusal of an odd class) has nothing to patch.
    if (response[5] === 1) {
      for (let i = 12; i < 12 + 256 && i < query.length; i++) {
        const c = query[i]!;
        if (c === 0) break;
        response[i] = c;
      }
    }
    return response;
  }

  /** Remembers `response` for `key`; a full cache starts over (cheap, and bounded). */
  set(key: string, response: Uint8Array): void {
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    this.#entries.set(key, Uint8Array.from(response));
  }

  get size(): number {
    return this.#entries.size;
  }
}
