/**
 * The per-name storage of a zone, kept as small as a name's data allows: a node is the plain
 * array of the name's records, grouped so that each RRset is one contiguous run, the runs in
 * the order their types first appeared in the zone (NSD keeps the same order, and it decides
 * which RRset an ANY query gets). An RRset is named by its node and the index of its first
 * record; that first record object is also its identity when a response is deduplicated.
 *
 * An empty non-terminal is the shared `EMPTY_NODE`. Internal to `authority/`.
 */

import type { ResourceRecord } from "../types.js";

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
