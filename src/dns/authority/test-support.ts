/**
 * Helpers for this folder's tests: records written as short master-file-like lines
 * ("www 300 A 192.0.2.1"), and records printed back the same way for assertions. Only the
 * types the tests use; not a zone-file parser.
 */

import { joinName } from "../name.js";
import { RRClass, RRType } from "../types.js";
import type { Question, RData, ResourceRecord } from "../types.js";
import { Zone } from "./zone.js";

const TYPE_NAMES = new Map<number, string>(Object.entries(RRType).map(([k, v]) => [v, k]));

function typeNumber(name: string): number {
  const n = (RRType as Record<string, number | undefined>)[name];
  if (n !== undefined) return n;
  const m = /^TYPE(\d+)$/.exec(name);
  if (m !== null) return Number(m[1]);
  throw new TypeError(`unknown type ${name}`);
}

function rdata(type: string, fields: string[], origin: string): RData {
  const name = (s: string | undefined): string => joinName(s!, origin);
  switch (type) {
    case "A":
    case "AAAA":
      return { kind: type, address: fields[0]! };
    case "NS":
    case "CNAME":
    case "PTR":
    case "DNAME":
      return { kind: type, target: name(fields[0]) };
    case "MX":
      return { kind: "MX", preference: Number(fields[0]), exchange: name(fields[1]) };
    case "SRV":
      return {
        kind: "SRV",
        priority: Number(fields[0]),
        weight: Number(fields[1]),
        port: Number(fields[2]),
        target: name(fields[3]),
      };
    case "SOA":
      return {
        kind: "SOA",
        mname: name(fields[0]),
        rname: name(fields[1]),
        serial: Number(fields[2]),
        refresh: Number(fields[3]),
        retry: Number(fields[4]),
        expire: Number(fields[5]),
        minimum: Number(fields[6]),
      };
    case "TXT":
      return { kind: "TXT", strings: [new TextEncoder().encode(fields.join(" ").replace(/^"|"$/g, ""))] };
    default:
      // Anything else (DS, NSEC3, RRSIG, HINFO...): the text as opaque bytes, enough to compare.
      return { kind: "opaque", data: new TextEncoder().encode(fields.join(" ")) };
  }
}

/**
 * One record from "owner [ttl] TYPE rdata…"; owner and names in rdata are relative to
 * `origin` unless absolute ("@" is the origin). TTL defaults to 3600.
 */
export function rr(line: string, origin = "example."): ResourceRecord {
  const parts = line.trim().split(/\s+/);
  const owner = joinName(parts.shift()!, origin);
  let ttl = 3600;
  if (/^\d+$/.test(parts[0]!)) ttl = Number(parts.shift());
  const type = parts.shift()!;
  return { name: owner, type: typeNumber(type), class: RRClass.IN, ttl, data: rdata(type, parts, origin) };
}

/** A zone from lines (see `rr()`); a SOA is added first unless the lines have one. */
export function zone(origin: string, lines: readonly string[]): Zone {
  const records = lines.map((l) => rr(l, origin));
  if (!records.some((r) => r.type === RRType.SOA)) {
    records.unshift(rr("@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300", origin));
  }
  return new Zone({ origin, records });
}

/** A question; class IN unless given. */
export function question(name: string, type: string, klass: number = RRClass.IN): Question {
  return { name, type: typeNumber(type), class: klass };
}

/** A record as "owner ttl TYPE rdata" (class left out unless not IN). */
export function show(r: ResourceRecord): string {
  const type = TYPE_NAMES.get(r.type) ?? `TYPE${r.type}`;
  const klass = r.class === RRClass.IN ? "" : r.class === RRClass.CH ? " CH" : ` CLASS${r.class}`;
  const d = r.data;
  let text: string;
  switch (d.kind) {
    case "A":
    case "AAAA":
      text = d.address;
      break;
    case "NS":
    case "CNAME":
    case "PTR":
    case "DNAME":
      text = d.target;
      break;
    case "MX":
      text = `${d.preference} ${d.exchange}`;
      break;
    case "SRV":
      text = `${d.priority} ${d.weight} ${d.port} ${d.target}`;
      break;
    case "SOA":
      text = `${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
      break;
    case "TXT":
      text = d.strings.map((s) => JSON.stringify(new TextDecoder().decode(s))).join(" ");
      break;
    case "opaque":
      text = new TextDecoder().decode(d.data);
      break;
    default:
      text = "?";
  }
  return `${r.name} ${r.ttl}${klass} ${type} ${text}`;
}

/** `show()` over a section. */
export function shows(records: readonly ResourceRecord[]): string[] {
  return records.map(show);
}
