/**
 * One loaded zone, indexed for answering queries (RFC 1034 §4.3.2) and for zone transfers.
 *
 * Every name is a key in canonical form (`canonicalName()`), so a lookup is one `Map.get`.
 * Names split into two maps:
 * - the authoritative names: the apex, every owner name not below a zone cut or a DNAME,
 *   the delegation points and DNAME owners themselves, and every empty non-terminal on the
 *   way up to the apex (RFC 4592 §2.2.2: they exist, so a query for one is NODATA, and they
 *   block wildcards);
 * - the occluded names: data strictly below a zone cut (glue, RFC 1034 §4.2.1) or below a
 *   DNAME (RFC 6672 §2.3). They are never answered directly; glue is served only as
 *   additional data of a referral or an NS answer, and everything goes out in AXFR.
 * Because no name below a cut is in the first map, the closest encloser found there is
 * either a delegation point (referral) or authoritative: no walk over the ancestors is
 * needed to spot a cut.
 *
 * Memory: a name costs one map entry and one array of its records (see `node.ts`); the
 * records are the ones handed in, not copied.
 */

import { ConfigError } from "../../core/errors.js";
import { canonicalName, isSubdomain, normalizeName, parentName } from "../name.js";
import { RRClass, RRType } from "../types.js";
import type { ResourceRecord } from "../types.js";
import { EMPTY_NODE, findRRset, rrsetEnd } from "./node.js";
import { rdataEqual, rdataKey } from "../rdata-identity.js";
import type { Node } from "./node.js";

/** What the zone-file parser produces, and what a transfer delivers. */
export interface ZoneData {
  /** The apex name, absolute. */
  readonly origin: string;
  /** Every record of the zone, in file order (the order decides ANY answers and AXFR order). */
  readonly records: readonly ResourceRecord[];
}

/**
 * The address records of one name named by NS, MX or SRV data, for the additional section
 * (RFC 1034 §4.3.2 step 6). `node` holds them at indexes `a` and `aaaa` (-1 for none).
 */
export interface AdditionalTarget {
  /** Owner to print: null for the records' own names, or the target name when synthesized from a wildcard. */
  readonly owner: string | null;
  /** The target name, canonical. */
  readonly key: string;
  readonly node: Node;
  readonly a: number;
  readonly aaaa: number;
}

/** Above this size an RRset's duplicates are found with a set of keys, not pairwise. */
const PAIRWISE_DEDUP_LIMIT = 16;

/** Types allowed beside a CNAME (RFC 2181 §10.1, RFC 4035 §2.5: DNSSEC's own records). */
function allowedBesideCname(type: number): boolean {
  return type === RRType.CNAME || type === RRType.RRSIG || type === RRType.NSEC || type === RRType.NSEC3;
}

/** The wildcard name directly below `canon` ("*.example." for "example."). */
export function wildcardOf(canon: string): string {
  return canon.length === 1 ? "*." : `*.${canon}`;
}

/**
 * Groups a name's records into RRsets (types in order of first appearance) and drops
 * duplicate records, keeping the first, as NSD does. Returns an array of exact length.
 */
function buildNode(list: ResourceRecord[]): ResourceRecord[] {
  if (list.length === 1) return list;
  const types: number[] = [];
  for (const rr of list) if (!types.includes(rr.type)) types.push(rr.type);
  const out: ResourceRecord[] = [];
  for (const type of types) {
    const runStart = out.length;
    let keys: Set<string> | undefined;
    for (const rr of list) {
      if (rr.type !== type) continue;
      let duplicate = false;
      if (keys !== undefined) {
        const key = rdataKey(rr.data);
        duplicate = keys.has(key);
        if (!duplicate) keys.add(key);
      } else {
        for (let i = runStart; i < out.length; i++) {
          if (rdataEqual(out[i]!.data, rr.data)) {
            duplicate = true;
            break;
          }
        }
        if (!duplicate && out.length - runStart >= PAIRWISE_DEDUP_LIMIT) {
          keys = new Set(out.slice(runStart).map((r) => rdataKey(r.data)));
          keys.add(rdataKey(rr.data));
        }
      }
      if (!duplicate) out.push(rr);
    }
  }
  // push() leaves spare capacity; slice() copies into an array of exact length.
  return out.slice();
}

/** A loaded zone (see the module comment). Immutable once built; replace it to reload. */
export class Zone {
  /** The apex name as given (in its one presentation form). */
  readonly origin: string;
  /** The apex name, canonical. */
  readonly canonicalOrigin: string;
  /** The apex SOA record. */
  readonly soa: ResourceRecord;
  /**
   * The SOA record for negative answers: its TTL is the smaller of the SOA's TTL and its
   * MINIMUM field (RFC 2308 §3 and §5).
   */
  readonly negativeSoa: ResourceRecord;
  /** `negativeSoa` as a node of its own: a distinct RRset from the apex SOA, as in NSD. */
  readonly negativeSoaNode: Node;
  /** The apex's records. */
  readonly apexNode: Node;
  /** Index of the apex NS RRset in `apexNode`, or -1. */
  readonly apexNs: number;
  /** Whether the zone delegates anything (has NS records below the apex). */
  readonly hasCuts: boolean;
  /** Whether the zone has any DNAME record. */
  readonly hasDnames: boolean;
  /** Records kept after duplicates were dropped. */
  readonly recordCount: number;

  readonly #names: Map<string, Node>;
  readonly #occluded: Map<string, Node>;
  /** Canonical names of the delegation points. */
  readonly #cuts: Set<string>;
  /** Additional-section targets of NS RRsets, computed on first use (keyed by the RRset's first record). */
  readonly #nsTargets = new Map<ResourceRecord, readonly AdditionalTarget[]>();

  /**
   * Builds the index. Throws ConfigError (without file or line; the loader adds them) for
   * what NSD refuses to load: a record outside the zone or of a class other than IN, no SOA
   * at the apex or more than one, a SOA elsewhere, a CNAME beside other data or more than one
   * CNAME or DNAME at a name. Throws TypeError for a malformed origin.
   */
  constructor(data: ZoneData) {
    const origin = normalizeName(data.origin);
    const canonicalOrigin = canonicalName(origin);
    const fail = (detail: string): ConfigError => new ConfigError(`Cannot load zone ${origin}: ${detail}`);

    const names = new Map<string, ResourceRecord[]>();
    // Zone files list a name's records together: the previous owner's list is kept at hand.
    let lastName: string | undefined;
    let lastKey = "";
    let lastList: ResourceRecord[] = [];
    for (const rr of data.records) {
      if (rr.class !== RRClass.IN) throw fail(`${rr.name} has class ${rr.class}; only class IN is served`);
      if (rr.name !== lastName) {
        lastKey = canonicalName(rr.name);
        if (!isSubdomain(lastKey, canonicalOrigin)) throw fail(`${rr.name} is outside the zone`);
        lastName = rr.name;
        const list = names.get(lastKey);
        if (list === undefined) {
          // A literal has exactly the capacity of one record; most names own one.
          lastList = [rr];
          names.set(lastKey, lastList);
        } else {
          lastList = list;
          list.push(rr);
        }
      } else {
        lastList.push(rr);
      }
      if (rr.type === RRType.SOA && lastKey !== canonicalOrigin)
        throw fail(`SOA record at ${rr.name}, not at the apex`);
    }

    let recordCount = 0;
    const cuts = new Set<string>();
    const occlusionRoots = new Set<string>();
    let hasDnames = false;
    for (const [key, list] of names) {
      const node = buildNode(list);
      if (node !== list) names.set(key, node);
      recordCount += node.length;
      const cname = findRRset(node, RRType.CNAME);
      if (cname >= 0) {
        if (rrsetEnd(node, cname) - cname > 1) throw fail(`more than one CNAME record at ${node[0]!.name}`);
        if (!node.every((rr) => allowedBesideCname(rr.type))) {
          throw fail(`${node[0]!.name} has a CNAME record and other data (RFC 2181 §10.1)`);
        }
      }
      const dname = findRRset(node, RRType.DNAME);
      if (dname >= 0) {
        if (rrsetEnd(node, dname) - dname > 1) throw fail(`more than one DNAME record at ${node[0]!.name}`);
        hasDnames = true;
        if (key !== canonicalOrigin) occlusionRoots.add(key);
      }
      if (key !== canonicalOrigin && findRRset(node, RRType.NS) >= 0) {
        cuts.add(key);
        occlusionRoots.add(key);
      }
    }

    const apexNode: Node | undefined = names.get(canonicalOrigin);
    const soaIndex = apexNode === undefined ? -1 : findRRset(apexNode, RRType.SOA);
    if (apexNode === undefined || soaIndex < 0) throw fail("no SOA record at the apex");
    if (rrsetEnd(apexNode, soaIndex) - soaIndex > 1) throw fail("more than one SOA record");

    // Empty non-terminals: every ancestor of an owner name, up to the apex, exists. A chain
    // stops at the first ancestor already present, whose own ancestors are (or will be) done.
    const owners = [...names.keys()];
    const all: Map<string, Node> = names;
    for (const owner of owners) {
      let name = owner;
      while (name !== canonicalOrigin) {
        name = parentName(name);
        if (all.has(name)) break;
        all.set(name, EMPTY_NODE);
      }
    }

    const occluded = new Map<string, Node>();
    if (occlusionRoots.size > 0) {
      for (const [key, node] of all) {
        if (key === canonicalOrigin) continue;
        for (let name = parentName(key); name !== canonicalOrigin; name = parentName(name)) {
          if (occlusionRoots.has(name)) {
            occluded.set(key, node);
            all.delete(key);
            break;
          }
        }
      }
    }

    this.origin = origin;
    this.canonicalOrigin = canonicalOrigin;
    this.#names = all;
    this.#occluded = occluded;
    this.#cuts = cuts;
    this.hasCuts = cuts.size > 0;
    this.hasDnames = hasDnames;
    this.recordCount = recordCount;
    this.apexNode = apexNode;
    this.apexNs = findRRset(apexNode, RRType.NS);
    const soa = apexNode[soaIndex]!;
    this.soa = soa;
    const minimum = soa.data.kind === "SOA" ? soa.data.minimum : soa.ttl;
    this.negativeSoa = soa.ttl > minimum ? { ...soa, ttl: minimum } : { ...soa };
    this.negativeSoaNode = Object.freeze([this.negativeSoa]);
  }

  /** Names in the index: authoritative, occluded and empty non-terminals. */
  get nameCount(): number {
    return this.#names.size + this.#occluded.size;
  }

  /** The node of an authoritative name (canonical), or undefined. */
  node(canon: string): Node | undefined {
    return this.#names.get(canon);
  }

  /** The node of any name of the zone, occluded ones (glue) included, or undefined. */
  dataNode(canon: string): Node | undefined {
    return this.#names.get(canon) ?? this.#occluded.get(canon);
  }

  /** Whether canonical `canon` is a delegation point of this zone. */
  isCut(canon: string): boolean {
    return this.#cuts.has(canon);
  }

  /**
   * The highest delegation point at or above canonical `canon` (which must be in the zone),
   * or undefined. NSD refers to the highest cut when cuts are nested.
   */
  highestCut(canon: string): string | undefined {
    let found: string | undefined;
    for (let name = canon; name !== this.canonicalOrigin; name = parentName(name)) {
      if (this.#cuts.has(name)) found = name;
    }
    return found;
  }

  /**
   * The nearest DNAME owner strictly above canonical `canon` and below the apex, or
   * undefined: its DNAME occludes `canon` (RFC 6672 §2.3). A DNAME at the apex applies only
   * to names that do not exist, as in NSD.
   */
  dnameAbove(canon: string): string | undefined {
    if (canon === this.canonicalOrigin) return undefined;
    for (let name = parentName(canon); name !== this.canonicalOrigin; name = parentName(name)) {
      const node = this.dataNode(name);
      if (node !== undefined && findRRset(node, RRType.DNAME) >= 0) return name;
    }
    return undefined;
  }

  /**
   * The A/AAAA data at `target` (a name from NS, MX or SRV data) that this zone can add to a
   * response, as NSD finds it: only data of this zone; glue (names at or below a cut) only
   * if `allowGlue` (NS targets); an absent name synthesized from the wildcard below its
   * closest existing ancestor. Null if there is nothing to add.
   */
  additionalTarget(target: string, allowGlue: boolean): AdditionalTarget | null {
    const key = canonicalName(target);
    if (!isSubdomain(key, this.canonicalOrigin)) return null;
    if (!allowGlue && this.hasCuts && this.highestCut(key) !== undefined) return null;
    let node = this.dataNode(key);
    let owner: string | null = null;
    if (node === undefined) {
      let name = key;
      do name = parentName(name);
      while (this.dataNode(name) === undefined);
      node = this.dataNode(wildcardOf(name));
      if (node === undefined) return null;
      owner = target;
    }
    const a = findRRset(node, RRType.A);
    const aaaa = findRRset(node, RRType.AAAA);
    if (a < 0 && aaaa < 0) return null;
    return { owner, key, node, a, aaaa };
  }

  /**
   * The additional-section targets of the NS, MX or SRV RRset at `node[start]`, in record
   * order. An NS RRset's list (glue included) is computed once and kept, since referrals
   * repeat it; MX and SRV targets are looked up each time.
   */
  additionalTargets(node: Node, start: number): readonly AdditionalTarget[] {
    const first = node[start]!;
    const isNs = first.type === RRType.NS;
    if (isNs) {
      const cached = this.#nsTargets.get(first);
      if (cached !== undefined) return cached;
    }
    const end = rrsetEnd(node, start);
    const targets: AdditionalTarget[] = [];
    for (let i = start; i < end; i++) {
      const d = node[i]!.data;
      let target: string;
      if (d.kind === "NS" || d.kind === "SRV") target = d.target;
      else if (d.kind === "MX") target = d.exchange;
      else continue;
      const t = this.additionalTarget(target, isNs);
      if (t !== null) targets.push(t);
    }
    if (isNs) this.#nsTargets.set(first, targets);
    return targets;
  }

  /** The authoritative names (canonical) and their nodes, empty non-terminals included. */
  authoritativeNodes(): IterableIterator<[string, Node]> {
    return this.#names.entries();
  }

  /** Every name (canonical) and its node, occluded ones included, in no particular order. */
  *allNodes(): Generator<[string, Node]> {
    yield* this.#names.entries();
    yield* this.#occluded.entries();
  }
}
