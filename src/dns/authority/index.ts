/**
 * The authoritative answering engine: zones indexed for lookup, the answer to a question,
 * zone-transfer contents and reverse (PTR) synthesis. Pure: no sockets, files or timers.
 */

export { answer, EDE_NOT_AUTHORITATIVE, EDE_NOT_SUPPORTED, EDE_PROHIBITED } from "./answer.js";
export type { AnswerOptions, AuthorityResult, PtrSynthesisOptions } from "./answer.js";
export { axfrRecords } from "./axfr.js";
export { ReverseIndex, reverseName } from "./reverse-index.js";
export { Zone } from "./zone.js";
export type { AdditionalTarget, ZoneData } from "./zone.js";
export { ZoneSet } from "./zone-set.js";
