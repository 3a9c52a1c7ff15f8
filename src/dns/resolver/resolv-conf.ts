import { isIP } from "node:net";
import type { SocketAddress } from "../../core/address.js";

/**
 * The name servers of a resolv.conf(5) text, in order: each `nameserver ADDRESS` line, port
 * 53 (an IPv6 zone index such as `%eth0` is dropped). Lines that are not valid addresses are
 * skipped, as the C library skips them. The caller reads the file (usually /etc/resolv.conf).
 */
export function parseResolvConf(text: string): SocketAddress[] {
  const servers: SocketAddress[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== "nameserver" || fields[1] === undefined) continue;
    const host = fields[1].replace(/%.*$/, "");
    const family = isIP(host);
    if (family === 0) continue;
    servers.push({ host, port: 53, family: family as 4 | 6 });
  }
  return servers;
}
