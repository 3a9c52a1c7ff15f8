/**
 * Helpers for the resolver's tests: a Portico DNS server (`startDnsService`) on 127.0.0.1
 * with a random port, serving zones given as text, recording every query it receives.
 * Not part of the public API.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SocketAddress } from "../../core/address.js";
import { startDnsService } from "../service.js";

/** example.test.: answers, CNAME chains and a loop, MX sets, no MX, a null MX, a short TTL. */
export const EXAMPLE_ZONE = `
$TTL 300
@       SOA   ns1 hostmaster 1 3600 600 86400 60
@       NS    ns1
ns1     A     192.0.2.53
www     A     192.0.2.1
www     AAAA  2001:db8::1
alias   CNAME www
alias2  CNAME alias
loop1   CNAME loop2
loop2   CNAME loop1
@       MX    10 mx1
@       MX    10 mx2
@       MX    20 mx3
mx1     A     192.0.2.25
mx2     A     192.0.2.26
mx2     AAAA  2001:db8::26
mx3     A     192.0.2.27
nomx    A     192.0.2.80
nomx    AAAA  2001:db8::80
nullmx  MX    0 .
noaddr  MX    10 nothing
short 5 A     192.0.2.5
`;

export interface ZoneServer {
  readonly address: SocketAddress;
  /** A one-line summary of each query received (`id=… QUERY www.test. IN A +rd …`). */
  readonly queries: string[];
  /** The queries received whose summary names `name` (case-insensitive, with the final dot). */
  queriesFor(name: string): string[];
  stop(): Promise<void>;
}

/**
 * Starts an authoritative Portico DNS server for `zones` (each `[origin, master-file text]`,
 * written to a temporary directory that `stop()` removes).
 */
export async function startZoneServer(
  zones: readonly (readonly [origin: string, text: string])[],
): Promise<ZoneServer> {
  const dir = await mkdtemp(join(tmpdir(), "portico-resolver-"));
  const files: string[] = [];
  for (const [index, [origin, text]] of zones.entries()) {
    const file = join(dir, `zone${index}.zone`);
    await writeFile(file, `$ORIGIN ${origin}\n${text}\n`);
    files.push(file);
  }
  const queries: string[] = [];
  const service = await startDnsService(
    { listen: [{ host: "127.0.0.1", port: 0, family: 4 }], zones: files, recursion: false, forwarders: [] },
    {
      watchZones: false,
      trace: (event) => {
        if (event.direction === "C") queries.push(event.line);
      },
    },
  );
  const address = service.endpoints[0]!.address;
  return {
    address,
    queries,
    queriesFor: (name) => queries.filter((q) => q.toLowerCase().includes(` ${name.toLowerCase()} `)),
    stop: async () => {
      await service.stop(0);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A clock for the resolver's cache that a test moves by hand. */
export function manualClock(): { now: () => number; advance: (seconds: number) => void } {
  let ms = 0;
  return {
    now: () => ms,
    advance: (seconds) => {
      ms += seconds * 1000;
    },
  };
}
