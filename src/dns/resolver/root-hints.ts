/** A name server to start iterative resolution from: a root server's name and one address. */
export interface RootHint {
  readonly name: string;
  /** An IPv4 or IPv6 address. */
  readonly address: string;
}

/**
 * The root servers (IANA's named.root, as of the b.root-servers.net renumbering of November
 * 2023). Only the start: once a root server has answered, referrals carry the rest.
 */
export const ROOT_HINTS: readonly RootHint[] = [
  ["a", "198.41.0.4", "2001:503:ba3e::2:30"],
  ["b", "170.247.170.2", "2801:1b8:10::b"],
  ["c", "192.33.4.12", "2001:500:2::c"],
  ["d", "199.7.91.13", "2001:500:2d::d"],
  ["e", "192.203.230.10", "2001:500:a8::e"],
  ["f", "192.5.5.241", "2001:500:2f::f"],
  ["g", "192.112.36.4", "2001:500:12::d0d"],
  ["h", "198.97.190.53", "2001:500:1::53"],
  ["i", "192.36.148.17", "2001:7fe::53"],
  ["j", "192.58.128.30", "2001:503:c27::2:30"],
  ["k", "193.0.14.129", "2001:7fd::1"],
  ["l", "199.7.83.42", "2001:500:9f::42"],
  ["m", "202.12.27.33", "2001:dc3::35"],
].flatMap(([letter, v4, v6]) => [
  { name: `${letter!}.root-servers.net.`, address: v4! },
  { name: `${letter!}.root-servers.net.`, address: v6! },
]);
