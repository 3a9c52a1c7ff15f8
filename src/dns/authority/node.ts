/**
 * The per-name storage of a zone, kept as small as a name's data allows: a node is the plain
 * array of the name's records, grouped so that each RRset is one contiguous run, the runs in
 * the order their types first appeared in the zone (NSD keeps the same order, and it decides
 * which RRset an ANY query gets). An RRset is named by its node and the index of its first
 * record; that first record object is also its identity when a response is deduplicated.
 *
 * An empty non-terminal is the shared `EMPTY_NODE`. Internal to `authority/`.
 */

import { canonicalName, namesEqual } from "../name.js";
import type { RData, ResourceRecord } from "../types.js";

/** One name's records, each RRset a contiguous run (see the module comment). */
export type Node = readonly ResourceRecord[];

/** The node of an empty non-terminal (RFC 4592 §2.2.2): it exists, and owns nothing. */
export const EMPTY_NODE: Node = Object.freeze([]);

/** Index of the first record of type `type` in `node`, or -1. */
export function findRRset(node: Node, type: number): number {
  for (let i = 0; i < node.length; i++) {
    if (node[i]!.type === type) return i;
  }
  return -1;
}

/** Index just past the RRset that starts at `start`. */
export function rrsetEnd(node: Node, start: number): number {
  const type = node[start]!.type;
  let end = start + 1;
  while (end < node.length && node[end]!.type === type) end++;
  return end;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether two RDATA are the same, with names compared ignoring ASCII case (NSD compares the
 * domain names in RDATA as name-table entries, which are case-insensitive; RFC 2181 §5
 * makes duplicates within an RRset meaningless).
 */
export function rdataEqual(a: RData, b: RData): boolean {
  switch (a.kind) {
    case "A":
    case "AAAA":
      return b.kind === a.kind && a.address === b.address;
    case "NS":
    case "CNAME":
    case "PTR":
    case "DNAME":
      return b.kind === a.kind && namesEqual(a.target, b.target);
    case "MX":
      return b.kind === "MX" && a.preference === b.preference && namesEqual(a.exchange, b.exchange);
    case "SOA":
      return (
        b.kind === "SOA" &&
        a.serial === b.serial &&
        a.refresh === b.refresh &&
        a.retry === b.retry &&
        a.expire === b.expire &&
        a.minimum === b.minimum &&
        namesEqual(a.mname, b.mname) &&
        namesEqual(a.rname, b.rname)
      );
    case "TXT":
      return (
        b.kind === "TXT" &&
        a.strings.length === b.strings.length &&
        a.strings.every((s, i) => bytesEqual(s, b.strings[i]!))
      );
    case "SRV":
      return (
        b.kind === "SRV" &&
        a.priority === b.priority &&
        a.weight === b.weight &&
        a.port === b.port &&
        namesEqual(a.target, b.target)
      );
    case "CAA":
      return b.kind === "CAA" && a.flags === b.flags && a.tag === b.tag && bytesEqual(a.value, b.value);
    case "NAPTR":
      return (
        b.kind === "NAPTR" &&
        a.order === b.order &&
        a.preference === b.preference &&
        bytesEqual(a.flags, b.flags) &&
        bytesEqual(a.services, b.services) &&
        bytesEqual(a.regexp, b.regexp) &&
        namesEqual(a.replacement, b.replacement)
      );
    case "opaque":
      return b.kind === "opaque" && bytesEqual(a.data, b.data);
  }
}

function bytesKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/**
 * A string that is equal for two RDATA exactly when `rdataEqual()` holds; used to find
 * duplicates in large RRsets without comparing every pair.
 */
export function rdataKey(d: RData): string {
  switch (d.kind) {
    case "A":
    case "AAAA":
      return `${d.kind} ${d.address}`;
    case "NS":
    case "CNAME":
    case "PTR":
    case "DNAME":
      return `${d.kind} ${canonicalName(d.target)}`;
    case "MX":
      return `MX ${d.preference} ${canonicalName(d.exchange)}`;
    case "SOA":
      return `SOA ${canonicalName(d.mname)} ${canonicalName(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case "TXT":
      return `TXT ${d.strings.map((s) => JSON.stringify(bytesKey(s))).join(" ")}`;
    case "SRV":
      return `SRV ${d.priority} ${d.weight} ${d.port} ${canonicalName(d.target)}`;
    case "CAA":
      return `CAA ${d.flags} ${JSON.stringify(d.tag)} ${JSON.stringify(bytesKey(d.value))}`;
    case "NAPTR":
      return `NAPTR ${d.order} ${d.preference} ${JSON.stringify([bytesKey(d.flags), bytesKey(d.services), bytesKey(d.regexp)])} ${canonicalName(d.replacement)}`;
    case "opaque":
      return `opaque ${JSON.stringify(bytesKey(d.data))}`;
  }
}
