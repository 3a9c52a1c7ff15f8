/** Every cap of the DNS server, each with why. */
export const DNS_LIMITS = {
  /**
   * The EDNS UDP payload size we advertise and the most we send over UDP: 1232 bytes avoids
   * IP fragmentation on any path (DNS Flag Day 2020; NSD's and Knot's default).
   */
  udpPayloadSize: 1232,
  /** Without EDNS a UDP response is at most 512 bytes (RFC 1035 §4.2.1). */
  classicUdpSize: 512,
  /** A TCP message is length-prefixed by 16 bits (RFC 1035 §4.2.2). */
  tcpMessageSize: 65_535,
  /** Open TCP connections (NSD's tcp-count is 100; we are cheaper per connection). */
  maxTcpConnections: 1_000,
  /** TCP connections from one address, so one client cannot take them all. */
  maxTcpPerAddress: 100,
  /**
   * Idle TCP connections close after this (RFC 7766 §6.2.3: servers should keep idle
   * connections open "in the order of seconds"; NSD's tcp-timeout is 120 s, but idle ones it
   * closes sooner under load).
   */
  tcpIdleTimeoutMs: 10_000,
  /**
   * Answers queued for a TCP client that does not read them, past which we stop reading its
   * queries until it does (memory stays bounded). No cap on queries per connection: RFC 7766
   * §6.2.1 wants connections reused, and NSD's tcp-query-count is unlimited by default.
   */
  tcpMaxUnsentBytes: 256 * 1024,
  /**
   * Answers still being worked on for one TCP connection (recursive lookups, zone
   * transfers being sent), past which we stop reading its queries until one finishes
   * (RFC 7766 §6.2.1.1 lets a server limit what it processes concurrently per connection).
   */
  tcpMaxPending: 32,
  /**
   * The size a zone-transfer message is filled to before the next begins (a soft target: a
   * large RRset may take one up to the 65,535-byte maximum). 16 KiB keeps every name within
   * reach of a compression pointer (RFC 1035 §4.1.4: 14-bit offsets), as NSD's 16,383 does;
   * BIND's transfer-message-size is 20,480.
   */
  transferMessageSize: 16_384,
  /**
   * Recursive lookups in progress at once; more are answered SERVFAIL at once (the resolver
   * bounds each lookup's work and time, this bounds how many run: Unbound's
   * num-queries-per-thread is 1,024).
   */
  maxRecursiveLookups: 1_024,
  /**
   * NOTIFY (RFC 1996 §3.6): the wait for the first acknowledgement, doubled after each
   * unanswered try (2, 4, 8, 16, 32 s: about a minute in all). RFC 1996 suggests 60-second
   * intervals; NSD retries every 3 s.
   */
  notifyRetryMs: 2_000,
  /** NOTIFY tries per secondary and zone change (RFC 1996 §3.6: "a maximum of 5 retransmissions"). */
  notifyMaxTries: 5,
} as const;
