/**
 * The DNS message codec (RFC 1035 §4, RFC 3597, RFC 6891): pure functions from bytes to
 * `Message` values and back, with no I/O.
 */
export { decodeHeader, HEADER_LENGTH } from "./header.js";
export type { Header } from "./header.js";
export { decodeMessage } from "./decode.js";
export type { DecodeOptions } from "./decode.js";
export { encodeMessage, encodeRData, encodeResponse } from "./encode.js";
export type { EncodeOptions, EncodedResponse } from "./encode.js";
export { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip.js";
