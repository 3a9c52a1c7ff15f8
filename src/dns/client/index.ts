/**
 * The DNS client: one query to one server over UDP or TCP, with the spoofing defences of
 * RFC 5452 (random source port and id, strict response matching). Used by the resolver,
 * `portico dig` and the MTA.
 */
export { query } from "./query.js";
export type { QueryOptions, QueryResult, QueryTransport } from "./query.js";
export { queryMessage } from "./message.js";
export type { QueryMessageOptions } from "./message.js";
export { QueryError, serverText } from "./errors.js";
export { DNS_CLIENT_LIMITS } from "./limits.js";
