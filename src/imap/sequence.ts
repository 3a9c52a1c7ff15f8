/**
 * Sequence sets against a mailbox view (RFC 3501 §9 sequence-set): which messages a
 * `1:3,7,10:*` names, by sequence number or by UID, without expanding the ranges (a
 * `1:4294967295` is one test per message, not four billion numbers).
 */
import type { MessageInfo } from "../mail/store/folder-state.js";
import type { SequenceSet } from "./parser.js";

/** The messages a set names, in mailbox order, with their sequence numbers. */
export interface Selected {
  readonly seq: number;
  readonly info: MessageInfo;
}

/** Ranges with `*` resolved to `star`, sorted and merged. */
function normalise(set: SequenceSet, star: number): { from: number; to: number }[] {
  const ranges = set
    .map((r) => {
      const from = r.from === Infinity ? star : r.from;
      const to = r.to === Infinity ? star : r.to;
      return from <= to ? { from, to } : { from: to, to: from };
    })
    .sort((a, b) => a.from - b.from);
  const merged: { from: number; to: number }[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else merged.push({ ...r });
  }
  return merged;
}

function contains(ranges: readonly { from: number; to: number }[], n: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (n < r.from) hi = mid - 1;
    else if (n > r.to) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The messages named by sequence numbers. Returns undefined when the set names a number
 * past the last message (`*` in an empty mailbox too): RFC 3501 §9 asks for a tagged BAD.
 */
export function bySequence(messages: readonly MessageInfo[], set: SequenceSet): Selected[] | undefined {
  const count = messages.length;
  for (const r of set) {
    if (
      (r.to === Infinity && count === 0) ||
      (r.to !== Infinity && r.to > count) ||
      (r.from !== Infinity && r.from > count)
    ) {
      return undefined;
    }
  }
  const ranges = normalise(set, count);
  const out: Selected[] = [];
  for (const r of ranges) {
    for (let seq = r.from; seq <= r.to; seq++) out.push({ seq, info: messages[seq - 1]! });
  }
  return out;
}

/**
 * The messages named by UIDs (RFC 3501 §6.4.8): UIDs that do not exist are ignored, and `*`
 * is the highest UID in the mailbox (so `100:*` names the last message even when its UID is
 * below 100).
 */
export function byUid(messages: readonly MessageInfo[], set: SequenceSet): Selected[] {
  if (messages.length === 0) return [];
  const ranges = normalise(set, messages[messages.length - 1]!.uid);
  const out: Selected[] = [];
  messages.forEach((info, i) => {
    if (contains(ranges, info.uid)) out.push({ seq: i + 1, info });
  });
  return out;
}

/** A membership test for SEARCH's sequence-set and UID keys (out-of-range numbers match nothing). */
export function setTester(set: SequenceSet, star: number): (n: number) => boolean {
  const ranges = normalise(set, star);
  return (n) => contains(ranges, n);
}

/**
 * A UID set in the compact form of RFC 4315 §3 (uid-set, for COPYUID/APPENDUID): runs of
 * consecutive UIDs as ranges, in the order given.
 */
export function formatUidSet(uids: readonly number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < uids.length) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    out.push(i === j ? String(uids[i]) : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  return out.join(",");
}
