import type { ResourceRecord } from "../types.js";

/** One mail exchanger of a domain, with the addresses of its host. */
export interface MxHost {
  /** The exchange's name (for the implicit MX, the domain itself). */
  readonly exchange: string;
  readonly preference: number;
  /** Its IPv4 addresses, then its IPv6 addresses, as the name servers listed them. */
  readonly addresses: readonly string[];
  /**
   * `ok`: addresses found; `none`: the host has no A or AAAA record, or does not exist (a
   * permanent condition); `failed`: its lookup failed (try it later).
   */
  readonly lookup: "ok" | "none" | "failed";
}

/** Where mail for a domain goes (RFC 5321 §5.1, RFC 7505). */
export type MxResult =
  /** The exchangers to try in this order; `implicit`: the domain has no MX, this is its own host. */
  | { readonly kind: "hosts"; readonly implicit: boolean; readonly hosts: readonly MxHost[] }
  /** The domain publishes a null MX (RFC 7505 §3): it accepts no mail. */
  | { readonly kind: "null-mx" }
  /** The domain does not exist: a permanent failure (RFC 5321 §5.1 "MUST be reported as an error"). */
  | { readonly kind: "nxdomain" }
  /** The lookup failed (SERVFAIL, timeouts): a temporary failure, queue and retry. */
  | { readonly kind: "failed"; readonly reason: string };

/**
 * The MX records of an RRset in the order to try them (RFC 5321 §5.1): ascending preference,
 * records of equal preference shuffled ("the sender-SMTP MUST randomize them to spread the
 * load"). A single record with the root as exchange is a null MX (RFC 7505 §3): the result is
 * "null-mx". A "." among other records breaks RFC 7505's "MUST NOT advertise any other MX
 * RR"; it is dropped, since no host can be reached at it.
 */
export function orderExchanges(
  records: readonly ResourceRecord[],
  random: () => number,
): { exchange: string; preference: number }[] | "null-mx" {
  const mx = records.flatMap((r) =>
    r.data.kind === "MX" ? [{ exchange: r.data.exchange, preference: r.data.preference }] : [],
  );
  if (mx.length === 1 && mx[0]!.exchange === ".") return "null-mx";
  const usable = mx.filter((m) => m.exchange !== ".");
  // Shuffle first, then sort stably by preference: equal preferences keep the random order.
  for (let i = usable.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [usable[i], usable[j]] = [usable[j]!, usable[i]!];
  }
  return usable.sort((a, b) => a.preference - b.preference);
}
