/**
 * The records of a zone transfer (RFC 5936).
 */

import { nameToLabels } from "../name.js";
import { RRType } from "../types.js";
import type { ResourceRecord } from "../types.js";
import type { Zone } from "./zone.js";

/**
 * A key whose plain string order is the canonical order of names (RFC 4034 §6.1): labels
 * from the root down, each compared as octets with shorter first. Each octet b becomes
 * the code unit b + 1 and labels are joined by U+0000, which sorts below every octet.
 * `canon` is already lowercase.
 */
function canonicalSortKey(canon: string): string {
  const labels = nameToLabels(canon);
  let key = "";
  for (let i = labels.length - 1; i >= 0; i--) {
    if (i !== labels.length - 1) key += "\0";
    for (const b of labels[i]!) key += String.fromCharCode(b + 1);
  }
  return key;
}

/** Names of each zone in canonical order, computed on the first transfer. */
const orderCache = new WeakMap<Zone, readonly string[]>();

function namesInOrder(zone: Zone): readonly string[] {
  let names = orderCache.get(zone);
  if (names === undefined) {
    const keyed: [string, string][] = [];
    for (const [canon, node] of zone.allNodes()) {
      if (node.length !== 0) keyed.push([canonicalSortKey(canon), canon]);
    }
    keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    names = keyed.map((k) => k[1]);
    orderCache.set(zone, names);
  }
  return names;
}

/**
 * Every record of `zone` in transfer order (RFC 5936 §2.2): the SOA first and last, and
 * between them all other records, glue and occluded data included, names in canonical
 * order (RFC 4034 §6.1) and at each name the RRsets in zone-file order, as NSD sends them.
 */
export function axfrRecords(zone: Zone): ResourceRecord[] {
  const out: ResourceRecord[] = [zone.soa];
  for (const canon of namesInOrder(zone)) {
    for (const rr of zone.dataNode(canon)!) {
      if (rr.type !== RRType.SOA) out.push(rr);
    }
  }
  out.push(zone.soa);
  return out;
}
