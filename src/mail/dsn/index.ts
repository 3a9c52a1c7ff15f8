/** Delivery status notifications (RFC 3464, RFC 3461, RFC 6533) and the xtext encodings. */
export {
  buildDsn,
  composeDsn,
  DSN_RETURN_LIMIT,
  type Dsn,
  type DsnAction,
  type DsnDiagnostic,
  type DsnInput,
  type DsnKind,
  type DsnRecipient,
} from "./dsn.js";
export { describeStatus } from "./status.js";
export { decodeUtf8AddrXtext, decodeXtext, encodeUtf8AddrXtext, encodeXtext, isXtext } from "./xtext.js";
