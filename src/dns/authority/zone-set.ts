/**
 * The zones a server is authoritative for, found by longest matching origin.
 */

import { canonicalName, labelCount, parentName } from "../name.js";
import type { Zone } from "./zone.js";

/**
 * A set of zones keyed by origin. `set()` replaces a zone in one step, so a reload is
 * atomic for the (synchronous) answering code: a query sees the old zone or the new one.
 */
export class ZoneSet {
  readonly #zones = new Map<string, Zone>();
  /** Label count of the deepest origin: a lookup starts no deeper than this. */
  #maxLabels = 0;

  constructor(zones: Iterable<Zone> = []) {
    for (const zone of zones) this.set(zone);
  }

  /** Number of zones. */
  get size(): number {
    return this.#zones.size;
  }

  /** The zones, in the order they were first added. */
  [Symbol.iterator](): IterableIterator<Zone> {
    return this.#zones.values();
  }

  /** The zone whose origin is `origin` exactly, or undefined. */
  get(origin: string): Zone | undefined {
    return this.#zones.get(canonicalName(origin));
  }

  /** Adds `zone`, replacing the zone with the same origin; returns the replaced zone. */
  set(zone: Zone): Zone | undefined {
    const key = zone.canonicalOrigin;
    const previous = this.#zones.get(key);
    this.#zones.set(key, zone);
    this.#maxLabels = Math.max(this.#maxLabels, labelCount(key));
    return previous;
  }

  /** Removes the zone with origin `origin`; returns whether there was one. */
  delete(origin: string): boolean {
    const deleted = this.#zones.delete(canonicalName(origin));
    if (deleted) {
      this.#maxLabels = 0;
      for (const key of this.#zones.keys()) this.#maxLabels = Math.max(this.#maxLabels, labelCount(key));
    }
    return deleted;
  }

  /** The zone that contains `name`: the one with the longest origin at or above it. */
  find(name: string): Zone | undefined {
    return this.findCanonical(canonicalName(name));
  }

  /** `find()` for a name already in canonical form (`canonicalName()`), as the hot path has it. */
  findCanonical(canon: string): Zone | undefined {
    if (this.#zones.size === 0) return undefined;
    let name = canon;
    let labels = labelCount(name);
    for (; labels > this.#maxLabels; labels--) name = parentName(name);
    for (;;) {
      const zone = this.#zones.get(name);
      if (zone !== undefined) return zone;
      if (labels === 0) return undefined;
      name = parentName(name);
      labels--;
    }
  }

  /**
   * The zone that contains the parent side of `zone`'s apex (where its delegation and DS
   * records live), or undefined if this set has none.
   */
  parentOf(zone: Zone): Zone | undefined {
    const origin = zone.canonicalOrigin;
    return origin.length === 1 ? undefined : this.findCanonical(parentName(origin));
  }
}
