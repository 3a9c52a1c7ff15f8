import { encodeResponse } from "../codec/index.js";
import { namesEqual } from "../name.js";
import type { Message, ResourceRecord } from "../types.js";

/** Where an RRset sits, in the order NSD fills a response (its rr_section_type). */
const ANSWER = 0;
const AUTHORITY = 1;
const OPTIONAL_AUTHORITY = 2;
const ADDITIONAL_FIRST = 3;
const ADDITIONAL_SECOND = 4;

/** One RRset of a response, tagged with its section. */
interface Group {
  readonly section: number;
  readonly records: readonly ResourceRecord[];
}

/** Which records of a response are optional, and how the additional section is split. */
export interface ResponseLayout {
  /** The last this many records of `authority` are optional (the zone's NS RRset). */
  readonly optionalAuthority: number;
  /** The first this many records of `additional` are its first part (the A records). */
  readonly additionalSplit: number;
}

const NO_LAYOUT: ResponseLayout = { optionalAuthority: 0, additionalSplit: 0 };

/**
 * Encodes `response` in at most `maxSize` bytes, choosing what to leave out as NSD does
 * (RFC 2181 §9: whole RRsets only), so the two servers truncate alike:
 * - RRsets are added in order: answer, authority, the optional authority (the last
 *   `layout.optionalAuthority` records of `authority`: the zone's NS RRset of a positive
 *   answer), then the two parts of the additional data (A records, then AAAA records;
 *   `layout.additionalSplit` says where the second starts).
 * - An answer or authority RRset that does not fit sets TC and ends the response: what was
 *   added so far stays (a CNAME chain keeps the links that fit), RFC 1035 §4.2.1.
 * - An optional RRset that does not fit is left out, without TC; later RRsets of the same
 *   section may still go in, but no later section is filled (NSD's minimal-responses build).
 * The question and the OPT record always stay. Returns the bytes and whether TC was set.
 */
export function fitResponse(
  response: Message,
  maxSize: number,
  layout: ResponseLayout = NO_LAYOUT,
): { readonly bytes: Uint8Array; readonly truncated: boolean } {
  const whole = encodeWhole(response, maxSize);
  if (whole !== undefined) return { bytes: whole, truncated: false };

  const groups: Group[] = [];
  const required = response.authority.length - layout.optionalAuthority;
  pushGroups(groups, ANSWER, response.answers);
  pushGroups(groups, AUTHORITY, response.authority.slice(0, required));
  pushGroups(groups, OPTIONAL_AUTHORITY, response.authority.slice(required));
  const additional = response.additional;
  pushGroups(groups, ADDITIONAL_FIRST, additional.slice(0, layout.additionalSplit));
  pushGroups(groups, ADDITIONAL_SECOND, additional.slice(layout.additionalSplit));

  const kept: [ResourceRecord[], ResourceRecord[], ResourceRecord[]] = [[], [], []];
  let truncated = false;
  let done = false;
  let section = ANSWER;
  for (const group of groups) {
    if (group.section !== section) {
      if (done) break;
      section = group.section;
    }
    const target = group.section === ANSWER ? 0 : group.section <= OPTIONAL_AUTHORITY ? 1 : 2;
    const before = kept[target].length;
    kept[target].push(...group.records);
    const candidate = { ...response, answers: kept[0], authority: kept[1], additional: kept[2] };
    if (encodeWhole(candidate, maxSize) !== undefined) continue;
    kept[target].length = before;
    if (group.section <= AUTHORITY) {
      truncated = true;
      break;
    }
    done = true;
  }
  const fitted: Message = {
    ...response,
    flags: truncated ? { ...response.flags, tc: true } : response.flags,
    answers: kept[0],
    authority: kept[1],
    additional: kept[2],
  };
  return { bytes: encodeResponse(fitted, maxSize).bytes, truncated };
}

/** Splits `records` into RRsets (runs of one owner, type and class) tagged `section`. */
function pushGroups(groups: Group[], section: number, records: readonly ResourceRecord[]): void {
  let start = 0;
  for (let i = 1; i <= records.length; i++) {
    const a = records[i - 1]!;
    const b = records[i];
    if (b !== undefined && a.type === b.type && a.class === b.class && namesEqual(a.name, b.name)) continue;
    groups.push({ section, records: records.slice(start, i) });
    start = i;
  }
}

/** The message's bytes if all of it fits in `maxSize`, else undefined. */
function encodeWhole(message: Message, maxSize: number): Uint8Array | undefined {
  const { bytes, truncated } = encodeResponse(message, maxSize);
  if (truncated) return undefined;
  // encodeResponse drops additional records silently to fit: ARCOUNT tells.
  const arcount = (bytes[10]! << 8) | bytes[11]!;
  return arcount === message.additional.length + (message.edns ? 1 : 0) ? bytes : undefined;
}
