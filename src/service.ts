import type { SocketAddress } from "./core/address.js";

/** One address a running service answers on, and how a person would try it. */
export interface Endpoint {
  /** Service name: `dns`, `smtp`, `submission`, `pop3`, … */
  readonly service: string;
  /** The config key the address came from. */
  readonly key: string;
  readonly address: SocketAddress;
  readonly transport: "tcp" | "udp+tcp";
  /** Implicit TLS on connect. */
  readonly tls: boolean;
  /** A command line that talks to it, e.g. `dig @127.0.0.1 -p 1053 localhost SOA`. */
  readonly example: string;
}

/** A started service, as `startPortico` manages it. */
export interface RunningService {
  readonly name: string;
  readonly endpoints: readonly Endpoint[];
  /** Stops accepting, lets sessions finish for up to `graceMs`, flushes state. */
  stop(graceMs: number): Promise<void>;
  /** Re-reads what can change without a restart (zone files, …); SIGHUP calls it. */
  reload?(): Promise<void>;
}
