import { access, mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * The zone the embedded default serves, so `dig @127.0.0.1 -p 1053 localhost` answers out of
 * the box (RFC 6761 §6.3: localhost names are loopback addresses). Written once into the data
 * directory, where it is an ordinary zone file to edit.
 */
export function localhostZone(hostname: string): string {
  const serial = new Date().toISOString().slice(0, 10).replaceAll("-", "") + "01";
  return `; Zone of Portico's embedded default configuration: edit freely, it reloads on save.
$ORIGIN ${hostname}.
$TTL 1h
@       IN SOA  @ hostmaster ( ${serial} 1h 15m 1w 5m )
        IN NS   @
        IN A    127.0.0.1
        IN AAAA ::1
        IN MX   10 @
`;
}

/** Writes `path` with the localhost zone unless it exists. */
export async function ensureDefaultZone(path: string, hostname: string): Promise<void> {
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (exists) return;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, localhostZone(hostname), { flag: "wx" }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  });
}
