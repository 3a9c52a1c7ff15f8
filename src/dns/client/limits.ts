/** Every default and cap of the DNS client, each with why. */
export const DNS_CLIENT_LIMITS = {
  /** Wait per attempt: dig's `+time=5`, long enough for a distant server on a slow path. */
  timeoutMs: 5_000,
  /** UDP attempts after the first one times out: dig's `+tries=3` is 1 + 2. */
  retries: 2,
  /** The EDNS payload size we ask for: 1232 avoids IP fragmentation (DNS Flag Day 2020; dig's default). */
  udpPayloadSize: 1232,
  /** A DNS message over TCP is at most this, its length being a 16-bit prefix (RFC 1035 §4.2.2). */
  maxMessageSize: 65_535,
} as const;
