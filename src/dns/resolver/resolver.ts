import { isIP } from "node:net";
import { performance } from "node:perf_hooks";
import type { SocketAddress } from "../../core/address.js";
import { TimeoutError } from "../../core/errors.js";
import { silentLogger, type Logger } from "../../core/log.js";
import { query as sendQuery, queryMessage, serverText } from "../client/index.js";
import type { QueryOptions, QueryResult } from "../client/index.js";
import {
  canonicalName,
  isAbsoluteName,
  isSubdomain,
  nameToWire,
  normalizeName,
  parentName,
} from "../name.js";
import { Rcode, RRType } from "../types.js";
import type { Message, ResourceRecord } from "../types.js";
import { rcodeToText, typeToText } from "../zone/index.js";
import { effectiveTtl, negativeTtl, Rank, RecordCache } from "./cache.js";
import { RESOLVER_LIMITS } from "./limits.js";
import { orderExchanges, type MxHost, type MxResult } from "./mx.js";
import { judgeResponse, type Step } from "./response.js";
import { ROOT_HINTS, type RootHint } from "./root-hints.js";

/** The transport the resolver sends its queries with (`query()` of the DNS client). */
export type QueryFunction = (
  server: SocketAddress,
  message: Message,
  options: QueryOptions,
) => Promise<QueryResult>;

/** Options of `Resolver`; every number has its default in `RESOLVER_LIMITS`. */
export interface ResolverOptions {
  /**
   * Recursive servers to forward to, tried in order (queries carry RD). Without them (or
   * with an empty list) the resolver iterates from the root hints itself.
   */
  readonly forwarders?: readonly SocketAddress[];
  /** Where iteration starts; default the IANA root servers. */
  readonly rootHints?: readonly RootHint[];
  /**
   * For tests: where a query meant for a name server address really goes. Root hints and
   * glue carry bare addresses, reached on port `port`; a test runs its servers on
   * 127.0.0.1 with random ports and maps the (made-up) addresses its zones name to them.
   */
  readonly addressMap?: ReadonlyMap<string, SocketAddress>;
  /** The port name servers are reached on (default 53). */
  readonly port?: number;
  /** Wait for one server, in ms. */
  readonly timeoutMs?: number;
  /** Time for one `resolve()`, in ms; after it the result is SERVFAIL. */
  readonly deadlineMs?: number;
  readonly maxCacheEntries?: number;
  /** Cap on positive TTLs, in seconds. */
  readonly maxTtl?: number;
  /** Cap on negative TTLs, in seconds. */
  readonly maxNegativeTtl?: number;
  /** Milliseconds for TTL accounting (default `performance.now`); tests move it by hand. */
  readonly clock?: () => number;
  /** A number in [0, 1): shuffles servers and equal-preference MX records (default Math.random). */
  readonly random?: () => number;
  readonly logger?: Logger;
  /** The transport (default the DNS client's `query`); tests may wrap it to watch traffic. */
  readonly query?: QueryFunction;
}

/** The outcome of `resolve()`. It never rejects for a DNS failure: that is rcode SERVFAIL. */
export interface ResolveResult {
  /** NOERROR (with `answers`, or NODATA without), NXDOMAIN, or SERVFAIL when no server helped. */
  readonly rcode: number;
  /** The name and type asked for, the name as given (case kept). */
  readonly name: string;
  readonly type: number;
  /**
   * The CNAME chain from `name` in order, then the RRset of `type` at its end (none for a
   * negative answer). TTLs are what is left of them in the cache.
   */
  readonly answers: readonly ResourceRecord[];
  /** The name at the end of the CNAME chain: the owner of the data or of the negative answer. */
  readonly finalName: string;
  /**
   * For NXDOMAIN and NODATA: the zone's SOA record, with the negative answer's TTL
   * (min(SOA TTL, SOA MINIMUM), RFC 2308 §5), when the server sent one.
   */
  readonly soa?: ResourceRecord;
  /** For SERVFAIL: what went wrong, one line for a log. */
  readonly reason?: string;
}

/** A zone cut: the zone, the names of its servers, and addresses for them that came along. */
interface Cut {
  readonly zone: string;
  readonly servers: readonly string[];
  /** Glue of the referral (or the root hints), by canonical server name. */
  readonly addresses: ReadonlyMap<string, readonly string[]>;
}

const NO_ADDRESSES: ReadonlyMap<string, readonly string[]> = new Map();

/** The state one `resolve()` shares with the lookups it starts. */
interface Context {
  readonly signal: AbortSignal;
  readonly deadline: number;
  readonly budget: { queries: number };
  readonly depth: number;
  /** "name/type" keys of the lookups this one is nested in (a loop check). */
  readonly stack: readonly string[];
}

type Fetched = { readonly steps: ReadonlyMap<string, Step> } | { readonly failure: string };
type Asked = { readonly message: Message } | { readonly error: string; readonly timedOut: boolean };
type CutOutcome = Fetched | { readonly referral: Cut };

/** QTYPEs that name no RRset (RFC 1035 §3.2.3, RFC 6891, RFC 2845, RFC 2930): not looked up. */
const META_TYPES = new Set([RRType.OPT, 249, 250, RRType.IXFR, RRType.AXFR, 253, 254, RRType.ANY]);
/** Servers remembered as not speaking EDNS; beyond this many the list starts over. */
const MAX_NO_EDNS = 1_000;

/**
 * A caching DNS resolver (RFC 1034 §5.3.3), for the MTA's MX lookups and the server's
 * recursion. It iterates from the root hints, following referrals and looking up the
 * addresses of name servers that come without glue, or forwards to recursive servers; it
 * trusts each server only for its own zone (RFC 2181 §5.4.1), follows CNAME chains, caches
 * answers and negative answers (RFC 2308 §5) with capped TTLs in a bounded cache, and lets
 * concurrent lookups of one question share one upstream exchange. Every lookup ends by its
 * deadline: when nothing works the result is SERVFAIL, never a hang or a rejection.
 */
export class Resolver {
  readonly #forwarders: readonly SocketAddress[];
  readonly #hintNames: readonly string[];
  readonly #hintAddresses = new Map<string, string[]>();
  readonly #addressMap: ReadonlyMap<string, SocketAddress>;
  readonly #port: number;
  readonly #timeoutMs: number;
  readonly #deadlineMs: number;
  readonly #maxTtl: number;
  readonly #maxNegativeTtl: number;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #query: QueryFunction;
  readonly #cache: RecordCache;
  readonly #inflight = new Map<string, Promise<ResolveResult>>();
  readonly #noEdns = new Set<string>();

  /** Throws TypeError/RangeError for invalid options. */
  constructor(options: ResolverOptions = {}) {
    const positive = (value: number | undefined, fallback: number, what: string): number => {
      const v = value ?? fallback;
      if (!Number.isFinite(v) || v <= 0)
        throw new RangeError(`Cannot create resolver: ${what} ${v} is not positive`);
      return v;
    };
    this.#forwarders = [...(options.forwarders ?? [])];
    for (const f of this.#forwarders) checkSocketAddress(f, "forwarder");
    const hints = options.rootHints ?? ROOT_HINTS;
    if (hints.length === 0) throw new RangeError("Cannot create resolver: rootHints is empty");
    for (const hint of hints) {
      if (isIP(hint.address) === 0) {
        throw new TypeError(
          `Cannot create resolver: root hint address "${hint.address}" is not an IP address`,
        );
      }
      const name = canonicalName(absolute(hint.name));
      const list = this.#hintAddresses.get(name);
      if (list) list.push(hint.address);
      else this.#hintAddresses.set(name, [hint.address]);
    }
    this.#hintNames = [...this.#hintAddresses.keys()];
    this.#addressMap = options.addressMap ?? new Map();
    for (const address of this.#addressMap.values()) checkSocketAddress(address, "addressMap entry");
    this.#port = options.port ?? 53;
    if (!Number.isInteger(this.#port) || this.#port < 1 || this.#port > 65535) {
      throw new RangeError(`Cannot create resolver: port ${this.#port} is not in 1..65535`);
    }
    this.#timeoutMs = positive(options.timeoutMs, RESOLVER_LIMITS.queryTimeoutMs, "timeoutMs");
    this.#deadlineMs = positive(options.deadlineMs, RESOLVER_LIMITS.deadlineMs, "deadlineMs");
    this.#maxTtl = positive(options.maxTtl, RESOLVER_LIMITS.maxTtl, "maxTtl");
    this.#maxNegativeTtl = positive(options.maxNegativeTtl, RESOLVER_LIMITS.maxNegativeTtl, "maxNegativeTtl");
    this.#random = options.random ?? Math.random;
    this.#log = (options.logger ?? silentLogger).child({ component: "resolver" });
    this.#query = options.query ?? sendQuery;
    this.#cache = new RecordCache({
      maxEntries: positive(options.maxCacheEntries, RESOLVER_LIMITS.maxCacheEntries, "maxCacheEntries"),
      maxTtl: this.#maxTtl,
      maxNegativeTtl: this.#maxNegativeTtl,
      clock: options.clock ?? (() => performance.now()),
    });
  }

  /** Entries in the cache now. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** Forgets everything cached. */
  clearCache(): void {
    this.#cache.clear();
  }

  /**
   * Looks up the RRset of `type` (class IN) at `name`, following CNAMEs. `name` may omit
   * the final dot; its case is kept in the queries sent. Concurrent calls for the same
   * question share one lookup. Resolves with SERVFAIL when no server gives a usable answer
   * before the deadline; throws TypeError for a malformed name and RangeError for a type
   * that is not a record type (ANY, AXFR, OPT…).
   */
  resolve(name: string, type: number): Promise<ResolveResult> {
    const qname = checkName(name);
    if (!Number.isInteger(type) || type < 1 || type > 0xffff || META_TYPES.has(type)) {
      throw new RangeError(`Cannot resolve ${qname}: ${type} is not a record type`);
    }
    const key = `${canonicalName(qname)}/${type}`;
    let shared = this.#inflight.get(key);
    if (shared === undefined) {
      shared = this.#run(qname, type, key).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, shared);
    }
    return shared.then((result) => (result.name === qname ? result : { ...result, name: qname }));
  }

  /**
   * The mail exchangers of `domain` (RFC 5321 §5.1): its MX records by preference, equal
   * preferences in random order, each with the addresses of its host (A, then AAAA), the
   * first `RESOLVER_LIMITS.maxExchanges` of them; with no MX records, the implicit MX (the
   * domain itself, preference 0); with a single MX record whose exchange is "." (RFC 7505),
   * `null-mx`: the domain takes no mail. A domain that does not exist is `nxdomain` (a
   * permanent failure); a lookup that failed is `failed` (try later).
   */
  async resolveMx(domain: string): Promise<MxResult> {
    const mx = await this.resolve(domain, RRType.MX);
    if (mx.rcode === Rcode.NXDOMAIN) return { kind: "nxdomain" };
    if (mx.rcode !== Rcode.NOERROR) return { kind: "failed", reason: mx.reason ?? rcodeToText(mx.rcode) };
    const records = mx.answers.filter((r) => r.type === RRType.MX);
    if (records.length === 0) {
      // RFC 5321 §5.1: "If an empty list of MXs is returned, the address is treated as if it
      // was associated with an implicit MX RR, with a preference of 0, pointing to that host."
      const host = await this.#host(mx.finalName, 0);
      return { kind: "hosts", implicit: true, hosts: [host] };
    }
    const ordered = orderExchanges(records, this.#random);
    if (ordered === "null-mx") return { kind: "null-mx" };
    const hosts = await Promise.all(
      ordered.slice(0, RESOLVER_LIMITS.maxExchanges).map((r) => this.#host(r.exchange, r.preference)),
    );
    return { kind: "hosts", implicit: false, hosts };
  }

  /** The addresses of a mail host: A and AAAA looked up together. */
  async #host(exchange: string, preference: number): Promise<MxHost> {
    const [a, aaaa] = await Promise.all([
      this.resolve(exchange, RRType.A),
      this.resolve(exchange, RRType.AAAA),
    ]);
    const addresses: string[] = [];
    for (const result of [a, aaaa]) {
      for (const r of result.answers) {
        if (r.data.kind === "A" || r.data.kind === "AAAA") addresses.push(r.data.address);
      }
    }
    const failed = a.rcode === Rcode.SERVFAIL || aaaa.rcode === Rcode.SERVFAIL;
    const lookup = addresses.length > 0 ? "ok" : failed ? "failed" : "none";
    return { exchange, preference, addresses, lookup };
  }

  async #run(qname: string, type: number, key: string): Promise<ResolveResult> {
    const ctx: Context = {
      signal: AbortSignal.timeout(this.#deadlineMs),
      deadline: performance.now() + this.#deadlineMs,
      budget: { queries: 0 },
      depth: 0,
      stack: [key],
    };
    try {
      const result = await this.#walk(qname, type, ctx);
      if (result.rcode === Rcode.SERVFAIL) {
        this.#log.debug({ name: qname, type: typeToText(type), reason: result.reason }, "lookup failed");
      }
      return result;
    } catch (error) {
      // A bug, not a DNS failure: still an answer, so no caller hangs or crashes on it.
      this.#log.error({ err: error, name: qname }, "resolver error");
      return {
        rcode: Rcode.SERVFAIL,
        name: qname,
        type,
        answers: [],
        finalName: qname,
        reason: String(error),
      };
    }
  }

  /** Walks the CNAME chain from `qname`, from the cache where it can, else from upstream. */
  async #walk(qname: string, type: number, ctx: Context): Promise<ResolveResult> {
    const chain: ResourceRecord[] = [];
    const seen = new Set<string>();
    let current = qname;
    let fresh: ReadonlyMap<string, Step> = new Map();
    const fail = (reason: string): ResolveResult => ({
      rcode: Rcode.SERVFAIL,
      name: qname,
      type,
      answers: chain,
      finalName: current,
      reason,
    });
    for (;;) {
      const key = canonicalName(current);
      if (seen.has(key)) return fail(`CNAME loop at ${current}`);
      seen.add(key);
      let step = fresh.get(key) ?? this.#fromCache(current, type);
      if (step === undefined) {
        const fetched =
          this.#forwarders.length > 0
            ? await this.#forward(current, type, ctx)
            : await this.#iterate(current, type, ctx);
        if ("failure" in fetched) return fail(fetched.failure);
        fresh = fetched.steps;
        step = fresh.get(key);
        if (step === undefined) return fail(`no answer for ${current}`);
      }
      switch (step.kind) {
        case "answer":
          return {
            rcode: Rcode.NOERROR,
            name: qname,
            type,
            answers: [...chain, ...step.records.map((r) => this.#capped(r))],
            finalName: current,
          };
        case "nodata":
        case "nxdomain":
          return {
            rcode: step.kind === "nxdomain" ? Rcode.NXDOMAIN : Rcode.NOERROR,
            name: qname,
            type,
            answers: chain,
            finalName: current,
            ...(step.soa && { soa: this.#negativeSoa(step.soa) }),
          };
        case "cname": {
          if (step.record.data.kind !== "CNAME") return fail(`bad CNAME at ${current}`);
          if (chain.length >= RESOLVER_LIMITS.maxCnameChain)
            return fail(`CNAME chain longer than ${RESOLVER_LIMITS.maxCnameChain}`);
          chain.push(this.#capped(step.record));
          current = step.record.data.target;
          break;
        }
      }
    }
  }

  /** What the cache can answer for (name, type): the data, a negative answer, or a CNAME. */
  #fromCache(name: string, type: number): Step | undefined {
    const hit = this.#cache.get(name, type, Rank.answer);
    if (hit !== undefined) {
      return hit.kind === "rrset" ? { kind: "answer", records: hit.records } : hit;
    }
    if (type === RRType.CNAME) return undefined;
    const cname = this.#cache.getRRset(name, RRType.CNAME, Rank.answer)?.[0];
    return cname === undefined ? undefined : { kind: "cname", record: cname };
  }

  /** A record as handed out: TTL read per RFC 2181 §8 and capped. */
  #capped(record: ResourceRecord): ResourceRecord {
    const ttl = Math.min(effectiveTtl(record.ttl), this.#maxTtl);
    return ttl === record.ttl ? record : { ...record, ttl };
  }

  /** The SOA of a negative answer with the negative TTL (RFC 2308 §5), capped. */
  #negativeSoa(soa: ResourceRecord): ResourceRecord {
    const ttl = Math.min(negativeTtl(soa), this.#maxNegativeTtl);
    return ttl === soa.ttl ? soa : { ...soa, ttl };
  }

  /** Asks the forwarders in turn (RD set) until one gives a usable answer. */
  async #forward(name: string, type: number, ctx: Context): Promise<Fetched> {
    let reason = "no forwarder answered";
    let servers = this.#forwarders;
    for (let round = 0; round < RESOLVER_LIMITS.rounds && servers.length > 0; round++) {
      const again: SocketAddress[] = [];
      for (const server of servers) {
        const asked = await this.#ask(server, name, type, true, ctx);
        if ("error" in asked) {
          reason = asked.error;
          if (asked.timedOut) again.push(server);
          continue;
        }
        // A forwarder speaks for the whole tree: its bailiwick is the root.
        const verdict = judgeResponse(asked.message, name, type, {
          zone: ".",
          referrals: false,
          maxChain: RESOLVER_LIMITS.maxCnameChain,
        });
        if (verdict.kind === "final") {
          this.#store(verdict.steps, type, asked.message.flags.aa ? Rank.authoritative : Rank.answer);
          return { steps: verdict.steps };
        }
        reason = `${serverText(server)}: ${verdict.kind === "unusable" ? verdict.reason : "referral"}`;
      }
      servers = again;
    }
    return { failure: reason };
  }

  /** Iterates from the closest known zone cut down to an answer (RFC 1034 §5.3.3). */
  async #iterate(name: string, type: number, ctx: Context): Promise<Fetched> {
    // DS lives on the parent side of a zone cut (RFC 4035 §3.1.4.1): start above the name.
    let cut = this.#closestCut(type === RRType.DS && name !== "." ? parentName(name) : name);
    for (let hops = 0; hops <= RESOLVER_LIMITS.maxReferrals; hops++) {
      const outcome = await this.#askCut(cut, name, type, ctx);
      if (!("referral" in outcome)) return outcome;
      cut = outcome.referral;
    }
    return { failure: `more than ${RESOLVER_LIMITS.maxReferrals} referrals for ${name}` };
  }

  /**
   * The deepest zone cut at or above `name` whose servers are cached, else the root with the
   * hints (which are not refreshed by priming, RFC 8109: the hints are the root servers).
   */
  #closestCut(name: string): Cut {
    for (let zone = canonicalName(name); zone !== "."; zone = parentName(zone)) {
      const ns = this.#cache.getRRset(zone, RRType.NS, Rank.glue);
      if (ns !== undefined && ns.length > 0) {
        return { zone: ns[0]!.name, servers: nsTargets(ns), addresses: NO_ADDRESSES };
      }
    }
    return { zone: ".", servers: this.#hintNames, addresses: this.#hintAddresses };
  }

  /**
   * Asks the servers of `cut`: first those whose addresses are known (glue, cache, hints),
   * IPv4 first; then, one by one, those that came without glue, after looking up their
   * addresses (RFC 1034 §5.3.3 step 4), unless that would nest too deep.
   */
  async #askCut(cut: Cut, name: string, type: number, ctx: Context): Promise<CutOutcome> {
    const known: string[] = [];
    const glueless: string[] = [];
    for (const server of this.#shuffled(cut.servers)) {
      const addresses = cut.addresses.get(canonicalName(server)) ?? this.#knownAddresses(server);
      if (addresses.length > 0) known.push(...addresses);
      else glueless.push(server);
    }
    known.sort((a, b) => (isIP(a) === isIP(b) ? 0 : isIP(a) === 4 ? -1 : 1));
    const tried = new Set<string>();
    let outcome = await this.#tryServers(known, tried, cut, name, type, ctx);
    if (!("reason" in outcome)) return outcome;
    let reason = known.length > 0 ? outcome.reason : `no address for the name servers of ${cut.zone}`;
    for (const server of glueless) {
      if (expired(ctx) || ctx.budget.queries >= RESOLVER_LIMITS.maxQueries) break;
      // A server named inside the zone it serves, without glue, can only be found by asking
      // that zone: the delegation is lame.
      if (isSubdomain(server, cut.zone)) continue;
      if (ctx.depth >= RESOLVER_LIMITS.maxDepth) {
        reason = `name servers of ${cut.zone} nested deeper than ${RESOLVER_LIMITS.maxDepth}`;
        break;
      }
      const addresses = await this.#serverAddresses(server, ctx);
      if (addresses.length === 0) {
        reason = `no address for ${server}, name server of ${cut.zone}`;
        continue;
      }
      outcome = await this.#tryServers(addresses, tried, cut, name, type, ctx);
      if (!("reason" in outcome)) return outcome;
      reason = outcome.reason;
    }
    return { failure: reason };
  }

  /** Asks each address in turn; a second round goes to those that timed out. */
  async #tryServers(
    addresses: readonly string[],
    tried: Set<string>,
    cut: Cut,
    name: string,
    type: number,
    ctx: Context,
  ): Promise<CutOutcome | { reason: string }> {
    let reason = "no server answered";
    let list = addresses.filter((a) => !tried.has(a));
    for (const a of list) tried.add(a);
    for (let round = 0; round < RESOLVER_LIMITS.rounds && list.length > 0; round++) {
      const again: string[] = [];
      for (const address of list) {
        const server = this.#addressMap.get(address) ?? {
          host: address,
          port: this.#port,
          family: isIP(address) as 4 | 6,
        };
        const asked = await this.#ask(server, name, type, false, ctx);
        if ("error" in asked) {
          reason = asked.error;
          if (asked.timedOut) again.push(address);
          continue;
        }
        const verdict = judgeResponse(asked.message, name, type, {
          zone: cut.zone,
          referrals: true,
          maxChain: RESOLVER_LIMITS.maxCnameChain,
        });
        switch (verdict.kind) {
          case "final":
            this.#store(verdict.steps, type, asked.message.flags.aa ? Rank.authoritative : Rank.answer);
            return { steps: verdict.steps };
          case "referral":
            this.#cache.putRRset(verdict.ns, Rank.referral);
            for (const rrset of groupRRsets(verdict.glue)) this.#cache.putRRset(rrset, Rank.glue);
            return {
              referral: {
                zone: verdict.zone,
                servers: nsTargets(verdict.ns),
                addresses: addressesOf(verdict.glue),
              },
            };
          case "unusable":
            reason = `${serverText(server)} (for ${cut.zone}): ${verdict.reason}`;
            break;
        }
      }
      list = again;
    }
    return { reason };
  }

  /** Addresses of a name server known without asking: cached, glue included. */
  #knownAddresses(server: string): string[] {
    const addresses: string[] = [];
    for (const type of [RRType.A, RRType.AAAA]) {
      for (const r of this.#cache.getRRset(server, type, Rank.glue) ?? []) {
        if (r.data.kind === "A" || r.data.kind === "AAAA") addresses.push(r.data.address);
      }
    }
    return addresses;
  }

  /** Looks up a glue-less name server's addresses (A, else AAAA) as a nested lookup. */
  async #serverAddresses(server: string, ctx: Context): Promise<string[]> {
    for (const type of [RRType.A, RRType.AAAA]) {
      const key = `${canonicalName(server)}/${type}`;
      if (ctx.stack.includes(key)) return []; // we are inside that very lookup: a loop
      const nested: Context = { ...ctx, depth: ctx.depth + 1, stack: [...ctx.stack, key] };
      const result = await this.#walk(server, type, nested);
      const addresses = result.answers.flatMap((r) =>
        r.data.kind === "A" || r.data.kind === "AAAA" ? [r.data.address] : [],
      );
      if (addresses.length > 0) return addresses;
    }
    return [];
  }

  /**
   * Sends one query, within the deadline and the query budget. A server that answers an
   * EDNS query with FORMERR or NOTIMP and no OPT record does not know EDNS (RFC 6891 §7):
   * it is asked again without, and remembered.
   */
  async #ask(server: SocketAddress, name: string, type: number, rd: boolean, ctx: Context): Promise<Asked> {
    const id = serverText(server);
    let edns = !this.#noEdns.has(id);
    for (;;) {
      const left = ctx.deadline - performance.now();
      if (expired(ctx)) return { error: `deadline of ${this.#deadlineMs} ms passed`, timedOut: false };
      if (ctx.budget.queries >= RESOLVER_LIMITS.maxQueries) {
        return { error: `more than ${RESOLVER_LIMITS.maxQueries} queries`, timedOut: false };
      }
      ctx.budget.queries++;
      let result: QueryResult;
      try {
        result = await this.#query(server, queryMessage(name, type, { rd, edns: edns ? {} : false }), {
          transport: "auto",
          timeoutMs: Math.max(1, Math.min(this.#timeoutMs, left)),
          retries: 0,
          signal: ctx.signal,
        });
      } catch (error) {
        const message = expired(ctx) ? `deadline of ${this.#deadlineMs} ms passed` : (error as Error).message;
        this.#log.debug({ server: id, name, type: typeToText(type), err: message }, "query failed");
        return { error: message, timedOut: error instanceof TimeoutError };
      }
      const response = result.message;
      this.#log.debug(
        {
          server: id,
          name,
          type: typeToText(type),
          rcode: rcodeToText(response.rcode),
          ms: Math.round(result.timeMs),
        },
        "query answered",
      );
      if (
        edns &&
        response.edns === undefined &&
        (response.rcode === Rcode.FORMERR || response.rcode === Rcode.NOTIMP)
      ) {
        if (this.#noEdns.size >= MAX_NO_EDNS) this.#noEdns.clear();
        this.#noEdns.add(id);
        edns = false;
        continue;
      }
      return { message: response };
    }
  }

  /** Caches what a response established. */
  #store(steps: ReadonlyMap<string, Step>, type: number, rank: Rank): void {
    for (const [name, step] of steps) {
      switch (step.kind) {
        case "answer":
          this.#cache.putRRset(step.records, rank);
          break;
        case "cname":
          this.#cache.putRRset([step.record], rank);
          break;
        case "nxdomain":
          this.#cache.putNegative(name, "nxdomain", step.soa, rank);
          break;
        case "nodata":
          this.#cache.putNegative(name, type, step.soa, rank);
          break;
      }
    }
  }

  /** A copy of `items` in random order (Fisher–Yates), so load spreads over the servers. */
  #shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** Whether the lookup's time is up. */
function expired(ctx: Context): boolean {
  return ctx.signal.aborted || performance.now() >= ctx.deadline;
}

/** The target names of an NS RRset. */
function nsTargets(ns: readonly ResourceRecord[]): string[] {
  return ns.flatMap((r) => (r.data.kind === "NS" ? [r.data.target] : []));
}

/** The addresses in A/AAAA records, by canonical owner name. */
function addressesOf(records: readonly ResourceRecord[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const r of records) {
    if (r.data.kind !== "A" && r.data.kind !== "AAAA") continue;
    const owner = canonicalName(r.name);
    const list = map.get(owner);
    if (list) list.push(r.data.address);
    else map.set(owner, [r.data.address]);
  }
  return map;
}

/** Records split into RRsets (same owner, ignoring case, and type). */
function groupRRsets(records: readonly ResourceRecord[]): ResourceRecord[][] {
  const sets = new Map<string, ResourceRecord[]>();
  for (const r of records) {
    const key = `${canonicalName(r.name)}/${r.type}`;
    const set = sets.get(key);
    if (set) set.push(r);
    else sets.set(key, [r]);
  }
  return [...sets.values()];
}

function absolute(name: string): string {
  return isAbsoluteName(name) ? name : `${name}.`;
}

/** `name` made absolute and validated; TypeError if it is not a domain name. */
function checkName(name: string): string {
  if (name.length === 0) throw new TypeError("Cannot resolve: the name is empty");
  const qname = isAbsoluteName(name) ? name : `${name}.`;
  nameToWire(qname); // throws TypeError for a malformed name
  return normalizeName(qname);
}

function checkSocketAddress(address: SocketAddress, what: string): void {
  if (isIP(address.host) === 0)
    throw new TypeError(`Cannot create resolver: ${what} "${address.host}" is not an IP address`);
  if (!Number.isInteger(address.port) || address.port < 1 || address.port > 65535) {
    throw new RangeError(`Cannot create resolver: ${what} port ${address.port} is not in 1..65535`);
  }
}
