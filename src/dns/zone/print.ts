/**
 * Records in the one-line presentation form dig prints (BIND's master-file style with dig's
 * columns): `name TTL class type rdata`, each field after the name starting at the next of
 * columns 24, 32, 40 and 48, reached with tabs of width 8, or after one space if the text
 * before it is already at or past the column.
 */

import type { ResourceRecord } from "../types.js";
import { classToText, typeToText } from "./mnemonics.js";
import { rdataToText } from "./rdata.js";

const TTL_COLUMN = 24;
const CLASS_COLUMN = 32;
const TYPE_COLUMN = 40;
const RDATA_COLUMN = 48;
const TAB_WIDTH = 8;

/** The blanks from `column` to `to` as BIND's masterdump writes them (at least one). */
function indent(column: number, to: number): string {
  const target = Math.max(to, column + 1);
  const tabs = Math.floor(target / TAB_WIDTH) - Math.floor(column / TAB_WIDTH);
  if (tabs <= 0) return " ".repeat(target - column);
  return "\t".repeat(tabs) + " ".repeat(target - Math.floor(target / TAB_WIDTH) * TAB_WIDTH);
}

/**
 * A record as one line of dig output, without the line end:
 * `www.example.test.\t300\tIN\tA\t192.0.2.1`.
 */
export function recordToText(rr: ResourceRecord): string {
  let out = rr.name;
  let column = rr.name.length;
  const fields = [
    [TTL_COLUMN, String(rr.ttl)],
    [CLASS_COLUMN, classToText(rr.class)],
    [TYPE_COLUMN, typeToText(rr.type)],
  ] as const;
  for (const [to, text] of fields) {
    const blank = indent(column, to);
    out += blank + text;
    column = Math.max(to, column + 1) + text.length;
  }
  out += indent(column, RDATA_COLUMN) + rdataToText(rr.type, rr.data);
  return out;
}
