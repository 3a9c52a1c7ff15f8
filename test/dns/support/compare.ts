/**
 * Compares two DNS responses to the same query the way the differential tests need: header
 * flags and rcode exactly, sections as multisets of records in presentation form, EDNS by
 * its meaning. Returns the differences as readable lines (empty: the same).
 */

import { canonicalName } from "../../../src/dns/name.js";
import type { Message, ResourceRecord } from "../../../src/dns/types.js";
import { rcodeToText, recordToText } from "../../../src/dns/zone/index.js";

/** Which sections to compare besides the header and the answer. */
export interface CompareOptions {
  /** Compare the authority and additional sections (default true). */
  readonly authority?: boolean;
}

/**
 * A record as one line of presentation form with single spaces. The owner is lowercased
 * unless it is the question name (which both servers must echo in the case it was asked).
 */
export function recordLine(rr: ResourceRecord, qname: string | undefined): string {
  const text = recordToText(rr).replace(/\s+/g, " ");
  const keepCase = qname !== undefined && canonicalName(rr.name) === canonicalName(qname);
  return keepCase ? text : canonicalName(rr.name) + text.slice(rr.name.length);
}

function sectionDiff(
  label: string,
  a: readonly ResourceRecord[],
  b: readonly ResourceRecord[],
  qname: string | undefined,
  names: readonly [string, string],
): string[] {
  const left = a.map((rr) => recordLine(rr, qname)).sort();
  const right = b.map((rr) => recordLine(rr, qname)).sort();
  const remaining = new Map<string, number>();
  for (const line of right) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  const onlyLeft: string[] = [];
  for (const line of left) {
    const n = remaining.get(line) ?? 0;
    if (n > 0) remaining.set(line, n - 1);
    else onlyLeft.push(line);
  }
  const onlyRight: string[] = [];
  for (const [line, n] of remaining) for (let i = 0; i < n; i++) onlyRight.push(line);
  if (onlyLeft.length === 0 && onlyRight.length === 0) return [];
  return [
    `${label}:`,
    ...onlyLeft.map((line) => `  - ${names[0]}: ${line}`),
    ...onlyRight.map((line) => `  + ${names[1]}: ${line}`),
  ];
}

/**
 * Header flags but CD: RFC 4035 §3.1.6 says a name server MUST copy CD from the query, and
 * Portico does; NSD clears it (it keeps only RD). CD matters only to validating resolvers.
 */
function flagText(m: Message): string {
  const f = m.flags;
  return (["qr", "aa", "tc", "rd", "ra", "z", "ad"] as const).filter((k) => f[k]).join(" ") || "-";
}

function ednsText(m: Message): string {
  const e = m.edns;
  if (e === undefined) return "none";
  const options = e.options.map((o) => ` option ${o.code}:${Buffer.from(o.data).toString("hex") || "-"}`);
  return `udp=${e.udpPayloadSize} version=${e.version}${e.dnssecOk ? " do" : ""}${options.join("")}`;
}

/**
 * The differences between `a` (named `names[0]`) and `b` (`names[1]`), one line each, or an
 * empty array when the responses are the same for the test's purposes.
 */
export function diffResponses(
  a: Message,
  b: Message,
  names: readonly [string, string],
  options: CompareOptions = {},
): string[] {
  const out: string[] = [];
  const qname = a.questions[0]?.name ?? b.questions[0]?.name;
  const field = (label: string, x: string, y: string): void => {
    if (x !== y) out.push(`${label}: ${names[0]} ${x}, ${names[1]} ${y}`);
  };
  field("id", String(a.id), String(b.id));
  field("opcode", String(a.opcode), String(b.opcode));
  field("rcode", rcodeToText(a.rcode), rcodeToText(b.rcode));
  field("flags", flagText(a), flagText(b));
  field(
    "question",
    a.questions.map((q) => `${q.name} ${q.class} ${q.type}`).join(", ") || "none",
    b.questions.map((q) => `${q.name} ${q.class} ${q.type}`).join(", ") || "none",
  );
  field("edns", ednsText(a), ednsText(b));
  out.push(...sectionDiff("answer", a.answers, b.answers, qname, names));
  if (options.authority ?? true) {
    out.push(...sectionDiff("authority", a.authority, b.authority, qname, names));
    out.push(...sectionDiff("additional", a.additional, b.additional, qname, names));
  }
  return out;
}
