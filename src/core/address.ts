import { BlockList, isIP } from "node:net";

/** A socket address: an IP literal and a port. */
export interface SocketAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/**
 * Parses `IP:PORT` or `[IPv6]:PORT` (the form of every `listen` key). Throws TypeError with a
 * sentence saying what is wrong; `defaultPort` allows a bare IP.
 */
export function parseSocketAddress(text: string, defaultPort?: number): SocketAddress {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new TypeError(`"${text}" has "[" without "]"`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) throw new TypeError(`"${text}" has text after "]"`);
    portText = rest === "" ? undefined : rest.slice(1);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0 && text.indexOf(":") !== colon) {
      // Several colons and no brackets: a bare IPv6 address.
      host = text;
      portText = undefined;
    } else {
      host = colon < 0 ? text : text.slice(0, colon);
      portText = colon < 0 ? undefined : text.slice(colon + 1);
    }
  }
  const family = isIP(host);
  if (family === 0) throw new TypeError(`"${host}" is not an IPv4 or IPv6 address`);
  let port: number;
  if (portText === undefined) {
    if (defaultPort === undefined) throw new TypeError(`"${text}" has no port`);
    port = defaultPort;
  } else {
    port = parsePort(portText);
  }
  return { host, port, family: family as 4 | 6 };
}

/** Parses a decimal TCP/UDP port 0–65535; throws TypeError otherwise. */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new TypeError(`port "${text}" is not a number from 0 to 65535`);
  const port = Number(text);
  if (port > 65535) throw new TypeError(`port ${port} is out of range 0-65535`);
  return port;
}

/** `IP:PORT`, with brackets for IPv6. */
export function formatSocketAddress(address: { host: string; port: number }): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** A set of networks in CIDR notation (`127.0.0.0/8`, `::1/128`, or a single address). */
export class NetworkSet {
  readonly #list = new BlockList();
  readonly networks: readonly string[];

  /** Throws TypeError naming the first entry that is not an address or CIDR network. */
  constructor(networks: readonly string[]) {
    for (const network of networks) {
      const slash = network.indexOf("/");
      const ip = slash < 0 ? network : network.slice(0, slash);
      const family = isIP(ip);
      if (family === 0) throw new TypeError(`"${network}" is not an IP address or CIDR network`);
      const max = family === 4 ? 32 : 128;
      const bitsText = slash < 0 ? String(max) : network.slice(slash + 1);
      const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
      if (!(bits >= 0 && bits <= max)) {
        throw new TypeError(`"${network}" has a prefix length outside 0-${max}`);
      }
      this.#list.addSubnet(ip, bits, family === 4 ? "ipv4" : "ipv6");
    }
    this.networks = [...networks];
  }

  /** Whether `ip` (v4, v6, or v4-mapped v6 as sockets report it) is in one of the networks. */
  has(ip: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    const plain = mapped?.[1] ?? ip;
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#list.check(plain, family === 4 ? "ipv4" : "ipv6");
  }
}

/** Loopback: 127.0.0.0/8 and ::1 (where AUTH may go without TLS). */
export function isLoopback(ip: string): boolean {
  return LOOPBACK.has(ip);
}
const LOOPBACK = new NetworkSet(["127.0.0.0/8", "::1/128"]);
