/**
 * Pieces shared by every text protocol (after Go's net/textproto): a line reader,
 * dot-stuffing in both directions, and numeric reply formatting and parsing. All sans-I/O,
 * with stream adapters for message bodies.
 */
export { DEFAULT_MAX_LINE_LENGTH, LineReader } from "./line-reader.js";
export type { BareLfPolicy, Line, LineEvent, LineReaderOptions, TooLongLine } from "./line-reader.js";
export { DotDecoder } from "./dot-decoder.js";
export type { BareLineEndingPolicy, DotDecodeResult, DotDecoderOptions } from "./dot-decoder.js";
export { DotEncoder, dotStuff } from "./dot-encoder.js";
export { DotDecoderStream, DotEncoderStream } from "./dot-streams.js";
export type { DotDecoderStreamOptions } from "./dot-streams.js";
export { formatReply, isEnhancedStatusCode } from "./reply.js";
export { ReplyParser } from "./reply-parser.js";
export type { Reply, ReplyParserOptions, ReplyStyle } from "./reply-parser.js";
