import { PorticoError } from "../../core/errors.js";
import type { SocketAddress } from "../../core/address.js";

/**
 * A DNS query failed at the network level: the server's port is closed (ICMP port
 * unreachable over UDP, a refused TCP connection), the network is unreachable, or the TCP
 * connection was reset. `cause` is the system error. (A server that does not answer in time
 * gives a `TimeoutError`; one that answers garbage, a `ProtocolError`.)
 */
export class QueryError extends PorticoError {
  override readonly code: string = "PORTICO_ERR_DNS_QUERY";
  constructor(
    message: string,
    readonly server: SocketAddress,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** `192.0.2.1#53` / `::1#53`: a server as dig names it in messages. */
export function serverText(server: SocketAddress): string {
  return `${server.host}#${server.port}`;
}
