/**
 * The caching DNS resolver: iterative from the root hints or through forwarders, with
 * RFC 2181 bailiwick checks, RFC 2308 negative caching and RFC 5321 §5.1 MX ordering. Used
 * by the MTA and by the DNS server when `recursion = true`.
 */
export { Resolver } from "./resolver.js";
export type { QueryFunction, ResolveResult, ResolverOptions } from "./resolver.js";
export type { MxHost, MxResult } from "./mx.js";
export { orderExchanges } from "./mx.js";
export { ROOT_HINTS } from "./root-hints.js";
export type { RootHint } from "./root-hints.js";
export { parseResolvConf } from "./resolv-conf.js";
export { RecordCache, Rank } from "./cache.js";
export type { CacheHit, RecordCacheOptions } from "./cache.js";
export { judgeResponse } from "./response.js";
export type { JudgeOptions, Step, Verdict } from "./response.js";
export { RESOLVER_LIMITS } from "./limits.js";
