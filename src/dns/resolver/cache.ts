import { canonicalName, parentName } from "../name.js";
import type { ResourceRecord } from "../types.js";

/**
 * How much a cached RRset is trusted, after RFC 2181 §5.4.1: data from the answer section of
 * an authoritative answer above answers from a recursive server above the authority section
 * of a referral above glue. Data of a lower rank never replaces unexpired data of a higher
 * one, and only `Rank.answer` and above is handed out as an answer.
 */
export const Rank = {
  /** Additional-section addresses of name servers (glue): only good for reaching servers. */
  glue: 1,
  /** The NS RRset of a referral, from a server not authoritative for it. */
  referral: 2,
  /** The answer section of a non-authoritative answer (a forwarder's). */
  answer: 3,
  /** The answer section (or the negative answer) of an authoritative server. */
  authoritative: 4,
} as const;
export type Rank = (typeof Rank)[keyof typeof Rank];

/** What the cache knows about a name and type. */
export type CacheHit =
  | { readonly kind: "rrset"; readonly records: readonly ResourceRecord[]; readonly rank: Rank }
  | { readonly kind: "nodata"; readonly soa: ResourceRecord | undefined }
  | { readonly kind: "nxdomain"; readonly soa: ResourceRecord | undefined };

interface Entry {
  readonly kind: "rrset" | "nodata" | "nxdomain";
  /** The records (for "rrset") or the SOA (negative), with the TTLs they were stored with. */
  readonly records: readonly ResourceRecord[];
  readonly rank: Rank;
  /** Clock value (ms) from which the entry is stale. */
  readonly expires: number;
}

/** Options of the cache. */
export interface RecordCacheOptions {
  /** Most entries; the least recently used is dropped to make room. */
  readonly maxEntries: number;
  /** Cap on positive TTLs, in seconds. */
  readonly maxTtl: number;
  /** Cap on negative TTLs, in seconds. */
  readonly maxNegativeTtl: number;
  /** Milliseconds from any fixed origin (only differences matter). */
  readonly clock: () => number;
}

/** The NXDOMAIN key of a name has a type no RRset has. */
const NXDOMAIN_KEY = "nx";

/**
 * A TTL as a cache reads it: RFC 2181 §8 says a value with the top bit set is to be taken as
 * zero, and RFC 2308 §5 that a negative answer lives min(SOA TTL, SOA MINIMUM).
 */
export function effectiveTtl(ttl: number): number {
  return ttl > 0x7fffffff ? 0 : ttl;
}

/** The negative-caching TTL of an SOA record (RFC 2308 §5). */
export function negativeTtl(soa: ResourceRecord): number {
  const minimum = soa.data.kind === "SOA" ? effectiveTtl(soa.data.minimum) : 0;
  return Math.min(effectiveTtl(soa.ttl), minimum);
}

/**
 * The resolver's cache: RRsets by (name, type), NODATA by (name, type) and NXDOMAIN by name
 * (RFC 2308 §5), each until its TTL runs out on the injected clock. Names are compared
 * case-insensitively and kept in the case received. Bounded: at most `maxEntries` entries,
 * the least recently used dropped first, and no TTL above the caps.
 */
export class RecordCache {
  readonly #entries = new Map<string, Entry>();
  readonly #options: RecordCacheOptions;

  constructor(options: RecordCacheOptions) {
    this.#options = options;
  }

  /** Entries held now (expired ones included until they are next touched or pushed out). */
  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }

  /**
   * Stores an RRset (records of one name, type and class). Its TTL is the smallest of its
   * records' (RFC 2181 §5.2), capped; a TTL of 0 is not stored. Unexpired data of a higher
   * rank is kept instead. Storing data for a name ends a cached NXDOMAIN of that name.
   */
  putRRset(records: readonly ResourceRecord[], rank: Rank): void {
    const first = records[0];
    if (first === undefined) return;
    let ttl = this.#options.maxTtl;
    for (const r of records) ttl = Math.min(ttl, effectiveTtl(r.ttl));
    const owner = canonicalName(first.name);
    if (ttl <= 0) return;
    if (this.#put(`${owner}/${first.type}`, "rrset", records, rank, ttl)) {
      this.#entries.delete(`${owner}/${NXDOMAIN_KEY}`);
    }
  }

  /**
   * Stores a negative answer: NODATA for (name, type) or NXDOMAIN for the name with
   * `type` "nxdomain". Without an SOA there is no TTL, and nothing is stored (RFC 2308 §5:
   * "Negative responses without SOA records SHOULD NOT be cached").
   */
  putNegative(name: string, type: number | "nxdomain", soa: ResourceRecord | undefined, rank: Rank): void {
    if (soa === undefined) return;
    const ttl = Math.min(negativeTtl(soa), this.#options.maxNegativeTtl, this.#options.maxTtl);
    if (ttl <= 0) return;
    const owner = canonicalName(name);
    if (type === "nxdomain") this.#put(`${owner}/${NXDOMAIN_KEY}`, "nxdomain", [soa], rank, ttl);
    else this.#put(`${owner}/${type}`, "nodata", [soa], rank, ttl);
  }

  /**
   * What is known about (name, type) with at least rank `minRank`: an NXDOMAIN of the name or
   * of an ancestor (RFC 8020: nothing exists below a name that does not exist), else the
   * RRset or NODATA of the type. Records come back with their remaining TTLs.
   */
  get(name: string, type: number, minRank: Rank): CacheHit | undefined {
    const now = this.#options.clock();
    const owner = canonicalName(name);
    for (let suffix = owner; ;) {
      const nx = this.#live(`${suffix}/${NXDOMAIN_KEY}`, now);
      if (nx && nx.rank >= minRank) return { kind: "nxdomain", soa: aged(nx.records[0], nx, now) };
      if (suffix === ".") break;
      suffix = parentName(suffix);
    }
    const entry = this.#live(`${owner}/${type}`, now);
    if (entry === undefined || entry.rank < minRank) return undefined;
    if (entry.kind === "nodata") return { kind: "nodata", soa: aged(entry.records[0], entry, now) };
    return { kind: "rrset", records: entry.records.map((r) => aged(r, entry, now)!), rank: entry.rank };
  }

  /** The cached RRset of (name, type) with at least rank `minRank`, TTLs aged; else undefined. */
  getRRset(name: string, type: number, minRank: Rank): readonly ResourceRecord[] | undefined {
    const now = this.#options.clock();
    const entry = this.#live(`${canonicalName(name)}/${type}`, now);
    if (entry?.kind !== "rrset" || entry.rank < minRank) return undefined;
    return entry.records.map((r) => aged(r, entry, now)!);
  }

  /** Stores unless a live entry of a higher rank is there; true if stored. */
  #put(
    key: string,
    kind: Entry["kind"],
    records: readonly ResourceRecord[],
    rank: Rank,
    ttl: number,
  ): boolean {
    const now = this.#options.clock();
    const old = this.#live(key, now);
    if (old !== undefined && old.rank > rank) return false;
    this.#entries.delete(key);
    this.#entries.set(key, { kind, records, rank, expires: now + ttl * 1000 });
    // A Map iterates in insertion order, and every use re-inserts: the first key is the LRU.
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    return true;
  }

  /** The entry at `key` if it has not expired (an expired one is dropped), marked as used. */
  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (now >= entry.expires) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }
}

/** `record` with its TTL lowered by the time it has spent in the cache. */
function aged(record: ResourceRecord | undefined, entry: Entry, now: number): ResourceRecord | undefined {
  if (record === undefined) return undefined;
  const left = Math.max(0, Math.floor((entry.expires - now) / 1000));
  const ttl = Math.min(effectiveTtl(record.ttl), left);
  return ttl === record.ttl ? record : { ...record, ttl };
}
