/**
 * The authoritative answering engine: zones and a question in, response sections out, no
 * I/O. It follows RFC 1034 §4.3.2 and makes NSD 4's choices where the RFCs leave room, so a
 * differential test against NSD can compare responses; the structure mirrors NSD's
 * query.c (answer_lookup_zone, answer_authoritative, answer_domain, add_additional_rrsets)
 * so each rule is easy to check against it.
 *
 * The rules, in order:
 * - The zone is the served one with the longest origin at or above the name; none: `null`.
 * - DS at a zone's apex is answered from the parent zone when it is served too (RFC 4035
 *   §3.1.4.1), else NODATA from the zone itself.
 * - A name at or below a delegation point is a referral: AA clear, the NS RRset of the
 *   highest cut in the authority section, glue in the additional section; except DS at the
 *   delegation point itself, which the parent answers.
 * - A name that exists: the RRset of QTYPE (AA), or its CNAME followed (RFC 1034 §3.6.2) to
 *   any zone served here, or NODATA (NOERROR, SOA in authority). Empty non-terminals exist.
 * - A name that does not exist: a DNAME at the closest encloser is followed (RFC 6672 §3.1,
 *   CNAME synthesized with the DNAME's TTL); else the wildcard child of the closest encloser,
 *   if any, answers with the owner replaced by the name (RFC 4592 §3.3.1); else NXDOMAIN.
 * - The SOA in negative answers has TTL min(SOA TTL, SOA MINIMUM) (RFC 2308 §3).
 * - Positive answers carry the zone's NS RRset in authority ("optional": may be dropped to
 *   fit), except for QTYPE ANY, DS and DNSKEY, and QCLASS ANY.
 * - Additional data: A then AAAA records of NS, MX and SRV targets in the same zone
 *   (glue only for NS). An RRset appears once in a response, in its first section.
 * - QCLASS ANY is answered from class IN data with AA clear and no SOA in negative answers.
 */

import { canonicalName, isSubdomain, parentName, writeNameWire } from "../name.js";
import { Rcode, RRClass, RRType } from "../types.js";
import type { Question, ResourceRecord } from "../types.js";
import { EMPTY_NODE, findRRset, rrsetEnd } from "./node.js";
import type { Node } from "./node.js";
import type { ReverseIndex } from "./reverse-index.js";
import type { Zone } from "./zone.js";
import { wildcardOf } from "./zone.js";
import type { ZoneSet } from "./zone-set.js";

/** YXDOMAIN (RFC 2136 §2.2): a DNAME substitution made a name longer than 255 octets (RFC 6672 §2.2). */
const RCODE_YXDOMAIN = 6;

/** Options of `answer()`. Every default is NSD 4's default behaviour. */
export interface AnswerOptions {
  /**
   * What a QTYPE=ANY query gets: `"single"` (default, NSD since 4.3 and RFC 8482 §4.1) one
   * RRset, preferring A, AAAA, SOA, MX or PTR, then any other type, then DNSKEY, RRSIG or
   * NSEC; `"all"` every RRset at the name (the classic behaviour, RFC 1035 §3.2.3).
   */
  readonly any?: "single" | "all";
  /**
   * NSD's `minimal-responses`: no zone NS RRset in the authority section of positive
   * answers, and additional data only for referrals and QTYPE NS. Default false.
   */
  readonly minimalResponses?: boolean;
  /**
   * NSD's `confine-to-zone`: a CNAME or DNAME chain is not followed into another zone.
   * Default false (chains are followed into every zone served here).
   */
  readonly confineToZone?: boolean;
  /**
   * The query came over IPv6: glue for NS RRsets lists AAAA records before A records, as
   * NSD does for IPv6 clients. Default false.
   */
  readonly ipv6Client?: boolean;
  /**
   * Most CNAME/DNAME links followed for one query; the answer ends with the last CNAME
   * added. Default 16. (NSD has no count; it stops only at a repeated RRset, which this
   * engine also does, so this only cuts long loop-free chains.)
   */
  readonly maxChain?: number;
  /**
   * CHAOS-class TXT answers (`id.server.`/`hostname.bind.` → identity,
   * `version.server.`/`version.bind.` → version). An unset string is refused, as with
   * NSD's hide-identity/hide-version. Default: both unset.
   */
  readonly chaos?: { readonly identity?: string; readonly version?: string };
  /** Synthesis of PTR answers from the A/AAAA data of the served zones; off by default. */
  readonly ptr?: PtrSynthesisOptions;
}

/**
 * PTR synthesis: a query for an in-addr.arpa./ip6.arpa. name whose address is in `index`
 * is answered with PTR records naming every owner of that address (TTL: the address
 * record's), as if a zone held them; another QTYPE at such a name gets NODATA.
 * - Names outside every served zone (`outsideZones`, default true) are answered with AA
 *   set and, for NODATA, no SOA (there is no zone to take it from).
 * - Inside a served zone, only the zones listed in `inZones` (canonical origins, or
 *   `"all"`) are filled in, and only for names the zone does not have (where it would say
 *   NXDOMAIN); a zone's own data always wins. Default: none.
 * The index is built from the zones (`new ReverseIndex(zoneSet)`); rebuild it on reload.
 */
export interface PtrSynthesisOptions {
  readonly index: ReverseIndex;
  readonly outsideZones?: boolean;
  readonly inZones?: "all" | ReadonlySet<string>;
}

/** The response sections for one question. */
export interface AuthorityResult {
  readonly rcode: number;
  /** Authoritative Answer flag. */
  readonly aa: boolean;
  readonly answers: ResourceRecord[];
  readonly authority: ResourceRecord[];
  readonly additional: ResourceRecord[];
  /**
   * How many records at the end of `authority` are optional (the zone's NS RRset added to
   * a positive answer): an encoder short of space drops them, and the additional section,
   * before it sets TC.
   */
  readonly optionalAuthority: number;
  /**
   * How many records at the start of `additional` form its first part: the A records (the
   * AAAA records of NS targets, for an IPv6 client), which NSD adds before the rest. An
   * encoder short of space fills the parts in order and stops after the part where an
   * RRset first did not fit.
   */
  readonly additionalSplit: number;
  /**
   * The response carries no question section: NSD refuses a class other than IN, ANY and
   * CH with an empty message.
   */
  readonly noQuestion: boolean;
  /**
   * The Extended DNS Error INFO-CODE (RFC 8914) that explains a refusal, as NSD sends it:
   * `EDE_PROHIBITED` (18) or `EDE_NOT_SUPPORTED` (21). Absent when there is none.
   */
  readonly extendedError?: number;
}

/** RFC 8914 §4.19: the server is unable to respond due to a local policy. */
export const EDE_PROHIBITED = 18;
/** RFC 8914 §4.21: the server is not authoritative for the name and recursion is off. */
export const EDE_NOT_AUTHORITATIVE = 20;
/** RFC 8914 §4.22: the query's class or type is not supported here. */
export const EDE_NOT_SUPPORTED = 21;

// Sections, in the order they are written (NSD's rr_section: A records come before AAAA
// records in the additional section, and the optional authority after the required).
const ANSWER = 0;
const AUTHORITY = 1;
const OPTIONAL_AUTHORITY = 2;
const ADDITIONAL_A = 3;
const ADDITIONAL_AAAA = 4;
const SECTIONS = 5;

/**
 * Dedup key of an owner synthesized from a wildcard for the query name itself. NSD numbers
 * that owner 0 and every name reached through a CNAME by its table entry, so the query name
 * reached again through a wildcard CNAME is a different owner; this keeps that quirk.
 */
const QNAME_SYNTHESIZED = "\0";

const DEFAULT_MAX_CHAIN = 16;

/** Per-query state; one instance is reused, since answering is synchronous. */
class State {
  zones!: ZoneSet;
  qtype = 0;
  qclass = 0;
  anyAll = false;
  minimal = false;
  confine = false;
  ipv6 = false;
  maxChain = DEFAULT_MAX_CHAIN;
  ptr: PtrSynthesisOptions | undefined;
  rcode = 0;
  aa = false;
  /** CNAME and DNAME links followed so far (NSD's cname_count). */
  chain = 0;
  /** "owner target" of the CNAMEs synthesized from DNAMEs, for loop detection. */
  synthesized: string[] = [];

  // The response so far: one entry per RRset (NSD's answer_type), as parallel arrays.
  count = 0;
  readonly section: number[] = [];
  readonly node: Node[] = [];
  readonly start: number[] = [];
  readonly end: number[] = [];
  readonly owner: (string | null)[] = [];
  readonly key: string[] = [];

  reset(zones: ZoneSet, q: Question, options: AnswerOptions): this {
    this.zones = zones;
    this.qtype = q.type;
    this.qclass = q.class;
    this.anyAll = options.any === "all";
    this.minimal = options.minimalResponses === true;
    this.confine = options.confineToZone === true;
    this.ipv6 = options.ipv6Client === true;
    this.maxChain = options.maxChain ?? DEFAULT_MAX_CHAIN;
    this.ptr = options.ptr;
    this.rcode = Rcode.NOERROR;
    this.aa = false;
    this.chain = 0;
    if (this.synthesized.length !== 0) this.synthesized = [];
    // Drop references to the previous query's zones.
    for (let i = 0; i < this.count; i++) this.node[i] = EMPTY_NODE;
    this.count = 0;
    return this;
  }

  /**
   * Adds the RRset `node[start..]` to `section` unless it is already in the response under
   * the same owner (`key`); an RRset already in a later section moves up. Returns whether it
   * was added or moved (NSD's answer_add_rrset).
   */
  put(section: number, node: Node, start: number, owner: string | null, key: string): boolean {
    for (let i = 0; i < this.count; i++) {
      if (this.node[i] === node && this.start[i] === start && this.key[i] === key) {
        if (section < this.section[i]!) {
          this.section[i] = section;
          return true;
        }
        return false;
      }
    }
    const i = this.count++;
    this.section[i] = section;
    this.node[i] = node;
    this.start[i] = start;
    this.end[i] = rrsetEnd(node, start);
    this.owner[i] = owner;
    this.key[i] = key;
    return true;
  }

  /** `put()` plus the additional data the RRset calls for (NSD's add_rrset). */
  add(zone: Zone, section: number, node: Node, start: number, owner: string | null, key: string): boolean {
    const added = this.put(section, node, start, owner, key);
    if (this.minimal && section !== AUTHORITY && this.qtype !== RRType.NS) return added;
    const type = node[start]!.type;
    if (type !== RRType.NS && type !== RRType.MX && type !== RRType.SRV) return added;
    const swap = this.ipv6 && type === RRType.NS;
    for (const t of zone.additionalTargets(node, start)) {
      if (swap) {
        if (t.aaaa >= 0) this.put(ADDITIONAL_A, t.node, t.aaaa, t.owner, t.key);
        if (t.a >= 0) this.put(ADDITIONAL_AAAA, t.node, t.a, t.owner, t.key);
      } else {
        if (t.a >= 0) this.put(ADDITIONAL_A, t.node, t.a, t.owner, t.key);
        if (t.aaaa >= 0) this.put(ADDITIONAL_AAAA, t.node, t.aaaa, t.owner, t.key);
      }
    }
    return added;
  }

  finish(): AuthorityResult {
    const answers: ResourceRecord[] = [];
    const authority: ResourceRecord[] = [];
    const additional: ResourceRecord[] = [];
    let optionalAuthority = 0;
    let additionalSplit = 0;
    for (let section = 0; section < SECTIONS; section++) {
      if (section === ADDITIONAL_AAAA) additionalSplit = additional.length;
      const out = section === ANSWER ? answers : section <= OPTIONAL_AUTHORITY ? authority : additional;
      for (let i = 0; i < this.count; i++) {
        if (this.section[i] !== section) continue;
        const node = this.node[i]!;
        const owner = this.owner[i] ?? null;
        const end = this.end[i]!;
        for (let k = this.start[i]!; k < end; k++) {
          const rr = node[k]!;
          out.push(owner === null || rr.name === owner ? rr : withOwner(rr, owner));
        }
        if (section === OPTIONAL_AUTHORITY) optionalAuthority += end - this.start[i]!;
      }
    }
    return {
      rcode: this.rcode,
      aa: this.aa,
      answers,
      authority,
      additional,
      optionalAuthority,
      additionalSplit,
      noQuestion: false,
    };
  }
}

function withOwner(rr: ResourceRecord, name: string): ResourceRecord {
  return { name, type: rr.type, class: rr.class, ttl: rr.ttl, data: rr.data };
}

const state = new State();

/**
 * Answers `question` from `zones` (see the module comment for the rules). Returns null when
 * no served zone contains the name (and PTR synthesis does not answer it): the server then
 * refuses (with `EDE_NOT_AUTHORITATIVE`) or recurses. Throws TypeError for a malformed
 * question name (the decoder never produces one). Zone transfers are not offered: AXFR and
 * IXFR are REFUSED with `EDE_PROHIBITED`, as NSD answers them without a `provide-xfr` ACL.
 */
export function answer(
  zones: ZoneSet,
  question: Question,
  options: AnswerOptions = {},
): AuthorityResult | null {
  const qclass = question.class;
  if (qclass !== RRClass.IN && qclass !== RRClass.ANY) {
    if (qclass === RRClass.CH) return answerChaos(question, options.chaos);
    return { ...bare(Rcode.REFUSED, true), extendedError: EDE_NOT_SUPPORTED };
  }
  if (question.type === RRType.AXFR || question.type === RRType.IXFR) {
    return { ...bare(Rcode.REFUSED, false), extendedError: EDE_PROHIBITED };
  }
  const canon = canonicalName(question.name);
  const zone = zones.findCanonical(canon);
  if (zone === undefined) {
    const ptr = options.ptr;
    if (ptr !== undefined && ptr.outsideZones !== false) return synthesizeOutside(question, ptr.index);
    return null;
  }
  const st = state.reset(zones, question, options);
  lookupZone(st, zone, question.name, canon, null);
  return st.finish();
}

function bare(rcode: number, noQuestion: boolean): AuthorityResult {
  return {
    rcode,
    aa: false,
    answers: [],
    authority: [],
    additional: [],
    optionalAuthority: 0,
    additionalSplit: 0,
    noQuestion,
  };
}

/**
 * Answers `name` (canonical `canon`) from `zone`, the zone served here that contains it
 * (NSD's answer_lookup_zone). `from` is the zone of the previous link of a chain.
 */
function lookupZone(st: State, zone: Zone, name: string, canon: string, from: Zone | null): void {
  if (st.confine && from !== null && zone !== from) return;

  let node = zone.node(canon);
  const exact = node !== undefined;
  let ce = canon; // the closest encloser (RFC 4592 §3.3.1)
  while (node === undefined) {
    ce = parentName(ce);
    node = zone.node(ce);
  }

  let cut: string | undefined;
  if (exact && st.qtype === RRType.DS && ce === zone.canonicalOrigin) {
    // RFC 4035 §3.1.4.1: DS lives on the parent side of the cut.
    const parent = st.zones.parentOf(zone);
    if (parent === undefined) {
      st.aa = st.qclass !== RRClass.ANY;
      negative(st, zone);
      return;
    }
    zone = parent;
    // NSD keeps treating the name as existing here even if the parent lacks it.
    node = zone.dataNode(canon) ?? EMPTY_NODE;
    if (zone.hasCuts) cut = zone.highestCut(canon);
  } else if (zone.hasCuts && zone.isCut(ce)) {
    cut = ce;
  }
  // A DNAME above the cut occludes it (NSD: "use higher DNAME").
  if (cut !== undefined && zone.hasDnames && zone.dnameAbove(cut) !== undefined) cut = undefined;

  if (cut === undefined || (exact && st.qtype === RRType.DS && ce === cut)) {
    st.aa = st.qclass !== RRClass.ANY;
    authoritative(st, zone, name, canon, exact, ce, node);
  } else {
    // RFC 1034 §4.3.2 step 3b. AA is set only if a chain led here (it answers for the
    // earlier links).
    st.aa = st.chain > 0;
    const cutNode = zone.dataNode(cut)!;
    st.add(zone, AUTHORITY, cutNode, findRRset(cutNode, RRType.NS), null, cut);
  }
}

/** RFC 1034 §4.3.2 step 3 for a name in authoritative data (NSD's answer_authoritative). */
function authoritative(
  st: State,
  zone: Zone,
  name: string,
  canon: string,
  exact: boolean,
  ce: string,
  node: Node,
): void {
  if (exact && node.length > 0 && node[0]!.type === RRType.NSEC3 && rrsetEnd(node, 0) === node.length) {
    // A name owning only NSEC3 records (a hash) does not exist for queries (RFC 5155 §7.2.8,
    // NSD: "pretend it does not exist").
    exact = false;
    ce = parentName(ce);
    node = zone.dataNode(ce) ?? EMPTY_NODE;
  }
  if (zone.hasDnames) {
    const owner = zone.dnameAbove(ce);
    if (owner !== undefined) {
      exact = false;
      ce = owner;
      node = zone.dataNode(owner)!;
    }
  }

  if (exact) {
    answerDomain(st, zone, node, name, canon);
    return;
  }
  const dname = findRRset(node, RRType.DNAME);
  if (dname >= 0 && followDname(st, zone, node, dname, name, canon, ce)) return;
  const wildcard = zone.dataNode(wildcardOf(ce));
  if (wildcard !== undefined) {
    answerDomain(st, zone, wildcard, name, st.chain === 0 ? QNAME_SYNTHESIZED : canon);
    return;
  }
  const ptr = st.ptr;
  if (ptr !== undefined && ptr.inZones !== undefined) {
    if (ptr.inZones === "all" || ptr.inZones.has(zone.canonicalOrigin)) {
      const records = ptr.index.ptrRecords(name);
      if (records !== undefined) {
        answerDomain(st, zone, records, name, canon);
        return;
      }
    }
  }
  st.rcode = Rcode.NXDOMAIN;
  negative(st, zone);
}

/** The SOA for a negative answer (NSD's answer_soa); none for QCLASS ANY. */
function negative(st: State, zone: Zone): void {
  if (st.qclass !== RRClass.ANY) {
    st.put(AUTHORITY, zone.negativeSoaNode, 0, null, zone.canonicalOrigin);
  }
}

/**
 * The RRset of NSD's choice for QTYPE ANY (RFC 8482 §4.1): the first A, AAAA, SOA, MX or
 * PTR RRset; else the last of any other type; else the last DNSKEY, RRSIG or NSEC. NSEC3
 * RRsets are never chosen. Returns its index, or -1.
 */
function pickAny(node: Node): number {
  let normal = -1;
  let unwanted = -1;
  for (let i = 0; i < node.length; i = rrsetEnd(node, i)) {
    switch (node[i]!.type) {
      case RRType.A:
      case RRType.AAAA:
      case RRType.SOA:
      case RRType.MX:
      case RRType.PTR:
        return i;
      case RRType.DNSKEY:
      case RRType.RRSIG:
      case RRType.NSEC:
        unwanted = i;
        break;
      case RRType.NSEC3:
        break;
      default:
        normal = i;
    }
  }
  return normal >= 0 ? normal : unwanted;
}

/** Answers from a node that exists or was synthesized (NSD's answer_domain). */
function answerDomain(st: State, zone: Zone, node: Node, name: string, key: string): void {
  const qtype = st.qtype;
  if (qtype === RRType.ANY) {
    if (st.anyAll) {
      let added = false;
      for (let i = 0; i < node.length; i = rrsetEnd(node, i)) {
        if (node[i]!.type === RRType.NSEC3) continue;
        st.add(zone, ANSWER, node, i, name, key);
        added = true;
      }
      if (!added) {
        negative(st, zone);
        return;
      }
    } else {
      const i = pickAny(node);
      if (i < 0) {
        negative(st, zone);
        return;
      }
      st.add(zone, ANSWER, node, i, name, key);
    }
  } else {
    // QTYPE NSEC3 gets NODATA, as from NSD (NSEC3 records go out only as DNSSEC proofs).
    const i = qtype === RRType.NSEC3 ? -1 : findRRset(node, qtype);
    if (i < 0) {
      const c = qtype === RRType.NSEC3 ? -1 : findRRset(node, RRType.CNAME);
      if (c >= 0) followCname(st, zone, node, c, name, key);
      else negative(st, zone);
      return;
    }
    st.add(zone, ANSWER, node, i, name, key);
  }
  // NSD adds the zone's NS RRset to positive answers, but not for the types whose answers
  // are large (its bug #253: DS, DNSKEY) nor for ANY.
  if (
    st.qclass !== RRClass.ANY &&
    zone.apexNs >= 0 &&
    qtype !== RRType.ANY &&
    qtype !== RRType.DS &&
    qtype !== RRType.DNSKEY &&
    !st.minimal
  ) {
    st.add(zone, OPTIONAL_AUTHORITY, zone.apexNode, zone.apexNs, null, zone.canonicalOrigin);
  }
}

/** Adds the CNAME at `node[index]` and answers its target (RFC 1034 §4.3.2 step 3a). */
function followCname(st: State, zone: Zone, node: Node, index: number, name: string, key: string): void {
  // Not added means it is already there: a loop. Stop.
  if (!st.add(zone, ANSWER, node, index, name, key)) return;
  const data = node[index]!.data;
  if (data.kind !== "CNAME" || st.chain >= st.maxChain) return;
  st.chain++;
  const target = data.target;
  const targetCanon = canonicalName(target);
  const targetZone = st.zones.findCanonical(targetCanon);
  if (targetZone !== undefined) lookupZone(st, targetZone, target, targetCanon, zone);
}

const wireScratch = new Uint8Array(320);

/**
 * Applies the DNAME at `node[index]` (owner `ce`) to `name` (RFC 6672 §3.1): adds the DNAME
 * and a synthesized CNAME, then answers the new name. Returns false if the record is not
 * usable DNAME data (the caller goes on as if there were none).
 */
function followDname(
  st: State,
  zone: Zone,
  node: Node,
  index: number,
  name: string,
  canon: string,
  ce: string,
): boolean {
  const dname = node[index]!;
  if (dname.data.kind !== "DNAME") return false;
  const dest = dname.data.target;
  // Added before means a loop, unless the target lies outside the DNAME's subtree.
  if (!st.put(ANSWER, node, index, null, ce) && isSubdomain(dest, ce)) return true;
  // The new name is built from the lowercased name, as NSD does (its query name is
  // normalized); the synthesized CNAME's owner keeps the case it was asked in.
  const prefix = ce.length === 1 ? canon : canon.slice(0, canon.length - ce.length);
  const newName = dest.length === 1 ? prefix : prefix + dest;
  if (st.chain >= st.maxChain) return true;
  st.chain++;
  try {
    writeNameWire(newName, wireScratch, 0);
  } catch {
    st.rcode = RCODE_YXDOMAIN; // RFC 6672 §2.2: the substituted name is too long
    return true;
  }
  const newCanon = canonicalName(newName);
  const signature = `${canon} ${newCanon}`;
  if (st.synthesized.includes(signature)) return true;
  st.synthesized.push(signature);
  const cname: Node = [
    { name, type: RRType.CNAME, class: RRClass.IN, ttl: dname.ttl, data: { kind: "CNAME", target: newName } },
  ];
  st.put(ANSWER, cname, 0, null, canon);
  if (st.qtype === RRType.CNAME) return true; // the synthesized CNAME is the answer (as BIND and NSD)
  const targetZone = st.zones.findCanonical(newCanon);
  if (targetZone !== undefined) lookupZone(st, targetZone, newName, newCanon, zone);
  return true;
}

/** PTR synthesis for a reverse name outside every served zone (see PtrSynthesisOptions). */
function synthesizeOutside(question: Question, index: ReverseIndex): AuthorityResult | null {
  const records = index.ptrRecords(question.name);
  if (records === undefined) return null;
  const positive = question.type === RRType.PTR || question.type === RRType.ANY;
  return {
    rcode: Rcode.NOERROR,
    aa: question.class !== RRClass.ANY,
    answers: positive ? records : [],
    authority: [],
    additional: [],
    optionalAuthority: 0,
    additionalSplit: 0,
    noQuestion: false,
  };
}

const CHAOS_IDENTITY = new Set(["id.server.", "hostname.bind."]);
const CHAOS_VERSION = new Set(["version.server.", "version.bind."]);

/**
 * CHAOS-class queries, as NSD's answer_chaos: TXT for the identity and version names; an
 * unset one is REFUSED as prohibited (NSD's hide-identity/hide-version), anything else as
 * not supported.
 */
function answerChaos(question: Question, chaos: AnswerOptions["chaos"]): AuthorityResult {
  if (question.type === RRType.TXT || question.type === RRType.ANY) {
    const canon = canonicalName(question.name);
    const known = CHAOS_IDENTITY.has(canon) || CHAOS_VERSION.has(canon);
    const text = CHAOS_IDENTITY.has(canon)
      ? chaos?.identity
      : CHAOS_VERSION.has(canon)
        ? chaos?.version
        : undefined;
    if (text === undefined && known) return { ...bare(Rcode.REFUSED, false), extendedError: EDE_PROHIBITED };
    if (text !== undefined) {
      const bytes = Buffer.from(text, "utf8").subarray(0, 255);
      const record: ResourceRecord = {
        name: question.name,
        type: RRType.TXT,
        class: RRClass.CH,
        ttl: 0,
        data: { kind: "TXT", strings: [new Uint8Array(bytes)] },
      };
      return { ...bare(Rcode.NOERROR, false), answers: [record] };
    }
  }
  return { ...bare(Rcode.REFUSED, false), extendedError: EDE_NOT_SUPPORTED };
}
