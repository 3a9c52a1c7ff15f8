/**
 * Writes PROXY protocol headers (HAProxy's proxy-protocol.txt, versions 1 and 2), for clients
 * that sit behind or act as a proxy and for tests. Addresses are validated and written in
 * canonical form; misuse is a TypeError or RangeError.
 */
import { formatIPv6, parseIPv4, parseIPv6 } from "../../dns/codec/ip.js";
import { crc32c } from "./crc32c.js";
import {
  PP2_TYPE,
  PROXY_V2_HEADER_LENGTH,
  PROXY_V2_SIGNATURE,
  type ProxyCommand,
  type ProxyEndpoint,
} from "./header.js";

/** One version 2 TLV (§2.2): a type byte and up to 65535 bytes of value. */
export interface ProxyTlv {
  readonly type: number;
  readonly value: Uint8Array;
}

/** What a version 2 header says. */
export interface ProxyV2Options {
  /** Default PROXY. LOCAL (a health check, §2.2) carries no addresses. */
  readonly command?: ProxyCommand;
  /** Both or neither; neither with PROXY is AF_UNSPEC ("use the real connection"). */
  readonly source?: ProxyEndpoint;
  readonly destination?: ProxyEndpoint;
  /** Default STREAM (TCP). */
  readonly transport?: "STREAM" | "DGRAM";
  readonly tlvs?: readonly ProxyTlv[];
  /** Appends a PP2_TYPE_CRC32C TLV with the header's checksum (§2.2.3). */
  readonly crc32c?: boolean;
}

interface Decoded {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly text: string;
  readonly port: number;
}

function decode(endpoint: ProxyEndpoint, role: string): Decoded {
  if (!Number.isInteger(endpoint.port) || endpoint.port < 0 || endpoint.port > 0xffff) {
    throw new RangeError(`Cannot encode a PROXY header: ${role} port ${endpoint.port} is not 0-65535`);
  }
  const address = endpoint.address;
  if (!address.includes(":")) {
    const v4 = new Uint8Array(4);
    try {
      parseIPv4(address, v4, 0);
    } catch {
      throw new TypeError(
        `Cannot encode a PROXY header: ${role} ${JSON.stringify(address)} is not an IP address`,
      );
    }
    return { family: 4, bytes: v4, text: address, port: endpoint.port };
  }
  const v6 = new Uint8Array(16);
  try {
    parseIPv6(address, v6, 0);
  } catch {
    throw new TypeError(
      `Cannot encode a PROXY header: ${role} ${JSON.stringify(address)} is not an IP address`,
    );
  }
  return { family: 6, bytes: v6, text: formatIPv6(v6, 0), port: endpoint.port };
}

function pair(source: ProxyEndpoint, destination: ProxyEndpoint): [Decoded, Decoded] {
  const s = decode(source, "source");
  const d = decode(destination, "destination");
  // §2.1/§2.2: both addresses are of the advertised family. A dual-stack socket reports IPv4
  // peers as ::ffff:a.b.c.d on both ends, so the families agree there too.
  if (s.family !== d.family) {
    throw new TypeError(
      `Cannot encode a PROXY header: source ${s.text} and destination ${d.text} are of different families`,
    );
  }
  return [s, d];
}

/**
 * A version 1 line (§2.1): `PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n`, or without addresses
 * `PROXY UNKNOWN\r\n` (the receiver then uses the real connection's).
 */
export function encodeProxyV1(addresses?: {
  readonly source: ProxyEndpoint;
  readonly destination: ProxyEndpoint;
}): Buffer {
  if (addresses === undefined) return Buffer.from("PROXY UNKNOWN\r\n", "latin1");
  const [s, d] = pair(addresses.source, addresses.destination);
  return Buffer.from(`PROXY TCP${s.family} ${s.text} ${d.text} ${s.port} ${d.port}\r\n`, "latin1");
}

/** A version 2 binary header (§2.2). */
export function encodeProxyV2(options: ProxyV2Options = {}): Buffer {
  const command = options.command ?? "PROXY";
  const { source, destination } = options;
  if ((source === undefined) !== (destination === undefined)) {
    throw new TypeError("Cannot encode a PROXY header: give both source and destination, or neither");
  }
  if (command === "LOCAL" && source !== undefined) {
    throw new TypeError("Cannot encode a PROXY header: a LOCAL header carries no addresses");
  }
  const addresses = source !== undefined && destination !== undefined ? pair(source, destination) : undefined;
  const addressLength = addresses === undefined ? 0 : addresses[0].family === 4 ? 12 : 36;

  const tlvs = options.tlvs ?? [];
  let tlvLength = options.crc32c === true ? 7 : 0;
  for (const tlv of tlvs) {
    if (!Number.isInteger(tlv.type) || tlv.type < 0 || tlv.type > 0xff) {
      throw new RangeError(`Cannot encode a PROXY header: TLV type ${tlv.type} is not 0-255`);
    }
    if (tlv.value.length > 0xffff) {
      throw new RangeError(`Cannot encode a PROXY header: TLV of ${tlv.value.length} bytes exceeds 65535`);
    }
    tlvLength += 3 + tlv.value.length;
  }
  const blockLength = addressLength + tlvLength;
  if (blockLength > 0xffff) {
    throw new RangeError(
      `Cannot encode a PROXY header: ${blockLength} bytes of addresses and TLVs exceed 65535`,
    );
  }

  const out = Buffer.alloc(PROXY_V2_HEADER_LENGTH + blockLength);
  out.set(PROXY_V2_SIGNATURE, 0);
  out[12] = 0x20 | (command === "PROXY" ? 1 : 0);
  const transport = options.transport === "DGRAM" ? 2 : 1;
  out[13] = addresses === undefined ? 0x00 : ((addresses[0].family === 4 ? 1 : 2) << 4) | transport;
  out.writeUInt16BE(blockLength, 14);
  let at = PROXY_V2_HEADER_LENGTH;
  if (addresses !== undefined) {
    const [s, d] = addresses;
    out.set(s.bytes, at);
    out.set(d.bytes, at + s.bytes.length);
    at += 2 * s.bytes.length;
    out.writeUInt16BE(s.port, at);
    out.writeUInt16BE(d.port, at + 2);
    at += 4;
  }
  for (const tlv of tlvs) {
    out[at] = tlv.type;
    out.writeUInt16BE(tlv.value.length, at + 1);
    out.set(tlv.value, at + 3);
    at += 3 + tlv.value.length;
  }
  if (options.crc32c === true) {
    // §2.2.3: computed over the whole header with the checksum field zero, then filled in.
    out[at] = PP2_TYPE.CRC32C;
    out.writeUInt16BE(4, at + 1);
    out.writeUInt32BE(crc32c(out), at + 3);
  }
  return out;
}
