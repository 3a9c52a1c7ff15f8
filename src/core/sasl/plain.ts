/**
 * The PLAIN mechanism's one message (RFC 4616 §2), both directions:
 *
 *    message   = [authzid] UTF8NUL authcid UTF8NUL passwd
 *    authcid   = 1*SAFE ; MUST accept up to 255 octets
 *    authzid   = 1*SAFE ; MUST accept up to 255 octets
 *    passwd    = 1*SAFE ; MUST accept up to 255 octets
 *    SAFE      = any UTF-8 encoded Unicode character except NUL
 */
import { encodeBase64 } from "./base64.js";
import type { SaslStep } from "./types.js";

/** Decides whether `username` may act as `authzid` (called only when the two differ). */
export type AuthzidPolicy = (authzid: string, username: string) => boolean;

const NUL = 0x00;
/** Fatal: malformed UTF-8 (overlong forms, surrogates, truncation) throws; a BOM is kept as a character. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The result of a malformed message (one value: no detail about what the client sent). */
const MALFORMED: SaslStep = Object.freeze({
  kind: "error",
  reason: "malformed",
  message: "Cannot authenticate: the PLAIN response must be [authzid] NUL username NUL password in UTF-8",
});

/**
 * Reads a decoded PLAIN message into credentials (`done`) or an `error`. Exactly two NULs;
 * username and password not empty; all three fields valid UTF-8. A non-empty authzid different
 * from the username is refused unless `allowAuthzid` accepts it. `message` is zeroed after
 * reading, so the password bytes do not linger in a buffer.
 */
export function parsePlain(message: Uint8Array, allowAuthzid?: AuthzidPolicy): SaslStep {
  try {
    const first = message.indexOf(NUL);
    const second = first === -1 ? -1 : message.indexOf(NUL, first + 1);
    if (second === -1 || message.indexOf(NUL, second + 1) !== -1) return MALFORMED;
    if (second === first + 1 || second === message.length - 1) return MALFORMED;
    const authzid = UTF8.decode(message.subarray(0, first));
    const username = UTF8.decode(message.subarray(first + 1, second));
    const password = UTF8.decode(message.subarray(second + 1));
    if (authzid !== "" && authzid !== username && !(allowAuthzid?.(authzid, username) ?? false)) {
      return {
        kind: "error",
        reason: "authzid-not-allowed",
        message: "Cannot authenticate: not authorized to act as the requested authorization identity",
      };
    }
    return {
      kind: "done",
      credentials: { authzid: authzid === "" ? username : authzid, username, password },
    };
  } catch {
    // TextDecoder: not UTF-8.
    return MALFORMED;
  } finally {
    message.fill(0);
  }
}

/**
 * The client's PLAIN message, base64-encoded, ready for `AUTH PLAIN <here>` or to answer an
 * empty challenge. Throws RangeError for an empty username or password, or a NUL in any field
 * (RFC 4616 §2 leaves no way to send either).
 */
export function encodePlain(username: string, password: string, authzid = ""): string {
  if (username === "" || password === "") {
    throw new RangeError("Cannot encode PLAIN credentials: username and password must not be empty");
  }
  if (username.includes("\0") || password.includes("\0") || authzid.includes("\0")) {
    throw new RangeError("Cannot encode PLAIN credentials: a field contains NUL");
  }
  return encodeBase64(`${authzid}\0${username}\0${password}`);
}
