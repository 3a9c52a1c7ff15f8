/**
 * RFC 1035 §5 master files ("zone files") and the presentation format of record data, as
 * BIND's named-checkzone reads them and dig prints them.
 */

export { parseZone, MAX_GENERATE, MAX_INCLUDE_DEPTH, MAX_KEPT_WARNINGS } from "./parse.js";
export type { ParseZoneOptions, ZoneFile, ZoneWarning } from "./parse.js";
export { loadZoneFile, guessOrigin } from "./load.js";
export type { LoadZoneOptions } from "./load.js";
export { rdataToText, rdataFromText, rdataFromWire, rdataToWire, genericRdataText } from "./rdata.js";
export { recordToText } from "./print.js";
export { typeToText, textToType, classToText, textToClass, rcodeToText } from "./mnemonics.js";
export { parseTtl, MAX_TTL } from "./ttl.js";
