import type { NetworkSet, SocketAddress } from "./core/address.js";

/**
 * The options of a whole Portico instance: the config file of PRODUCT.md, typed, with paths
 * resolved. `portico start -c FILE` builds one of these with `loadConfig()`; the library
 * accepts the same object. A service whose section is absent does not run.
 */
export interface PorticoOptions {
  /** Used in greetings, Received: headers, HELO, and the self-signed certificate. */
  readonly hostname: string;
  /** Absolute path of the data directory (accounts, mailboxes, queue, homes, TLS). */
  readonly dataDir: string;
  readonly tls?: TlsFiles;
  /** Accounts from `[[users]]`; the data directory's account file adds to them. */
  readonly users: readonly UserEntry[];
  readonly dns?: DnsOptions;
  readonly smtp?: SmtpOptions;
  readonly pop3?: RetrievalOptions;
  readonly imap?: RetrievalOptions;
  readonly ftp?: FtpOptions;
  readonly ssh?: ListenOptions;
  readonly telnet?: ListenOptions;
  readonly web?: ListenOptions;
}

/** `[tls]`: PEM files of the certificate chain and its private key. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/** `[[users]]`: exactly one of `password` (clear) and `passwordHash` (`$scrypt$…`). */
export type UserEntry =
  | { readonly address: string; readonly password: string }
  | { readonly address: string; readonly passwordHash: string };

export interface ListenOptions {
  readonly listen: readonly SocketAddress[];
}

/** `[dns]`. */
export interface DnsOptions extends ListenOptions {
  /** RFC 1035 master files, absolute paths. */
  readonly zones: readonly string[];
  /** Answer names outside our zones through the resolver (else REFUSED). */
  readonly recursion: boolean;
  /** Forward to these servers instead of iterating from the roots. */
  readonly forwarders: readonly SocketAddress[];
  /**
   * Processes answering queries: 1 (the default here) answers in this process; N > 1 runs N
   * worker processes sharing the sockets (node:cluster); 0 is one per core (the config
   * file's default).
   */
  readonly workers?: number;
  /**
   * Clients that may transfer the zones (AXFR, and IXFR answered with the whole zone);
   * default none: every transfer is REFUSED.
   */
  readonly allowTransfer?: NetworkSet;
  /** Secondaries sent a NOTIFY when a zone's serial changes (and at start); default none. */
  readonly notify?: readonly SocketAddress[];
  /** Clients that may use recursion when `recursion` is on; default loopback only. */
  readonly allowRecursion?: NetworkSet;
  /** Answer PTR queries outside the zones from the zones' A/AAAA records; default false. */
  readonly synthesizePtr?: boolean;
}

/** `[smtp]`. */
export interface SmtpOptions extends ListenOptions {
  readonly submission: readonly SocketAddress[];
  readonly submissions: readonly SocketAddress[];
  readonly localDomains: readonly string[];
  readonly trustedNetworks: NetworkSet;
  /** DNS server for MX/A/AAAA lookups; undefined: the system's. */
  readonly resolver?: SocketAddress;
  readonly relayPort: number;
  readonly maxMessageSize: number;
  /** Alias address → target addresses (a list with several targets is what EXPN shows). */
  readonly aliases: ReadonlyMap<string, readonly string[]>;
  /** Waits between delivery attempts of a deferred message, in ms; the last repeats. */
  readonly retryIntervalsMs?: readonly number[];
  /** How long a message may stay queued before it bounces, in ms (default 5 days). */
  readonly queueLifetimeMs?: number;
  /** When the sender is warned that a message is delayed, in ms; 0: never (default 4 h). */
  readonly delayWarningMs?: number;
  /** Deliveries at once to one destination domain (default 20, as Postfix's default_destination_concurrency_limit). */
  readonly destinationConcurrency?: number;
  /** Who VRFY and EXPN answer truthfully: "trusted" (default), "everyone", "nobody". */
  readonly verify?: "trusted" | "everyone" | "nobody";
  /** Load balancers that prefix connections with a PROXY protocol header (v1/v2). */
  readonly proxyProtocol?: NetworkSet;
  /**
   * Processes running the SMTP sessions: 1 (the default here) runs them in this process,
   * beside the queue; N > 1 runs them in N worker processes sharing the listeners
   * (node:cluster), each writing accepted mail into the queue itself, while this process
   * keeps the queue and the deliveries; 0 is one per core (the config file's default).
   */
  readonly workers?: number;
}

/** `[pop3]` and `[imap]`: a STARTTLS/STLS port and an implicit-TLS port. */
export interface RetrievalOptions extends ListenOptions {
  readonly listenTls: readonly SocketAddress[];
}

/** `[ftp]`. */
export interface FtpOptions extends ListenOptions {
  readonly passivePorts: { readonly first: number; readonly last: number };
  /** Address announced in PASV replies; undefined: the control connection's local address. */
  readonly passiveAddress?: string;
  readonly anonymous: boolean;
}
