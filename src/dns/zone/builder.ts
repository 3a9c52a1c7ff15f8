/**
 * Collects a zone's records as they are parsed and applies the rules BIND's zone loader
 * applies as it adds them, so a zone is refused or accepted as named-checkzone would:
 *
 * - identical records (same owner, type and RDATA, RFC 2181 §5) are merged into one;
 * - a CNAME may share its owner only with DNSSEC records (RRSIG, NSEC, KEY, SIG, NXT;
 *   RFC 1034 §3.6.2, RFC 2181 §10.1, RFC 4035 §2.5): "CNAME and other data";
 * - CNAME, DNAME and SOA are singletons: a second, different one at a name is an error;
 * - the records of an RRset share one TTL (RFC 2181 §5.2). Within a run of records for the
 *   same owner a different TTL is replaced by the RRset's, with a warning ("TTL set to prior
 *   TTL"); an RRset continued in a later run takes the later TTL for all its records (BIND
 *   merges the later set into the earlier one). The parser says which run a record is in;
 *   RRSIGs covering different types are different RRsets.
 *
 * The zone-wide checks (one SOA at the apex, NS records at the apex with addresses for
 * in-zone targets) are made by `finish()`.
 */

import { ConfigError } from "../../core/errors.js";
import { canonicalName, isSubdomain } from "../name.js";
import { RRType, type RData, type ResourceRecord } from "../types.js";
import { rdataKey } from "../rdata-identity.js";

const { A, AAAA, CNAME, DNAME, SOA, NS, MX, SRV } = RRType;

/** A record being built; the TTL may still change when its RRset grows. */
export interface MutableRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  ttl: number;
  readonly data: RData;
}

/** A warning about a zone that is loaded anyway (BIND prints the same kinds of warnings). */
export interface ZoneWarning {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** Types that may share an owner name with a CNAME (BIND's "at CNAME" types). */
function allowedAtCname(type: number): boolean {
  return type === CNAME || type === 46 || type === 47 || type === 25 || type === 24 || type === 30;
}

/**
 * What makes an RRset besides owner and class: the type, and for RRSIG and SIG also the type
 * they cover (RFC 4034 §3: the signatures of each RRset are an RRset of their own).
 */
function rrsetKind(rec: MutableRecord): number {
  const type = rec.type;
  if ((type === 46 || type === 24) && rec.data.kind === "opaque" && rec.data.data.length >= 2) {
    return type * 0x10000 + ((rec.data.data[0]! << 8) | rec.data.data[1]!);
  }
  return type;
}

/** The type of an `rrsetKind()`. */
function typeOfKind(kind: number): number {
  return kind > 0xffff ? Math.floor(kind / 0x10000) : kind;
}

function isSingleton(type: number): boolean {
  return type === CNAME || type === DNAME || type === SOA;
}

/** Per-type bookkeeping once a name has many records (so adding stays O(1)). */
interface BigRRset {
  readonly indices: number[];
  readonly keys: Set<string>;
}

/** Above this many records at one name, duplicate detection switches to hashed keys. */
const SMALL_NAME_LIMIT = 32;

/** A growable array of int32, cheaper than a JS array or Map for millions of entries. */
class Int32List {
  #data = new Int32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.#data.length) {
      const next = new Int32Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.length++] = v;
  }

  get(i: number): number {
    return this.#data[i]!;
  }

  set(i: number, v: number): void {
    this.#data[i] = v;
  }
}

/** FNV-1a over the characters of a canonical name. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return h;
}

export class ZoneBuilder {
  readonly records: MutableRecord[] = [];
  /** Line and file of each record, for errors found later. */
  readonly #lines = new Int32List();
  readonly #fileOf = new Int32List();
  /** The run (see `add()`) each record was read in. */
  readonly #blockOf = new Int32List();
  readonly #files: string[] = [];

  // The names of the zone: a hash table of "groups" (one per distinct owner), chained
  // through typed arrays, each group a linked list of its records. A V8 Map of a million
  // fresh strings costs several times more time and memory.
  #buckets = new Int32Array(1 << 12).fill(-1);
  readonly #groupKey: string[] = [];
  readonly #groupHash = new Int32List();
  readonly #groupNextInBucket = new Int32List();
  readonly #groupFirst = new Int32List();
  readonly #groupLast = new Int32List();
  readonly #groupCount = new Int32List();
  /** Per record: the next record of the same owner, or -1. */
  readonly #recNext = new Int32List();
  /** Groups with more than SMALL_NAME_LIMIT records: their RRsets by type. */
  readonly #big = new Map<number, Map<number, BigRRset>>();
  readonly #warn: (file: string, line: number, message: string) => void;

  constructor(warn: (file: string, line: number, message: string) => void) {
    this.#warn = warn;
  }

  /** The group of canonical name `key`, or -1. */
  #find(key: string, hash: number): number {
    for (
      let g = this.#buckets[hash & (this.#buckets.length - 1)]!;
      g >= 0;
      g = this.#groupNextInBucket.get(g)
    ) {
      if (this.#groupHash.get(g) === hash && this.#groupKey[g] === key) return g;
    }
    return -1;
  }

  #newGroup(key: string, hash: number, first: number): number {
    const g = this.#groupKey.length;
    if (g >= this.#buckets.length * 0.75) this.#grow();
    const slot = hash & (this.#buckets.length - 1);
    this.#groupKey.push(key);
    this.#groupHash.push(hash);
    this.#groupNextInBucket.push(this.#buckets[slot]!);
    this.#buckets[slot] = g;
    this.#groupFirst.push(first);
    this.#groupLast.push(first);
    this.#groupCount.push(1);
    return g;
  }

  #grow(): void {
    const buckets = new Int32Array(this.#buckets.length * 2).fill(-1);
    const mask = buckets.length - 1;
    for (let g = 0; g < this.#groupKey.length; g++) {
      const slot = this.#groupHash.get(g) & mask;
      this.#groupNextInBucket.set(g, buckets[slot]!);
      buckets[slot] = g;
    }
    this.#buckets = buckets;
  }

  /**
   * Adds a record whose owner's canonical form is `key`, read in run `block` (BIND's list of
   * records being gathered for one owner: a different TTL within a run is replaced by the
   * run's, while a later run sets the TTL of the whole RRset). Merges the record if it
   * duplicates one already there. Returns the TTL the record ended up with. Throws
   * ConfigError for CNAME conflicts and repeated singletons.
   */
  add(rec: MutableRecord, key: string, file: string, line: number, block: number): number {
    const hash = hashKey(key);
    const g = this.#find(key, hash);
    if (g < 0) {
      this.#newGroup(key, hash, this.#push(rec, file, line, block));
      return rec.ttl;
    }
    const big = this.#big.get(g);
    if (big !== undefined) return this.#addBig(g, big, rec, file, line, block);
    const records = this.records;
    const type = rec.type;
    const kind = rrsetKind(rec);
    let sameSet = 0;
    let inBlock = false;
    let rrsetTtl = 0;
    let duplicate = false;
    let newKey: string | undefined;
    for (let j = this.#groupFirst.get(g); j >= 0; j = this.#recNext.get(j)) {
      const other = records[j]!;
      if (rrsetKind(other) === kind) {
        sameSet++;
        rrsetTtl = other.ttl;
        if (this.#blockOf.get(j) === block) inBlock = true;
        if (!duplicate) {
          newKey ??= rdataKey(rec.data);
          if (rdataKey(other.data) === newKey) duplicate = true;
        }
      } else if (
        (type === CNAME && !allowedAtCname(other.type)) ||
        (other.type === CNAME && !allowedAtCname(type))
      ) {
        throw new ConfigError(`${rec.name}: CNAME and other data`, file, line);
      }
    }
    if (sameSet > 0 && rec.ttl !== rrsetTtl) this.#harmonizeTtl(g, rec, kind, inBlock, rrsetTtl, file, line);
    if (duplicate) return rec.ttl;
    if (sameSet > 0 && isSingleton(type)) {
      throw new ConfigError(`${rec.name}: multiple RRs of singleton type`, file, line);
    }
    this.#append(g, this.#push(rec, file, line, block));
    if (this.#groupCount.get(g) > SMALL_NAME_LIMIT) {
      const sets = new Map<number, BigRRset>();
      for (let j = this.#groupFirst.get(g); j >= 0; j = this.#recNext.get(j)) {
        const r = records[j]!;
        const k = rrsetKind(r);
        let set = sets.get(k);
        if (set === undefined) sets.set(k, (set = { indices: [], keys: new Set() }));
        set.indices.push(j);
        set.keys.add(rdataKey(r.data));
      }
      this.#big.set(g, sets);
    }
    return rec.ttl;
  }

  #addBig(
    g: number,
    big: Map<number, BigRRset>,
    rec: MutableRecord,
    file: string,
    line: number,
    block: number,
  ): number {
    const type = rec.type;
    if (type === CNAME) {
      for (const k of big.keys()) {
        if (!allowedAtCname(typeOfKind(k)))
          throw new ConfigError(`${rec.name}: CNAME and other data`, file, line);
      }
    } else if (big.has(CNAME) && !allowedAtCname(type)) {
      throw new ConfigError(`${rec.name}: CNAME and other data`, file, line);
    }
    const kind = rrsetKind(rec);
    const set = big.get(kind);
    const key = rdataKey(rec.data);
    if (set === undefined) {
      const index = this.#push(rec, file, line, block);
      this.#append(g, index);
      big.set(kind, { indices: [index], keys: new Set([key]) });
      return rec.ttl;
    }
    const rrsetTtl = this.records[set.indices[0]!]!.ttl;
    // A run is one stretch of the file, so the set's last record is in it if any is.
    const inBlock = this.#blockOf.get(set.indices[set.indices.length - 1]!) === block;
    if (rec.ttl !== rrsetTtl) this.#harmonizeTtl(g, rec, kind, inBlock, rrsetTtl, file, line);
    if (set.keys.has(key)) return rec.ttl;
    if (isSingleton(type)) throw new ConfigError(`${rec.name}: multiple RRs of singleton type`, file, line);
    const index = this.#push(rec, file, line, block);
    this.#append(g, index);
    set.indices.push(index);
    set.keys.add(key);
    return rec.ttl;
  }

  #harmonizeTtl(
    g: number,
    rec: MutableRecord,
    kind: number,
    inBlock: boolean,
    rrsetTtl: number,
    file: string,
    line: number,
  ): void {
    if (inBlock) {
      this.#warn(file, line, `TTL set to prior TTL (${rrsetTtl})`);
      rec.ttl = rrsetTtl;
      return;
    }
    for (let j = this.#groupFirst.get(g); j >= 0; j = this.#recNext.get(j)) {
      const other = this.records[j]!;
      if (rrsetKind(other) === kind) other.ttl = rec.ttl;
    }
  }

  #push(rec: MutableRecord, file: string, line: number, block: number): number {
    this.records.push(rec);
    this.#blockOf.push(block);
    this.#lines.push(line);
    // Records come in runs from one file: compare with the last file before searching.
    let f = this.#files.length - 1;
    if (this.#files[f] !== file) {
      f = this.#files.indexOf(file);
      if (f < 0) f = this.#files.push(file) - 1;
    }
    this.#fileOf.push(f);
    this.#recNext.push(-1);
    return this.records.length - 1;
  }

  #append(g: number, index: number): void {
    this.#recNext.set(this.#groupLast.get(g), index);
    this.#groupLast.set(g, index);
    this.#groupCount.set(g, this.#groupCount.get(g) + 1);
  }

  /** The file and line record `index` came from. */
  #where(index: number): [string, number] {
    return [this.#files[this.#fileOf.get(index)]!, this.#lines.get(index)];
  }

  /** Whether canonical name `key` has a record of `type`. */
  #has(key: string, type: number): boolean {
    const g = this.#find(key, hashKey(key));
    if (g < 0) return false;
    for (let j = this.#groupFirst.get(g); j >= 0; j = this.#recNext.get(j)) {
      if (this.records[j]!.type === type) return true;
    }
    return false;
  }

  /** The index of the first record of `type` at canonical name `key`, or -1. */
  #first(key: string, type: number): number {
    const g = this.#find(key, hashKey(key));
    for (let j = g < 0 ? -1 : this.#groupFirst.get(g); j >= 0; j = this.#recNext.get(j)) {
      if (this.records[j]!.type === type) return j;
    }
    return -1;
  }

  /**
   * The zone-wide checks of named-checkzone (its default `-i full`): exactly one SOA, at the
   * apex; NS records at the apex; each in-zone name server of the apex has an address record
   * and is not a CNAME. Delegations, MX and SRV targets without addresses are warnings.
   * `file` names the zone's top file for errors that belong to no line.
   */
  finish(origin: string, file: string): void {
    const apex = canonicalName(origin);
    if (!this.#has(apex, SOA)) throw new ConfigError(`zone ${origin} has no SOA record at its apex`, file, 1);
    if (!this.#has(apex, NS)) {
      const soa = this.#first(apex, SOA);
      throw new ConfigError(`zone ${origin} has no NS records at its apex`, ...this.#where(soa));
    }
    const records = this.records;
    for (let i = 0; i < records.length; i++) {
      const rec = records[i]!;
      let target: string;
      if (rec.type === NS && rec.data.kind === "NS") target = rec.data.target;
      else if (rec.type === MX && rec.data.kind === "MX") target = rec.data.exchange;
      else if (rec.type === SRV && rec.data.kind === "SRV") target = rec.data.target;
      else continue;
      if (target === "." || !isSubdomain(target, apex)) continue;
      const key = canonicalName(target);
      if (this.#has(key, A) || this.#has(key, AAAA)) continue;
      const what = rec.type === NS ? "NS" : rec.type === MX ? "MX" : "SRV";
      const atApex = rec.type === NS && canonicalName(rec.name) === apex;
      if (this.#has(key, CNAME)) {
        const message = `${rec.name} ${what} '${target}' is a CNAME (illegal, RFC 2181 §10.3)`;
        if (atApex) throw new ConfigError(message, ...this.#where(i));
        this.#warn(...this.#where(i), message);
        continue;
      }
      const message = `${rec.name} ${what} '${target}' has no address records (A or AAAA)`;
      if (atApex) throw new ConfigError(message, ...this.#where(i));
      this.#warn(...this.#where(i), message);
    }
  }

  /** The records, as the read-only records of types.ts. */
  result(): ResourceRecord[] {
    return this.records;
  }
}
