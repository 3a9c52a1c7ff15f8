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
} as const;
