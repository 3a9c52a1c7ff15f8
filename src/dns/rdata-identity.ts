/**
 * When two records' data are the same record (RFC 2181 §5: duplicates within an RRset mean
 * nothing): names compared without ASCII case, everything else byte for byte. One rule for
 * the zone parser (merging duplicates as named-checkzone does) and the answering engine's
 * zone index (as NSD does).
 */

import { canonicalName, namesEqual } from "./name.js";
import type { RData } from "./types.js";

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
