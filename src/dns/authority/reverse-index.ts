/**
 * Reverse lookups synthesized from forward data: which names of the served zones own an A or
 * AAAA record with a given address, keyed by the address's reverse name (RFC 1035 §3.5
 * in-addr.arpa., RFC 3596 §2.5 ip6.arpa.). `answer()` uses it to answer PTR queries that no
 * zone holds data for (see `PtrSynthesisOptions` there).
 */

import { parseIPv4, parseIPv6 } from "../codec/ip.js";
import { canonicalName } from "../name.js";
import { RRClass, RRType } from "../types.js";
import type { ResourceRecord } from "../types.js";
import type { Node } from "./node.js";
import type { Zone } from "./zone.js";

const HEX = "0123456789abcdef";
const scratch = new Uint8Array(16);

/**
 * The reverse name of an IPv4 or IPv6 address in text form ("192.0.2.1" →
 * "1.2.0.192.in-addr.arpa.", "2001:db8::1" → "1.0.0.0…8.b.d.0.1.0.0.2.ip6.arpa."),
 * canonical. Throws TypeError if `address` is neither.
 */
export function reverseName(address: string): string {
  if (address.includes(":")) {
    parseIPv6(address, scratch, 0);
    let name = "";
    for (let i = 15; i >= 0; i--) {
      const b = scratch[i]!;
      name += `${HEX[b & 0xf]!}.${HEX[b >> 4]!}.`;
    }
    return `${name}ip6.arpa.`;
  }
  parseIPv4(address, scratch, 0);
  return `${scratch[3]!}.${scratch[2]!}.${scratch[1]!}.${scratch[0]!}.in-addr.arpa.`;
}

/** Whether a node's owner is a wildcard ("*.…"), which names no host. */
function isWildcardOwner(canon: string): boolean {
  return canon.charCodeAt(0) === 0x2a && canon.charCodeAt(1) === 0x2e;
}

/**
 * Reverse name → the A/AAAA records with that address, from the authoritative data of the
 * given zones (glue and wildcards are left out: they name no host of ours). Build a new
 * index when the zones change.
 */
export class ReverseIndex {
  /** One record, or several when more than one name has the address (most have one). */
  readonly #map = new Map<string, ResourceRecord | ResourceRecord[]>();

  constructor(zones: Iterable<Zone>) {
    for (const zone of zones) {
      for (const [canon, node] of zone.authoritativeNodes()) {
        if (node.length === 0 || isWildcardOwner(canon)) continue;
        this.#addNode(node);
      }
    }
  }

  #addNode(node: Node): void {
    for (const rr of node) {
      if (rr.type !== RRType.A && rr.type !== RRType.AAAA) continue;
      if (rr.data.kind !== "A" && rr.data.kind !== "AAAA") continue;
      let key: string;
      try {
        key = reverseName(rr.data.address);
      } catch {
        continue; // not an address the codec could send either
      }
      const existing = this.#map.get(key);
      if (existing === undefined) this.#map.set(key, rr);
      else if (Array.isArray(existing)) existing.push(rr);
      else this.#map.set(key, [existing, rr]);
    }
  }

  /** Number of distinct addresses. */
  get size(): number {
    return this.#map.size;
  }

  /** The address records whose reverse name is `name`, or undefined. */
  lookup(name: string): readonly ResourceRecord[] | undefined {
    const found = this.#map.get(canonicalName(name));
    if (found === undefined) return undefined;
    return Array.isArray(found) ? found : [found];
  }

  /**
   * PTR records owned by `name` (as given) pointing at the names with that address, each
   * with the TTL of its address record; undefined if the address is unknown.
   */
  ptrRecords(name: string): ResourceRecord[] | undefined {
    const found = this.lookup(name);
    if (found === undefined) return undefined;
    return found.map((rr) => ({
      name,
      type: RRType.PTR,
      class: RRClass.IN,
      ttl: rr.ttl,
      data: { kind: "PTR", target: rr.name },
    }));
  }
}
