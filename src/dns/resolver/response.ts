/**
 * What a response says about a question, with the data outside the answering server's
 * bailiwick thrown away. Pure: a decoded message in, a verdict out.
 */
import { canonicalName, isSubdomain, namesEqual } from "../name.js";
import { Rcode, RRClass, RRType } from "../types.js";
import type { Message, ResourceRecord } from "../types.js";
import { rcodeToText } from "../zone/index.js";

/** What a response establishes about one name of the chain, for the type asked. */
export type Step =
  /** The RRset of the type asked. */
  | { readonly kind: "answer"; readonly records: readonly ResourceRecord[] }
  /** The name is an alias: go on at the target. */
  | { readonly kind: "cname"; readonly record: ResourceRecord }
  /** The name does not exist; the SOA (if sent) gives the negative TTL. */
  | { readonly kind: "nxdomain"; readonly soa: ResourceRecord | undefined }
  /** The name exists without data of the type (RFC 2308 §2.2). */
  | { readonly kind: "nodata"; readonly soa: ResourceRecord | undefined };

/** The verdict on one response. */
export type Verdict =
  /**
   * The response settles the name asked: `steps` says, for each name of the CNAME chain it
   * covers (keyed by canonical name, in chain order), what it is. The last step may be a
   * CNAME whose target the response did not cover (or was not entitled to).
   */
  | { readonly kind: "final"; readonly steps: ReadonlyMap<string, Step> }
  /** Ask the servers of `zone` (a child of the zone asked): their NS RRset and its glue. */
  | {
      readonly kind: "referral";
      readonly zone: string;
      readonly ns: readonly ResourceRecord[];
      readonly glue: readonly ResourceRecord[];
    }
  /** Nothing usable (an error rcode, a lame or upward referral): ask another server. */
  | { readonly kind: "unusable"; readonly reason: string };

/** Options of `judgeResponse()`. */
export interface JudgeOptions {
  /**
   * The zone whose servers were asked, the bailiwick (RFC 2181 §5.4.1): records owned by
   * names outside it are discarded, so a server can speak only for its own zone. `.` for a
   * forwarder, which speaks for the whole tree.
   */
  readonly zone: string;
  /** Referrals are expected (iterative mode); with a forwarder a referral is unusable. */
  readonly referrals: boolean;
  /** Most CNAME links taken from one response. */
  readonly maxChain: number;
}

/**
 * Reads `response` as the answer to (qname, qtype, class IN) from a server of
 * `options.zone`, after RFC 1034 §5.3.3 step 4:
 * - an answer: the CNAME chain from qname, as far as it stays inside the bailiwick, ending
 *   in the RRset asked for; or, at the end of the chain, a negative answer (NXDOMAIN or
 *   NODATA, with the zone's SOA from the authority section when it is in bailiwick and
 *   above the name, RFC 2308 §2);
 * - a referral: no answer, an NS RRset in the authority section for a zone strictly between
 *   the zone asked and qname, and the A/AAAA records of its servers from the additional
 *   section that lie in the bailiwick (glue);
 * - anything else is unusable: an rcode other than NOERROR/NXDOMAIN, a truncated message, a
 *   referral upwards or sideways, an empty non-authoritative answer.
 */
export function judgeResponse(
  response: Message,
  qname: string,
  qtype: number,
  options: JudgeOptions,
): Verdict {
  const { zone } = options;
  const rcode = response.rcode;
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) {
    return { kind: "unusable", reason: `answered ${rcodeToText(rcode)}` };
  }
  if (response.flags.tc) return { kind: "unusable", reason: "truncated answer" };
  if (!isSubdomain(qname, zone)) return { kind: "unusable", reason: `${qname} is not in ${zone}` };

  const steps = new Map<string, Step>();
  let current: string | undefined = qname;
  for (let links = 0; current !== undefined && isSubdomain(current, zone); links++) {
    const owner: string = current;
    const rrset = response.answers.filter(
      (r) => r.type === qtype && r.class === RRClass.IN && namesEqual(r.name, owner),
    );
    if (rrset.length > 0) {
      steps.set(canonicalName(owner), { kind: "answer", records: rrset });
      current = undefined;
      break;
    }
    const cname =
      qtype === RRType.CNAME || links >= options.maxChain
        ? undefined
        : response.answers.find(
            (r) => r.type === RRType.CNAME && r.class === RRClass.IN && namesEqual(r.name, owner),
          );
    if (cname?.data.kind !== "CNAME") break;
    steps.set(canonicalName(owner), { kind: "cname", record: cname });
    current = cname.data.target;
    // A loop: stop here; the resolver's walk of the chain notices it.
    if (steps.has(canonicalName(current))) current = undefined;
  }

  const nsRecords = response.authority.filter((r) => r.type === RRType.NS && r.class === RRClass.IN);
  if (current !== undefined && isSubdomain(current, zone)) {
    // The chain ends at `current` without the data asked for: is that a negative answer?
    const soa = negativeSoa(response.authority, current, zone);
    const atQname = steps.size === 0;
    if (rcode === Rcode.NXDOMAIN && (soa !== undefined || atQname)) {
      steps.set(canonicalName(current), { kind: "nxdomain", soa });
    } else if (
      rcode === Rcode.NOERROR &&
      (soa !== undefined ||
        (atQname && (response.flags.aa || (!options.referrals && nsRecords.length === 0))))
    ) {
      steps.set(canonicalName(current), { kind: "nodata", soa });
    }
  }
  if (steps.size > 0) return { kind: "final", steps };

  if (options.referrals && rcode === Rcode.NOERROR && nsRecords.length > 0) {
    const child = nsRecords[0]!.name;
    if (!isSubdomain(qname, child) || !isSubdomain(child, zone) || namesEqual(child, zone)) {
      return { kind: "unusable", reason: `referral to ${child}, not below ${zone} towards ${qname}` };
    }
    const ns = nsRecords.filter((r) => namesEqual(r.name, child));
    const targets = new Set(ns.map((r) => (r.data.kind === "NS" ? canonicalName(r.data.target) : "")));
    const glue = response.additional.filter(
      (r) =>
        (r.type === RRType.A || r.type === RRType.AAAA) &&
        r.class === RRClass.IN &&
        targets.has(canonicalName(r.name)) &&
        isSubdomain(r.name, zone),
    );
    return { kind: "referral", zone: child, ns, glue };
  }
  return {
    kind: "unusable",
    reason: rcode === Rcode.NXDOMAIN ? "NXDOMAIN for a name out of bailiwick" : "no answer and no referral",
  };
}

/**
 * The SOA of a negative answer about `name`: in the authority section, owned by `name` or
 * an ancestor of it, and inside the bailiwick.
 */
function negativeSoa(
  authority: readonly ResourceRecord[],
  name: string,
  zone: string,
): ResourceRecord | undefined {
  return authority.find(
    (r) =>
      r.type === RRType.SOA &&
      r.class === RRClass.IN &&
      r.data.kind === "SOA" &&
      isSubdomain(name, r.name) &&
      isSubdomain(r.name, zone),
  );
}
