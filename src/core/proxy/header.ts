/**
 * The PROXY protocol header that a load balancer (HAProxy, nginx `proxy_protocol`, AWS NLB,
 * stunnel) puts in front of a relayed TCP connection to tell the server who the client is.
 * Section numbers below are those of HAProxy's "The PROXY protocol, Versions 1 & 2"
 * (doc/proxy-protocol.txt, revision 2020/03/05).
 *
 * `parseProxyHeader` is sans-I/O and incremental: give it everything received so far on a
 * fresh connection and it says `incomplete` (read more), `done` (with the number of bytes the
 * header took) or `error`. It reads in place from the buffer; a rejected header is reported
 * as early as the bytes allow, so a client that is not a proxy fails on its first bytes.
 */
import { formatIPv4, formatIPv6, parseIPv6 } from "../../dns/codec/ip.js";
import { CRC32C_INIT, crc32cFinish, crc32cUpdate } from "./crc32c.js";

/** An address and port as the header carries them (the address in Node's text form). */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * PROXY: the connection was relayed for a client. LOCAL (version 2 only): the proxy opened it
 * itself, e.g. a health check; the receiver uses the real endpoints (§2.2).
 */
export type ProxyCommand = "PROXY" | "LOCAL";

/**
 * What the header says the relayed connection is. `UNKNOWN` covers version 1's UNKNOWN, version
 * 2's AF_UNSPEC or UNSPEC transport, and every LOCAL header: no usable address, so the receiver
 * falls back to the real connection's (§2.1, §2.2). UNIX addresses are skipped, not decoded.
 */
export type ProxyFamily = "TCP4" | "TCP6" | "UDP4" | "UDP6" | "UNIX_STREAM" | "UNIX_DGRAM" | "UNKNOWN";

/** A decoded header. `source`/`destination` are present exactly for TCP4, TCP6, UDP4, UDP6. */
export interface ProxyHeader {
  readonly version: 1 | 2;
  readonly command: ProxyCommand;
  readonly family: ProxyFamily;
  readonly source?: ProxyEndpoint;
  readonly destination?: ProxyEndpoint;
}

/** What `parseProxyHeader` found in the bytes so far. */
export type ProxyParseResult =
  | { readonly kind: "incomplete" }
  | ({ readonly kind: "done"; readonly consumed: number } & ProxyHeader)
  | { readonly kind: "error"; readonly reason: string; readonly offset: number };

/** §2.1: the longest version 1 line, CRLF included ("PROXY UNKNOWN" with two IPv6 addresses). */
export const PROXY_V1_MAX_LENGTH = 107;

/** §2.2: the 12-byte version 2 signature; its NUL and lone LFs make it no valid text protocol. */
export const PROXY_V2_SIGNATURE: Uint8Array = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);

/** §2.2: signature, version/command, family/protocol, 16-bit length. */
export const PROXY_V2_HEADER_LENGTH = 16;

/** §2.2: the longest version 2 header (the length field is 16 bits). */
export const PROXY_V2_MAX_LENGTH = PROXY_V2_HEADER_LENGTH + 0xffff;

/** §2.2: registered TLV types. */
export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
} as const;

const INCOMPLETE: ProxyParseResult = Object.freeze({ kind: "incomplete" });
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const V1_PREFIX = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59, SP); // "PROXY "
const TCP4 = Uint8Array.of(0x54, 0x43, 0x50, 0x34); // "TCP4"
const TCP6 = Uint8Array.of(0x54, 0x43, 0x50, 0x36); // "TCP6"
const UNKNOWN = Uint8Array.of(0x55, 0x4e, 0x4b, 0x4e, 0x4f, 0x57, 0x4e); // "UNKNOWN"

/** §2.2: address block sizes by address family (high nibble of the 14th byte). */
const V2_ADDRESS_LENGTH = [0, 12, 36, 216] as const;

/** Stands in for the CRC32C value while the checksum is computed (§2.2.3). */
const ZEROS = new Uint8Array(4);

function fail(reason: string, offset: number): ProxyParseResult {
  return { kind: "error", reason, offset };
}

/**
 * Decodes the PROXY header (version 1 or 2) at the start of `buf`, which holds every byte
 * received on the connection so far. Never throws; never looks past `buf.length`.
 */
export function parseProxyHeader(buf: Buffer): ProxyParseResult {
  if (buf.length === 0) return INCOMPLETE;
  // §2.2 "identifying the protocol version": "PROXY" is version 1, the signature version 2;
  // anything else is not this protocol and the connection must be dropped.
  if (buf[0] === V1_PREFIX[0]) return parseV1(buf);
  if (buf[0] === PROXY_V2_SIGNATURE[0]) return parseV2(buf);
  return fail("not a PROXY protocol header", 0);
}

/** Whether the bytes of `buf` from `at` (as many as there are) begin `token`. */
function startsLike(buf: Uint8Array, at: number, token: Uint8Array): boolean {
  const n = Math.min(token.length, buf.length - at);
  for (let i = 0; i < n; i++) if (buf[at + i] !== token[i]) return false;
  return true;
}

/**
 * Finds the CRLF that ends a version 1 line, scanning from `from`. §2.1: it must come within
 * the first 107 bytes, and a lone CR or LF does not end the line (nor may it appear in it).
 * With `strict`, only the characters of addresses and ports may precede it (TCP4/TCP6 lines),
 * so garbage is refused as soon as it arrives. Returns the index of the CR, -1 for "read
 * more", or an error.
 */
function findLineEnd(buf: Uint8Array, from: number, strict: boolean): number | ProxyParseResult {
  // The CR may stand at most at index 105, so that the LF is the 107th byte.
  const lastCr = PROXY_V1_MAX_LENGTH - 2;
  const scanEnd = Math.min(buf.length, lastCr + 1);
  for (let i = from; i < scanEnd; i++) {
    const c = buf[i]!;
    if (c === CR) {
      if (i + 1 === buf.length) return -1;
      return buf[i + 1] === LF ? i : fail("CR not followed by LF in the version 1 line", i + 1);
    }
    if (c === LF) return fail("LF without CR in the version 1 line", i);
    if (strict && !isLineChar(c)) return fail("unexpected character in the version 1 line", i);
  }
  return buf.length > lastCr ? fail("no CRLF within 107 bytes (version 1 line too long)", lastCr) : -1;
}

/** Characters of a TCP4/TCP6 line after the protocol: hex digits, ".", ":" and SP. */
function isLineChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x3a) || // 0-9 and ":"
    c === 0x2e ||
    c === SP ||
    ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) // a-f, A-F
  );
}

function parseV1(buf: Buffer): ProxyParseResult {
  const prefix = Math.min(buf.length, V1_PREFIX.length);
  for (let i = 1; i < prefix; i++) {
    if (buf[i] !== V1_PREFIX[i]) return fail("not a PROXY protocol header", i);
  }
  const at = V1_PREFIX.length;
  if (buf.length <= at) return INCOMPLETE;

  // §2.1: "TCP4", "TCP6" or "UNKNOWN", then exactly one space (UNKNOWN may end the line).
  const tcp4 = startsLike(buf, at, TCP4);
  const tcp6 = startsLike(buf, at, TCP6);
  const unknown = startsLike(buf, at, UNKNOWN);
  if (!tcp4 && !tcp6 && !unknown) return fail("unknown protocol in the version 1 line", at);
  const tokenEnd = at + (unknown ? UNKNOWN.length : TCP4.length);
  if (buf.length <= tokenEnd) return INCOMPLETE;
  const after = buf[tokenEnd];

  if (unknown) {
    // §2.1: for UNKNOWN "the receiver must ignore anything presented before the CRLF".
    if (after !== SP && after !== CR) return fail("unknown protocol in the version 1 line", at);
    const end = findLineEnd(buf, tokenEnd, false);
    if (typeof end !== "number") return end;
    if (end < 0) return INCOMPLETE;
    return { kind: "done", consumed: end + 2, version: 1, command: "PROXY", family: "UNKNOWN" };
  }

  if (after !== SP) return fail("expected a space after the protocol in the version 1 line", tokenEnd);
  const end = findLineEnd(buf, tokenEnd + 1, true);
  if (typeof end !== "number") return end;
  if (end < 0) return INCOMPLETE;

  // Four fields separated by exactly one space: source, destination, source port, dest port.
  const fields: number[] = [tokenEnd + 1];
  for (let i = tokenEnd + 1; i < end; i++) if (buf[i] === SP) fields.push(i + 1);
  if (fields.length !== 4)
    return fail("expected 4 fields after the protocol in the version 1 line", tokenEnd + 1);
  const bounds = (k: number): [number, number] => [fields[k]!, k === 3 ? end : fields[k + 1]! - 1];

  const family = tcp4 ? "TCP4" : "TCP6";
  const addresses: string[] = [];
  for (let k = 0; k < 2; k++) {
    const [from, to] = bounds(k);
    const address = tcp4 ? ipv4Text(buf, from, to) : ipv6Text(buf, from, to);
    if (address === undefined) {
      return fail(`${k === 0 ? "source" : "destination"} is not an ${tcp4 ? "IPv4" : "IPv6"} address`, from);
    }
    addresses.push(address);
  }
  const ports: number[] = [];
  for (let k = 2; k < 4; k++) {
    const [from, to] = bounds(k);
    const port = decimalPort(buf, from, to);
    if (port < 0) return fail(`${k === 2 ? "source" : "destination"} port is not a number 0-65535`, from);
    ports.push(port);
  }
  return {
    kind: "done",
    consumed: end + 2,
    version: 1,
    command: "PROXY",
    family,
    source: { address: addresses[0]!, port: ports[0]! },
    destination: { address: addresses[1]!, port: ports[1]! },
  };
}

/**
 * §2.1: "exactly 4 integers in the range [0..255] … separated by exactly one dot", no leading
 * zeroes (they would read as octal). Valid text is already canonical, so it is returned as is.
 */
function ipv4Text(buf: Buffer, from: number, to: number): string | undefined {
  let i = from;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= to || buf[i] !== 0x2e) return undefined;
      i++;
    }
    const start = i;
    let value = 0;
    while (i < to && i - start < 4) {
      const d = buf[i]! - 0x30;
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && buf[start] === 0x30)) return undefined;
  }
  return i === to ? buf.toString("latin1", from, to) : undefined;
}

const scratch = new Uint8Array(16);

/**
 * §2.1: IPv6 in text form (groups of hex digits, at most one "::", 128 bits in all; a trailing
 * dotted quad is accepted as inet_pton does). Returned in Node's canonical form, so it compares
 * equal to `socket.remoteAddress` for the same address.
 */
function ipv6Text(buf: Buffer, from: number, to: number): string | undefined {
  if (to - from < 2 || to - from > 45) return undefined;
  try {
    parseIPv6(buf.toString("latin1", from, to), scratch, 0);
  } catch {
    return undefined;
  }
  return formatIPv6(scratch, 0);
}

/** §2.1: a port is a decimal integer in [0..65535] without leading zeroes; -1 if not. */
function decimalPort(buf: Uint8Array, from: number, to: number): number {
  const digits = to - from;
  if (digits < 1 || digits > 5 || (digits > 1 && buf[from] === 0x30)) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value > 0xffff ? -1 : value;
}

function parseV2(buf: Uint8Array): ProxyParseResult {
  const length = buf.length;
  const signature = Math.min(length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < signature; i++) {
    if (buf[i] !== PROXY_V2_SIGNATURE[i]) return fail("not a PROXY protocol header", i);
  }
  if (length < 13) return INCOMPLETE;

  // §2.2, 13th byte: version in the high nibble (only 2 is accepted), command in the low one
  // (0 LOCAL, 1 PROXY; "receivers must drop connections presenting unexpected values").
  const versionCommand = buf[12]!;
  if (versionCommand >> 4 !== 2) return fail(`unsupported version ${versionCommand >> 4}`, 12);
  const command = versionCommand & 0x0f;
  if (command > 1) return fail(`unknown command ${command}`, 12);
  if (length < 14) return INCOMPLETE;

  // 14th byte: address family (high nibble) and transport (low). For LOCAL "the family is
  // ignored" (as HAProxy does); for PROXY, unassigned values "must be rejected as invalid".
  const familyByte = buf[13]!;
  const addressFamily = familyByte >> 4;
  const transport = familyByte & 0x0f;
  if (command === 1) {
    if (addressFamily > 3) return fail(`unknown address family ${addressFamily}`, 13);
    if (transport > 2) return fail(`unknown transport protocol ${transport}`, 13);
  }
  if (length < PROXY_V2_HEADER_LENGTH) return INCOMPLETE;

  // 15th-16th bytes: the length of what follows (addresses, then TLVs). The receiver "MUST
  // always consider this field", LOCAL included; for a known family it must fit the addresses.
  const blockLength = (buf[14]! << 8) | buf[15]!;
  const consumed = PROXY_V2_HEADER_LENGTH + blockLength;
  // AF_UNSPEC or an UNSPEC transport: "the receiver should ignore address information".
  const decodeAddresses = command === 1 && addressFamily !== 0 && transport !== 0;
  const addressLength = decodeAddresses ? V2_ADDRESS_LENGTH[addressFamily as 1 | 2 | 3] : 0;
  if (blockLength < addressLength) {
    return fail(`length ${blockLength} is shorter than the ${addressLength}-byte address block`, 14);
  }
  if (length < consumed) return INCOMPLETE;

  if (!decodeAddresses) {
    return {
      kind: "done",
      consumed,
      version: 2,
      command: command === 1 ? "PROXY" : "LOCAL",
      family: "UNKNOWN",
    };
  }
  const tlvError = checkTlvs(buf, PROXY_V2_HEADER_LENGTH + addressLength, consumed);
  if (tlvError !== undefined) return tlvError;

  const stream = transport === 1;
  const at = PROXY_V2_HEADER_LENGTH;
  switch (addressFamily) {
    case 1: // AF_INET: 4-byte source, 4-byte destination, 2-byte ports, network order.
      return {
        kind: "done",
        consumed,
        version: 2,
        command: "PROXY",
        family: stream ? "TCP4" : "UDP4",
        source: { address: formatIPv4(buf, at), port: (buf[at + 8]! << 8) | buf[at + 9]! },
        destination: { address: formatIPv4(buf, at + 4), port: (buf[at + 10]! << 8) | buf[at + 11]! },
      };
    case 2: // AF_INET6: 16-byte addresses.
      return {
        kind: "done",
        consumed,
        version: 2,
        command: "PROXY",
        family: stream ? "TCP6" : "UDP6",
        source: { address: formatIPv6(buf, at), port: (buf[at + 32]! << 8) | buf[at + 33]! },
        destination: { address: formatIPv6(buf, at + 16), port: (buf[at + 34]! << 8) | buf[at + 35]! },
      };
    default: // AF_UNIX: two 108-byte paths, which mean nothing to a TCP server.
      return {
        kind: "done",
        consumed,
        version: 2,
        command: "PROXY",
        family: stream ? "UNIX_STREAM" : "UNIX_DGRAM",
      };
  }
}

/**
 * §2.2: what follows the addresses is a sequence of TLVs (1-byte type, 2-byte length, value).
 * They are skipped, but each must lie wholly inside the header; a PP2_TYPE_CRC32C TLV is
 * verified (§2.2.3: the header's CRC-32C with the checksum field taken as zeros).
 */
function checkTlvs(buf: Uint8Array, from: number, to: number): ProxyParseResult | undefined {
  let at = from;
  while (at < to) {
    if (to - at < 3) return fail("truncated TLV", at);
    const type = buf[at]!;
    const valueLength = (buf[at + 1]! << 8) | buf[at + 2]!;
    const value = at + 3;
    if (value + valueLength > to) return fail(`TLV of ${valueLength} bytes overruns the header`, at);
    if (type === PP2_TYPE.CRC32C) {
      if (valueLength !== 4) return fail("CRC32C TLV is not 4 bytes", at);
      const expected =
        ((buf[value]! << 24) | (buf[value + 1]! << 16) | (buf[value + 2]! << 8) | buf[value + 3]!) >>> 0;
      let crc = crc32cUpdate(CRC32C_INIT, buf, 0, value);
      crc = crc32cUpdate(crc, ZEROS, 0, 4);
      crc = crc32cUpdate(crc, buf, value + 4, to);
      if (crc32cFinish(crc) !== expected) return fail("CRC32C checksum mismatch", value);
    }
    at = value + valueLength;
  }
  return undefined;
}
